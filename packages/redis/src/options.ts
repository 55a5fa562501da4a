/** Options of `createRedisStore`, validated once at construction (docs/design.md §5 "Other replicas"). */
import { invalidOption } from '@portcullis/core';
import type { Logger } from '@portcullis/core';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. Parsed by ioredis.
   * Default `redis://127.0.0.1:6379`. Never logged (it may hold a password).
   */
  readonly url?: string;
  /**
   * Prefix of every key and of the bus channel (`<prefix>bus`). Default `portcullis:`.
   * Give each deployment its own. For Redis Cluster put a hash tag in it (`{portcullis}:`).
   */
  readonly keyPrefix?: string;
  /** Enable the shared principal cache (`store.sharedCache`). Default `false`. */
  readonly sharedCache?: boolean;
  /** Structured logger (pino's shape). Default: silent. */
  readonly logger?: Logger;
  /** Bound on one TCP/TLS connect attempt, and on how long `start()` waits for Redis, in ms. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** Bound on every Redis command, in ms; a command past it rejects with ERR_STORE_UNAVAILABLE. Default 1000. */
  readonly commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts, in ms (backoff starts at 50 ms). Default 2000. */
  readonly reconnectMaxDelayMs?: number;
  /**
   * `CLIENT SETNAME` of both connections (visible in `CLIENT LIST`). Printable ASCII, no spaces.
   * Default `portcullis:<originId>` (unsafe characters of the origin id replaced by `_`).
   */
  readonly clientName?: string;
  /** Largest bus message accepted, in bytes; bigger ones are logged and dropped. Default 65536. */
  readonly maxMessageBytes?: number;
  /** Epoch ms. Must be the same clock as the authenticator's `now` (tombstone and cache expiry). */
  readonly now?: () => number;
}

export interface ResolvedRedisStoreOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly sharedCache: boolean;
  readonly logger: Logger;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly clientName: string | undefined;
  readonly maxMessageBytes: number;
  readonly now: () => number;
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';
const MAX_PREFIX_CHARS = 128;
const MAX_CLIENT_NAME_CHARS = 128;
/** Printable ASCII without space: what `CLIENT SETNAME` accepts, and safe in logs. */
const CLIENT_NAME_PATTERN = /^[!-~]+$/;

const noop = (): void => undefined;
const SILENT_LOGGER: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

export function resolveOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  if (options === null || typeof options !== 'object')
    invalidOption('options', 'must be an object');
  return Object.freeze({
    url: resolveUrl(options.url),
    keyPrefix: resolvePrefix(options.keyPrefix),
    sharedCache: resolveBoolean('sharedCache', options.sharedCache, false),
    logger: resolveLogger(options.logger),
    connectTimeoutMs: resolveMs('connectTimeoutMs', options.connectTimeoutMs, 2000, 60_000),
    commandTimeoutMs: resolveMs('commandTimeoutMs', options.commandTimeoutMs, 1000, 60_000),
    reconnectMaxDelayMs: resolveMs(
      'reconnectMaxDelayMs',
      options.reconnectMaxDelayMs,
      2000,
      60_000,
    ),
    clientName: resolveClientName(options.clientName),
    maxMessageBytes: resolveInteger(
      'maxMessageBytes',
      options.maxMessageBytes,
      65_536,
      1024,
      16 * 1024 * 1024,
    ),
    now: resolveNow(options.now),
  });
}

function resolveUrl(url: string | undefined): string {
  if (url === undefined) return DEFAULT_URL;
  if (typeof url !== 'string' || url.length === 0)
    invalidOption('url', 'must be a non-empty string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The value is not echoed: it may carry a password.
    return invalidOption('url', 'is not a valid URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    invalidOption('url', 'must use the redis: or rediss: scheme');
  }
  if (parsed.hostname === '') invalidOption('url', 'must name a host');
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db))
    invalidOption('url', 'must name the database as a number (/0)');
  return url;
}

function resolvePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return 'portcullis:';
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > MAX_PREFIX_CHARS) {
    invalidOption(
      'keyPrefix',
      `must be a non-empty string of at most ${MAX_PREFIX_CHARS} characters`,
    );
  }
  if (!CLIENT_NAME_PATTERN.test(prefix)) {
    invalidOption('keyPrefix', 'must be printable ASCII without spaces');
  }
  return prefix;
}

function resolveClientName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > MAX_CLIENT_NAME_CHARS ||
    !CLIENT_NAME_PATTERN.test(name)
  ) {
    invalidOption(
      'clientName',
      `must be 1 to ${MAX_CLIENT_NAME_CHARS} printable ASCII characters without spaces`,
    );
  }
  return name;
}

function resolveBoolean(path: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalidOption(path, 'must be a boolean');
  return value;
}

function resolveMs(path: string, value: number | undefined, fallback: number, max: number): number {
  return resolveInteger(path, value, fallback, 1, max);
}

function resolveInteger(
  path: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalidOption(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function resolveLogger(logger: Logger | undefined): Logger {
  if (logger === undefined) return SILENT_LOGGER;
  const methods = ['debug', 'info', 'warn', 'error'] as const;
  if (
    logger === null ||
    typeof logger !== 'object' ||
    methods.some((m) => typeof logger[m] !== 'function')
  ) {
    invalidOption('logger', 'must have debug, info, warn and error methods');
  }
  return logger;
}

function resolveNow(now: (() => number) | undefined): () => number {
  if (now === undefined) return Date.now;
  if (typeof now !== 'function') invalidOption('now', 'must be a function returning epoch ms');
  return now;
}

/** `CLIENT SETNAME` value derived from the origin id when no `clientName` is configured. */
export function defaultClientName(originId: string): string {
  return `portcullis:${originId.replace(/[^A-Za-z0-9_.:-]/g, '_')}`.slice(0, MAX_CLIENT_NAME_CHARS);
}
