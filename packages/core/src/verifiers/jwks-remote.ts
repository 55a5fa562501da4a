/**
 * A remote JWKS we fetch ourselves (through `idpRequest`) instead of jose's `createRemoteJWKSet`,
 * so the dispatcher, timeouts, size bound and diagnostics are the same as every other IdP call and
 * the last good keys survive an outage for a bounded time.
 *
 * - One fetch in flight; concurrent callers share it (each may stop waiting on its own signal).
 * - Keys are fresh for `cacheMaxAgeMs`; then the next verification refetches.
 * - An unknown `kid` refetches only when the keys are older than `cooldownMs`.
 * - When a fetch fails, the previous keys are still used until they are `staleKeysMaxAgeMs` old;
 *   after that (or with no keys at all) verification fails with `ERR_JWKS_UNAVAILABLE` (503).
 *   A failed fetch is not retried for `fetchRetryMs`, so an outage is not hammered.
 */
import { createLocalJWKSet } from 'jose';
import type { JSONWebKeySet, JWSHeaderParameters, FlattenedJWSInput, CryptoKey } from 'jose';
import type { Dispatcher } from 'undici';
import { PortcullisError, isPortcullisError } from '../errors.js';
import { idpRequest } from '../http/idp-request.js';
import { waitWithSignal } from '../http/idp-signal.js';
import type { ComponentHealth, Logger } from '../types.js';

/** jose's local key resolver for one JWKS snapshot. */
export type KeyResolver = (
  protectedHeader?: JWSHeaderParameters,
  token?: FlattenedJWSInput,
) => Promise<CryptoKey>;

export interface RemoteKeySetOptions {
  readonly jwksUri: URL;
  readonly cooldownMs: number;
  readonly cacheMaxAgeMs: number;
  readonly staleKeysMaxAgeMs: number;
  readonly fetchRetryMs: number;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly dispatcher: Dispatcher | undefined;
  readonly now: () => number;
  readonly logger: Logger | undefined;
}

export interface RemoteKeySet {
  /** Keys usable now: fresh, refetched, or stale within bounds. Throws `ERR_JWKS_UNAVAILABLE`. */
  current(signal?: AbortSignal): Promise<KeyResolver>;
  /**
   * Called when no key matched the token's `kid`: refetches outside the cooldown and returns
   * the new keys, or `undefined` when still cooling down (the kid is simply unknown).
   */
  afterUnknownKid(signal?: AbortSignal): Promise<KeyResolver | undefined>;
  /** Fetch now (single flight), e.g. to warm up. Throws `ERR_JWKS_UNAVAILABLE`. */
  refresh(signal?: AbortSignal): Promise<void>;
  /** Number of fetches started, successful or not. */
  readonly fetchCount: number;
  health(): ComponentHealth;
}

export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const { now } = options;
  let keys: KeyResolver | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let failedAt = Number.NEGATIVE_INFINITY;
  let lastError: PortcullisError | undefined;
  let pending: Promise<KeyResolver> | undefined;
  let fetchCount = 0;

  async function fetchKeys(): Promise<KeyResolver> {
    fetchCount += 1;
    try {
      const response = await idpRequest({
        operation: 'jwks',
        url: options.jwksUri,
        timeoutMs: options.timeoutMs,
        maxBodyBytes: options.maxBytes,
        dispatcher: options.dispatcher,
        now,
      });
      if (response.status !== 200) {
        throw new PortcullisError(
          'ERR_IDP_RESPONSE_INVALID',
          `identity provider jwks call answered ${response.status}`,
          { details: { operation: 'jwks', status: response.status } },
        );
      }
      let resolver: KeyResolver;
      try {
        resolver = createLocalJWKSet(response.body as JSONWebKeySet);
      } catch (cause) {
        throw new PortcullisError(
          'ERR_IDP_RESPONSE_INVALID',
          'identity provider jwks call answered with something that is not a JWK set',
          { cause, details: { operation: 'jwks' } },
        );
      }
      keys = resolver;
      fetchedAt = now();
      lastError = undefined;
      return resolver;
    } catch (error) {
      failedAt = now();
      lastError = isPortcullisError(error)
        ? error
        : new PortcullisError('ERR_IDP_RESPONSE_INVALID', 'JWKS could not be loaded', {
            cause: error,
          });
      options.logger?.warn(
        { operation: 'jwks', code: lastError.code, keysAgeMs: keysAge() },
        'JWKS fetch failed',
      );
      throw lastError;
    }
  }

  function keysAge(): number | undefined {
    return keys === undefined ? undefined : now() - fetchedAt;
  }

  /** Start (or join) the one fetch in flight. */
  function sharedFetch(): Promise<KeyResolver> {
    if (pending === undefined) {
      const current = fetchKeys().finally(() => {
        if (pending === current) pending = undefined;
      });
      // Waiters may all have given up on their own signals; the rejection is handled here.
      current.catch(() => undefined);
      pending = current;
    }
    return pending;
  }

  function mayFetch(): boolean {
    return pending !== undefined || now() - failedAt >= options.fetchRetryMs;
  }

  function unavailable(): PortcullisError {
    return new PortcullisError('ERR_JWKS_UNAVAILABLE', 'signing keys are unavailable', {
      cause: lastError,
      retryAfterSec: lastError?.retryAfterSec ?? 1,
      details: { operation: 'jwks' },
    });
  }

  async function fetchOrUnavailable(signal: AbortSignal | undefined): Promise<KeyResolver> {
    try {
      return await waitWithSignal(sharedFetch(), signal, 'jwks');
    } catch (error) {
      if (signal?.aborted) throw error;
      throw unavailable();
    }
  }

  return {
    async current(signal) {
      if (keys !== undefined && now() - fetchedAt < options.cacheMaxAgeMs) return keys;
      if (mayFetch()) {
        try {
          return await waitWithSignal(sharedFetch(), signal, 'jwks');
        } catch (error) {
          if (signal?.aborted) throw error;
        }
      }
      if (keys !== undefined && now() - fetchedAt < options.staleKeysMaxAgeMs) return keys;
      throw unavailable();
    },
    async afterUnknownKid(signal) {
      if (now() - fetchedAt < options.cooldownMs) return undefined;
      if (!mayFetch()) throw unavailable();
      return fetchOrUnavailable(signal);
    },
    async refresh(signal) {
      await fetchOrUnavailable(signal);
    },
    get fetchCount() {
      return fetchCount;
    },
    health() {
      if (lastError === undefined) {
        return keys === undefined
          ? { status: 'ok', detail: 'JWKS is loaded on first use' }
          : { status: 'ok' };
      }
      if (keys !== undefined && now() - fetchedAt < options.staleKeysMaxAgeMs) {
        return {
          status: 'degraded',
          detail: `JWKS fetch failing (${lastError.code}); using cached keys`,
        };
      }
      return { status: 'down', detail: `JWKS unavailable (${lastError.code})` };
    },
  };
}
