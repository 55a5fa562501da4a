import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTenant,
  createTenantApiToken,
  createUser,
  exchange,
  login,
  setConfiguration,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

describe('deletion cascades', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.emu.close());

  async function personalToken(
    tenantId: string,
    userId: string,
  ): Promise<{ clientId: string; secret: string }> {
    const answer = await h.vendor('POST', '/identity/resources/users/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': userId },
    });
    return { clientId: answer.body.clientId, secret: answer.body.secret };
  }

  it('deleting a user deletes their personal tokens; tenant tokens they created live on', async () => {
    const tenantId = await createTenant(h);
    const user = await createUser(h, tenantId);
    const personal = await personalToken(tenantId, user.id);
    const created = await h.vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': user.id },
    });
    const tenantToken = { clientId: created.body.clientId, secret: created.body.secret };
    expect(created.body.createdByUserId).toBe(user.id);

    expect((await h.vendor('DELETE', `/identity/resources/users/v1/${user.id}`)).status).toBe(200);
    expect((await exchange(h, personal)).status).toBe(401);
    expect((await exchange(h, tenantToken)).status).toBe(200);
    const users = await h.vendor('GET', '/identity/resources/users/v2', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    expect(users.body.items).toHaveLength(0);
    expect((await h.vendor('DELETE', `/identity/resources/users/v1/${user.id}`)).status).toBe(404);
  });

  it('removing a user from one tenant deletes only that tenant’s personal tokens', async () => {
    const first = await createTenant(h);
    const second = await createTenant(h);
    const user = await createUser(h, first);
    const joined = await h.vendor('POST', `/identity/resources/users/v1/${user.id}/tenant`, {
      body: { tenantId: second },
    });
    expect(joined.status).toBe(201);
    const inFirst = await personalToken(first, user.id);
    const inSecond = await personalToken(second, user.id);

    const removed = await h.vendor('DELETE', `/identity/resources/users/v1/${user.id}`, {
      headers: { 'frontegg-tenant-id': first },
    });
    expect(removed.status).toBe(200);
    expect((await exchange(h, inFirst)).status).toBe(401);
    expect((await exchange(h, inSecond)).status).toBe(200);
    expect(await login(h, user)).toBeTypeOf('string');
  });

  it('deleting a tenant deletes its tokens (both kinds) and its users', async () => {
    const tenantId = await createTenant(h);
    const otherTenantId = await createTenant(h);
    const user = await createUser(h, tenantId);
    const sharedUser = await createUser(h, tenantId);
    const joined = await h.vendor('POST', `/identity/resources/users/v1/${sharedUser.id}/tenant`, {
      body: { tenantId: otherTenantId },
    });
    expect(joined.status).toBe(201);
    const tenantToken = await createTenantApiToken(h, tenantId);
    const personal = await personalToken(tenantId, user.id);
    await setConfiguration(h, { machineToMachineAuthStrategy: 'AccessToken' });
    const access = await h.vendor('POST', '/identity/resources/tenants/access-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    await setConfiguration(h, { machineToMachineAuthStrategy: 'ClientCredentials' });

    expect((await h.vendor('DELETE', `/tenants/resources/tenants/v1/${tenantId}`)).status).toBe(
      200,
    );
    expect((await exchange(h, tenantToken)).status).toBe(401);
    expect((await exchange(h, personal)).status).toBe(401);
    const entity = await h.vendor(
      'GET',
      `/identity/resources/vendor-only/tenants/access-tokens/v1/${access.body.id}`,
    );
    expect(entity.status).toBe(404);
    // Frontegg: "removes the tenant and all users of that tenant".
    const gone = await h.vendor('GET', `/identity/resources/vendor-only/users/v1/${user.id}`);
    expect(gone.status).toBe(404);
    const login = await h.call('POST', '/identity/resources/auth/v1/user', { body: user });
    expect(login.status).toBe(401);
    // A user of another tenant too only leaves this one.
    const shared = await h.vendor(
      'GET',
      `/identity/resources/vendor-only/users/v1/${sharedUser.id}`,
    );
    expect(shared.status).toBe(200);
    expect(shared.body.tenantIds).toEqual([otherTenantId]);
  });
});
