#!/usr/bin/env node
/**
 * Writes the generated part of docs/configuration.md (between the markers) from the sidecar's own
 * configuration contract: `ENV_VARIABLES` (names, YAML paths, kinds, `_FILE`, secret) and the
 * defaults `loadConfig` really applies. Hand-written text outside the markers is kept.
 *
 *   node scripts/gen-config-docs.mjs           rewrite docs/configuration.md
 *   node scripts/gen-config-docs.mjs --check   exit 1 when the committed file is out of date
 *
 * Needs the built sidecar (`npx tsc -b packages/core packages/redis packages/sidecar`).
 * test/docs/config-reference.test.ts renders the same text from the sidecar's sources and fails
 * when the committed file differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DOC_PATH = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
export const START_MARKER =
  '<!-- BEGIN GENERATED: node scripts/gen-config-docs.mjs (do not edit by hand) -->';
export const END_MARKER = '<!-- END GENERATED -->';

/**
 * What each variable means. The sidecar's table carries no prose, so it lives here; a variable
 * without an entry (or an entry without a variable) makes `renderConfigReference` throw.
 */
export const DESCRIPTIONS = Object.freeze({
  PORTCULLIS_LISTEN:
    'Main listener, `host:port` (port `0` picks a free one). Serves the proxy, `/.portcullis/verify` and `/.portcullis/webhooks/*`.',
  PORTCULLIS_ADMIN_LISTEN:
    'Admin listener, `host:port`: `/healthz`, `/readyz`, `/metrics`, `/.well-known/jwks.json` and the operator API `/v1/*`. Keep it off public networks (Kubernetes: the pod IP, not the Service).',
  PORTCULLIS_ADMIN_TOKEN:
    'Bearer token of the operator API (at least 16 characters; compared in constant time). Unset: every `/v1/*` path answers 404.',
  PORTCULLIS_UPSTREAM:
    'Proxy mode: the upstream origin `http(s)://host:port` (no path, no query). Unset: verify-only mode (forward-auth).',
  PORTCULLIS_PROVIDER: '`oauth2` or `frontegg`. Required.',
  PORTCULLIS_FRONTEGG_BASE_URL:
    '`frontegg`: the API gateway origin (`https://api.frontegg.com`, a regional gateway, or the emulator). Required with `frontegg`.',
  PORTCULLIS_FRONTEGG_APP_URL:
    "`frontegg`: the environment's app domain (`https://<name>.frontegg.com` or your custom domain; JWKS, token `iss`, API-token exchange). Required with `frontegg`; a vendor API host (`api.frontegg.com`, `api.<region>.frontegg.com`) is refused. The emulator serves both on one origin: give it the same URL twice.",
  PORTCULLIS_FRONTEGG_CLIENT_ID: '`frontegg`: vendor client id. Required with `frontegg`.',
  PORTCULLIS_FRONTEGG_API_KEY:
    '`frontegg`: vendor API key, sent only to `POST {baseUrl}/auth/vendor`. Required with `frontegg`.',
  PORTCULLIS_FRONTEGG_ENFORCE_STRATEGY:
    "`frontegg`: `true` refuses the credential kind the environment's `machineToMachineAuthStrategy` does not create. Default `false`: both kinds verify while M2M is enabled, as with Frontegg's own SDK.",
  PORTCULLIS_ISSUER:
    '`oauth2`: the issuer identifier; discovery starts here and token `iss` must match. Required with `oauth2`; ignored with `frontegg` (its `iss` is the app URL).',
  PORTCULLIS_AUDIENCE:
    "Expected JWT `aud`. `oauth2`: unset, `aud` is not checked and a warning is logged at start. `frontegg`: the environment's client ID or app ID; unset, the vendor client ID.",
  PORTCULLIS_JWKS_URI: '`oauth2`: JWKS URL; overrides discovery.',
  PORTCULLIS_TOKEN_URL:
    '`oauth2`: token endpoint for Basic client credentials (RFC 6749 §4.4); overrides discovery.',
  PORTCULLIS_INTROSPECTION_URL:
    '`oauth2`: RFC 7662 introspection endpoint; overrides discovery. Used only with the introspection client below.',
  PORTCULLIS_INTROSPECTION_CLIENT_ID:
    "`oauth2`: the resource server's own client id at the IdP, for introspecting opaque tokens. Set together with the secret.",
  PORTCULLIS_INTROSPECTION_CLIENT_SECRET:
    '`oauth2`: its secret (`client_secret_basic`). Unset (with the id): opaque tokens are refused.',
  PORTCULLIS_FRONTEGG_WEBHOOK_SECRET:
    'Secrets of your Frontegg hooks (`x-webhook-secret`); list several while rotating. Unset: `/.portcullis/webhooks/frontegg` refuses every delivery (401).',
  PORTCULLIS_STANDARD_WEBHOOK_SECRET:
    'Standard Webhooks secrets (`whsec_` + base64, at least 24 bytes decoded) of `/.portcullis/webhooks/standard`. Unset: every delivery is refused (401).',
  PORTCULLIS_WEBHOOK_ALLOW_IPS:
    'Addresses or CIDRs allowed to deliver webhooks (the client address, resolved through `PORTCULLIS_TRUSTED_PROXIES`); others get 403. Unset: any source.',
  PORTCULLIS_REDIS_URL:
    'Standalone Redis: `redis://` or `rediss://` URL. Shares tombstones, the M2M policy, invalidations and webhook replay ids between replicas. Only its password is redacted in `--print-config`. Set at most one of this, `PORTCULLIS_REDIS_CLUSTER_NODES` and `PORTCULLIS_REDIS_SENTINELS`; none: each replica alone.',
  PORTCULLIS_REDIS_CLUSTER_NODES:
    'Redis Cluster: seed nodes `host:port,host:port,...` (the rest is discovered). The key prefix must carry a hash tag; the bus uses sharded pub/sub (Redis 7+). See [deployment.md](deployment.md#redis-cluster).',
  PORTCULLIS_REDIS_SENTINELS:
    'Redis Sentinel: the sentinels `host:port,...`; needs `PORTCULLIS_REDIS_SENTINEL_NAME`. See [deployment.md](deployment.md#redis-sentinel).',
  PORTCULLIS_REDIS_SENTINEL_NAME: 'Redis Sentinel: the monitored master name (`mymaster`).',
  PORTCULLIS_REDIS_SENTINEL_PASSWORD:
    "Redis Sentinel: the sentinels' own password (`requirepass` in sentinel.conf), if any.",
  PORTCULLIS_REDIS_USERNAME:
    'ACL user of the Redis data nodes (every topology; a URL may carry its own).',
  PORTCULLIS_REDIS_PASSWORD:
    'Password of the Redis data nodes (every topology; overrides one in the URL).',
  PORTCULLIS_REDIS_TLS:
    '`true`: TLS to every Redis node and sentinel, verified against the system CAs (on by itself with `rediss://` or a CA file).',
  PORTCULLIS_REDIS_TLS_CA_FILE:
    'PEM file of the CA that signed the Redis (and sentinel) certificates; turns TLS on. Read at start.',
  PORTCULLIS_REDIS_KEY_PREFIX:
    'Prefix of every Redis key and of the bus channel; one per deployment. With a cluster the default is `{portcullis}:` and a prefix without a hash tag (`{...}`) is refused.',
  PORTCULLIS_SHARED_CACHE_SECRET:
    'Enables the shared principal cache in Redis; the HMAC key of cache keys, identical on every replica. At least 32 characters; needs a Redis setting (URL, cluster or sentinels).',
  PORTCULLIS_CACHE_TTL_MS:
    'Positive cache TTL, in ms, capped by the token `exp` (core accepts at most 86400000).',
  PORTCULLIS_NEGATIVE_TTL_MS:
    'TTL of invalid / inactive answers, in ms (`0`: not cached). IdP failures are never cached.',
  PORTCULLIS_CACHE_MAX: 'Most cached principals.',
  PORTCULLIS_CACHE_MAX_BYTES: 'Most bytes (estimated) of cached principals (67108864 = 64 MiB).',
  PORTCULLIS_STALE_IF_ERROR_MS:
    'While the IdP is unreachable, serve a positive entry up to this long past its TTL, in ms (never past `exp`, never after a revocation or invalidation). `0`: off.',
  PORTCULLIS_REVOCATION_TTL_MS:
    "Tombstone lifetime, in ms; raised at run time to the IdP's longest token lifetime (Frontegg `defaultTokenExpiration`). A JWT living longer is checked online or refused.",
  PORTCULLIS_RECONCILE_MS:
    'Lost-webhook reconciliation, in ms (jittered ±25 %; `0`: off; else 1000 to 86400000). Where the IdP can list tokens (Frontegg), cached client credentials of at most 20 tenants per replica per interval are re-checked against the token lists (one replica per tenant and interval through a Redis lease) and what is gone is revoked everywhere: a deleted token whose webhook was lost lives at most about one interval.',
  PORTCULLIS_POLICY_SYNC_MS:
    "How often the IdP's M2M settings are re-read, in ms (Frontegg; `oauth2` has no settings route).",
  PORTCULLIS_API_KEY_HEADER: 'Header carrying API-key credentials (compared lower-case).',
  PORTCULLIS_FORWARD_CREDENTIALS:
    '`true`: pass `Authorization` and the API-key header to the upstream. `false`: they are removed.',
  PORTCULLIS_HEADER_PREFIX:
    'Prefix of the identity headers sent upstream. Every inbound header under it (any case, `_` read as `-`) is deleted first.',
  PORTCULLIS_IDENTITY_JWT_KEY_FILE:
    'P-256 private key (PEM file). When set, allowed requests also carry `<prefix>identity`, an ES256 JWT; its JWKS is on the admin listener. Unset: off.',
  PORTCULLIS_POLICY_ENABLED: 'Pin M2M on (`true`) or off (`false`). Unset: follow the IdP.',
  PORTCULLIS_POLICY_CREDENTIALS:
    'Pin the accepted kinds: `client_credentials`, `access_token` or both. Unset: follow the IdP.',
  PORTCULLIS_IDP_MAX_INFLIGHT:
    'Concurrent IdP verifications; up to 1000 more wait in a queue, beyond that 503 `ERR_IDP_OVERLOADED`.',
  PORTCULLIS_IDP_TIMEOUT_MS: 'Deadline of one verification (and of one policy read), in ms.',
  PORTCULLIS_UPSTREAM_TIMEOUT_MS:
    'Proxy mode: time for the upstream to send response headers (and between body chunks), in ms; then 504.',
  PORTCULLIS_DRAIN_MS:
    'On SIGTERM / SIGINT: how long in-flight requests may finish, in ms, before connections are closed.',
  PORTCULLIS_TRUSTED_PROXIES:
    'Addresses or CIDRs of proxies whose `X-Forwarded-For` is believed for the client address (access log, abuse limit, webhook allow-list). Unset: the socket peer.',
  PORTCULLIS_FAILED_AUTH_LIMIT:
    'Failed authentications (400/401) plus cache misses per client address per one-minute window; beyond it 429 `ERR_RATE_LIMITED`. Unset: off.',
  PORTCULLIS_VERIFY_URI_SOURCE:
    'Forward-auth: where the original method and URI come from: `x-original` (nginx), `x-forwarded` (Traefik) or `envoy`.',
  PORTCULLIS_VERIFY_PATH_PREFIX:
    'Forward-auth with `envoy`: Envoy\'s `path_prefix`, removed from the verify request\'s path (`""` or `/segment...`).',
  PORTCULLIS_CASE_INSENSITIVE_PATHS:
    'Route patterns match case-insensitively (for upstreams that ignore path case).',
  PORTCULLIS_LOG_LEVEL: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
});

