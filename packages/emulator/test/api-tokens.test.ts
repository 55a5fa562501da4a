import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimsOf,
  createRole,
  createTenant,
  createTenantApiToken,
  createUser,
  exchange,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

describe('client credentials (API tokens)', () => {
  let h: Harness;
  let nowMs = Date.now();
  beforeAll(async () => {
    h = await startHarness({ vendorClientId: 'ws-cc', now: () => nowMs });
  });
  afterAll(() => h.emu.close());

  async function verify(jwt: string): Promise<Record<string, unknown>> {
    const jwks = createLocalJWKSet((await h.call('GET', '/.well-known/jwks.json')).body);
    const { payload } = await jwtVerify(jwt, jwks, {
      issuer: h.emu.url,
      audience: 'ws-cc',
      currentDate: new Date(nowMs),
    });
    return payload;
  }

  it('creates a tenant token on v1 and v2, shows the secret once, lists without it', async () => {
    const tenantId = await createTenant(h);
    const roleId = await createRole(h, 'cc-role', ['orders.read']);
    for (const version of ['v1', 'v2']) {
      const created = await h.vendor('POST', `/identity/resources/tenants/api-tokens/${version}`, {
        headers: { 'frontegg-tenant-id': tenantId },
        body: { description: 'ci', roleIds: [roleId], metadata: { env: 'test' } },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ tenantId, description: 'ci', roleIds: [roleId] });
      expect(created.body.clientId).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.body.secret).toMatch(/^[0-9a-f-]{36}$/);
    }
    const list = await h.vendor('GET', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    expect(list.body).toHaveLength(2);
    for (const token of list.body) expect(token.secret).toBeUndefined();
  });

  it('exchanges on v1 (camelCase) and v2 (snake_case) for a tenantApiToken JWT', async () => {
    const tenantId = await createTenant(h);
    const roleId = await createRole(h, 'exchange-role', ['reports.read']);
    const permissionRoleIds = (await h.vendor('GET', '/identity/resources/permissions/v1')).body;
    const direct = permissionRoleIds.find(
      (p: { key: string }) => p.key === 'fe.secure.read.tenantApiTokens',
    );
    const user = await createUser(h, tenantId);
    const credentials = (
      await h.vendor('POST', '/identity/resources/tenants/api-tokens/v2', {
        headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': user.id },
        body: { roleIds: [roleId], permissionIds: [direct.id], metadata: { a: 1 } },
      })
    ).body;

    const v1 = await exchange(h, { clientId: credentials.clientId, secret: credentials.secret });
    expect(v1.status).toBe(200);
    expect(Object.keys(v1.body).sort()).toEqual([
      'accessToken',
      'expires',
      'expiresIn',
      'refreshToken',
    ]);
    const claims = await verify(v1.body.accessToken);
    expect(claims).toMatchObject({
      sub: credentials.clientId,
      type: 'tenantApiToken',
      tenantId,
      roles: ['exchange-role'],
      metadata: { a: 1 },
      createdByUserId: user.id,
      iss: h.emu.url,
      aud: 'ws-cc',
    });
    // roleIds override permissionIds on create (Frontegg does not merge them): no reports.read.
    expect(claims['permissions']).toEqual(['reports.read']);
    expect(claims['userId']).toBeUndefined();
    expect(claims['exp']! as number).toBe((claims['iat'] as number) + v1.body.expiresIn);

    const v2 = await h.call('POST', '/identity/resources/auth/v2/api-token', {
      body: { clientId: credentials.clientId, secret: credentials.secret },
    });
    expect(Object.keys(v2.body).sort()).toEqual([
      'access_token',
      'expires',
      'expires_in',
      'refresh_token',
    ]);
    expect((await verify(v2.body.access_token))['sub']).toBe(credentials.clientId);

    const wrong = await exchange(h, { clientId: credentials.clientId, secret: 'wrong' });
    expect(wrong.status).toBe(401);
    const missing = await exchange(h, { clientId: credentials.clientId } as never);
    expect(missing.status).toBe(400);
  });

  it('issues userApiToken JWTs with userId and email; personal tokens inherit the user roles', async () => {
    const tenantId = await createTenant(h);
    const roleId = await createRole(h, 'personal-role', ['profile.read']);
    const user = await createUser(h, tenantId, [roleId]);
    const created = await h.vendor('POST', '/identity/resources/users/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': user.id },
      body: { description: 'mine' },
    });
    expect(created.status).toBe(201);
    const answer = await exchange(h, {
      clientId: created.body.clientId,
      secret: created.body.secret,
    });
    const claims = await verify(answer.body.accessToken);
    expect(claims).toMatchObject({
      sub: created.body.clientId,
      type: 'userApiToken',
      tenantId,
      userId: user.id,
      createdByUserId: user.id,
      email: user.email,
      roles: ['personal-role'],
      permissions: ['profile.read'],
    });
    const noUser = await h.vendor('POST', '/identity/resources/users/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    expect(noUser.status).toBe(400);
    expect(noUser.body.errors[0]).toContain('frontegg-user-id');
  });

  it('refresh tokens work once, on v1 and v2', async () => {
    const tenantId = await createTenant(h);
    const credentials = await createTenantApiToken(h, tenantId);
    const first = await exchange(h, credentials);
    const refresh = first.body.refreshToken;
    const path = '/identity/resources/auth/v1/api-token/token/refresh';
    const refreshed = await h.call('POST', path, { body: { refreshToken: refresh } });
    expect(refreshed.status).toBe(200);
    expect(claimsOf(refreshed.body.accessToken).sub).toBe(credentials.clientId);
    expect((await h.call('POST', path, { body: { refreshToken: refresh } })).status).toBe(401);

    const v2 = await h.call('POST', '/identity/resources/auth/v2/api-token/token/refresh', {
      body: { refreshToken: refreshed.body.refreshToken },
    });
    expect(v2.status).toBe(200);
    expect(v2.body.refresh_token).toBeTypeOf('string');
  });

  it('keeps at most 100 refresh tokens per API token (the oldest goes)', async () => {
    const tenantId = await createTenant(h);
    const credentials = await createTenantApiToken(h, tenantId);
    const refreshTokens: string[] = [];
    for (let i = 0; i < 101; i++)
      refreshTokens.push((await exchange(h, credentials)).body.refreshToken);
    const path = '/identity/resources/auth/v1/api-token/token/refresh';
    expect((await h.call('POST', path, { body: { refreshToken: refreshTokens[0] } })).status).toBe(
      401,
    );
    expect((await h.call('POST', path, { body: { refreshToken: refreshTokens[1] } })).status).toBe(
      200,
    );
  });

  it('deleted tokens no longer exchange or refresh; unknown ids are 404', async () => {
    const tenantId = await createTenant(h);
    const credentials = await createTenantApiToken(h, tenantId);
    const { refreshToken } = (await exchange(h, credentials)).body;
    const deleted = await h.vendor(
      'DELETE',
      `/identity/resources/tenants/api-tokens/v1/${credentials.clientId}`,
      {
        headers: { 'frontegg-tenant-id': tenantId },
      },
    );
    expect(deleted.status).toBe(200);
    expect((await exchange(h, credentials)).status).toBe(401);
    const refresh = await h.call('POST', '/identity/resources/auth/v1/api-token/token/refresh', {
      body: { refreshToken },
    });
    expect(refresh.status).toBe(401);
    const again = await h.vendor(
      'DELETE',
      `/identity/resources/tenants/api-tokens/v1/${credentials.clientId}`,
      {
        headers: { 'frontegg-tenant-id': tenantId },
      },
    );
    expect(again.status).toBe(404);
  });

  it('credentials with expiresInMinutes stop exchanging after they expire; JWTs never outlive them', async () => {
    const tenantId = await createTenant(h);
    const credentials = await createTenantApiToken(h, tenantId, { expiresInMinutes: 10 });
    const answer = await exchange(h, credentials);
    expect(answer.body.expiresIn).toBeLessThanOrEqual(600);
    nowMs += 11 * 60_000;
    expect((await exchange(h, credentials)).status).toBe(401);
    const invalid = await h.vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { expiresInMinutes: -5 },
    });
    expect(invalid.status).toBe(400);
  });
});
