/**
 * The header list sent upstream: the client's headers minus hop-by-hop, minus anything that could
 * pass for our identity or a forwarded-request header, minus credentials unless configured; then
 * `X-Forwarded-*` and the identity headers.
 */
import type { IncomingMessage } from 'node:http';
import { canonicalHeaderName } from '../identity/headers.js';
import { hopByHopNames } from './hop-by-hop.js';
import { headerValues } from '../server/request-headers.js';

/**
 * Names removed from every proxied request whatever their case or `_` spelling: forward-auth
 * sources (docs/design.md §7) and the forwarding headers we set ourselves.
 */
export const PROXY_STRIPPED_HEADERS: readonly string[] = Object.freeze([
  'x-original-url',
  'x-original-uri',
  'x-original-method',
  'x-rewrite-url',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
  'forwarded',
]);

export interface UpstreamHeaderOptions {
  /** Returns true for names that must not reach the upstream (identity look-alikes etc.). */
  readonly isSpoofable: (name: string) => boolean;
  /** Lower-case names of credential headers to drop (`authorization`, the API-key header). */
  readonly credentialHeaders: ReadonlySet<string>;
  /** Client address as resolved (trusted proxies honoured). */
  readonly clientAddress: string;
  /** Whether the socket peer is a trusted proxy whose X-Forwarded-* may be extended. */
  readonly peerTrusted: boolean;
  readonly identity: Readonly<Record<string, string>>;
}

/** A flat `[name, value, name, value, ...]` list (undici keeps duplicates in this form). */
export function buildUpstreamHeaders(
  request: IncomingMessage,
  options: UpstreamHeaderOptions,
): string[] {
  const hop = hopByHopNames(headerValues(request, 'connection'));
  const out: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (hop.has(lower) || lower === 'host' || lower === 'expect') continue;
    if (options.credentialHeaders.has(canonicalHeaderName(lower))) continue;
    if (options.isSpoofable(lower)) continue;
    out.push(name, raw[i + 1] as string);
  }
  const host = request.headers.host;
  if (options.peerTrusted) {
    const chain = headerValues(request, 'x-forwarded-for').join(', ');
    out.push(
      'x-forwarded-for',
      chain === '' ? options.clientAddress : `${chain}, ${peerOf(request)}`,
    );
    out.push('x-forwarded-proto', firstOr(request, 'x-forwarded-proto', 'http'));
    const forwardedHost = firstOr(request, 'x-forwarded-host', host ?? '');
    if (forwardedHost !== '') out.push('x-forwarded-host', forwardedHost);
  } else {
    out.push('x-forwarded-for', options.clientAddress, 'x-forwarded-proto', 'http');
    if (host !== undefined) out.push('x-forwarded-host', host);
  }
  for (const [name, value] of Object.entries(options.identity)) out.push(name, value);
  return out;
}

function peerOf(request: IncomingMessage): string {
  const address = request.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function firstOr(request: IncomingMessage, name: string, fallback: string): string {
  const value = headerValues(request, name)[0]?.trim();
  return value === undefined || value === '' ? fallback : value;
}

/** Response headers from undici minus hop-by-hop ones. */
export function downstreamHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const connection = headers['connection'];
  const hop = hopByHopNames(
    connection === undefined ? [] : Array.isArray(connection) ? connection : [connection],
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hop.has(name.toLowerCase())) continue;
    out[name] = value;
  }
  return out;
}
