import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index.js';
import { call, createTenant, createTenantApiToken, exchange, startHarness } from './helpers.js';

describe('state file and seed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-emulator-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('survives a restart: credentials, keys, configuration; secrets stored hashed', async () => {
    const statePath = join(dir, 'state.json');
    const first = await startHarness({ statePath });
    const tenantId = await createTenant(first);
    const credentials = await createTenantApiToken(first, tenantId);
    await first.vendor('POST', '/identity/resources/configurations/v1', {
      body: { defaultTokenExpiration: 900 },
    });
    const jwksBefore = (await first.call('GET', '/.well-known/jwks.json')).body;
    const vendor = first.emu.vendor;
    const audience = first.emu.audience;
    await first.emu.close();

    const saved = readFileSync(statePath, 'utf8');
    expect(saved).not.toContain(credentials.secret);
    expect(saved).toContain(credentials.clientId);
    expect(statSync(statePath).mode & 0o777).toBe(0o600);

    const second = await startHarness({ statePath });
    try {
      expect(second.emu.vendor).toEqual(vendor);
      expect(second.emu.audience).toBe(audience);
      expect((await second.call('GET', '/.well-known/jwks.json')).body).toEqual(jwksBefore);
      const answer = await exchange(second, credentials);
      expect(answer.status).toBe(200);
      expect(answer.body.expiresIn).toBe(900);
    } finally {
      await second.emu.close();
    }
  });

  it('applies a seed to a fresh state: fixed vendor and API-token credentials, roles by key', async () => {
    const emu = await startEmulator({
      logger: () => {},
      seed: {
        vendor: { clientId: 'seed-vendor', secret: 'seed-secret' },
        appId: 'seed-app',
        permissions: [{ key: 'orders.read' }],
        roles: [{ key: 'reader', permissionKeys: ['orders.read'] }],
        tenants: [{ tenantId: 'acme', name: 'Acme' }],
        users: [
          {
            email: 'dev@acme.test',
            password: 'pw',
            tenants: [{ tenantId: 'acme', roleKeys: ['reader'] }],
          },
        ],
        apiTokens: [
          {
            kind: 'tenant',
            tenantId: 'acme',
            clientId: 'fixed-client',
            secret: 'fixed-secret',
            roleKeys: ['reader'],
          },
          {
            kind: 'user',
            tenantId: 'acme',
            userEmail: 'dev@acme.test',
            clientId: 'user-client',
            secret: 'user-secret',
          },
        ],
      },
    });
    try {
      expect(emu.vendor).toEqual({ clientId: 'seed-vendor', secret: 'seed-secret' });
      expect(emu.audience).toBe('seed-app');
      const answer = await call(emu.url, 'POST', '/identity/resources/auth/v1/api-token', {
        body: { clientId: 'fixed-client', secret: 'fixed-secret' },
      });
      expect(answer.status).toBe(200);
      const payload = JSON.parse(
        Buffer.from(answer.body.accessToken.split('.')[1], 'base64url').toString(),
      );
      expect(payload).toMatchObject({
        sub: 'fixed-client',
        tenantId: 'acme',
        roles: ['reader'],
        permissions: ['orders.read'],
      });
      const personal = await call(emu.url, 'POST', '/identity/resources/auth/v2/api-token', {
        body: { clientId: 'user-client', secret: 'user-secret' },
      });
      expect(personal.status).toBe(200);
    } finally {
      await emu.close();
    }
  });

  it('refuses a seed that names unknown things, naming the path', async () => {
    await expect(
      startEmulator({
        logger: () => {},
        seed: { roles: [{ key: 'r', permissionKeys: ['missing'] }] },
      }),
    ).rejects.toThrow(/seed\.roles\[0\]\.permissionKeys/);
  });
});
