/**
 * `AuthenticatorOptions`, their defaults and their validation. Every bad option throws
 * `ERR_INVALID_OPTION` naming it, at construction — never on the request path.
 */
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { invalidOption } from '../errors.js';
import { normalizeExtractOptions } from '../credentials/options.js';
import type { ExtractOptions } from '../credentials/options.js';
import type { Provider } from '../provider.js';
import type { SharedStore } from '../store.js';
import { CREDENTIAL_KINDS } from '../types.js';
import type { CredentialKind, Logger } from '../types.js';
import { SILENT_LOGGER, stderrLogger } from './stderr-logger.js';

/** Options of `createAuthenticator`. Durations are in the unit their name says. */
export interface AuthenticatorOptions {
  /** The identity-provider preset (`oauth2(...)`, `frontegg(...)`) or your own `Provider`. */
  readonly provider: Provider;
  readonly cache?: {
    /** Positive TTL; capped by the token's `exp` and the provider's `maxTtlMs`. Default 30000. */
    readonly ttlMs?: number;
    /** TTL of negative answers (invalid/inactive credentials). Default 5000. */
    readonly negativeTtlMs?: number;
    /** Maximum cached answers. Default 10000. Must be finite. */
    readonly maxEntries?: number;
    /** Maximum estimated bytes of cached answers. Default 64 MiB. Must be finite. */
    readonly maxBytes?: number;
    /** How long past its TTL a positive answer may serve while the IdP is unreachable. Default 0. */
    readonly staleIfErrorMs?: number;
    /** HMAC key for cache keys (≥ 16 bytes). Default random per process; required with a shared cache. */
    readonly keySecret?: string | Uint8Array;
  };
  readonly policy?: {
    /** Pin M2M on or off; a pinned value never follows the IdP. Default: follow the IdP. */
    readonly enabled?: boolean;
    /** Pin the accepted credential kinds. Default: follow the IdP. */
    readonly acceptedCredentials?: readonly CredentialKind[];
    /** How often the provider's settings are re-read. Default 30000. */
    readonly syncIntervalMs?: number;
  };
  readonly revocation?: {
    /** How long tombstones live; raised to the IdP's longest token lifetime. Default 24 h. */
    readonly ttlMs?: number;
    /** Tombstone table bound; when full the entry closest to expiry is evicted loudly. Default 1e6. */
    readonly maxTombstones?: number;
    /** Accept offline-verified JWTs that live longer than `ttlMs`. Default false. */
    readonly allowLongLivedTokens?: boolean;
    /**
     * Reconciliation sweep for lost webhooks, in ms (0 = off; jittered ±25 %): cached client
     * credentials are re-checked against the IdP's token lists where the provider can list tokens
     * (Frontegg). Default 60000.
     */
    readonly reconcileIntervalMs?: number;
    /** Most tenants one replica re-checks per sweep. Default 20. */
    readonly reconcileMaxTenants?: number;
  };
  readonly credentials?: {
    /** API-key header name. Default `x-api-key`. */
    readonly apiKeyHeader?: string;
    /** Largest credential header value in bytes. Default 8192. */
    readonly maxCredentialBytes?: number;
  };
  readonly idp?: {
    /** Verification calls open at the IdP at once. Default 64. */
    readonly maxInFlight?: number;
    /** Verifications waiting for a slot before 503 `ERR_IDP_OVERLOADED`. Default 1000. */
    readonly maxQueue?: number;
    /** Timeout of one verification (and one policy read). Default 2000. */
    readonly timeoutMs?: number;
    /** undici dispatcher handed to the provider. */
    readonly dispatcher?: Dispatcher;
  };
  readonly webhooks?: {
    /** Standard Webhooks `whsec_` secrets (several for rotation). Default none (receiver refuses all). */
    readonly standardSecrets?: readonly string[];
    /** Allowed clock skew of `webhook-timestamp`. Default 300. */
    readonly toleranceSec?: number;
    /** Largest webhook body in bytes. Default 65536. */
    readonly maxBodyBytes?: number;
    /** How long webhook ids are remembered against replay. Default 2 × toleranceSec. */
    readonly replayTtlMs?: number;
  };
  /** Shared tombstones, policy and invalidation bus (e.g. `createRedisStore`). */
  readonly store?: SharedStore;
  /** Clock tolerance for `iat` comparisons and the verifiers. Default 5. */
  readonly clockToleranceSec?: number;
  /** Epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Structured logger (pino's shape). Default: warnings and errors to stderr, one line each;
   * `false` silences it.
   */
  readonly logger?: Logger | false;
  /**
   * Longest wait of `ready()` before it rejects with `ERR_POLICY_UNKNOWN` naming the last cause.
   * It rejects sooner when the cause is known to be final (the IdP refused our credentials).
   * Default 10000.
   */
  readonly readyTimeoutMs?: number;
  /** This replica's id on the bus and in policy versions. Default random. */
  readonly originId?: string;
}

