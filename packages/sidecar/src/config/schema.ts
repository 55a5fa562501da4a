/**
 * The raw configuration tree (YAML file + environment, env wins): validation and defaults
 * (docs/design.md §7). `sidecar-config.ts` shapes the result into the config the sidecar runs with.
 */
import { z } from 'zod';
import {
  cidr,
  headerName,
  httpUrl,
  listen,
  nonEmpty,
  nonNegativeInt,
  positiveInt,
  redisNode,
  stringList,
} from './fields.js';
import { checkRule, credentialKind, ruleSchema } from './rule-schema.js';

/** `api.frontegg.com` and the regional `api.<region>.frontegg.com`: as core's check. */
const VENDOR_API_HOST = /^api(\.[a-z0-9-]+)?\.frontegg\.com$/i;

const identitySchema = z
  .object({
    headerPrefix: headerName.default('x-portcullis-'),
    jwtKeyFile: nonEmpty.optional(),
    /** Lifetime of the signed identity JWT, in seconds. */
    jwtTtlSec: z.number().int().min(1).max(3600).default(60),
    /** `iss` of the identity JWT. */
    jwtIssuer: nonEmpty.default('portcullis'),
  })
  .strict();

export const rawConfigSchema = z
  .object({
    listen: listen.default({ host: '0.0.0.0', port: 8080 }),
    adminListen: listen.default({ host: '127.0.0.1', port: 9090 }),
    adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
    upstream: httpUrl.optional(),
    upstreamTimeoutMs: positiveInt.default(30_000),
    drainMs: nonNegativeInt.default(20_000),
    provider: z.enum(['oauth2', 'frontegg'], { message: 'must be "oauth2" or "frontegg"' }),
    audience: nonEmpty.optional(),
    oauth2: z
      .object({
        issuer: httpUrl.optional(),
        jwksUri: httpUrl.optional(),
        tokenUrl: httpUrl.optional(),
        introspectionUrl: httpUrl.optional(),
        introspectionClientId: nonEmpty.optional(),
        introspectionClientSecret: nonEmpty.optional(),
        /** Claim names → principal fields (YAML only), passed to the preset as `claimNames`. */
        claims: z
          .object({
            subject: nonEmpty.optional(),
            clientId: nonEmpty.optional(),
            tokenId: nonEmpty.optional(),
            tenantId: nonEmpty.optional(),
            userId: nonEmpty.optional(),
            createdByUserId: nonEmpty.optional(),
            permissions: nonEmpty.optional(),
            roles: nonEmpty.optional(),
            scope: nonEmpty.optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    frontegg: z
      .object({
        baseUrl: httpUrl.optional(),
        // Frontegg's vendor API host is never the app domain (frontegg-api-facts.md "Domains").
        appUrl: httpUrl
          .refine(
            (value) => !URL.canParse(value) || !VENDOR_API_HOST.test(new URL(value).hostname),
            "must be the environment's app domain (Frontegg portal → Keys & domains), not the vendor API host: that one is PORTCULLIS_FRONTEGG_BASE_URL",
          )
          .optional(),
        clientId: nonEmpty.optional(),
        apiKey: nonEmpty.optional(),
        enforceStrategy: z.boolean().default(false),
      })
      .strict()
      .default({ enforceStrategy: false }),
    webhooks: z
      .object({
        fronteggSecrets: stringList.default([]),
        standardSecrets: stringList.default([]),
        allowIps: z.array(cidr).default([]),
        maxBodyBytes: positiveInt.max(10 * 1024 * 1024).default(65_536),
      })
      .strict()
      .default({ fronteggSecrets: [], standardSecrets: [], allowIps: [], maxBodyBytes: 65_536 }),
    redis: z
      .object({
        url: nonEmpty
          .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// or rediss:// URL')
          .optional(),
        clusterNodes: z.array(redisNode).min(1).max(64).optional(),
        sentinels: z.array(redisNode).min(1).max(64).optional(),
        sentinelName: z
          .string()
          .regex(/^[!-~]{1,128}$/, 'must be the Sentinel master name (printable, no spaces)')
          .optional(),
        sentinelPassword: nonEmpty.optional(),
        username: nonEmpty.optional(),
        password: nonEmpty.optional(),
        tls: z.boolean().default(false),
        tlsCaFile: nonEmpty.optional(),
        /** Default `portcullis:`, or `{portcullis}:` with a cluster (sidecar-config.ts). */
        keyPrefix: nonEmpty.optional(),
        sharedCacheSecret: z.string().min(32, 'must be at least 32 characters').optional(),
      })
      .strict()
      .default({ tls: false }),
    cache: z
      .object({
        ttlMs: positiveInt.default(30_000),
        negativeTtlMs: nonNegativeInt.default(5_000),
        maxEntries: positiveInt.default(10_000),
        maxBytes: positiveInt.default(64 * 1024 * 1024),
        staleIfErrorMs: nonNegativeInt.default(0),
      })
      .strict()
      .default({
        ttlMs: 30_000,
        negativeTtlMs: 5_000,
        maxEntries: 10_000,
        maxBytes: 64 * 1024 * 1024,
        staleIfErrorMs: 0,
      }),
    revocation: z
      .object({
        ttlMs: positiveInt.default(86_400_000),
        // 0 switches the lost-webhook sweep off; core checks the range (1 s to a day).
        reconcileIntervalMs: nonNegativeInt.default(60_000),
      })
      .strict()
      .default({ ttlMs: 86_400_000, reconcileIntervalMs: 60_000 }),
    policy: z
      .object({
        enabled: z.boolean().optional(),
        acceptedCredentials: z.array(credentialKind).min(1).optional(),
        syncIntervalMs: positiveInt.default(30_000),
      })
      .strict()
      .default({ syncIntervalMs: 30_000 }),
    credentials: z
      .object({
        apiKeyHeader: headerName.default('x-api-key'),
        forward: z.boolean().default(false),
      })
      .strict()
      .default({ apiKeyHeader: 'x-api-key', forward: false }),
    identity: identitySchema.default({
      headerPrefix: 'x-portcullis-',
      jwtTtlSec: 60,
      jwtIssuer: 'portcullis',
    }),
    idp: z
      .object({ maxInFlight: positiveInt.default(64), timeoutMs: positiveInt.default(2_000) })
      .strict()
      .default({ maxInFlight: 64, timeoutMs: 2_000 }),
    trustedProxies: z.array(cidr).default([]),
    failedAuthLimit: positiveInt.optional(),
    verify: z
      .object({
        uriSource: z
          .enum(['x-original', 'x-forwarded', 'envoy'], {
            message: 'must be "x-original", "x-forwarded" or "envoy"',
          })
          .default('x-original'),
        pathPrefix: z
          .string()
          .regex(/^(\/[A-Za-z0-9\-._~]+)*$/, 'must be "" or a path like /ext-authz')
          .default(''),
      })
      .strict()
      .default({ uriSource: 'x-original', pathPrefix: '' }),
    caseInsensitivePaths: z.boolean().default(false),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    routes: z
      .object({
        default: z.enum(['authenticated', 'public', 'deny']).default('authenticated'),
        rules: z.array(ruleSchema).default([]),
      })
      .strict()
      .default({ default: 'authenticated', rules: [] }),
  })
  .strict()
  .superRefine((raw, ctx) => {
    if (raw.provider === 'oauth2') {
      const o = raw.oauth2;
      if ((o.introspectionClientId === undefined) !== (o.introspectionClientSecret === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['oauth2', 'introspectionClientSecret'],
          message: 'introspection client id and secret must be set together',
        });
      }
    }
    // The field's own check reports a malformed URL; refinements still run after it fails.
    if (raw.upstream !== undefined && URL.canParse(raw.upstream)) {
      const url = new URL(raw.upstream);
      if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
        ctx.addIssue({
          code: 'custom',
          path: ['upstream'],
          message: 'must be an origin (scheme://host:port) without a path or query',
        });
      }
    }
    checkRedis(raw.redis, ctx);
    raw.routes.rules.forEach((rule, index) =>
      checkRule(rule, raw, ['routes', 'rules', index], ctx),
    );
  });

export type RawConfig = z.infer<typeof rawConfigSchema>;

/** Exactly one topology; what belongs to one topology only is refused with another. */
function checkRedis(redis: RawConfig['redis'], ctx: z.RefinementCtx): void {
  const issue = (key: string, message: string): void =>
    ctx.addIssue({ code: 'custom', path: ['redis', key], message });
  const topologies = (['url', 'clusterNodes', 'sentinels'] as const).filter(
    (key) => redis[key] !== undefined,
  );
  for (const key of topologies.slice(1)) {
    issue(
      key,
      'set only one of PORTCULLIS_REDIS_URL, PORTCULLIS_REDIS_CLUSTER_NODES, PORTCULLIS_REDIS_SENTINELS',
    );
  }
  if (redis.sentinels !== undefined && redis.sentinelName === undefined) {
    issue('sentinelName', 'is required with PORTCULLIS_REDIS_SENTINELS');
  }
  for (const key of ['sentinelName', 'sentinelPassword'] as const) {
    if (redis[key] !== undefined && redis.sentinels === undefined) {
      issue(key, 'applies only with PORTCULLIS_REDIS_SENTINELS');
    }
  }
  if (topologies.length === 0) {
    for (const key of ['sharedCacheSecret', 'username', 'password', 'tlsCaFile'] as const) {
      if (redis[key] !== undefined) {
        issue(
          key,
          'needs PORTCULLIS_REDIS_URL, PORTCULLIS_REDIS_CLUSTER_NODES or PORTCULLIS_REDIS_SENTINELS',
        );
      }
    }
  }
  // Cluster: every key and the bus channel must hash to one slot (the first {…} of the prefix).
  if (
    redis.clusterNodes !== undefined &&
    redis.keyPrefix !== undefined &&
    !/^[^{]*\{[^}]+\}/.test(redis.keyPrefix)
  ) {
    issue('keyPrefix', 'must carry a hash tag with Redis Cluster, e.g. {portcullis}:');
  }
}

/**
 * Settings each provider requires, checked on the unvalidated tree so they are reported together
 * with every other problem (zod skips object refinements once a field inside failed).
 */
export function missingProviderSettings(tree: Readonly<Record<string, unknown>>): string[][] {
  const group = (name: string): Readonly<Record<string, unknown>> => {
    const value = tree[name];
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  };
  const required: Readonly<Record<string, readonly string[][]>> = {
    oauth2: [['oauth2', 'issuer']],
    frontegg: [
      ['frontegg', 'baseUrl'],
      ['frontegg', 'appUrl'],
      ['frontegg', 'clientId'],
      ['frontegg', 'apiKey'],
    ],
  };
  const provider = tree['provider'];
  if (typeof provider !== 'string' || !Object.hasOwn(required, provider)) return [];
  return (required[provider] ?? [])
    .filter(([section, key]) => group(section as string)[key as string] === undefined)
    .map((path) => [...path]);
}

/** Provider settings after validation. */
