import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimsOf,
  createRole,
  createTenant,
  createUser,
  setConfiguration,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

describe('access tokens and the vendor-only routes', () => {
  let h: Harness;
  let nowMs = Date.now();
  beforeAll(async () => {
    h = await startHarness({ vendorClientId: 'ws-at', now: () => nowMs });
    await setConfiguration(h, { machineToMachineAuthStrategy: 'AccessToken' });
  });
  afterAll(() => h.emu.close());

  const tenantPath = '/identity/resources/tenants/access-tokens/v1';
  const userPath = '/identity/resources/users/access-tokens/v1';
  const vendorOnly = (kind: string): string =>
    `/identity/resources/vendor-only/${kind}/access-tokens/v1`;

  it('creates a tenant access token: an RS256 JWT without roles, active until deleted', async () => {
    const tenantId = await createTenant(h);
    const roleId = await createRole(h, 'at-role', ['things.read']);
    const created = await h.vendor('POST', tenantPath, {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { description: 'robot', roleIds: [roleId] },
    });
    expect(created.status).toBe(201);
    const jwks = createLocalJWKSet((await h.call('GET', '/.well-known/jwks.json')).body);
    const { payload, protectedHeader } = await jwtVerify(created.body.secret, jwks, {
      issuer: h.emu.url,
      audience: 'ws-at',
      currentDate: new Date(nowMs),
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: created.body.id, type: 'tenantAccessToken', tenantId });
    expect(payload.exp).toBeUndefined();
    expect(payload['roles']).toBeUndefined();
    expect(payload['permissions']).toBeUndefined();

    const active = await h.vendor('GET', `${vendorOnly('tenants')}/active`);
    expect(active.status).toBe(200);
    expect(active.body).toContain(created.body.id);
    const entity = await h.vendor('GET', `${vendorOnly('tenants')}/${created.body.id}`);
    expect(entity.body).toMatchObject({
      id: created.body.id,
      tenantId,
      roles: ['at-role'],
      permissions: ['things.read'],
    });
    expect(entity.body.expires).toBeUndefined();

    const list = await h.vendor('GET', tenantPath, { headers: { 'frontegg-tenant-id': tenantId } });
    expect(list.body.accessTokens.map((t: { id: string }) => t.id)).toEqual([created.body.id]);
    expect(list.body.accessTokens[0].secret).toBeUndefined();

    const deleted = await h.vendor('DELETE', `${tenantPath}/${created.body.id}`, {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    expect(deleted.status).toBe(200);
    expect((await h.vendor('GET', `${vendorOnly('tenants')}/active`)).body).not.toContain(
      created.body.id,
    );
    expect((await h.vendor('GET', `${vendorOnly('tenants')}/${created.body.id}`)).status).toBe(404);
    expect((await h.vendor('GET', `${vendorOnly('tenants')}/no-such-id`)).status).toBe(404);
  });

  it('creates user access tokens with userId; with expiresInMinutes they expire', async () => {
    const tenantId = await createTenant(h);
    const user = await createUser(h, tenantId);
    const created = await h.vendor('POST', userPath, {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': user.id },
      body: { expiresInMinutes: 5 },
    });
    expect(created.status).toBe(201);
    const claims = claimsOf(created.body.secret);
    expect(claims).toMatchObject({
      sub: created.body.id,
      type: 'userAccessToken',
      tenantId,
      userId: user.id,
    });
    expect(claims['exp'] - claims['iat']).toBe(300);
    const entity = await h.vendor('GET', `${vendorOnly('users')}/${created.body.id}`);
    expect(entity.body).toMatchObject({ id: created.body.id, userId: user.id, tenantId });
    expect(entity.body.expires).toBeTypeOf('string');
    // A user token is not listed as a tenant token.
    expect((await h.vendor('GET', `${vendorOnly('tenants')}/active`)).body).not.toContain(
      created.body.id,
    );

    nowMs += 6 * 60_000;
    expect((await h.vendor('GET', `${vendorOnly('users')}/active`)).body).not.toContain(
      created.body.id,
    );
    expect((await h.vendor('GET', `${vendorOnly('users')}/${created.body.id}`)).status).toBe(404);
  });

  it('vendor-only routes refuse user tokens and anonymous callers', async () => {
    expect((await h.call('GET', `${vendorOnly('tenants')}/active`)).status).toBe(401);
  });
});
