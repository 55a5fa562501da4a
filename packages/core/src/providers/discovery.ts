/**
 * Authorization server metadata discovery: RFC 8414 first (`/.well-known/oauth-authorization-server`,
 * inserted before the issuer's path), then OpenID Connect Discovery (`/.well-known/openid-configuration`,
 * appended to the issuer). The answer's `issuer` must be the configured one (RFC 8414 §3.3).
 */
import type { Dispatcher } from 'undici';
import { PortcullisError, isPortcullisError } from '../errors.js';
import { idpRequest } from '../http/idp-request.js';
import { waitWithSignal } from '../http/idp-signal.js';

/** The metadata members Portcullis uses. */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly jwksUri?: URL;
  readonly tokenEndpoint?: URL;
  readonly introspectionEndpoint?: URL;
}

export interface DiscoveryRequestOptions {
  readonly dispatcher: Dispatcher | undefined;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly signal?: AbortSignal | undefined;
}

/** The discovery documents to try, in order. */
export function discoveryUrls(issuer: URL): readonly URL[] {
  const path = issuer.pathname.replace(/\/+$/, '');
  const origin = issuer.origin;
  return [
    new URL(`${origin}/.well-known/oauth-authorization-server${path}`),
    new URL(`${origin}${path}/.well-known/openid-configuration`),
  ];
}

/**
 * Fetch metadata. A document that is missing (4xx) or wrong moves on to the next one; if none
 * is usable: `ERR_IDP_UNAVAILABLE` when one of them was unreachable, else `ERR_IDP_RESPONSE_INVALID`.
 */
export async function discoverMetadata(
  issuer: string,
  options: DiscoveryRequestOptions,
): Promise<AuthorizationServerMetadata> {
  let unavailable: PortcullisError | undefined;
  for (const url of discoveryUrls(new URL(issuer))) {
    try {
      const response = await idpRequest({
        operation: 'discovery',
        url,
        dispatcher: options.dispatcher,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        now: options.now,
      });
      if (response.status !== 200) continue;
      const metadata = parseMetadata(response.body, issuer);
      if (metadata !== undefined) return metadata;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (isPortcullisError(error) && error.code === 'ERR_IDP_UNAVAILABLE') unavailable ??= error;
      else if (!isPortcullisError(error)) throw error;
    }
  }
  if (unavailable !== undefined) throw unavailable;
  throw new PortcullisError(
    'ERR_IDP_RESPONSE_INVALID',
    'no authorization server metadata found for the issuer',
    { details: { operation: 'discovery' } },
  );
}

function parseMetadata(body: unknown, issuer: string): AuthorizationServerMetadata | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const document = body as Record<string, unknown>;
  const stated = document['issuer'];
  if (typeof stated !== 'string' || stripSlash(stated) !== stripSlash(issuer)) return undefined;
  return {
    issuer: stated,
    ...endpoint('jwksUri', document['jwks_uri']),
    ...endpoint('tokenEndpoint', document['token_endpoint']),
    ...endpoint('introspectionEndpoint', document['introspection_endpoint']),
  };
}

function endpoint<K extends string>(key: K, value: unknown): { [P in K]?: URL } {
  if (typeof value !== 'string') return {};
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:')
      return { [key]: url } as { [P in K]?: URL };
  } catch {
    // An unusable URL is treated as absent.
  }
  return {};
}

function stripSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

/** Cached, single-flight discovery: a failure is not cached, the next call retries. */
export interface DiscoveryCache {
  get(signal?: AbortSignal): Promise<AuthorizationServerMetadata>;
  /** The metadata when already known. */
  peek(): AuthorizationServerMetadata | undefined;
  readonly lastError: PortcullisError | undefined;
}

export function createDiscoveryCache(
  issuer: string,
  request: () => Omit<DiscoveryRequestOptions, 'signal'>,
): DiscoveryCache {
  let known: AuthorizationServerMetadata | undefined;
  let pending: Promise<AuthorizationServerMetadata> | undefined;
  let lastError: PortcullisError | undefined;
  return {
    get(signal) {
      if (known !== undefined) return Promise.resolve(known);
      if (pending === undefined) {
        const current = discoverMetadata(issuer, request())
          .then((metadata) => {
            known = metadata;
            lastError = undefined;
            return metadata;
          })
          .catch((error: unknown) => {
            lastError = isPortcullisError(error) ? error : undefined;
            throw error;
          })
          .finally(() => {
            if (pending === current) pending = undefined;
          });
        current.catch(() => undefined);
        pending = current;
      }
      return waitWithSignal(pending, signal, 'discovery');
    },
    peek: () => known,
    get lastError() {
      return lastError;
    },
  };
}
