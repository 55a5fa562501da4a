import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { EmulatorApp } from './app.js';
import { FaultTable } from './faults.js';
import { Router } from './http/router.js';
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
import { SECURE_PERMISSION_KEYS } from './state.js';
import type { StateData } from './state.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';

export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Bind address, default `127.0.0.1` (loopback: the emulator is for development only). */
  host?: string;
  /** Vendor client id; default: from the state file or seed, else a random UUID. */
  vendorClientId?: string;
  /** Vendor secret; default: from the state file or seed, else a random UUID. */
  vendorSecret?: string;
  /** The `aud` of every token; default: from the state file or seed, else a random UUID. */
  workspaceId?: string;
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
  /** `http://127.0.0.1:PORT`, no trailing slash: both the API gateway and the app domain. */
  readonly url: string;
  readonly vendor: { clientId: string; secret: string };
  readonly workspaceId: string;
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
  integerOption(options.tokenExpirationSec, 'tokenExpirationSec', 60, 31_536_000);
  integerOption(options.keyGraceMs, 'keyGraceMs', 0, 30 * 86_400_000);
  integerOption(options.webhooks?.maxAttempts, 'webhooks.maxAttempts', 1, 20);
  integerOption(options.webhooks?.retryBaseDelayMs, 'webhooks.retryBaseDelayMs', 0, 3_600_000);
  integerOption(options.webhooks?.timeoutMs, 'webhooks.timeoutMs', 1, 600_000);
  for (const name of [
    'host',
    'vendorClientId',
    'vendorSecret',
    'workspaceId',
    'statePath',
  ] as const) {
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
    workspaceId: options.seed?.workspaceId ?? randomUUID(),
    configuration: {
      apiTokensEnabled: true,
      machineToMachineAuthStrategy: 'ClientCredentials',
      defaultTokenExpiration: options.tokenExpirationSec ?? 86_400,
      defaultRefreshTokenExpiration: 2_592_000,
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
  if (options.workspaceId !== undefined) state.workspaceId = options.workspaceId;

  let url = '';
  const faults = new FaultTable();
  const webhooks = new WebhookDispatcher({
    hooks: () => Object.values(state.webhooks),
    now,
    maxAttempts: options.webhooks?.maxAttempts ?? 5,
    retryBaseDelayMs: options.webhooks?.retryBaseDelayMs ?? 1000,
    timeoutMs: options.webhooks?.timeoutMs ?? 5000,
    log,
  });
  const app: EmulatorApp = {
    state,
    keys: new KeyRing(state, now),
    faults,
    webhooks,
    now,
    url: () => url,
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
  const server = createEmulatorServer({
    router,
    faults,
    onMutation: () => saver?.schedule(),
    log,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  url = `http://${urlHost(host)}:${address.port}`;
  saver?.write();

  log('='.repeat(72));
  log('portcullis-emulator: DEVELOPMENT ONLY. Not an identity provider: never expose it');
  log(`or trust its tokens in production. Listening on ${url}`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    log(`portcullis-emulator: WARNING: bound to ${host}, reachable beyond this machine.`);
  }
  log('='.repeat(72));

  let closing: Promise<void> | undefined;
  return {
    url,
    vendor: { clientId: state.vendor.clientId, secret: state.vendor.secret },
    workspaceId: state.workspaceId,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        webhooks.close();
        server.close(() => resolve());
        server.closeAllConnections();
        saver?.flush();
      });
      return closing;
    },
  };
}