/** Settings only the YAML file can set (no env variable), with where their default is read. */
export const YAML_ONLY = Object.freeze([
  {
    path: 'oauth2.claims',
    type: 'map',
    example: { tenantId: 'tenant_id' },
    effective: (config) => config.provider.claimNames,
    description:
      '`oauth2`: claim names → principal fields (`subject`, `clientId`, `tokenId`, `tenantId`, `userId`, `createdByUserId`, `permissions`, `roles`, `scope`). See [providers/oauth2.md](providers/oauth2.md).',
  },
  {
    path: 'webhooks.maxBodyBytes',
    type: 'integer',
    example: 4096,
    effective: (config) => config.webhooks.maxBodyBytes,
    description: 'Largest webhook body, in bytes (at most 10 MiB); larger → 413.',
  },
  {
    path: 'identity.jwtTtlSec',
    type: 'integer',
    example: 30,
    effective: (config) => config.identity.jwtTtlSec,
    description: 'Lifetime of the signed identity JWT, in seconds (1–3600).',
  },
  {
    path: 'identity.jwtIssuer',
    type: 'string',
    example: 'orders-gateway',
    effective: (config) => config.identity.jwtIssuer,
    description: '`iss` of the signed identity JWT.',
  },
  {
    path: 'routes.default',
    type: 'string',
    example: 'deny',
    effective: (config) => config.routes.default,
    description: 'What a request matching no rule gets: `authenticated`, `public` or `deny`.',
  },
  {
    path: 'routes.rules',
    type: 'list',
    example: [{ path: '/healthz', public: true }],
    effective: (config) => config.routes.rules,
    description: 'Route rules, first match wins (format below).',
  },
]);

