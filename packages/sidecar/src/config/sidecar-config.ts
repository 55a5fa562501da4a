/** The validated sidecar configuration, shaped from the raw tree. */
import type { CredentialKind } from '@portcullis/core';
import type { CompiledRule, DefaultAction } from '../rules/route-rules.js';
import type { ListenAddress } from './listen-address.js';
import { compileRule } from './rule-schema.js';
import type { RawConfig } from './schema.js';

export type ProviderConfig =
  | {
      readonly kind: 'oauth2';
      readonly issuer: string;
      readonly audience?: string | undefined;
      readonly jwksUri?: string | undefined;
      readonly tokenUrl?: string | undefined;
      readonly introspectionUrl?: string | undefined;
      readonly introspectionClient?:
        { readonly clientId: string; readonly clientSecret: string } | undefined;
      readonly claimNames?: Readonly<Record<string, string | undefined>> | undefined;
    }
  | {
      readonly kind: 'frontegg';
      readonly baseUrl: string;
      readonly appUrl: string;
      readonly clientId: string;
      readonly apiKey: string;
      readonly audience?: string | undefined;
      readonly enforceStrategy: boolean;
    };

export interface RedisConfig {
  readonly url?: string;
  readonly clusterNodes?: readonly string[];
  readonly sentinels?: readonly string[];
  readonly sentinelName?: string;
  readonly sentinelPassword?: string;
  readonly username?: string;
  readonly password?: string;
  /** TLS to every node (on too with a CA file or a `rediss://` URL). */
  readonly tls: boolean;
  readonly tlsCaFile?: string;
  readonly keyPrefix: string;
  readonly sharedCacheSecret?: string;
}

/** The sidecar's validated configuration. Durations in ms unless the name says otherwise. */
export interface SidecarConfig {
  readonly listen: ListenAddress;
  readonly adminListen: ListenAddress;
  /** Bearer token of the operator API; the API is off without it. */
  readonly adminToken: string | undefined;
  /** Proxy-mode origin; `undefined` → verify-only mode. */
  readonly upstream: string | undefined;
  readonly upstreamTimeoutMs: number;
  readonly drainMs: number;
  readonly provider: ProviderConfig;
  readonly webhooks: {
    readonly fronteggSecrets: readonly string[];
    readonly standardSecrets: readonly string[];
    readonly allowIps: readonly string[];
    readonly maxBodyBytes: number;
  };
  /** Shared store; `undefined` → each replica alone. Exactly one of url / clusterNodes / sentinels. */
  readonly redis: RedisConfig | undefined;
  readonly cache: {
    readonly ttlMs: number;
    readonly negativeTtlMs: number;
    readonly maxEntries: number;
    readonly maxBytes: number;
    readonly staleIfErrorMs: number;
  };
  readonly revocationTtlMs: number;
  /** Lost-webhook reconciliation sweep, in ms; 0 = off. */
  readonly reconcileIntervalMs: number;
  readonly policy: {
    readonly enabled?: boolean | undefined;
    readonly acceptedCredentials?: readonly CredentialKind[] | undefined;
    readonly syncIntervalMs: number;
  };
  readonly credentials: { readonly apiKeyHeader: string; readonly forward: boolean };
  readonly identity: {
    readonly headerPrefix: string;
    readonly jwtKeyFile?: string | undefined;
    readonly jwtTtlSec: number;
    readonly jwtIssuer: string;
  };
  readonly idp: { readonly maxInFlight: number; readonly timeoutMs: number };
  readonly trustedProxies: readonly string[];
  readonly failedAuthLimit: number | undefined;
  readonly verify: {
    readonly uriSource: 'x-original' | 'x-forwarded' | 'envoy';
    readonly pathPrefix: string;
  };
  readonly caseInsensitivePaths: boolean;
  readonly logLevel: string;
  readonly routes: { readonly default: DefaultAction; readonly rules: readonly CompiledRule[] };
}

/** Shape a validated raw tree into the config the sidecar runs with. */
export function toSidecarConfig(raw: RawConfig): SidecarConfig {
  const o = raw.oauth2;
  const provider: ProviderConfig =
    raw.provider === 'oauth2'
      ? {
          kind: 'oauth2',
          issuer: o.issuer as string,
          ...(raw.audience === undefined ? {} : { audience: raw.audience }),
          ...(o.jwksUri === undefined ? {} : { jwksUri: o.jwksUri }),
          ...(o.tokenUrl === undefined ? {} : { tokenUrl: o.tokenUrl }),
          ...(o.introspectionUrl === undefined ? {} : { introspectionUrl: o.introspectionUrl }),
          ...(o.introspectionClientId === undefined || o.introspectionClientSecret === undefined
            ? {}
            : {
                introspectionClient: {
                  clientId: o.introspectionClientId,
                  clientSecret: o.introspectionClientSecret,
                },
              }),
          ...(o.claims === undefined ? {} : { claimNames: o.claims }),
        }
      : {
          kind: 'frontegg',
          baseUrl: raw.frontegg.baseUrl as string,
          appUrl: raw.frontegg.appUrl as string,
          clientId: raw.frontegg.clientId as string,
          apiKey: raw.frontegg.apiKey as string,
          ...(raw.audience === undefined ? {} : { audience: raw.audience }),
          enforceStrategy: raw.frontegg.enforceStrategy,
        };
  return {
    listen: raw.listen,
    adminListen: raw.adminListen,
    adminToken: raw.adminToken,
    upstream: raw.upstream === undefined ? undefined : new URL(raw.upstream).origin,
    upstreamTimeoutMs: raw.upstreamTimeoutMs,
    drainMs: raw.drainMs,
    provider,
    webhooks: raw.webhooks,
    redis: toRedisConfig(raw.redis),
    cache: raw.cache,
    revocationTtlMs: raw.revocation.ttlMs,
    reconcileIntervalMs: raw.revocation.reconcileIntervalMs,
    policy: raw.policy,
    credentials: raw.credentials,
    identity: raw.identity,
    idp: raw.idp,
    trustedProxies: raw.trustedProxies,
    failedAuthLimit: raw.failedAuthLimit,
    verify: raw.verify,
    caseInsensitivePaths: raw.caseInsensitivePaths,
    logLevel: raw.logLevel,
    routes: {
      default: raw.routes.default,
      rules: raw.routes.rules.map((rule) => compileRule(rule, raw.caseInsensitivePaths)),
    },
  };
}

function toRedisConfig(redis: RawConfig['redis']): RedisConfig | undefined {
  const { keyPrefix, tls, ...rest } = redis;
  if (rest.url === undefined && rest.clusterNodes === undefined && rest.sentinels === undefined) {
    return undefined;
  }
  const defined = Object.fromEntries(
    Object.entries(rest).filter(([, value]) => value !== undefined),
  ) as Omit<RedisConfig, 'keyPrefix' | 'tls'>;
  return {
    ...defined,
    tls: tls || rest.tlsCaFile !== undefined,
    keyPrefix: keyPrefix ?? (rest.clusterNodes === undefined ? 'portcullis:' : '{portcullis}:'),
  };
}
