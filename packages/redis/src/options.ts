/** Options of `createRedisStore`, validated once at construction (docs/design.md §5 "Other replicas"). */
import { invalidOption } from '@portcullis/core';
import type { Logger } from '@portcullis/core';

/** A Redis node: `'host:port'` or `{ host, port }`. */
export type RedisNode = string | { readonly host: string; readonly port: number };

/** TLS towards Redis (every node and sentinel): `true` for the system CAs, or a private CA. */
export type RedisTlsOptions =
  boolean | { readonly ca?: string | Buffer; readonly servername?: string };

/** Options of {@link createRedisStore}. Give one of `url`, `cluster` or `sentinels` (+ `name`). */
export interface RedisStoreOptions {
  /**
   * Standalone server: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS.
   * Parsed by ioredis. Default `redis://127.0.0.1:6379` when neither `cluster` nor `sentinels`
   * is given. Never logged (it may hold a password).
   */
  readonly url?: string;
  /**
   * Redis Cluster: seed nodes (any subset of the cluster; the rest is discovered). The key prefix
   * must carry a hash tag (default `{portcullis}:`) so every key and the bus live in one slot, and
   * the bus uses sharded pub/sub (SSUBSCRIBE/SPUBLISH) where the server supports it.
   */
  readonly cluster?: readonly RedisNode[];
  /** Redis Sentinel: the sentinels to ask for the master named `name`. */
  readonly sentinels?: readonly RedisNode[];
  /** Sentinel master name (`sentinel monitor <name> …`). Required with `sentinels`. */
  readonly name?: string;
  /** ACL user of the data nodes (cluster and sentinel; a `url` carries its own). */
  readonly username?: string;
  /** Password of the data nodes (cluster, sentinel; overrides one in `url`). Never logged. */
  readonly password?: string;
  /** Password of the sentinels themselves (`requirepass` of sentinel.conf). Never logged. */
  readonly sentinelPassword?: string;
  /** TLS to every node (and sentinel). A `rediss://` url turns it on for a standalone server. */
  readonly tls?: RedisTlsOptions;
  /**
   * Prefix of every key and of the bus channel (`<prefix>bus`). Default `portcullis:`
   * (`{portcullis}:` with `cluster`). Give each deployment its own. With `cluster` it must carry
   * a hash tag (`{orders-api}:`).
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

/** Where Redis is. Host names and ports only: credentials live in {@link ResolvedAuth}. */
export type Topology =
  | { readonly kind: 'standalone'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly HostPort[] }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly HostPort[]; readonly name: string };

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ResolvedAuth {
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly sentinelPassword: string | undefined;
  /** `undefined`: no TLS (or whatever a `rediss://` url says). */
  readonly tls: { readonly ca?: string | Buffer; readonly servername?: string } | undefined;
}