/**
 * The environment the defaults are read under: the least `loadConfig` accepts, plus a Redis URL
 * so the Redis defaults show. These variables are reported without a default.
 */
export const PROBE_ENV = Object.freeze({
  PORTCULLIS_PROVIDER: 'oauth2',
  PORTCULLIS_ISSUER: 'https://issuer.example',
  PORTCULLIS_REDIS_URL: 'redis://127.0.0.1:6379',
});

/** The value the loaded config holds for a raw-tree path (the config reshapes a few groups). */
function effectiveValue(config, path) {
  const [head, ...rest] = path;
  // Provider settings have no defaults of their own (a preset's fallbacks are in the prose).
  if (head === 'oauth2' || head === 'frontegg' || head === 'audience') return undefined;
  if (head === 'revocation') return rest[0] === 'ttlMs' ? config.revocationTtlMs : undefined;
  if (head === 'redis') return config.redis?.[rest[0]];
  let node = config;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[key];
  }
  return node;
}

function formatDefault(value) {
  if (value === undefined) return '—';
  if (Array.isArray(value)) return value.length === 0 ? '—' : `\`${value.join(',')}\``;
  if (typeof value === 'object' && value !== null && 'host' in value && 'port' in value) {
    return `\`${value.host}:${value.port}\``;
  }
  if (value === '') return '`""`';
  return `\`${String(value)}\``;
}

