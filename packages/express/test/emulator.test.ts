/**
 * End to end against the Frontegg emulator, through the example app (examples/app.js): create an
 * API token → call → guards → delete it → the Frontegg webhook reaches the app's webhook route →
 * the next call is 401; IdP outage → 503.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, frontegg } from '@portcullis/core';
import type { Authenticator } from '@portcullis/core';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import { createOrdersApp } from '../examples/app.js';
import { basic, serve } from './support/harness.js';
import type { Served } from './support/harness.js';

const HOOK_SECRET = `hook-${randomUUID()}`;

let emu: RunningEmulator;
let vendorToken: string;
let authenticator: Authenticator;
let app: Served;
let tenantId: string;
let otherTenantId: string;
let readPermissionId: string;

async function emulator(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<any> {
  const response = await fetch(`${emu.url}${path}`, {
    method,
    headers: {
      'x-access-token': vendorToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) {
    throw new Error(`emulator ${method} ${path} → ${response.status} ${text}`);
  }
  return text === '' ? undefined : JSON.parse(text);
}

async function createApiToken(
  permissionIds: string[],
): Promise<{ clientId: string; secret: string }> {
  return emulator(
    'POST',
    '/identity/resources/tenants/api-tokens/v1',
    { description: 'orders client', permissionIds },
    { 'frontegg-tenant-id': tenantId },
  );
}

beforeAll(async () => {
  emu = await startEmulator({
    logger: () => {},
    webhooks: { retryBaseDelayMs: 20, maxAttempts: 3 },
  });
  const auth = await fetch(`${emu.url}/auth/vendor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: emu.vendor.clientId, secret: emu.vendor.secret }),
  });
  vendorToken = ((await auth.json()) as { token: string }).token;

  authenticator = createAuthenticator({
    provider: frontegg({
      baseUrl: emu.url,
      clientId: emu.vendor.clientId,
      apiKey: emu.vendor.secret,
      appUrl: emu.appUrl,
      webhookSecrets: [HOOK_SECRET],
    }),
    policy: { syncIntervalMs: 3_600_000 },
  });
  await authenticator.ready();
  app = await serve(createOrdersApp(authenticator));

  await emulator('POST', '/webhook/custom', {
    displayName: 'orders example',
    url: `${app.url}/webhooks/frontegg`,
    secret: HOOK_SECRET,
    eventKeys: ['frontegg.tenantApiToken.deleted'],
    isActive: true,
  });
  tenantId = `t-${randomUUID()}`;
  otherTenantId = `t-${randomUUID()}`;
  await emulator('POST', '/tenants/resources/tenants/v1', { tenantId, name: 'Acme' });
  await emulator('POST', '/tenants/resources/tenants/v1', {
    tenantId: otherTenantId,
    name: 'Other',
  });
  const created = await emulator('POST', '/identity/resources/permissions/v1', {
    key: 'orders:read',
  });
  readPermissionId = (Array.isArray(created) ? created[0] : created).id;
});

afterAll(async () => {
  await app?.close();
  await authenticator?.close();
  await emu?.close();
});

describe('the example app against the emulator', () => {
  it('challenges an anonymous call with the Bearer and Basic challenges of its realm', async () => {
    const res = await request(app.server).get('/api/whoami');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="orders", Basic realm="orders"');
  });

  it('lets an API token read its own tenant, and nothing else', async () => {
    const token = await createApiToken([readPermissionId]);
    const who = await request(app.server)
      .get('/api/whoami')
      .set('Authorization', basic(token.clientId, token.secret));
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({
      clientId: token.clientId,
      tenantId,
      ownerKind: 'tenant',
      credential: 'client_credentials',
      permissions: ['orders:read'],
    });

    const own = await request(app.server)
      .get(`/api/tenants/${tenantId}/orders`)
      .set('Authorization', basic(token.clientId, token.secret));
    expect(own.status).toBe(200);
    const other = await request(app.server)
      .get(`/api/tenants/${otherTenantId}/orders`)
      .set('Authorization', basic(token.clientId, token.secret));
    expect(other.status).toBe(403);
    expect(other.body.error).toBe('insufficient_scope');
    const write = await request(app.server)
      .post(`/api/tenants/${tenantId}/orders`)
      .set('Authorization', basic(token.clientId, token.secret))
      .send({ item: 'x' });
    expect(write.status).toBe(403);
    expect(write.body.error_description).toContain('orders:write');
  });

  it('refuses a deleted token on the next call once the Frontegg webhook reached the app', async () => {
    const token = await createApiToken([readPermissionId]);
    const exchanged = await fetch(`${emu.url}/identity/resources/auth/v2/api-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: token.clientId, secret: token.secret }),
    });
    const { access_token: jwt } = (await exchanged.json()) as { access_token: string };
    const before = await request(app.server)
      .get('/api/whoami')
      .set('Authorization', `Bearer ${jwt}`);
    expect(before.status).toBe(200);

    await emulator(
      'DELETE',
      `/identity/resources/tenants/api-tokens/v1/${token.clientId}`,
      undefined,
      {
        'frontegg-tenant-id': tenantId,
      },
    );
    await emulator('POST', '/_emulator/webhooks/flush');
    const logs = await emulator('GET', '/_emulator/webhook-logs');
    expect(JSON.stringify(logs)).toContain('tenantApiToken.deleted');

    // The JWT still verifies offline and the cache TTL has not passed: only the webhook can refuse it.
    const after = await request(app.server)
      .get('/api/whoami')
      .set('Authorization', `Bearer ${jwt}`);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: 'invalid_token', code: 'ERR_TOKEN_REVOKED' });
  });

  it('answers 503 with Retry-After while the emulator is failing, and recovers', async () => {
    const token = await createApiToken([readPermissionId]);
    await emulator('POST', '/_emulator/faults', { group: 'exchange', mode: '5xx' });
    try {
      const res = await request(app.server)
        .get('/api/whoami')
        .set('Authorization', basic(token.clientId, token.secret));
      expect(res.status).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await emulator('DELETE', '/_emulator/faults');
    }
    const res = await request(app.server)
      .get('/api/whoami')
      .set('Authorization', basic(token.clientId, token.secret));
    expect(res.status).toBe(200);
  });
});