export interface ResolvedOptions {
  readonly provider: Provider;
  readonly store: SharedStore | undefined;
  readonly now: () => number;
  readonly logger: Logger;
  readonly readyTimeoutMs: number;
  readonly originId: string;
  readonly clockToleranceSec: number;
  readonly cache: {
    readonly ttlMs: number;
    readonly negativeTtlMs: number;
    readonly maxEntries: number;
    readonly maxBytes: number;
    readonly staleIfErrorMs: number;
    readonly keySecret: string | Uint8Array | undefined;
  };
  readonly policy: {
    readonly enabled: boolean | undefined;
    readonly acceptedCredentials: readonly CredentialKind[] | undefined;
    readonly syncIntervalMs: number;
  };
  readonly revocation: {
    readonly ttlMs: number;
    readonly maxTombstones: number;
    readonly allowLongLivedTokens: boolean;
    readonly reconcileIntervalMs: number;
    readonly reconcileMaxTenants: number;
  };
  readonly credentials: ExtractOptions;
  readonly idp: {
    readonly maxInFlight: number;
    readonly maxQueue: number;
    readonly timeoutMs: number;
    readonly dispatcher: Dispatcher | undefined;
  };
  readonly webhooks: {
    readonly standardSecrets: readonly string[];
    readonly toleranceSec: number;
    readonly maxBodyBytes: number;
    readonly replayTtlMs: number;
  };
}

const SECOND_MS = 1000;
const DAY_MS = 24 * 60 * 60 * SECOND_MS;
const MIN_KEY_SECRET_BYTES = 16;

export function resolveOptions(options: AuthenticatorOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    invalidOption('options', 'must be an object');
  const provider = checkProvider(options.provider);
  const store = checkStore(options.store);
  const cache = objectOption('cache', options.cache);
  const policy = objectOption('policy', options.policy);
  const revocation = objectOption('revocation', options.revocation);
  const idp = objectOption('idp', options.idp);
  const webhooks = objectOption('webhooks', options.webhooks);

  const keySecret = checkKeySecret(cache.keySecret);
  if (store?.sharedCache !== undefined && keySecret === undefined) {
    invalidOption(
      'cache.keySecret',
      'is required when the store has a shared principal cache (every replica must use the same key)',
    );
  }
  const toleranceSec = int('webhooks.toleranceSec', webhooks.toleranceSec, 300, 1, 3600);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch ms');

  return Object.freeze({
    provider,
    store,
    now,
    logger: checkLogger(options.logger),
    readyTimeoutMs: int('readyTimeoutMs', options.readyTimeoutMs, 10_000, 1, 10 * 60 * SECOND_MS),
    originId: checkOriginId(options.originId),
    clockToleranceSec: int('clockToleranceSec', options.clockToleranceSec, 5, 0, 300),
    cache: Object.freeze({
      ttlMs: int('cache.ttlMs', cache.ttlMs, 30_000, 0, DAY_MS),
      negativeTtlMs: int('cache.negativeTtlMs', cache.negativeTtlMs, 5000, 0, DAY_MS),
      maxEntries: bounded('cache.maxEntries', cache.maxEntries, 10_000, 100_000_000),
      maxBytes: bounded('cache.maxBytes', cache.maxBytes, 64 * 1024 * 1024, 2 ** 40),
      staleIfErrorMs: int('cache.staleIfErrorMs', cache.staleIfErrorMs, 0, 0, DAY_MS),
      keySecret,
    }),
    policy: Object.freeze({
      enabled: optionalBoolean('policy.enabled', policy.enabled),
      acceptedCredentials: checkKinds(policy.acceptedCredentials),
      syncIntervalMs: int('policy.syncIntervalMs', policy.syncIntervalMs, 30_000, 100, DAY_MS),
    }),
    revocation: Object.freeze({
      ttlMs: int('revocation.ttlMs', revocation.ttlMs, DAY_MS, SECOND_MS, 366 * DAY_MS),
      maxTombstones: bounded('revocation.maxTombstones', revocation.maxTombstones, 1_000_000, 1e8),
      allowLongLivedTokens:
        optionalBoolean('revocation.allowLongLivedTokens', revocation.allowLongLivedTokens) ??
        false,
      reconcileIntervalMs: reconcileInterval(revocation.reconcileIntervalMs),
      reconcileMaxTenants: bounded(
        'revocation.reconcileMaxTenants',
        revocation.reconcileMaxTenants,
        20,
        10_000,
      ),
    }),
    credentials: normalizeExtractOptions(objectOption('credentials', options.credentials)),
    idp: Object.freeze({
      maxInFlight: int('idp.maxInFlight', idp.maxInFlight, 64, 1, 10_000),
      maxQueue: int('idp.maxQueue', idp.maxQueue, 1000, 0, 1_000_000),
      timeoutMs: int('idp.timeoutMs', idp.timeoutMs, 2000, 1, 120_000),
      dispatcher: idp.dispatcher,
    }),
    webhooks: Object.freeze({
      standardSecrets: checkSecrets(webhooks.standardSecrets),
      toleranceSec,
      maxBodyBytes: int(
        'webhooks.maxBodyBytes',
        webhooks.maxBodyBytes,
        65_536,
        1,
        16 * 1024 * 1024,
      ),
      replayTtlMs: int(
        'webhooks.replayTtlMs',
        webhooks.replayTtlMs,
        2 * toleranceSec * SECOND_MS,
        SECOND_MS,
        30 * DAY_MS,
      ),
    }),
  });
}