const TYPE_NAMES = Object.freeze({
  string: 'string',
  int: 'integer',
  bool: 'boolean',
  list: 'list',
});

function cell(text) {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/**
 * The generated Markdown (without the markers). `sidecar` supplies `ENV_VARIABLES` and
 * `loadConfig` — from the built package (this script) or its sources (the drift test).
 * Throws when a variable has no description or a description names no variable.
 */
export function renderConfigReference(sidecar) {
  const { ENV_VARIABLES, loadConfig } = sidecar;
  const names = new Set(ENV_VARIABLES.map((variable) => variable.name));
  const undescribed = [...names].filter((name) => !Object.hasOwn(DESCRIPTIONS, name));
  const unknown = Object.keys(DESCRIPTIONS).filter((name) => !names.has(name));
  if (undescribed.length > 0 || unknown.length > 0) {
    throw new Error(
      `scripts/gen-config-docs.mjs DESCRIPTIONS is out of date: ` +
        `missing ${JSON.stringify(undescribed)}, no longer variables ${JSON.stringify(unknown)}`,
    );
  }
  const config = loadConfig(PROBE_ENV);
  const lines = [
    `${ENV_VARIABLES.length} environment variables. **Type** says how the value is read: integers in decimal, booleans \`true/false/1/0/yes/no\`, lists comma-separated. **\`_FILE\`**: \`<NAME>_FILE=/path\` reads the value from a file instead (one trailing newline dropped; setting both is an error). **Secret**: redacted in \`--print-config\` and logs. **Default**: what \`loadConfig\` applies when the variable and its YAML path are unset (— = unset).`,
    '',
    '| Env | YAML path | Type | Default | `_FILE` | Secret | Meaning |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const variable of ENV_VARIABLES) {
    const probed = Object.hasOwn(PROBE_ENV, variable.name);
    const fallback = probed ? undefined : effectiveValue(config, variable.path);
    lines.push(
      `| \`${variable.name}\` | \`${variable.path.join('.')}\` | ${TYPE_NAMES[variable.kind]} | ` +
        `${cell(formatDefault(fallback))} | ${variable.fromFile ? 'yes' : ''} | ` +
        `${variable.secret ? 'yes' : ''} | ${cell(DESCRIPTIONS[variable.name])} |`,
    );
  }
  lines.push(
    '',
    '### Settings only the YAML file can set',
    '',
    '| YAML path | Type | Default | Meaning |',
    '| --- | --- | --- | --- |',
  );
  for (const setting of YAML_ONLY) {
    const value = setting.effective(config);
    const shown =
      value === undefined ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && value !== null && !Array.isArray(value))
        ? '—'
        : formatDefault(value);
    lines.push(
      `| \`${setting.path}\` | ${setting.type} | ${cell(shown)} | ${cell(setting.description)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `document` with the text between the markers replaced by `generated`. */
export function spliceGenerated(document, generated) {
  const start = document.indexOf(START_MARKER);
  const end = document.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`docs/configuration.md must contain ${START_MARKER} … ${END_MARKER}`);
  }
  return `${document.slice(0, start + START_MARKER.length)}\n\n${generated}\n${document.slice(end)}`;
}

async function main(argv) {
  const sidecar = await import('@portcullis/sidecar');
  const current = readFileSync(DOC_PATH, 'utf8');
  const next = spliceGenerated(current, renderConfigReference(sidecar));
  if (argv.includes('--check')) {
    if (next !== current) {
      process.stderr.write(
        'docs/configuration.md is out of date: run node scripts/gen-config-docs.mjs\n',
      );
      process.exitCode = 1;
    }
    return;
  }
  if (next !== current) writeFileSync(DOC_PATH, next);
  process.stdout.write(`docs/configuration.md ${next === current ? 'up to date' : 'written'}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`gen-config-docs: ${error instanceof Error ? error.message : error}\n`);
    process.exitCode = 1;
  });
}
