import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PortcullisError } from '../src/errors.js';
import type { Provider } from '../src/provider.js';
import { createAccessTokenChecker } from '../src/providers/frontegg/access-tokens.js';
import { createFronteggSend } from '../src/providers/frontegg/http.js';
import type { FronteggProviderOptions } from '../src/providers/frontegg/options.js';
import { frontegg } from '../src/providers/frontegg/provider.js';
import { createVendorTokenClient } from '../src/providers/frontegg/vendor-token.js';
import type { ExtractedCredential } from '../src/types.js';
import type { FakeFrontegg } from './frontegg-fixtures.js';
import {
  recordingActions,
  recordingLogger,
  startFakeFrontegg,
  testContext,
} from './frontegg-fixtures.js';

let fake: FakeFrontegg;
beforeAll(async () => {
  fake = await startFakeFrontegg();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.disabled = false;
  fake.jwksDown = false;
  fake.clients.clear();
  fake.active.tenants = [];
  fake.active.users = [];
  fake.apiTokens.clear();
});

function setup(extra: Partial<FronteggProviderOptions> = {}, now?: () => number) {
  const provider = frontegg({
    baseUrl: fake.url,
    appUrl: fake.url,
    clientId: 'vendor-id',
    apiKey: 'vendor-key',
    ...extra,
  });
  const actions = recordingActions();
  const logger = recordingLogger();
  const context = testContext(actions, logger, now);
  provider.init?.(context);
  return { provider, actions, logger, context };
}

const signal = () => AbortSignal.timeout(5000);

async function verify(provider: Provider, credential: ExtractedCredential) {
  return provider.verify(credential, { signal: signal() });
}

async function failure(promise: Promise<unknown>): Promise<PortcullisError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PortcullisError);
  return error as PortcullisError;
}