function objectOption<T extends object>(path: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') invalidOption(path, 'must be an object');
  return value;
}

function int(path: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalidOption(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A required bound: `Infinity`, 0 or a negative value would make the structure unbounded. */
function bounded(path: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    invalidOption(path, `must be an integer from 1 to ${max} (unbounded is refused)`);
  }
  return value;
}

/** 0 (off) or from 1 s to a day. */
function reconcileInterval(value: unknown): number {
  if (value === 0) return 0;
  return int('revocation.reconcileIntervalMs', value, 60_000, SECOND_MS, DAY_MS);
}

function optionalBoolean(path: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  return invalidOption(path, 'must be a boolean');
}

function checkKinds(value: unknown): readonly CredentialKind[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((k) => !CREDENTIAL_KINDS.includes(k as CredentialKind))) {
    invalidOption(
      'policy.acceptedCredentials',
      `must be an array of ${CREDENTIAL_KINDS.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  return Object.freeze(CREDENTIAL_KINDS.filter((kind) => (value as unknown[]).includes(kind)));
}

function checkKeySecret(value: unknown): string | Uint8Array | undefined {
  if (value === undefined) return undefined;
  const bytes =
    typeof value === 'string'
      ? Buffer.byteLength(value)
      : value instanceof Uint8Array
        ? value.byteLength
        : -1;
  if (bytes < MIN_KEY_SECRET_BYTES) {
    invalidOption(
      'cache.keySecret',
      `must be a string or Uint8Array of at least ${MIN_KEY_SECRET_BYTES} bytes`,
    );
  }
  return value as string | Uint8Array;
}

function checkSecrets(value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string' || s.length === 0)) {
    invalidOption('webhooks.standardSecrets', 'must be an array of non-empty strings');
  }
  return Object.freeze([...(value as string[])]);
}

function checkProvider(value: unknown): Provider {
  const provider = value as Provider | undefined;
  if (
    provider === undefined ||
    provider === null ||
    typeof provider !== 'object' ||
    typeof provider.name !== 'string' ||
    typeof provider.verify !== 'function'
  ) {
    invalidOption('provider', 'must be a Provider (an object with name and verify())');
  }
  return provider;
}

const STORE_METHODS = [
  'start',
  'saveTombstone',
  'deleteTombstone',
  'loadTombstones',
  'savePolicy',
  'loadPolicy',
  'publish',
  'hasWebhookId',
  'rememberWebhookId',
  'health',
  'close',
] as const;

function checkStore(value: unknown): SharedStore | undefined {
  if (value === undefined) return undefined;
  const store = value as Record<string, unknown> | null;
  if (store === null || typeof store !== 'object') invalidOption('store', 'must be a SharedStore');
  for (const method of STORE_METHODS) {
    if (typeof store[method] !== 'function') invalidOption('store', `must implement ${method}()`);
  }
  return value as SharedStore;
}

function checkLogger(value: unknown): Logger {
  if (value === undefined) return stderrLogger();
  if (value === false) return SILENT_LOGGER;
  const logger = value as Record<string, unknown> | null;
  if (
    logger === null ||
    typeof logger !== 'object' ||
    !['debug', 'info', 'warn', 'error'].every((level) => typeof logger[level] === 'function')
  ) {
    invalidOption('logger', 'must be false or have debug, info, warn and error methods');
  }
  return value as Logger;
}

function checkOriginId(value: unknown): string {
  if (value === undefined) return randomUUID();
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
    invalidOption('originId', 'must be a non-empty string of at most 200 characters');
  }
  return value;
}
