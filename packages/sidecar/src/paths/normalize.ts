/**
 * Request-target normalisation (docs/design.md §7). Route rules match the normalised path and the
 * upstream receives that same path, so no encoding trick can make the two disagree.
 */
import { PortcullisError } from '@portcullis/core';

/** A normalised request target. */
export interface NormalizedTarget {
  /** Starts with `/`; no empty, `.` or `..` segments; no trailing `/` except the root. */
  readonly path: string;
  /** The query string without the `?`, unchanged (may be empty). */
  readonly query: string;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// Visible ASCII only: no controls, spaces or raw non-ASCII bytes (decoded as latin1 by Node).
const VISIBLE_ASCII = /^[\x21-\x7e]*$/;

function invalidPath(reason: string): PortcullisError {
  return new PortcullisError('ERR_INVALID_PATH', `invalid request path: ${reason}`, {
    details: { reason },
  });
}

/** Decode `%XX` of unreserved characters only; upper-case the hex of every other escape. */
function normalizeSegment(segment: string): string {
  if (segment.includes(';')) throw invalidPath('";" in a path segment');
  if (segment.includes('\\')) throw invalidPath('"\\" in the path');
  if (!segment.includes('%')) return segment;
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i] as string;
    if (char !== '%') {
      out += char;
      continue;
    }
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalidPath('malformed percent-encoding');
    const decoded = String.fromCharCode(Number.parseInt(hex, 16));
    if (decoded === '/' || decoded === '\\') throw invalidPath('encoded "/" or "\\"');
    if (decoded === ';') throw invalidPath('encoded ";" in a path segment');
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/**
 * Normalise an origin-form request target (`/a/b?x=1`): percent-decode unreserved characters only,
 * collapse `//`, resolve `.` and `..`, drop a trailing `/` except at the root.
 * Throws `ERR_INVALID_PATH` (400) for an encoded `/` or `\`, a `;` in a segment, a raw `\`,
 * malformed escapes, non-visible characters, a fragment, or a path escaping the root.
 */
export function normalizeTarget(target: string): NormalizedTarget {
  if (!VISIBLE_ASCII.test(target)) throw invalidPath('non-visible character');
  if (target.includes('#')) throw invalidPath('fragment in the request target');
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : target.slice(queryAt + 1);
  if (!rawPath.startsWith('/')) throw invalidPath('not an absolute path');

  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    const segment = normalizeSegment(raw);
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) throw invalidPath('path escapes the root');
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return { path: `/${segments.join('/')}`, query };
}

/** `path?query`, or just `path` when the query is empty. */
export function formatTarget(target: NormalizedTarget): string {
  return target.query === '' ? target.path : `${target.path}?${target.query}`;
}
