import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRole,
  createTenant,
  createUser,
  login,
  setConfiguration,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

const routes = {
  tenant: '/identity/resources/tenants/api-tokens/v1',
  user: '/identity/resources/users/api-tokens/v1',
} as const;

describe('fe.secure.* permissions on the token-management routes', () => {
  let h: Harness;
  let tenantId: string;
  beforeAll(async () => {
    h = await startHarness();
    tenantId = await createTenant(h);
  });
  afterAll(() => h.emu.close());

  /** A user whose only permission is `permission` (or none) and their user token. */
  async function userWith(permission?: string): Promise<{ token: string; id: string }> {
    const roleIds = permission ? [await createRole(h, `role-${Math.random()}`, [permission])] : [];
    const user = await createUser(h, tenantId, roleIds);
    return { token: await login(h, user), id: user.id };
  }

  /** A token of `kind` owned by `ownerId` (personal) or the tenant, created with the vendor token. */
  async function existingToken(kind: 'tenant' | 'user', ownerId: string): Promise<string> {
    const answer = await h.vendor('POST', routes[kind], {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': ownerId },
    });
    return answer.body.clientId as string;
  }

  for (const kind of ['tenant', 'user'] as const) {
    const permission = (action: string): string => `fe.secure.${action}.${kind}ApiTokens`;

    it(`${permission('write')}: allows creating ${kind} tokens, 403 without it`, async () => {
      const allowed = await userWith(permission('write'));
      const created = await h.call('POST', routes[kind], { token: allowed.token });
      expect(created.status).toBe(201);
      expect(created.body.tenantId).toBe(tenantId);
      expect(created.body.createdByUserId).toBe(allowed.id);
      const denied = await userWith(permission('read'));
      const refused = await h.call('POST', routes[kind], { token: denied.token });
      expect(refused.status).toBe(403);
      expect(refused.body.errors[0]).toContain(permission('write'));
    });

    it(`${permission('read')}: allows listing ${kind} tokens, 403 without it`, async () => {
      const allowed = await userWith(permission('read'));
      const existing = await existingToken(kind, allowed.id);
      const listed = await h.call('GET', routes[kind], { token: allowed.token });
      expect(listed.status).toBe(200);
      expect(listed.body.map((t: { clientId: string }) => t.clientId)).toContain(existing);
      const denied = await userWith(permission('write'));
      expect((await h.call('GET', routes[kind], { token: denied.token })).status).toBe(403);
    });

    it(`${permission('delete')}: allows deleting ${kind} tokens, 403 without it`, async () => {
      const allowed = await userWith(permission('delete'));
      const denied = await userWith(permission('read'));
      const first = await existingToken(kind, denied.id);
      expect(
        (await h.call('DELETE', `${routes[kind]}/${first}`, { token: denied.token })).status,
      ).toBe(403);
      const mine = await existingToken(kind, allowed.id);
      expect(
        (await h.call('DELETE', `${routes[kind]}/${mine}`, { token: allowed.token })).status,
      ).toBe(200);
    });
  }

  it('a user manages only their own personal tokens', async () => {
    const everything = [
      'fe.secure.read.userApiTokens',
      'fe.secure.write.userApiTokens',
      'fe.secure.delete.userApiTokens',
    ];
    const roleId = await createRole(h, 'all-personal', everything);
    const alice = await createUser(h, tenantId, [roleId]);
    const bob = await createUser(h, tenantId, [roleId]);
    const aliceToken = await login(h, alice);
    const bobs = (
      await h.vendor('POST', routes.user, {
        headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': bob.id },
      })
    ).body.clientId;
    const aliceList = await h.call('GET', routes.user, { token: aliceToken });
    expect(aliceList.body.map((t: { clientId: string }) => t.clientId)).not.toContain(bobs);
    expect((await h.call('DELETE', `${routes.user}/${bobs}`, { token: aliceToken })).status).toBe(
      404,
    );
    // frontegg-user-id cannot be used by a user token to act for someone else.
    const spoof = await h.call('GET', routes.user, {
      token: aliceToken,
      headers: { 'frontegg-user-id': bob.id },
    });
    expect(spoof.body.map((t: { clientId: string }) => t.clientId)).not.toContain(bobs);
    // A user token cannot switch tenants through the header.
    const other = await createTenant(h);
    const cross = await h.call('GET', routes.user, {
      token: aliceToken,
      headers: { 'frontegg-tenant-id': other },
    });
    expect(cross.status).toBe(403);
  });

  it('access-token routes reuse the same permissions', async () => {
    await setConfiguration(h, { machineToMachineAuthStrategy: 'AccessToken' });
    try {
      const allowed = await userWith('fe.secure.write.tenantApiTokens');
      const path = '/identity/resources/tenants/access-tokens/v1';
      expect((await h.call('POST', path, { token: allowed.token })).status).toBe(201);
      const denied = await userWith('fe.secure.write.userApiTokens');
      expect((await h.call('POST', path, { token: denied.token })).status).toBe(403);
      expect(
        (
          await h.call('POST', '/identity/resources/users/access-tokens/v1', {
            token: denied.token,
          })
        ).status,
      ).toBe(201);
    } finally {
      await setConfiguration(h, { machineToMachineAuthStrategy: 'ClientCredentials' });
    }
  });

  it('user tokens cannot use vendor-only management routes', async () => {
    const user = await userWith('fe.secure.write.tenantApiTokens');
    const answer = await h.call('GET', '/identity/resources/configurations/v1', {
      token: user.token,
    });
    expect(answer.status).toBe(403);
  });
});
