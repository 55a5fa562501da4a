/**
 * Forward-auth: recover the original method and request target from the one configured source
 * (docs/design.md §7). Missing or conflicting values are a 400 — a verify request never falls back to
 * its own path, which could match a weaker rule.
 */
import type { IncomingMessage } from 'node:http';
import { PortcullisError } from '@portcullis/core';
import { headerValues } from '../server/request-headers.js';

export type VerifyUriSource = 'x-original' | 'x-forwarded' | 'envoy';

/** The request the proxy in front is asking about. `target` is raw (not yet normalised). */
export interface OriginalRequest {
  readonly method: string;
  readonly target: string;
}

/** The reserved forward-auth path, served in both modes. */
export const VERIFY_PATH = '/.portcullis/verify';

const METHOD = /^[A-Z]{1,20}$/;

function badVerifyRequest(message: string): PortcullisError {
  // ERR_INVALID_PATH: the original request target cannot be determined (400 invalid_request).
  return new PortcullisError('ERR_INVALID_PATH', message, { details: { reason: 'verify-source' } });
}

/** Exactly one value of a header, or `undefined`; more than one (or differing) → 400. */
function single(request: IncomingMessage, name: string): string | undefined {
  const values = headerValues(request, name);
  if (values.length > 1) throw badVerifyRequest(`conflicting ${name} headers`);
  const value = values[0]?.trim();
  return value === '' ? undefined : value;
}

/** `https://host/a?b` → `/a?b`; never uses `new URL()`, which would resolve `..` and `\`. */
function targetOfUrl(url: string): string | undefined {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(.*)$/s.exec(url);
  if (match === null) return undefined;
  const rest = match[1] as string;
  if (rest === '') return '/';
  return rest.startsWith('?') ? `/${rest}` : rest;
}

function method(value: string | undefined, header: string): string {
  if (value === undefined) throw badVerifyRequest(`missing ${header}`);
  const upper = value.toUpperCase();
  if (!METHOD.test(upper)) throw badVerifyRequest(`malformed ${header}`);
  return upper;
}

/**
 * Read the original request of a verify call.
 * - `x-original` (nginx, ingress-nginx): `X-Original-Method` + `X-Original-URL` (full URL) and/or
 *   `X-Original-URI` (path); both present must agree.
 * - `x-forwarded` (Traefik): `X-Forwarded-Method` + `X-Forwarded-Uri`.
 * - `envoy`: the request's own method, and its target minus `/.portcullis/verify` or the
 *   configured prefix (`pathPrefix`; `''` in verify-only mode means "the path as sent").
 */
export function readOriginalRequest(
  request: IncomingMessage,
  source: VerifyUriSource,
  pathPrefix: string,
): OriginalRequest {
  const rawTarget = request.url ?? '/';
  if (source === 'envoy') {
    const target =
      stripPrefix(rawTarget, VERIFY_PATH) ??
      (pathPrefix === '' ? rawTarget : stripPrefix(rawTarget, pathPrefix));
    if (target === undefined) throw badVerifyRequest(`path does not start with ${pathPrefix}`);
    return { method: method(request.method, 'method'), target };
  }
  if (source === 'x-forwarded') {
    const uri = single(request, 'x-forwarded-uri');
    const m = method(single(request, 'x-forwarded-method'), 'X-Forwarded-Method');
    if (uri === undefined) throw badVerifyRequest('missing X-Forwarded-Uri');
    return { method: m, target: uri };
  }
  const m = method(single(request, 'x-original-method'), 'X-Original-Method');
  const url = single(request, 'x-original-url');
  const uri = single(request, 'x-original-uri');
  const fromUrl = url === undefined ? undefined : targetOfUrl(url);
  if (url !== undefined && fromUrl === undefined)
    throw badVerifyRequest('malformed X-Original-URL');
  if (fromUrl !== undefined && uri !== undefined && fromUrl !== uri) {
    throw badVerifyRequest('X-Original-URL and X-Original-URI disagree');
  }
  const target = fromUrl ?? uri;
  if (target === undefined) throw badVerifyRequest('missing X-Original-URL');
  return { method: m, target };
}

/** `target` minus `prefix` when the prefix ends at a segment boundary; `undefined` otherwise. */
function stripPrefix(target: string, prefix: string): string | undefined {
  if (!target.startsWith(prefix)) return undefined;
  const rest = target.slice(prefix.length);
  if (rest === '') return '/';
  if (rest.startsWith('/')) return rest;
  if (rest.startsWith('?')) return `/${rest}`;
  return undefined;
}
