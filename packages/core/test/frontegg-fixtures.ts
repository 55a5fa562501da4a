/**
 * A small, real HTTP server playing the Frontegg routes the preset calls, for unit tests that need
 * precise control (call counts, faults) before or besides the emulator. Loopback only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey } from 'jose';
import type { AuthenticatorActions, ProviderContext } from '../src/provider.js';
import type { Logger, PolicyObservation, Selector, TenantWatch } from '../src/types.js';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface FakeFrontegg {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Client ids listed per tenant (`tenantId`) and per personal owner (`tenantId/userId`). */
  readonly apiTokens: Map<string, string[]>;
  /** Active access-token ids per kind. */
  readonly active: { tenants: string[]; users: string[] };
  /** Users Frontegg knows (`GET /identity/resources/vendor-only/users/v1/{id}`), with their lock state. */
  readonly users: Map<string, { isLocked: boolean }>;
  /** Client id → secret accepted by the exchange, and the claims of the JWT it returns. */
  readonly clients: Map<string, { secret: string; claims: Record<string, unknown> }>;
  settings: Record<string, unknown>;
  /** When set, vendor-only and exchange routes answer 403 "Api tokens are disabled". */
  disabled: boolean;
  /** When true the JWKS answers 500. */
  jwksDown: boolean;
  /** Vendor token lifetime in seconds. */
  vendorExpiresIn: number;
  vendorTokensIssued: number;
  /** Signs a JWT with the environment key (`iss` = url). */
  sign(
    claims: Record<string, unknown>,
    options?: { expSec?: number | null; kid?: string },
  ): Promise<string>;
  count(path: string): number;
  /** Forget every vendor token issued so far (the next vendor call gets 401). */
  revokeVendorTokens(): void;
  close(): Promise<void>;
}

export async function startFakeFrontegg(): Promise<FakeFrontegg> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const pem = await exportSPKI(publicKey);
  const requests: SeenRequest[] = [];
  const issuedVendorTokens = new Set<string>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
      void route(req.method ?? 'GET', path, req.headers, body).then(([status, answer]) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeFrontegg = {
    url,
    requests,
    apiTokens: new Map(),
    active: { tenants: [], users: [] },
    users: new Map(),
    clients: new Map(),
    settings: {
      apiTokensEnabled: true,
      machineToMachineAuthStrategy: 'ClientCredentials',
      jwtAlgorithm: 'RS256',
      defaultTokenExpiration: 86_400,
      publicKey: pem,
    },
    disabled: false,
    jwksDown: false,
    vendorExpiresIn: 3600,
    vendorTokensIssued: 0,
    sign: (claims, options) => sign(privateKey, url, claims, options),
    count: (path) => requests.filter((request) => request.path === path).length,
    revokeVendorTokens: () => issuedVendorTokens.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const disabledAnswer: [number, unknown] = [403, { errors: ['Api tokens are disabled'] }];

  async function route(
    method: string,
    path: string,
    headers: SeenRequest['headers'],
    body: string,
  ): Promise<[number, unknown]> {
    if (method === 'POST' && path === '/auth/vendor') {
      const input = JSON.parse(body) as { clientId?: string; secret?: string };
      if (input.clientId !== 'vendor-id' || input.secret !== 'vendor-key') return [401, {}];
      fake.vendorTokensIssued += 1;
      const token = `vendor-token-${fake.vendorTokensIssued}`;
      issuedVendorTokens.add(token);
      return [200, { token, expiresIn: fake.vendorExpiresIn }];
    }
    if (path === '/.well-known/jwks.json') {
      return fake.jwksDown ? [500, {}] : [200, { keys: [jwk] }];
    }
    if (method === 'POST' && path === '/identity/resources/auth/v2/api-token') {
      if (fake.disabled) return disabledAnswer;
      const input = JSON.parse(body) as { clientId?: string; secret?: string };
      const client = fake.clients.get(input.clientId ?? '');
      if (client === undefined || client.secret !== input.secret)
        return [401, { errors: ['Unauthorized'] }];
      return [200, { access_token: await fake.sign(client.claims), expires_in: 3600 }];
    }
    // Everything below needs the vendor token.
    const vendorToken = headers['x-access-token'];
    if (typeof vendorToken !== 'string' || !issuedVendorTokens.has(vendorToken)) return [401, {}];
    if (path === '/identity/resources/configurations/v1') return [200, fake.settings];
    // As Frontegg: the tenant-scoped user read requires frontegg-tenant-id; vendor-only does not.
    if (
      method === 'GET' &&
      /^\/identity\/resources\/users\/v1\/[^/]+$/.test(path) &&
      typeof headers['frontegg-tenant-id'] !== 'string'
    ) {
      return [400, { errors: ['frontegg-tenant-id header is required'] }];
    }
    const user = /^\/identity\/resources\/(?:vendor-only\/)?users\/v1\/([^/]+)$/.exec(path);
    if (method === 'GET' && user !== null) {
      const id = decodeURIComponent(user[1] ?? '');
      const known = fake.users.get(id);
      return known === undefined ? [404, { errors: ['User not found'] }] : [200, { id, ...known }];
    }
    const vendorOnly =
      /^\/identity\/resources\/vendor-only\/(tenants|users)\/access-tokens\/v1\/(.+)$/.exec(path);
    if (vendorOnly !== null) {
      if (fake.disabled) return disabledAnswer;
      const kind = vendorOnly[1] as 'tenants' | 'users';
      const id = decodeURIComponent(vendorOnly[2] ?? '');
      if (id === 'active') return [200, fake.active[kind]];
      if (!fake.active[kind].includes(id)) return [404, { errors: ['not found'] }];
      return [
        200,
        {
          id,
          tenantId: 't1',
          roles: [{ key: 'admin', name: 'Admin' }],
          permissions: ['orders:read'],
        },
      ];
    }
    const tenantId = headers['frontegg-tenant-id'];
    if (path === '/identity/resources/tenants/api-tokens/v1' && typeof tenantId === 'string') {
      return [
        200,
        (fake.apiTokens.get(tenantId) ?? []).map((clientId) => ({ clientId, tenantId })),
      ];
    }
    const userId = headers['frontegg-user-id'];
    if (path === '/identity/resources/users/api-tokens/v1' && typeof tenantId === 'string') {
      const key = `${tenantId}/${String(userId)}`;
      // Like Frontegg: a user that does not exist (any more) is a 404, not an empty list.
      if (!fake.apiTokens.has(key)) return [404, { errors: ['User not found'] }];
      return [200, (fake.apiTokens.get(key) ?? []).map((clientId) => ({ clientId, tenantId }))];
    }
    return [404, { errors: ['no route'] }];
  }

  return fake;
}

async function sign(
  key: CryptoKey,
  issuer: string,
  claims: Record<string, unknown>,
  options: { expSec?: number | null; kid?: string } = {},
): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000);
  // Frontegg's API-token JWTs carry roles and permissions by default (addRolesToJwt and
  // addPermissionsToJwt): a test that wants them absent passes `undefined` explicitly.
  const apiToken = claims['type'] === 'tenantApiToken' || claims['type'] === 'userApiToken';
  const defaults = apiToken ? { roles: [], permissions: [] } : {};
  const jwt = new SignJWT(JSON.parse(JSON.stringify({ ...defaults, ...claims })))
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
    .setIssuer(issuer)
    .setAudience('vendor-id')
    .setIssuedAt(nowSec);
  if (options.expSec !== null) jwt.setExpirationTime(nowSec + (options.expSec ?? 600));
  return jwt.sign(key);
}