describe('frontegg options', () => {
  it('names each bad option', () => {
    const base = {
      baseUrl: 'https://api.frontegg.com',
      appUrl: 'https://app-xyz.frontegg.com',
      clientId: 'id',
      apiKey: 'key',
    };
    const bad: [Partial<FronteggProviderOptions>, string][] = [
      [{ appUrl: undefined as unknown as string }, 'frontegg.appUrl'],
      [{ enforceStrategy: 'yes' as unknown as boolean }, 'frontegg.enforceStrategy'],
      [{ baseUrl: 'ftp://api.frontegg.com' }, 'frontegg.baseUrl'],
      [{ baseUrl: 'not a url' }, 'frontegg.baseUrl'],
      [{ appUrl: 'https://app.example.com/?x=1' }, 'frontegg.appUrl'],
      [{ apiKey: '' }, 'frontegg.apiKey'],
      [{ clientId: undefined as unknown as string }, 'frontegg.clientId'],
      [{ algorithms: ['HS256'] }, 'frontegg.algorithms'],
      [{ algorithms: ['none'] }, 'frontegg.algorithms'],
      [{ activeListTtlMs: -1 }, 'frontegg.activeListTtlMs'],
      [{ activeListMax: 0 }, 'frontegg.activeListMax'],
      [{ webhookSecrets: [''] }, 'frontegg.webhookSecrets'],
      [{ maxWebhookAgeSec: 1.5 }, 'frontegg.maxWebhookAgeSec'],
      [{ audience: [] }, 'frontegg.audience'],
      [{ vendorTokenRefreshRatio: 1 }, 'frontegg.vendorTokenRefreshRatio'],
    ];
    for (const [override, name] of bad) {
      let caught: unknown;
      try {
        frontegg({ ...base, ...override });
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(PortcullisError);
      expect((caught as PortcullisError).code).toBe('ERR_INVALID_OPTION');
      expect((caught as PortcullisError).message).toContain(name);
    }
  });

  it('refuses a vendor API host as the app URL, naming both settings', () => {
    for (const host of ['api.frontegg.com', 'api.eu.frontegg.com', 'API.us.frontegg.com']) {
      let caught: unknown;
      try {
        frontegg({
          baseUrl: `https://${host}`,
          appUrl: `https://${host}`,
          clientId: 'id',
          apiKey: 'key',
        });
      } catch (error) {
        caught = error;
      }
      expect(caught, host).toBeInstanceOf(PortcullisError);
      expect((caught as PortcullisError).code).toBe('ERR_INVALID_OPTION');
      expect((caught as PortcullisError).message).toContain('frontegg.appUrl');
      expect((caught as PortcullisError).message).toContain('frontegg.baseUrl');
    }
    // An app domain on frontegg.com, and a custom domain, are fine.
    for (const appUrl of ['https://app-xyz.frontegg.com', 'https://auth.example.com']) {
      expect(() =>
        frontegg({ baseUrl: 'https://api.frontegg.com', appUrl, clientId: 'id', apiKey: 'key' }),
      ).not.toThrow();
    }
  });

  it('expects the vendor client ID as aud by default, and any of a configured list', async () => {
    const token = await fake.sign({ sub: 'c', type: 'tenantApiToken' });
    const { provider } = setup();
    expect((await verify(provider, { form: 'bearer', token })).principal.subject).toBe('c');
    const byList = setup({ audience: ['app-id-1', 'vendor-id'] }).provider;
    expect((await verify(byList, { form: 'bearer', token })).principal.subject).toBe('c');
    const otherAud = setup({ audience: ['app-id-1'] }).provider;
    expect((await failure(verify(otherAud, { form: 'bearer', token }))).code).toBe(
      'ERR_TOKEN_CLAIM_INVALID',
    );
  });
});

describe('frontegg client credentials', () => {
  it('exchanges Basic credentials at /auth/v2/api-token and maps a tenant token', async () => {
    fake.clients.set('client-a', {
      secret: 'secret-a',
      claims: {
        sub: 'client-a',
        type: 'tenantApiToken',
        tenantId: 't1',
        createdByUserId: 'creator',
        roles: ['reader'],
        permissions: ['orders:read'],
      },
    });
    const { provider } = setup({ baseUrl: `${fake.url}/` });
    const before = fake.count('/identity/resources/auth/v2/api-token');
    const verified = await verify(provider, {
      form: 'basic',
      clientId: 'client-a',
      secret: 'secret-a',
    });
    expect(fake.count('/identity/resources/auth/v2/api-token')).toBe(before + 1);
    const exchange = fake.requests
      .filter((r) => r.path === '/identity/resources/auth/v2/api-token')
      .at(-1);
    expect(JSON.parse(exchange!.body)).toEqual({ clientId: 'client-a', secret: 'secret-a' });
    expect(exchange!.headers['content-type']).toBe('application/json');
    expect(verified.checkedOnline).toBe(false);
    expect(verified.principal).toMatchObject({
      subject: 'client-a',
      clientId: 'client-a',
      tenantId: 't1',
      createdByUserId: 'creator',
      ownerKind: 'tenant',
      credential: 'client_credentials',
      roles: ['reader'],
      permissions: ['orders:read'],
      issuer: fake.url,
    });
    // A tenant token's creator is not its owner.
    expect(verified.principal.userId).toBeUndefined();
    expect(verified.principal.tokenId).toBeUndefined();
  });

  it('refuses a wrong secret with ERR_CLIENT_CREDENTIALS_INVALID', async () => {
    fake.clients.set('client-a', {
      secret: 'secret-a',
      claims: { sub: 'client-a', type: 'tenantApiToken' },
    });
    const { provider } = setup();
    const error = await failure(
      verify(provider, { form: 'basic', clientId: 'client-a', secret: 'nope' }),
    );
    expect(error.code).toBe('ERR_CLIENT_CREDENTIALS_INVALID');
    expect(error.message).not.toContain('nope');
  });

  it('maps personal API tokens: userId from userId, else createdByUserId', async () => {
    const { provider } = setup();
    const withUserId = await fake.sign({
      sub: 'c-u',
      type: 'userApiToken',
      tenantId: 't1',
      userId: 'u1',
      createdByUserId: 'u1',
    });
    const principal = (await verify(provider, { form: 'bearer', token: withUserId })).principal;
    expect(principal).toMatchObject({
      clientId: 'c-u',
      userId: 'u1',
      createdByUserId: 'u1',
      ownerKind: 'user',
      credential: 'client_credentials',
    });
    const creatorOnly = await fake.sign({
      sub: 'c-v',
      type: 'userApiToken',
      tenantId: 't1',
      createdByUserId: 'u2',
    });
    expect((await verify(provider, { form: 'bearer', token: creatorOnly })).principal.userId).toBe(
      'u2',
    );
  });

  it('refuses userToken unless allowed, and unknown or missing types', async () => {
    const userToken = await fake.sign({ sub: 'u1', type: 'userToken', tenantId: 't1' });
    const refused = await failure(verify(setup().provider, { form: 'bearer', token: userToken }));
    expect(refused.code).toBe('ERR_TOKEN_TYPE_NOT_ALLOWED');
    const allowed = await verify(setup({ allowUserTokens: true }).provider, {
      form: 'bearer',
      token: userToken,
    });
    expect(allowed.principal).toMatchObject({ userId: 'u1', ownerKind: 'user' });
    for (const claims of [{ sub: 'x', type: 'vendor' }, { sub: 'x' }]) {
      const error = await failure(
        verify(setup().provider, { form: 'bearer', token: await fake.sign(claims) }),
      );
      expect(error.code).toBe('ERR_TOKEN_TYPE_NOT_ALLOWED');
    }
  });

  it('checks iss, aud, exp and the algorithm', async () => {
    const { provider } = setup();
    const wrongAud = await new SignJWT({ sub: 'c', type: 'tenantApiToken' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(fake.url)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect((await failure(verify(provider, { form: 'bearer', token: wrongAud }))).code).toBe(
      'ERR_TOKEN_ALG_NOT_ALLOWED',
    );
    const otherAudience = setup({ audience: 'another-client-id' }).provider;
    const token = await fake.sign({ sub: 'c', type: 'tenantApiToken' });
    expect((await failure(verify(otherAudience, { form: 'bearer', token }))).code).toBe(
      'ERR_TOKEN_CLAIM_INVALID',
    );
    const otherIssuer = setup({ issuer: 'https://elsewhere.example' }).provider;
    expect((await failure(verify(otherIssuer, { form: 'bearer', token }))).code).toBe(
      'ERR_TOKEN_CLAIM_INVALID',
    );
    const noExp = await fake.sign({ sub: 'c', type: 'tenantApiToken' }, { expSec: null });
    expect((await failure(verify(provider, { form: 'bearer', token: noExp }))).code).toBe(
      'ERR_TOKEN_CLAIM_INVALID',
    );
  });

  it('falls back to the configurations publicKey when the JWKS is down or lacks the kid', async () => {
    const { provider } = setup();
    fake.jwksDown = true;
    const token = await fake.sign({ sub: 'c', type: 'tenantApiToken', tenantId: 't1' });
    expect((await verify(provider, { form: 'bearer', token })).principal.clientId).toBe('c');
    fake.jwksDown = false;
    const unknownKid = await fake.sign(
      { sub: 'd', type: 'tenantApiToken' },
      { kid: 'not-in-jwks' },
    );
    expect((await verify(provider, { form: 'bearer', token: unknownKid })).principal.clientId).toBe(
      'd',
    );
  });
});

describe('frontegg access tokens', () => {
  it('accepts an active token without exp via X-API-Key, with roles and permissions from /{id}', async () => {
    fake.active.tenants = ['at-1'];
    const { provider } = setup();
    const token = await fake.sign(
      { sub: 'at-1', type: 'tenantAccessToken', tenantId: 't1' },
      { expSec: null },
    );
    const verified = await verify(provider, { form: 'api-key', token, header: 'x-api-key' });
    expect(verified.checkedOnline).toBe(true);
    expect(verified.principal).toMatchObject({
      subject: 'at-1',
      tokenId: 'at-1',
      tenantId: 't1',
      ownerKind: 'tenant',
      credential: 'access_token',
      roles: ['admin'],
      permissions: ['orders:read'],
    });
    expect(verified.principal.clientId).toBeUndefined();
    const entity = fake.requests
      .filter((r) => r.path.endsWith('/tenants/access-tokens/v1/at-1'))
      .at(-1);
    expect(entity?.headers['x-access-token']).toMatch(/^vendor-token-/);
  });

  it('reads the active list once per TTL, however many verifications', async () => {
    fake.active.users = ['at-u'];
    const { provider } = setup({ activeListTtlMs: 60_000 });
    const token = await fake.sign({
      sub: 'at-u',
      type: 'userAccessToken',
      tenantId: 't1',
      userId: 'u1',
    });
    const path = '/identity/resources/vendor-only/users/access-tokens/v1/active';
    const before = fake.count(path);
    await Promise.all([1, 2, 3].map(() => verify(provider, { form: 'bearer', token })));
    await verify(provider, { form: 'bearer', token });
    expect(fake.count(path) - before).toBe(1);
    expect((await verify(provider, { form: 'bearer', token })).principal).toMatchObject({
      userId: 'u1',
      ownerKind: 'user',
    });
  });

  it('refuses a token missing from the active list as inactive (not 503)', async () => {
    const { provider } = setup();
    const token = await fake.sign({ sub: 'at-gone', type: 'tenantAccessToken', tenantId: 't1' });
    const error = await failure(verify(provider, { form: 'api-key', token, header: 'x-api-key' }));
    expect(error.code).toBe('ERR_TOKEN_INACTIVE');
    expect(error.status).toBe(401);
  });

  it('accepts a brand-new access token 100 ms after an active-list read (one /{id} lookup)', async () => {
    fake.active.tenants = ['at-old'];
    const clock = { now: Date.now() };
    const { provider } = setup({ activeListTtlMs: 60_000 }, () => clock.now);
    const old = await fake.sign({ sub: 'at-old', type: 'tenantAccessToken', tenantId: 't1' });
    await verify(provider, { form: 'bearer', token: old });
    const listPath = '/identity/resources/vendor-only/tenants/access-tokens/v1/active';
    const entityPath = '/identity/resources/vendor-only/tenants/access-tokens/v1/at-new';
    const lists = fake.count(listPath);
    fake.active.tenants = ['at-old', 'at-new'];
    clock.now += 100;
    const fresh = await fake.sign({ sub: 'at-new', type: 'tenantAccessToken', tenantId: 't1' });
    const answer = await verify(provider, {
      form: 'api-key',
      token: fresh,
      header: 'x-api-key',
    });
    expect(answer.principal.tokenId).toBe('at-new');
    // Inside the refetch cooldown: no new list read, one lookup of the id decides.
    expect(fake.count(listPath)).toBe(lists);
    expect(fake.count(entityPath)).toBe(1);
    // A deleted id in the same window is refused by its lookup's 404, still not a 503.
    const deleted = await fake.sign({
      sub: 'at-deleted',
      type: 'tenantAccessToken',
      tenantId: 't1',
    });
    expect((await failure(verify(provider, { form: 'bearer', token: deleted }))).code).toBe(
      'ERR_TOKEN_INACTIVE',
    );
  });

  it('asks /{id} once for concurrent checks of one brand-new id (single flight)', async () => {
    fake.active.tenants = ['at-seen'];
    const clock = { now: Date.now() };
    const send = createFronteggSend({
      dispatcher: undefined,
      timeoutMs: 2000,
      now: () => clock.now,
    });
    const vendor = createVendorTokenClient({
      baseUrl: fake.url,
      clientId: 'vendor-id',
      apiKey: 'vendor-key',
      refreshRatio: 0.8,
      send,
      now: () => clock.now,
    });
    const checker = createAccessTokenChecker({
      vendor,
      listTtlMs: 60_000,
      listMax: 1000,
      clockToleranceSec: 5,
      logger: recordingLogger(),
      now: () => clock.now,
    });
    const iat = Math.floor(clock.now / 1000);
    await checker.check('tenants', 'at-seen', iat, signal());
    fake.active.tenants = ['at-seen', 'at-burst'];
    clock.now += 100;
    const entityPath = '/identity/resources/vendor-only/tenants/access-tokens/v1/at-burst';
    const before = fake.count(entityPath);
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() => checker.check('tenants', 'at-burst', iat, signal())),
    );
    expect(answers).toHaveLength(4);
    expect(fake.count(entityPath) - before).toBe(1);
  });

  it('trusts a list read well after the token was issued: a missing id is refused without a lookup', async () => {
    fake.active.tenants = ['at-other'];
    // The list is read a minute after the token's iat: it knows the token, so its word is final.
    const clock = { now: Date.now() + 60_000 };
    const { provider } = setup({ activeListTtlMs: 60_000 }, () => clock.now);
    const token = await fake.sign({ sub: 'at-gone', type: 'tenantAccessToken', tenantId: 't1' });
    const entityPath = '/identity/resources/vendor-only/tenants/access-tokens/v1/at-gone';
    const before = fake.count(entityPath);
    expect((await failure(verify(provider, { form: 'bearer', token }))).code).toBe(
      'ERR_TOKEN_INACTIVE',
    );
    expect(fake.count(entityPath)).toBe(before);
  });

  it('checks each token by id when the active list is longer than activeListMax', async () => {
    fake.active.tenants = ['at-1', 'at-2', 'at-3'];
    const { provider, logger } = setup({ activeListMax: 2 });
    const live = await fake.sign({ sub: 'at-2', type: 'tenantAccessToken', tenantId: 't1' });
    expect((await verify(provider, { form: 'bearer', token: live })).principal.tokenId).toBe(
      'at-2',
    );
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg?.includes('activeListMax'))).toBe(
      true,
    );
    const deleted = await fake.sign({ sub: 'at-9', type: 'tenantAccessToken', tenantId: 't1' });
    expect((await failure(verify(provider, { form: 'bearer', token: deleted }))).code).toBe(
      'ERR_TOKEN_INACTIVE',
    );
  });

  it('refuses a client-credentials JWT sent as X-API-Key', async () => {
    const { provider } = setup();
    const token = await fake.sign({ sub: 'c', type: 'tenantApiToken' });
    const error = await failure(verify(provider, { form: 'api-key', token, header: 'x-api-key' }));
    expect(error.code).toBe('ERR_TOKEN_TYPE_NOT_ALLOWED');
  });
});

