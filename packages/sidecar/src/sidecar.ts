/**
 * `startSidecar`: the main listener (proxy / forward-auth / webhooks) and the admin listener
 * (health, metrics, operator API) around one authenticator, with SIGTERM-style draining.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortcullisError, createAuthenticator } from '@portcullis/core';
import type { AuthenticatorOptions, SharedStore } from '@portcullis/core';
import { createRedisStore } from '@portcullis/redis';
import { createAdminHandler } from './admin/admin-handler.js';
import type { SidecarAuthenticator } from './authenticator-port.js';
import { formatUrl } from './config/listen-address.js';
import { redisStoreOptions } from './config/redis-store-options.js';
import type { SidecarConfig } from './config/sidecar-config.js';
import { createIdentityJwtSigner } from './identity/identity-jwt.js';
import type { IdentityJwtSigner } from './identity/identity-jwt.js';
import { createLogger } from './logging/logger.js';
import type { SidecarLogger } from './logging/logger.js';
import { createSidecarMetrics } from './metrics/sidecar-metrics.js';
import type { SidecarMetrics } from './metrics/sidecar-metrics.js';
import { createProvider } from './provider-factory.js';
import { createUpstreamProxy } from './proxy/upstream-proxy.js';
import type { UpstreamProxy } from './proxy/upstream-proxy.js';
import { createAbuseLimiter, createMissTracker } from './server/abuse-limit.js';
import { createClientAddressResolver } from './server/client-address.js';
import { createMainHandler } from './server/main-handler.js';

/** Optional collaborators; everything defaults to what the config describes. */
export interface SidecarDeps {
  /** Use this authenticator instead of building one from the config (tests, embedding). */
  readonly authenticator?: SidecarAuthenticator;
  readonly logger?: SidecarLogger;
  /** Extra authenticator options merged over the config's (e.g. `now`, `idp.dispatcher`). */
  readonly authenticatorOptions?: Partial<AuthenticatorOptions>;
  /** Epoch ms clock for the identity JWT and metrics. */
  readonly now?: () => number;
}

