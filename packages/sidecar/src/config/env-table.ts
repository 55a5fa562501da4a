/**
 * The environment variables of docs/design.md §7 (public API: never rename one) and where each lands in
 * the raw configuration tree that the YAML file shares. `kind` says how the string is converted
 * before validation; values that do not convert are left as strings so the schema names them.
 */
export type EnvKind = 'string' | 'int' | 'bool' | 'list';

export interface EnvVariable {
  readonly name: string;
  /** Path in the raw config tree, e.g. `['cache', 'ttlMs']`. */
  readonly path: readonly string[];
  readonly kind: EnvKind;
  /** Accepted as `<name>_FILE` too (a mounted Kubernetes Secret). */
  readonly fromFile: boolean;
  /** Redacted in `--print-config` and logs. */
  readonly secret: boolean;
}

type Sensitivity = 'plain' | 'file' | 'secret';

const v = (
  name: string,
  path: string,
  kind: EnvKind = 'string',
  sensitivity: Sensitivity = 'plain',
): EnvVariable =>
  Object.freeze({
    name,
    path: Object.freeze(path.split('.')),
    kind,
    fromFile: sensitivity !== 'plain',
    secret: sensitivity === 'secret',
  });

export const ENV_VARIABLES: readonly EnvVariable[] = Object.freeze([
  v('PORTCULLIS_LISTEN', 'listen'),
  v('PORTCULLIS_ADMIN_LISTEN', 'adminListen'),
  v('PORTCULLIS_ADMIN_TOKEN', 'adminToken', 'string', 'secret'),
  v('PORTCULLIS_UPSTREAM', 'upstream'),
  v('PORTCULLIS_PROVIDER', 'provider'),
  v('PORTCULLIS_FRONTEGG_BASE_URL', 'frontegg.baseUrl'),
  v('PORTCULLIS_FRONTEGG_APP_URL', 'frontegg.appUrl'),
  v('PORTCULLIS_FRONTEGG_CLIENT_ID', 'frontegg.clientId', 'string', 'file'),
  v('PORTCULLIS_FRONTEGG_API_KEY', 'frontegg.apiKey', 'string', 'secret'),
  v('PORTCULLIS_FRONTEGG_ENFORCE_STRATEGY', 'frontegg.enforceStrategy', 'bool'),
  v('PORTCULLIS_ISSUER', 'oauth2.issuer'),
  v('PORTCULLIS_AUDIENCE', 'audience'),
  v('PORTCULLIS_JWKS_URI', 'oauth2.jwksUri'),
  v('PORTCULLIS_TOKEN_URL', 'oauth2.tokenUrl'),
  v('PORTCULLIS_INTROSPECTION_URL', 'oauth2.introspectionUrl'),
  v('PORTCULLIS_INTROSPECTION_CLIENT_ID', 'oauth2.introspectionClientId', 'string', 'file'),
  v(
    'PORTCULLIS_INTROSPECTION_CLIENT_SECRET',
    'oauth2.introspectionClientSecret',
    'string',
    'secret',
  ),
  v('PORTCULLIS_FRONTEGG_WEBHOOK_SECRET', 'webhooks.fronteggSecrets', 'list', 'secret'),
  v('PORTCULLIS_STANDARD_WEBHOOK_SECRET', 'webhooks.standardSecrets', 'list', 'secret'),
  v('PORTCULLIS_WEBHOOK_ALLOW_IPS', 'webhooks.allowIps', 'list'),
  v('PORTCULLIS_REDIS_URL', 'redis.url', 'string', 'secret'),
  v('PORTCULLIS_REDIS_CLUSTER_NODES', 'redis.clusterNodes', 'list'),
  v('PORTCULLIS_REDIS_SENTINELS', 'redis.sentinels', 'list'),
  v('PORTCULLIS_REDIS_SENTINEL_NAME', 'redis.sentinelName'),
  v('PORTCULLIS_REDIS_SENTINEL_PASSWORD', 'redis.sentinelPassword', 'string', 'secret'),
  v('PORTCULLIS_REDIS_USERNAME', 'redis.username', 'string', 'file'),
  v('PORTCULLIS_REDIS_PASSWORD', 'redis.password', 'string', 'secret'),
  v('PORTCULLIS_REDIS_TLS', 'redis.tls', 'bool'),
  v('PORTCULLIS_REDIS_TLS_CA_FILE', 'redis.tlsCaFile'),
  v('PORTCULLIS_REDIS_KEY_PREFIX', 'redis.keyPrefix'),
  v('PORTCULLIS_SHARED_CACHE_SECRET', 'redis.sharedCacheSecret', 'string', 'secret'),
  v('PORTCULLIS_CACHE_TTL_MS', 'cache.ttlMs', 'int'),
  v('PORTCULLIS_NEGATIVE_TTL_MS', 'cache.negativeTtlMs', 'int'),
  v('PORTCULLIS_CACHE_MAX', 'cache.maxEntries', 'int'),
  v('PORTCULLIS_CACHE_MAX_BYTES', 'cache.maxBytes', 'int'),
  v('PORTCULLIS_STALE_IF_ERROR_MS', 'cache.staleIfErrorMs', 'int'),
  v('PORTCULLIS_REVOCATION_TTL_MS', 'revocation.ttlMs', 'int'),
  v('PORTCULLIS_RECONCILE_MS', 'revocation.reconcileIntervalMs', 'int'),
  v('PORTCULLIS_POLICY_SYNC_MS', 'policy.syncIntervalMs', 'int'),
  v('PORTCULLIS_API_KEY_HEADER', 'credentials.apiKeyHeader'),
  v('PORTCULLIS_FORWARD_CREDENTIALS', 'credentials.forward', 'bool'),
  v('PORTCULLIS_HEADER_PREFIX', 'identity.headerPrefix'),
  v('PORTCULLIS_IDENTITY_JWT_KEY_FILE', 'identity.jwtKeyFile'),
  v('PORTCULLIS_POLICY_ENABLED', 'policy.enabled', 'bool'),
  v('PORTCULLIS_POLICY_CREDENTIALS', 'policy.acceptedCredentials', 'list'),
  v('PORTCULLIS_IDP_MAX_INFLIGHT', 'idp.maxInFlight', 'int'),
  v('PORTCULLIS_IDP_TIMEOUT_MS', 'idp.timeoutMs', 'int'),
  v('PORTCULLIS_UPSTREAM_TIMEOUT_MS', 'upstreamTimeoutMs', 'int'),
  v('PORTCULLIS_DRAIN_MS', 'drainMs', 'int'),
  v('PORTCULLIS_TRUSTED_PROXIES', 'trustedProxies', 'list'),
  v('PORTCULLIS_FAILED_AUTH_LIMIT', 'failedAuthLimit', 'int'),
  v('PORTCULLIS_VERIFY_URI_SOURCE', 'verify.uriSource'),
  v('PORTCULLIS_VERIFY_PATH_PREFIX', 'verify.pathPrefix'),
  v('PORTCULLIS_CASE_INSENSITIVE_PATHS', 'caseInsensitivePaths', 'bool'),
  v('PORTCULLIS_LOG_LEVEL', 'logLevel'),
]);

/** Not a setting: the path of the YAML file. */
export const CONFIG_FILE_VARIABLE = 'PORTCULLIS_CONFIG';

/** Raw-tree paths (dot-joined) that hold secrets, whichever source set them. */
export const SECRET_PATHS: ReadonlySet<string> = new Set([
  ...ENV_VARIABLES.filter((entry) => entry.secret).map((entry) => entry.path.join('.')),
]);
