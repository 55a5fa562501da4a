import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorApp } from './app.js';
import { FaultTable } from './faults.js';
import { Router } from './http/router.js';
import type { ListenerSide, RouteInfo } from './http/router.js';
import { createEmulatorServer } from './http/server.js';
import { KeyRing, generateSigningKey } from './keys.js';
import { StateSaver, loadState } from './persistence.js';
import { registerAccessTokenRoutes } from './routes/access-tokens.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerApiTokenRoutes } from './routes/api-tokens.js';
import { registerEnvironmentRoutes } from './routes/environment.js';
import { registerExchangeRoutes } from './routes/exchange.js';
import { registerRoleRoutes } from './routes/roles.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerUserRoutes } from './routes/users.js';
import { registerOAuthRoutes } from './routes/oauth.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { applySeed } from './seed.js';
import type { SeedFile } from './seed.js';
import { SECURE_PERMISSION_KEYS, audienceOf } from './state.js';
import type { StateData } from './state.js';
import { VENDOR_TOKEN_TTL_SEC } from './tokens.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { WEBHOOK_ALGORITHMS } from './webhooks/signing.js';
import type { WebhookAlgorithm } from './webhooks/signing.js';

export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /**
   * Serve the app domain (JWKS, API-token exchange, `iss`, user login, OAuth) on a second port, as
   * Frontegg does on its own host; the first port then serves the vendor API only. 0 picks a free
   * one. Default: one origin serves both.
   */
  appPort?: number;
  /** Bind address, default `127.0.0.1` (loopback: the emulator is for development only). */
  host?: string;
  /** Vendor client id; default: from the state file or seed, else a random UUID. */
  vendorClientId?: string;
  /** Vendor secret; default: from the state file or seed, else a random UUID. */
  vendorSecret?: string;
  /**
   * The environment's app ID. When set it is the `aud` of every token; otherwise `aud` is the
   * vendor client ID (Frontegg documents either).
   */
  appId?: string;
  /** Keep the old tolerance: required Frontegg headers may be left out. Default false (strict). */
  lenient?: boolean;
  /** Algorithm of the `x-webhook-secret` JWT on deliveries: HS256 (default), HS384 or HS512. */
  webhookAlg?: WebhookAlgorithm;
  /** Vendor token lifetime in seconds (default 1800, as Frontegg's). */
  vendorTokenTtlSec?: number;
  /** Initial data, applied only when no state file exists yet. */
  seed?: SeedFile;
  /** JSON state file: loaded at start, written (debounced) after every change; holds keys. */
  statePath?: string;
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number;
  /** Where the start-up warning and errors go (default: stderr). */
  logger?: (line: string) => void;
  /** Initial `defaultTokenExpiration` in seconds (default 86400) for a fresh state. */
  tokenExpirationSec?: number;
  /** How long a rotated-out signing key stays published, ms (default 3_600_000). */
  keyGraceMs?: number;
  /** Webhook delivery: attempts (default 5), first retry delay doubling (default 1000 ms), timeout (default 5000 ms). */
  webhooks?: { maxAttempts?: number; retryBaseDelayMs?: number; timeoutMs?: number };
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT`, no trailing slash: the vendor API gateway (and the app domain unless `appPort`). */
  readonly url: string;
  /** The app domain: the `iss` of every token, the JWKS and the API-token exchange. `url` unless `appPort`. */
  readonly appUrl: string;
  readonly vendor: { clientId: string; secret: string };
  /** The `aud` of every token: the app ID when set, else the vendor client ID. */
  readonly audience: string;
  readonly appId: string | undefined;
  /** Every HTTP route it serves (the Frontegg contract tests check each is in their table). */
  readonly routes: readonly RouteInfo[];
  close(): Promise<void>;
}

function integerOption(value: unknown, name: string, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`options.${name} must be an integer between ${min} and ${max}`);
  }
}

function stringOption(value: unknown, name: string): void {
  if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
    throw new TypeError(`options.${name} must be a non-empty string`);
  }
}

function validate(options: EmulatorOptions): void {
  integerOption(options.port, 'port', 0, 65_535);
  integerOption(options.appPort, 'appPort', 0, 65_535);
  integerOption(options.vendorTokenTtlSec, 'vendorTokenTtlSec', 60, 86_400);
  if (options.webhookAlg !== undefined && !WEBHOOK_ALGORITHMS.includes(options.webhookAlg)) {
    throw new TypeError(`options.webhookAlg must be one of ${WEBHOOK_ALGORITHMS.join(', ')}`);
  }
  if (options.lenient !== undefined && typeof options.lenient !== 'boolean') {
    throw new TypeError('options.lenient must be a boolean');
  }
  integerOption(options.tokenExpirationSec, 'tokenExpirationSec', 60, 31_536_000);
  integerOption(options.keyGraceMs, 'keyGraceMs', 0, 30 * 86_400_000);
  integerOption(options.webhooks?.maxAttempts, 'webhooks.maxAttempts', 1, 20);
  integerOption(options.webhooks?.retryBaseDelayMs, 'webhooks.retryBaseDelayMs', 0, 3_600_000);
  integerOption(options.webhooks?.timeoutMs, 'webhooks.timeoutMs', 1, 600_000);
  for (const name of ['host', 'vendorClientId', 'vendorSecret', 'appId', 'statePath'] as const) {
    stringOption(options[name], name);
  }
  for (const name of ['now', 'logger'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(`options.${name} must be a function`);
    }
  }
}

async function freshState(options: EmulatorOptions, nowMs: number): Promise<StateData> {
  const nowIso = new Date(nowMs).toISOString();
  const state: StateData = {
    version: 1,
    vendor: {
      clientId: options.seed?.vendor?.clientId ?? randomUUID(),
      secret: options.seed?.vendor?.secret ?? randomUUID(),
    },
    ...(options.seed?.appId === undefined ? {} : { appId: options.seed.appId }),
    configuration: {
      apiTokensEnabled: true,
      machineToMachineAuthStrategy: 'ClientCredentials',
      defaultTokenExpiration: options.tokenExpirationSec ?? 86_400,
      defaultRefreshTokenExpiration: 2_592_000,
      addRolesToJwt: true,
      addPermissionsToJwt: true,
    },
    keys: [await generateSigningKey(nowMs)],
    tenants: {},
    permissions: {},
    roles: {},
    users: {},
    apiTokens: {},
    refreshTokens: {},
    accessTokens: {},
    webhooks: {},
    revokedJtis: {},
  };
  for (const key of SECURE_PERMISSION_KEYS) {
    const id = randomUUID();
    state.permissions[id] = {
      id,
      key,
      name: key,
      description: 'Frontegg token management',
      createdAt: nowIso,
    };
  }
  if (options.seed) applySeed(state, options.seed, nowIso);
  return state;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Formats a listening address as a URL host (wildcards become loopback, IPv6 bracketed). */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts a local Frontegg-compatible (and generic OAuth 2.0) authority. Development and tests
 * only: it binds loopback by default and logs a warning saying so.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  validate(options);
  const now = options.now ?? Date.now;
  const log = options.logger ?? ((line: string) => process.stderr.write(`${line}\n`));
  const host = options.host ?? '127.0.0.1';

  const loaded = options.statePath === undefined ? undefined : loadState(options.statePath);
  if (loaded && options.seed) log('portcullis-emulator: state file loaded; the seed is ignored');
  const state = loaded ?? (await freshState(options, now()));
  if (options.vendorClientId !== undefined) state.vendor.clientId = options.vendorClientId;
  if (options.vendorSecret !== undefined) state.vendor.secret = options.vendorSecret;
  if (options.appId !== undefined) state.appId = options.appId;

  let url = '';
  let appUrl = '';
  const faults = new FaultTable();
  const webhooks = new WebhookDispatcher({
    hooks: () => Object.values(state.webhooks),
    now,
    maxAttempts: options.webhooks?.maxAttempts ?? 5,
    retryBaseDelayMs: options.webhooks?.retryBaseDelayMs ?? 1000,
    timeoutMs: options.webhooks?.timeoutMs ?? 5000,
    alg: options.webhookAlg ?? 'HS256',
    log,
  });
  const app: EmulatorApp = {
    state,
    keys: new KeyRing(state, now),
    faults,
    webhooks,
    now,
    url: () => appUrl,
    strict: options.lenient !== true,
    vendorTokenTtlSec: options.vendorTokenTtlSec ?? VENDOR_TOKEN_TTL_SEC,
    keyGraceMs: options.keyGraceMs ?? 3_600_000,
    log,
  };

  const router = new Router();
  registerEnvironmentRoutes(router, app);
  registerExchangeRoutes(router, app);
  registerTenantRoutes(router, app);
  registerUserRoutes(router, app);
  registerRoleRoutes(router, app);
  registerApiTokenRoutes(router, app);
  registerAccessTokenRoutes(router, app);
  registerOAuthRoutes(router, app);
  registerWebhookRoutes(router, app);
  registerAdminRoutes(router, app);

  const saver = options.statePath ? new StateSaver(options.statePath, () => state) : undefined;
  const split = options.appPort !== undefined;
  const serverFor = (side: ListenerSide): Server =>
    createEmulatorServer({ router, faults, onMutation: () => saver?.schedule(), log, side });
  const server = serverFor(split ? 'vendor' : 'both');
  const appServer = split ? serverFor('app') : undefined;
  const servers = appServer === undefined ? [server] : [server, appServer];
  try {
    url = `http://${urlHost(host)}:${await listen(server, options.port ?? 0, host)}`;
    appUrl =
      appServer === undefined
        ? url
        : `http://${urlHost(host)}:${await listen(appServer, options.appPort ?? 0, host)}`;
  } catch (error) {
    for (const each of servers) each.close();
    throw error;
  }
  saver?.write();

  log('='.repeat(72));
  log('portcullis-emulator: DEVELOPMENT ONLY. Not an identity provider: never expose it');
  log(`or trust its tokens in production. Listening on ${url}`);
  if (appUrl !== url) log(`portcullis-emulator: app domain (JWKS, exchange, iss) on ${appUrl}`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    log(`portcullis-emulator: WARNING: bound to ${host}, reachable beyond this machine.`);
  }
  log('='.repeat(72));

  let closing: Promise<void> | undefined;
  return {
    url,
    appUrl,
    vendor: { clientId: state.vendor.clientId, secret: state.vendor.secret },
    audience: audienceOf(state),
    appId: state.appId,
    routes: router.list(),
    close: () => {
      closing ??= (async () => {
        webhooks.close();
        await Promise.all(
          servers.map(
            (each) =>
              new Promise<void>((resolve) => {
                each.close(() => resolve());
                each.closeAllConnections();
              }),
          ),
        );
        saver?.flush();
      })();
      return closing;
    },
  };
}