export interface RunningSidecar {
  /** `http://host:port` of the main listener (the real port when configured as 0). */
  readonly mainUrl: string;
  readonly adminUrl: string;
  readonly mode: 'proxy' | 'verify-only';
  readonly authenticator: SidecarAuthenticator;
  readonly metrics: SidecarMetrics;
  readonly logger: SidecarLogger;
  /** Readiness 503, stop accepting, wait for in-flight requests up to `drainMs`, then close. */
  drain(): Promise<void>;
  /** Immediate close (tests): no waiting for in-flight requests. */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function buildAuthenticator(
  config: SidecarConfig,
  logger: SidecarLogger,
  extra: Partial<AuthenticatorOptions>,
): { authenticator: SidecarAuthenticator; store: SharedStore | undefined } {
  const provider = createProvider(config.provider, logger, config.webhooks);
  const store =
    config.redis === undefined
      ? undefined
      : createRedisStore({
          ...redisStoreOptions(config.redis),
          sharedCache: config.redis.sharedCacheSecret !== undefined,
          // No child binding: @portcullis/redis tags its own lines with component: 'redis'.
          logger,
        });
  const authenticator = createAuthenticator({
    provider,
    cache: {
      ttlMs: config.cache.ttlMs,
      negativeTtlMs: config.cache.negativeTtlMs,
      maxEntries: config.cache.maxEntries,
      maxBytes: config.cache.maxBytes,
      staleIfErrorMs: config.cache.staleIfErrorMs,
      ...(config.redis?.sharedCacheSecret === undefined
        ? {}
        : { keySecret: config.redis.sharedCacheSecret }),
    },
    policy: {
      ...(config.policy.enabled === undefined ? {} : { enabled: config.policy.enabled }),
      ...(config.policy.acceptedCredentials === undefined
        ? {}
        : { acceptedCredentials: config.policy.acceptedCredentials }),
      syncIntervalMs: config.policy.syncIntervalMs,
    },
    revocation: {
      ttlMs: config.revocationTtlMs,
      reconcileIntervalMs: config.reconcileIntervalMs,
    },
    credentials: { apiKeyHeader: config.credentials.apiKeyHeader },
    idp: { maxInFlight: config.idp.maxInFlight, timeoutMs: config.idp.timeoutMs },
    webhooks: {
      standardSecrets: config.webhooks.standardSecrets,
      maxBodyBytes: config.webhooks.maxBodyBytes,
    },
    ...(store === undefined ? {} : { store }),
    logger: logger.child({ component: 'core' }),
    ...extra,
  });
  return { authenticator, store };
}

/**
 * Start both listeners. Resolves once they are bound (readiness still waits for the first policy
 * state). Throws `PortcullisError('ERR_INVALID_OPTION')` for settings that fail at start-up
 * (e.g. an unreadable identity key file).
 */
export async function startSidecar(
  config: SidecarConfig,
  deps: SidecarDeps = {},
): Promise<RunningSidecar> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  let signer: IdentityJwtSigner | undefined;
  if (config.identity.jwtKeyFile !== undefined) {
    signer = createIdentityJwtSigner({
      privateKeyPem: readKeyFile(config.identity.jwtKeyFile),
      issuer: config.identity.jwtIssuer,
      ttlSec: config.identity.jwtTtlSec,
      ...(deps.now === undefined ? {} : { now: deps.now }),
    });
  }
  const authenticator =
    deps.authenticator ??
    buildAuthenticator(config, logger, deps.authenticatorOptions ?? {}).authenticator;
  const metrics = createSidecarMetrics({
    authenticator: () => authenticator,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  const proxy: UpstreamProxy | undefined =
    config.upstream === undefined
      ? undefined
      : createUpstreamProxy({ origin: config.upstream, timeoutMs: config.upstreamTimeoutMs });

  const abuse =
    config.failedAuthLimit === undefined
      ? undefined
      : createAbuseLimiter({ maxFailures: config.failedAuthLimit });
  const misses = abuse === undefined ? undefined : createMissTracker(abuse);
  let draining = false;
  const isDraining = (): boolean => draining;
  const handler = createMainHandler({
    config,
    authenticator,
    proxy,
    logger,
    metrics,
    clientAddress: createClientAddressResolver(config.trustedProxies),
    webhookSources:
      config.webhooks.allowIps.length === 0
        ? undefined
        : createClientAddressResolver(config.webhooks.allowIps),
    abuse,
    misses,
    signIdentity: signer === undefined ? undefined : (principal) => signer.sign(principal),
    draining: isDraining,
  });

  const main = createServer(
    // Bounded like everything else: headers within 30 s, a whole request body within 5 min.
    { requestTimeout: 300_000, headersTimeout: 30_000 },
    handler.handleRequest,
  );
  main.on('upgrade', handler.handleUpgrade);
  main.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const admin = createServer(
    createAdminHandler({
      authenticator,
      metrics,
      logger,
      adminToken: config.adminToken,
      jwks: signer?.jwks,
      draining: isDraining,
    }),
  );

  let mainAddress: AddressInfo;
  let adminAddress: AddressInfo;
  try {
    mainAddress = await listen(main, config.listen.host, config.listen.port);
    adminAddress = await listen(admin, config.adminListen.host, config.adminListen.port);
  } catch (error) {
    main.close();
    await proxy?.close();
    metrics.close();
    misses?.close();
    if (deps.authenticator === undefined) await authenticator.close();
    throw error;
  }
  const mainUrl = formatUrl(displayHost(mainAddress.address), mainAddress.port);
  const adminUrl = formatUrl(displayHost(adminAddress.address), adminAddress.port);

  let closed: Promise<void> | undefined;
  const shutdown = async (waitMs: number): Promise<void> => {
    draining = true;
    const mainClosed = new Promise<void>((resolve) => main.close(() => resolve()));
    main.closeIdleConnections();
    const deadline = Date.now() + waitMs;
    while (handler.inFlight > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      main.closeIdleConnections();
    }
    main.closeAllConnections();
    await mainClosed;
    await proxy?.close();
    await new Promise<void>((resolve) => {
      admin.close(() => resolve());
      admin.closeAllConnections();
    });
    metrics.close();
    misses?.close();
    if (deps.authenticator === undefined) await authenticator.close();
  };

  return {
    mainUrl,
    adminUrl,
    mode: proxy === undefined ? 'verify-only' : 'proxy',
    authenticator,
    metrics,
    logger,
    drain() {
      closed ??= shutdown(config.drainMs);
      return closed;
    },
    close() {
      closed ??= shutdown(0);
      return closed;
    },
  };
}

function displayHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new PortcullisError(
      'ERR_INVALID_OPTION',
      `option PORTCULLIS_IDENTITY_JWT_KEY_FILE: cannot read ${path}: ${String(code ?? 'unreadable')}`,
      { details: { option: 'PORTCULLIS_IDENTITY_JWT_KEY_FILE' } },
    );
  }
}