/** A logger that keeps what it was told, for asserting warnings. */
export function recordingLogger(): Logger & {
  lines: { level: string; obj: object; msg?: string }[];
} {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export type ActionCall =
  | { readonly action: 'revoke' | 'invalidate'; readonly selector: Selector }
  | { readonly action: 'lockUser' | 'unlockUser'; readonly userId: string }
  | { readonly action: 'applyPolicyEvent'; readonly observation: PolicyObservation };

/**
 * Deletion watches as the authenticator would hold them, shared by every `recordingActions` built
 * on it (a watch started through one set of actions is seen by the next, like on a replica).
 */
export interface WatchBook {
  readonly watches: Map<string, TenantWatch>;
  now(): number;
}

export function watchBook(now: () => number = Date.now): WatchBook {
  return { watches: new Map(), now };
}

const defaultBook = watchBook();

/** Authenticator actions that record what a receiver asked for (the receiver is under test). */
export function recordingActions(
  cachedClientIds: Record<string, string[]> = {},
  book: WatchBook = defaultBook,
): AuthenticatorActions & { calls: ActionCall[] } {
  const calls: ActionCall[] = [];
  return {
    watchTenant: async (tenantId, ttlMs) => {
      const at = book.now();
      const watch = { tenantId, startedAt: at, expiresAt: at + ttlMs };
      book.watches.set(tenantId, watch);
      return watch;
    },
    isRevoked: (principal) =>
      calls.some(
        (call) =>
          call.action === 'revoke' &&
          'clientId' in call.selector &&
          call.selector.clientId === principal.clientId,
      ),
    watchOf: (tenantId) => {
      const watch = book.watches.get(tenantId);
      return watch !== undefined && watch.expiresAt > book.now() ? watch : undefined;
    },
    calls,
    revoke: async (selector) => void calls.push({ action: 'revoke', selector }),
    invalidate: async (selector) => void calls.push({ action: 'invalidate', selector }),
    lockUser: async (userId) => void calls.push({ action: 'lockUser', userId }),
    unlockUser: async (userId) => void calls.push({ action: 'unlockUser', userId }),
    applyPolicyEvent: async (observation) =>
      void calls.push({ action: 'applyPolicyEvent', observation }),
    cachedClientIds: (tenantId) => cachedClientIds[tenantId] ?? [],
  };
}

/** A ProviderContext for driving the preset without an authenticator. */
export function testContext(
  actions: AuthenticatorActions,
  logger: Logger,
  now: () => number = Date.now,
): ProviderContext & { observed: PolicyObservation[]; refreshRequests: number } {
  const context = {
    logger,
    now,
    dispatcher: undefined,
    timeoutMs: 2000,
    clockToleranceSec: 5,
    actions,
    observed: [] as PolicyObservation[],
    refreshRequests: 0,
    observePolicy(observation: PolicyObservation) {
      context.observed.push(observation);
    },
    requestPolicyRefresh() {
      context.refreshRequests += 1;
    },
  };
  return context;
}
