/**
 * Frontegg behaviours the emulator follows (frontegg-api-facts.md): webhook JWTs in HS384/HS512 on
 * request (and the preset's receiver takes them), `fe.secure.*` wildcard permissions, the vendor
 * token's 1800 s life, `addRolesToJwt` / `addPermissionsToJwt`, and the app domain on its own port.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, frontegg } from '@portcullis/core';
import { decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  claimsOf,
  createRole,
  createTenant,
  createTenantApiToken,
  createUser,
  exchange,
  login,
  setConfiguration,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(options);
  cleanup.push(() => h.emu.close());
  return h;
}

describe('emulator fidelity', () => {
  it('signs x-webhook-secret with --webhook-alg, and the frontegg receiver accepts HS384 and HS512', async () => {
    for (const alg of ['HS384', 'HS512'] as const) {
      const h = await harness({ webhookAlg: alg, webhooks: { retryBaseDelayMs: 10 } });
      const secret = `hook-${alg}-0123456789abcdef`;
      const authenticator = createAuthenticator({
        provider: frontegg({
          baseUrl: h.emu.url,
          appUrl: h.emu.appUrl,
          clientId: h.emu.vendor.clientId,
          apiKey: h.emu.vendor.secret,
          webhookSecrets: [secret],
        }),
        policy: { syncIntervalMs: 3_600_000 },
      });
      cleanup.push(() => authenticator.close());
      const answers: Array<{ alg: string; status: number }> = [];
      const sink: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const header = String(req.headers['x-webhook-secret']);
          void authenticator.webhooks['frontegg']!.handle({
            headers: req.headers,
            body: Buffer.concat(chunks),
          }).then((answer) => {
            answers.push({ alg: String(decodeProtectedHeader(header).alg), status: answer.status });
            res.writeHead(answer.status).end();
          });
        });
      });
      await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
      cleanup.push(() => new Promise<void>((resolve) => sink.close(() => resolve())));
      const hook = await h.vendor('POST', '/webhook/custom', {
        body: {
          displayName: 'alg',
          url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`,
          secret,
          eventKeys: ['frontegg.tenantApiToken.deleted'],
        },
      });
      expect(hook.status).toBe(201);
      const tenantId = await createTenant(h);
      const token = await createTenantApiToken(h, tenantId);
      await h.vendor('DELETE', `/identity/resources/tenants/api-tokens/v1/${token.clientId}`, {
        headers: { 'frontegg-tenant-id': tenantId },
      });
      await h.vendor('POST', '/_emulator/webhooks/flush');
      expect(answers).toEqual([{ alg, status: 200 }]);
    }
  });

  it('refuses an unknown --webhook-alg', async () => {
    await expect(startHarness({ webhookAlg: 'none' as unknown as 'HS256' })).rejects.toThrow(
      /webhookAlg/,
    );
  });

  it('honours fe.secure.* and fe.secure.read.* wildcard permissions for user tokens', async () => {
    const h = await harness();
    const tenantId = await createTenant(h);
    const everything = await createRole(h, 'all-tokens', []);
    const readOnly = await createRole(h, 'read-tokens', []);
    for (const [roleId, key] of [
      [everything, 'fe.secure.*'],
      [readOnly, 'fe.secure.read.*'],
    ] as const) {
      const created = await h.vendor('POST', '/identity/resources/permissions/v1', {
        body: { key },
      });
      expect(created.status).toBe(201);
      await h.vendor('PUT', `/identity/resources/roles/v1/${roleId}/permissions`, {
        body: { permissionIds: [created.body.id] },
      });
    }
    const admin = await login(h, await createUser(h, tenantId, [everything]), tenantId);
    const reader = await login(h, await createUser(h, tenantId, [readOnly]), tenantId);
    const path = '/identity/resources/tenants/api-tokens/v1';
    expect((await h.call('POST', path, { token: admin, body: {} })).status).toBe(201);
    expect((await h.call('GET', path, { token: reader })).status).toBe(200);
    expect((await h.call('POST', path, { token: reader, body: {} })).status).toBe(403);
  });

  it('issues vendor tokens for 1800 s', async () => {
    const h = await harness();
    const auth = await h.call('POST', '/auth/vendor', { body: h.emu.vendor });
    expect(auth.body.expiresIn).toBe(1800);
    const claims = claimsOf(auth.body.token);
    expect(claims['exp'] - claims['iat']).toBe(1800);
  });

  it('leaves roles and permissions out of JWTs when the vendor configuration says so', async () => {
    const h = await harness();
    const tenantId = await createTenant(h);
    const role = await createRole(h, 'jwt-reader', ['orders.read']);
    const credentials = await createTenantApiToken(h, tenantId, { roleIds: [role] });
    const before = claimsOf((await exchange(h, credentials)).body.accessToken);
    expect(before).toMatchObject({ roles: ['jwt-reader'], permissions: ['orders.read'] });
    await setConfiguration(h, { addRolesToJwt: false });
    const noRoles = claimsOf((await exchange(h, credentials)).body.accessToken);
    expect(noRoles['roles']).toBeUndefined();
    expect(noRoles['permissions']).toEqual(['orders.read']);
    await setConfiguration(h, { addPermissionsToJwt: false });
    const neither = claimsOf((await exchange(h, credentials)).body.accessToken);
    expect(neither['permissions']).toBeUndefined();
    const settings = await h.vendor('GET', '/identity/resources/configurations/v1');
    expect(settings.body).toMatchObject({ addRolesToJwt: false, addPermissionsToJwt: false });
  });

  it('serves the app domain on its own port when asked: iss, JWKS and the exchange move there', async () => {
    const h = await harness({ appPort: 0 });
    expect(h.emu.appUrl).not.toBe(h.emu.url);
    const tenantId = await createTenant(h);
    const credentials = await createTenantApiToken(h, tenantId);
    // Not on the vendor API…
    expect((await exchange(h, credentials)).status).toBe(404);
    expect((await h.call('GET', '/.well-known/jwks.json')).status).toBe(404);
    // …on the app domain.
    const answer = await fetch(`${h.emu.appUrl}/identity/resources/auth/v1/api-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { accessToken: string };
    expect(claimsOf(body.accessToken)).toMatchObject({
      iss: h.emu.appUrl,
      aud: h.emu.vendor.clientId,
    });
    // Vendor routes are not served on the app domain.
    const settings = await fetch(`${h.emu.appUrl}/identity/resources/configurations/v1`, {
      headers: { 'x-access-token': h.vendorToken },
    });
    expect(settings.status).toBe(404);
  });
});
