import { importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, createRole, createTenant, createUser, login, startHarness } from './helpers.js';
import type { Harness } from './helpers.js';

describe('tenants, users, roles, permissions and user login', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ vendorClientId: 'ws-identity' });
  });
  afterAll(() => h.emu.close());

  it('has the six fe.secure permissions by default', async () => {
    const answer = await h.vendor('GET', '/identity/resources/permissions/v1');
    const keys = (answer.body as Array<{ key: string }>).map((p) => p.key);
    for (const action of ['read', 'write', 'delete']) {
      for (const kind of ['user', 'tenant'])
        expect(keys).toContain(`fe.secure.${action}.${kind}ApiTokens`);
    }
  });

  it('creates, lists, reads and deletes tenants; duplicates conflict', async () => {
    const tenantId = await createTenant(h, 'acme');
    expect(
      (await h.vendor('POST', '/tenants/resources/tenants/v1', { body: { tenantId } })).status,
    ).toBe(409);
    const list = await h.vendor('GET', '/tenants/resources/tenants/v1');
    expect(list.body.map((t: { tenantId: string }) => t.tenantId)).toContain('acme');
    const one = await h.vendor('GET', '/tenants/resources/tenants/v1/acme');
    expect(one.body[0]).toMatchObject({ tenantId: 'acme', name: 'Tenant acme' });
    expect((await h.vendor('DELETE', '/tenants/resources/tenants/v1/acme')).status).toBe(200);
    // An unknown tenant reads as an empty array, as on Frontegg.
    const unknown = await h.vendor('GET', '/tenants/resources/tenants/v1/acme');
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual([]);
    expect((await h.call('GET', '/tenants/resources/tenants/v1')).status).toBe(401);
  });

  it('creates roles (object or array) and assigns permissions by id', async () => {
    const roleId = await createRole(h, 'reader', ['widgets.read']);
    const roles = await h.vendor('GET', '/identity/resources/roles/v1');
    const role = roles.body.find((r: { id: string }) => r.id === roleId);
    expect(role.permissions).toHaveLength(1);
    const batch = await h.vendor('POST', '/identity/resources/roles/v1', {
      body: [{ key: 'a-role' }, { key: 'b-role' }],
    });
    expect(batch.status).toBe(201);
    expect(batch.body.map((r: { key: string }) => r.key)).toEqual(['a-role', 'b-role']);
    const bad = await h.vendor('PUT', `/identity/resources/roles/v1/${roleId}/permissions`, {
      body: { permissionIds: ['no-such-permission'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toContain('no-such-permission');
    expect(
      (await h.vendor('POST', '/identity/resources/roles/v1', { body: { name: 'x' } })).status,
    ).toBe(400);
  });

  it('creates users in a tenant and logs them in with a userToken', async () => {
    const tenantId = await createTenant(h);
    const roleId = await createRole(h, 'writer', ['widgets.write']);
    const user = await createUser(h, tenantId, [roleId]);
    const list = await h.vendor('GET', '/identity/resources/users/v2', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    expect(list.body.items.map((u: { id: string }) => u.id)).toEqual([user.id]);

    const token = await login(h, user);
    const config = await h.vendor('GET', '/identity/resources/configurations/v1');
    const { payload } = await jwtVerify(token, await importSPKI(config.body.publicKey, 'RS256'), {
      issuer: h.emu.url,
      audience: 'ws-identity',
    });
    expect(payload).toMatchObject({
      sub: user.id,
      type: 'userToken',
      tenantId,
      tenantIds: [tenantId],
      roles: ['writer'],
      permissions: ['widgets.write'],
      email: user.email,
    });
    expect(payload.exp! - payload.iat!).toBe(86400);

    const wrong = await h.call('POST', '/identity/resources/auth/v1/user', {
      body: { email: user.email, password: 'wrong' },
    });
    expect(wrong.status).toBe(401);
  });

  it('validates user input and the tenant header', async () => {
    const tenantId = await createTenant(h);
    const noTenant = await h.vendor('POST', '/identity/resources/users/v2', {
      body: { email: 'a@b.c' },
    });
    expect(noTenant.status).toBe(400);
    expect(noTenant.body.errors[0]).toContain('frontegg-tenant-id');
    const badEmail = await h.vendor('POST', '/identity/resources/users/v2', {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { email: 'not-an-email' },
    });
    expect(badEmail.status).toBe(400);
    const unknownRole = await h.vendor('POST', '/identity/resources/users/v2', {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { email: 'x@example.test', roleIds: ['nope'] },
    });
    expect(unknownRole.status).toBe(400);
  });

  it('locks a user through PUT: login is refused and the token no longer manages', async () => {
    const tenantId = await createTenant(h);
    const user = await createUser(h, tenantId);
    const token = await login(h, user);
    const locked = await h.vendor('PUT', `/identity/resources/users/v1/${user.id}`, {
      body: { isLocked: true },
    });
    expect(locked.status).toBe(200);
    expect(locked.body.isLocked).toBe(true);
    expect((await h.call('POST', '/identity/resources/auth/v1/user', { body: user })).status).toBe(
      403,
    );
    expect((await h.call('GET', '/identity/resources/users/api-tokens/v1', { token })).status).toBe(
      401,
    );
    expect(claimsOf(token).sub).toBe(user.id);
  });
});