export interface ResolvedRedisStoreOptions {
  readonly topology: Topology;
  readonly auth: ResolvedAuth;
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
  const topology = resolveTopology(options);
  return Object.freeze({
    topology,
    auth: resolveAuth(options, topology),
    keyPrefix: resolvePrefix(options.keyPrefix, topology.kind === 'cluster'),
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

const MAX_NODES = 64;
const MAX_HOST_CHARS = 253;
const MAX_SECRET_CHARS = 4096;

function resolveTopology(options: RedisStoreOptions): Topology {
  const given = (['url', 'cluster', 'sentinels'] as const).filter(
    (key) => options[key] !== undefined,
  );
  if (given.length > 1) invalidOption(given.join('/'), 'give only one of url, cluster, sentinels');
  if (options.name !== undefined && options.sentinels === undefined) {
    invalidOption('name', 'is the Sentinel master name: give sentinels too');
  }
  if (options.cluster !== undefined) {
    return { kind: 'cluster', nodes: resolveNodes('cluster', options.cluster) };
  }
  if (options.sentinels !== undefined) {
    const name = options.name;
    if (typeof name !== 'string' || !/^[!-~]{1,128}$/.test(name)) {
      invalidOption('name', 'must be the Sentinel master name (1 to 128 printable characters)');
    }
    return {
      kind: 'sentinel',
      sentinels: resolveNodes('sentinels', options.sentinels),
      name,
    };
  }
  return { kind: 'standalone', url: resolveUrl(options.url) };
}

function resolveNodes(path: string, nodes: readonly RedisNode[]): HostPort[] {
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > MAX_NODES) {
    invalidOption(path, `must list 1 to ${MAX_NODES} nodes`);
  }
  return nodes.map((node, index) => resolveNode(`${path}[${index}]`, node));
}

/** `host:port`, `[v6]:port`, or `{host, port}`. */
export function resolveNode(path: string, node: RedisNode): HostPort {
  let host: unknown;
  let port: unknown;
  if (typeof node === 'string') {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(node.trim());
    if (match === null) return invalidOption(path, 'must be host:port');
    host = match[1] ?? match[2];
    port = Number(match[3]);
  } else if (node !== null && typeof node === 'object') {
    host = node.host;
    port = node.port;
  }
  if (
    typeof host !== 'string' ||
    host.length === 0 ||
    host.length > MAX_HOST_CHARS ||
    !/^[A-Za-z0-9.\-:_]+$/.test(host)
  ) {
    invalidOption(path, 'must name a host');
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    invalidOption(path, 'must name a port from 1 to 65535');
  }
  return Object.freeze({ host, port });
}

function resolveAuth(options: RedisStoreOptions, topology: Topology): ResolvedAuth {
  const secret = (path: string, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SECRET_CHARS) {
      // The value is not echoed: it is a secret.
      invalidOption(path, `must be 1 to ${MAX_SECRET_CHARS} characters`);
    }
    return value;
  };
  if (options.sentinelPassword !== undefined && topology.kind !== 'sentinel') {
    invalidOption('sentinelPassword', 'applies to sentinels only');
  }
  return Object.freeze({
    username: secret('username', options.username),
    password: secret('password', options.password),
    sentinelPassword: secret('sentinelPassword', options.sentinelPassword),
    tls: resolveTls(options.tls),
  });
}

function resolveTls(tls: RedisTlsOptions | undefined): ResolvedAuth['tls'] {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return Object.freeze({});
  if (tls === null || typeof tls !== 'object') {
    return invalidOption('tls', 'must be a boolean or { ca, servername }');
  }
  const { ca, servername } = tls;
  if (ca !== undefined && !(typeof ca === 'string' || Buffer.isBuffer(ca))) {
    invalidOption('tls.ca', 'must be PEM text or a Buffer');
  }
  if (servername !== undefined && (typeof servername !== 'string' || servername === '')) {
    invalidOption('tls.servername', 'must be a host name');
  }
  return Object.freeze({
    ...(ca === undefined ? {} : { ca }),
    ...(servername === undefined ? {} : { servername }),
  });
}

/**
 * The hash tag of a key starting with `prefix`, as Redis Cluster computes it: the text between
 * the first `{` and the next `}`, when not empty. `undefined` when the prefix alone does not fix
 * it (no `{`, an empty `{}`, or a `}` that would have to come from the rest of the key).
 */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open === -1) return undefined;
  const close = prefix.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return prefix.slice(open + 1, close);
}

function resolvePrefix(prefix: string | undefined, cluster: boolean): string {
  if (prefix === undefined) return cluster ? '{portcullis}:' : 'portcullis:';
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > MAX_PREFIX_CHARS) {
    invalidOption(
      'keyPrefix',
      `must be a non-empty string of at most ${MAX_PREFIX_CHARS} characters`,
    );
  }
  if (!CLIENT_NAME_PATTERN.test(prefix)) {
    invalidOption('keyPrefix', 'must be printable ASCII without spaces');
  }
  if (cluster && hashTagOf(prefix) === undefined) {
    // Multi-key scripts and the sharded bus need every key in one slot.
    invalidOption('keyPrefix', 'must carry a hash tag with Redis Cluster, e.g. {portcullis}:');
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
