import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTenant,
  createTenantApiToken,
  createUser,
  exchange,
  setConfiguration,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

const DISABLED = { errors: ['Api tokens are disabled'] };

describe('disable / enable and the strategy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.emu.close());

  it('disabled: exchange, refresh, vendor-only and creation answer 403; introspection inactive; re-enable restores', async () => {
    const tenantId = await createTenant(h);
    const credentials = await createTenantApiToken(h, tenantId);
    const first = await exchange(h, credentials);
    const jwt = first.body.accessToken;

    await setConfiguration(h, { apiTokensEnabled: false });
    const config = await h.vendor('GET', '/identity/resources/configurations/v1');
    expect(config.body.apiTokensEnabled).toBe(false);

    const refused = await exchange(h, credentials);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(DISABLED);
    const v2 = await h.call('POST', '/identity/resources/auth/v2/api-token', { body: credentials });
    expect(v2.body).toEqual(DISABLED);
    const refresh = await h.call('POST', '/identity/resources/auth/v1/api-token/token/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(refresh.status).toBe(403);
    for (const kind of ['tenants', 'users']) {
      const active = await h.vendor(
        'GET',
        `/identity/resources/vendor-only/${kind}/access-tokens/v1/active`,
      );
      expect(active.status).toBe(403);
      expect(active.body).toEqual(DISABLED);
      const one = await h.vendor(
        'GET',
        `/identity/resources/vendor-only/${kind}/access-tokens/v1/x`,
      );
      expect(one.body).toEqual(DISABLED);
    }
    const create = await h.vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    expect(create.status).toBe(403);
    expect(create.body).toEqual(DISABLED);
    const introspection = await h.call('POST', '/oauth/introspect', {
      token: h.vendorToken,
      form: { token: jwt },
    });
    expect(introspection.body).toEqual({ active: false });

    await setConfiguration(h, { apiTokensEnabled: true });
    expect((await exchange(h, credentials)).status).toBe(200);
    const again = await h.call('POST', '/oauth/introspect', {
      token: h.vendorToken,
      form: { token: jwt },
    });
    expect(again.body.active).toBe(true);
  });

  it('ClientCredentials allows only API tokens; AccessToken allows only access tokens; existing ones keep working', async () => {
    const tenantId = await createTenant(h);
    const user = await createUser(h, tenantId);
    const headers = { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': user.id };
    const credentials = await createTenantApiToken(h, tenantId);

    for (const path of [
      '/identity/resources/tenants/access-tokens/v1',
      '/identity/resources/users/access-tokens/v1',
    ]) {
      const refused = await h.vendor('POST', path, { headers });
      expect(refused.status).toBe(403);
      expect(refused.body.errors[0]).toMatch(/Access tokens cannot be created.*ClientCredentials/);
    }

    await setConfiguration(h, { machineToMachineAuthStrategy: 'AccessToken' });
    try {
      for (const path of [
        '/identity/resources/tenants/api-tokens/v1',
        '/identity/resources/users/api-tokens/v1',
      ]) {
        const refused = await h.vendor('POST', path, { headers });
        expect(refused.status).toBe(403);
        expect(refused.body.errors[0]).toMatch(/API tokens .* cannot be created.*AccessToken/);
      }
      expect(
        (await h.vendor('POST', '/identity/resources/tenants/access-tokens/v1', { headers }))
          .status,
      ).toBe(201);
      expect((await exchange(h, credentials)).status).toBe(200);
    } finally {
      await setConfiguration(h, { machineToMachineAuthStrategy: 'ClientCredentials' });
    }
  });
});