describe('frontegg M2M settings and the vendor token', () => {
  it('maps the configurations route to a policy observation: both kinds whatever the strategy', async () => {
    const { provider } = setup();
    fake.settings = {
      ...fake.settings,
      machineToMachineAuthStrategy: 'AccessToken',
      defaultTokenExpiration: 7200,
    };
    expect(await provider.readPolicy!(signal())).toEqual({
      enabled: true,
      acceptedCredentials: ['client_credentials', 'access_token'],
      maxTokenLifetimeSec: 7200,
    });
    fake.settings = { ...fake.settings, machineToMachineAuthStrategy: 'ClientCredentials' };
    expect(await provider.readPolicy!(signal())).toMatchObject({
      acceptedCredentials: ['client_credentials', 'access_token'],
    });
  });

  it('with enforceStrategy, the strategy names the one accepted kind', async () => {
    const { provider } = setup({ enforceStrategy: true });
    fake.settings = {
      ...fake.settings,
      machineToMachineAuthStrategy: 'AccessToken',
      defaultTokenExpiration: 7200,
    };
    expect(await provider.readPolicy!(signal())).toEqual({
      enabled: true,
      acceptedCredentials: ['access_token'],
      maxTokenLifetimeSec: 7200,
    });
    fake.settings = {
      ...fake.settings,
      apiTokensEnabled: false,
      machineToMachineAuthStrategy: 'ClientCredentials',
    };
    expect(await provider.readPolicy!(signal())).toMatchObject({
      enabled: false,
      acceptedCredentials: ['client_credentials'],
    });
    fake.settings = { ...fake.settings, apiTokensEnabled: true };
  });

  it('turns 403 "Api tokens are disabled" into policy at once, a re-read and ERR_M2M_DISABLED', async () => {
    fake.disabled = true;
    fake.active.tenants = ['at-1'];
    fake.clients.set('client-a', {
      secret: 'secret-a',
      claims: { sub: 'client-a', type: 'tenantApiToken' },
    });
    const { provider, context } = setup();
    const basic = await failure(
      verify(provider, { form: 'basic', clientId: 'client-a', secret: 'secret-a' }),
    );
    expect(basic.code).toBe('ERR_M2M_DISABLED');
    const token = await fake.sign({ sub: 'at-1', type: 'tenantAccessToken', tenantId: 't1' });
    const access = await failure(verify(provider, { form: 'bearer', token }));
    expect(access.code).toBe('ERR_M2M_DISABLED');
    expect(context.observed).toEqual([{ enabled: false }, { enabled: false }]);
    expect(context.refreshRequests).toBe(2);
  });

  it('renews the vendor token after 80% of its life, and once on a 401', async () => {
    let nowMs = Date.now();
    fake.vendorExpiresIn = 100;
    const { provider } = setup({}, () => nowMs);
    const issued = fake.vendorTokensIssued;
    await Promise.all([1, 2, 3, 4].map(() => provider.readPolicy!(signal())));
    await provider.readPolicy!(signal());
    // One authentication shared by the concurrent first calls.
    expect(fake.vendorTokensIssued - issued).toBe(1);
    nowMs += 79_000;
    await provider.readPolicy!(signal());
    expect(fake.vendorTokensIssued - issued).toBe(1);
    nowMs += 2_000;
    await provider.readPolicy!(signal());
    expect(fake.vendorTokensIssued - issued).toBe(2);
    fake.revokeVendorTokens();
    await provider.readPolicy!(signal());
    expect(fake.vendorTokensIssued - issued).toBe(3);
    fake.vendorExpiresIn = 3600;
  });

  it('answers 503 (not 401) when the vendor credentials are refused', async () => {
    const { provider } = setup({ apiKey: 'wrong' });
    const error = await failure(provider.readPolicy!(signal()));
    expect(error.status).toBe(503);
    expect(error.message).not.toContain('wrong');
  });
});
