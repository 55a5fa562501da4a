/**
 * Reading one header from the shapes requests arrive in (Node `IncomingHttpHeaders`, a Fetch
 * `Headers`, a plain object from a test or another framework) without trusting their types.
 */
import type { HeadersLike } from '../types.js';

/**
 * One occurrence of a header as received. `unknown` because untyped callers (and fuzzers) can put
 * anything in a headers object; callers check `typeof value === 'string'`.
 */
export type HeaderOccurrence = unknown;

function isFetchHeaders(headers: unknown): headers is { get(name: string): string | null } {
  return (
    typeof headers === 'object' &&
    headers !== null &&
    typeof (headers as { get?: unknown }).get === 'function'
  );
}

/**
 * Every occurrence of header `name` (lower-case), in order. A Fetch `Headers` yields at most one
 * (comma-joined) value; a plain object yields one per key that matches case-insensitively and one
 * per element of an array value. An absent header yields `[]`.
 */
export function readHeader(headers: HeadersLike | undefined, name: string): HeaderOccurrence[] {
  if (typeof headers !== 'object' || headers === null) return [];
  if (isFetchHeaders(headers)) {
    const value: unknown = headers.get(name);
    return value === null || value === undefined ? [] : [value];
  }
  const record = headers as Readonly<Record<string, unknown>>;
  const found: HeaderOccurrence[] = [];
  // Node lower-cases names, but hand-built objects may not; both spellings count as occurrences.
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() !== name) continue;
    const value = record[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) found.push(...(value as unknown[]));
    else found.push(value);
  }
  return found;
}

/** How many times `name` (lower-case) appears in Node's `rawHeaders` (`[name, value, ...]`). */
export function countRawHeader(rawHeaders: unknown, name: string): number {
  if (!Array.isArray(rawHeaders)) return 0;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const key: unknown = rawHeaders[i];
    if (typeof key === 'string' && key.toLowerCase() === name) count += 1;
  }
  return count;
}

/** The single string value of a header, or `undefined` when absent, repeated or not a string. */
export function readSingleHeader(
  headers: HeadersLike | undefined,
  name: string,
): string | undefined {
  const values = readHeader(headers, name);
  if (values.length !== 1) return undefined;
  const [value] = values;
  return typeof value === 'string' ? value : undefined;
}
