import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTenant,
  createTenantApiToken,
  createUser,
  setConfiguration,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local webhook receiver; `failures[path]` answers 500 that many times first. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  failures: Record<string, number>;
  server: Server;
}> {
  const received: Received[] = [];
  const failures: Record<string, number> = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if ((failures[path] ?? 0) > 0) {
        failures[path]! -= 1;
        res.writeHead(500).end();
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    failures,
    server,
  };
}

function verifyStandardSignature(secret: string, received: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = received.headers['webhook-id'] as string;
  const timestamp = received.headers['webhook-timestamp'] as string;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${received.body}`).digest();
  const [version, signature] = (received.headers['webhook-signature'] as string).split(',');
  const actual = Buffer.from(signature ?? '', 'base64');
  return version === 'v1' && actual.length === expected.length && timingSafeEqual(actual, expected);
}

const FRONTEGG_KEYS = [
  'frontegg.tenantApiToken.deleted',
  'frontegg.userApiToken.deleted',
  'frontegg.user.deleted',
  'frontegg.user.removedFromTenant',
  'frontegg.user.updated',
  'frontegg.tenant.deleted',
];
const PORTCULLIS_KEYS = ['m2m.disabled', 'm2m.enabled', 'm2m.strategy.changed', 'token.revoked'];

describe('webhooks', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const standardSecret = `whsec_${randomBytes(32).toString('base64')}`;

  beforeAll(async () => {
    h = await startHarness({ webhooks: { retryBaseDelayMs: 5, maxAttempts: 3, timeoutMs: 2000 } });
    receiver = await startReceiver();
    const plain = await h.vendor('POST', '/webhook/custom', {
      body: {
        displayName: 'plain',
        url: `${receiver.url}/plain`,
        secret: 'plain-secret',
        eventKeys: FRONTEGG_KEYS,
        isActive: true,
      },
    });
    expect(plain.status).toBe(201);
    const standard = await h.vendor('POST', '/webhook/custom', {
      body: {
        displayName: 'standard',
        url: `${receiver.url}/standard`,
        secret: 'standard-secret',
        eventKeys: [...FRONTEGG_KEYS, ...PORTCULLIS_KEYS],
        isActive: true,
        standardWebhooksSecret: standardSecret,
      },
    });
    expect(standard.status).toBe(201);
    const inactive = await h.vendor('POST', '/webhook/custom', {
      body: {
        displayName: 'off',
        url: `${receiver.url}/off`,
        secret: 's',
        eventKeys: FRONTEGG_KEYS,
        isActive: false,
      },
    });
    expect(inactive.status).toBe(201);
  });
  afterAll(async () => {
    await h.emu.close();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  async function flushed(): Promise<Received[]> {
    expect((await h.vendor('POST', '/_emulator/webhooks/flush')).status).toBe(200);
    return receiver.received.splice(0);
  }

  it('delivers API-token deletion with an x-webhook-secret JWT and, when configured, Standard Webhooks headers', async () => {
    await flushed();
    const tenantId = await createTenant(h);
    const credentials = await createTenantApiToken(h, tenantId);
    await h.vendor('DELETE', `/identity/resources/tenants/api-tokens/v1/${credentials.clientId}`, {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    const deliveries = await flushed();
    expect(deliveries.map((d) => d.path).sort()).toEqual(['/plain', '/standard']);
    for (const delivery of deliveries) {
      const secret = delivery.path === '/plain' ? 'plain-secret' : 'standard-secret';
      const { payload, protectedHeader } = await jwtVerify(
        delivery.headers['x-webhook-secret'] as string,
        new TextEncoder().encode(secret),
      );
      expect(protectedHeader.alg).toBe('HS256');
      expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
      expect(JSON.parse(delivery.body)).toEqual({
        eventKey: 'frontegg.tenantApiToken.deleted',
        eventContext: { tenantId },
        apiToken: { clientId: credentials.clientId, tenantId },
      });
    }
    const plain = deliveries.find((d) => d.path === '/plain')!;
    expect(plain.headers['webhook-signature']).toBeUndefined();
    const standard = deliveries.find((d) => d.path === '/standard')!;
    expect(verifyStandardSignature(standardSecret, standard)).toBe(true);
    // A signature under another key does not verify.
    expect(verifyStandardSignature(`whsec_${randomBytes(32).toString('base64')}`, standard)).toBe(
      false,
    );
  });

  it('sends the personal token deletion with userId, and user/tenant lifecycle events', async () => {
    await flushed();
    const tenantId = await createTenant(h);
    const user = await createUser(h, tenantId);
    const personal = await h.vendor('POST', '/identity/resources/users/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': user.id },
    });
    await h.vendor('DELETE', `/identity/resources/users/api-tokens/v1/${personal.body.clientId}`, {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': user.id },
    });
    await h.vendor('PUT', `/identity/resources/users/v1/${user.id}`, { body: { isLocked: true } });
    await h.vendor('DELETE', `/identity/resources/users/v1/${user.id}`, {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    await h.vendor('DELETE', `/identity/resources/users/v1/${user.id}`);
    await h.vendor('DELETE', `/tenants/resources/tenants/v1/${tenantId}`);

    // Deliveries run concurrently: compare by event key, not arrival order.
    const bodies = (await flushed())
      .filter((d) => d.path === '/plain')
      .map((d) => JSON.parse(d.body));
    const byKey = Object.fromEntries(bodies.map((b) => [b.eventKey, b]));
    expect(Object.keys(byKey).sort()).toEqual([
      'frontegg.tenant.deleted',
      'frontegg.user.deleted',
      'frontegg.user.removedFromTenant',
      'frontegg.user.updated',
      'frontegg.userApiToken.deleted',
    ]);
    expect(bodies).toHaveLength(5);
    expect(byKey['frontegg.userApiToken.deleted']).toMatchObject({
      eventContext: { tenantId, userId: user.id },
      apiToken: {
        clientId: personal.body.clientId,
        tenantId,
        userId: user.id,
        createdByUserId: user.id,
      },
    });
    expect(byKey['frontegg.user.updated'].user).toMatchObject({
      id: user.id,
      isLocked: true,
      email: user.email,
    });
    expect(byKey['frontegg.user.removedFromTenant']).toMatchObject({
      eventContext: { tenantId, userId: user.id },
    });
    expect(byKey['frontegg.user.deleted']).toMatchObject({
      eventContext: { userId: user.id },
      user: { id: user.id },
    });
    expect(byKey['frontegg.tenant.deleted']).toMatchObject({ eventContext: { tenantId } });
  });

  it('sends Portcullis keys only to hooks with a Standard Webhooks secret, as {type, timestamp, data}', async () => {
    await flushed();
    await setConfiguration(h, { apiTokensEnabled: false });
    await setConfiguration(h, {
      apiTokensEnabled: true,
      machineToMachineAuthStrategy: 'AccessToken',
    });
    const tenantId = await createTenant(h);
    const access = await h.vendor('POST', '/identity/resources/tenants/access-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    await h.vendor('DELETE', `/identity/resources/tenants/access-tokens/v1/${access.body.id}`, {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    await setConfiguration(h, { machineToMachineAuthStrategy: 'ClientCredentials' });

    const deliveries = await flushed();
    expect(deliveries.every((d) => d.path === '/standard')).toBe(true);
    for (const delivery of deliveries)
      expect(verifyStandardSignature(standardSecret, delivery)).toBe(true);
    const bodies = deliveries.map((d) => JSON.parse(d.body));
    expect(bodies.map((b) => b.type).sort()).toEqual([
      'm2m.disabled',
      'm2m.enabled',
      'm2m.strategy.changed',
      'm2m.strategy.changed',
      'token.revoked',
    ]);
    const strategies = bodies.filter((b) => b.type === 'm2m.strategy.changed');
    expect(strategies.map((b) => b.data.acceptedCredentials[0]).sort()).toEqual([
      'access_token',
      'client_credentials',
    ]);
    expect(bodies.find((b) => b.type === 'token.revoked').data).toEqual({
      tokenId: access.body.id,
      tenantId,
    });
    for (const body of bodies) expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  });

  it('retries non-2xx with backoff and records every attempt in the delivery log', async () => {
    await flushed();
    receiver.failures['/plain'] = 2;
    receiver.failures['/standard'] = 5; // more than maxAttempts (3): gives up
    const tenantId = await createTenant(h);
    await h.vendor('DELETE', `/tenants/resources/tenants/v1/${tenantId}`);
    const deliveries = await flushed();
    expect(deliveries.filter((d) => d.path === '/plain')).toHaveLength(3);
    expect(deliveries.filter((d) => d.path === '/standard')).toHaveLength(3);
    // Every retry keeps the same webhook-id (receivers deduplicate on it).
    expect(
      new Set(deliveries.filter((d) => d.path === '/standard').map((d) => d.headers['webhook-id']))
        .size,
    ).toBe(1);

    const hooks = await h.vendor('GET', '/webhook');
    const plainHook = hooks.body.find(
      (hook: { displayName: string }) => hook.displayName === 'plain',
    );
    const logs = await h.vendor('GET', `/webhook/${plainHook._id}/logs`);
    const last = logs.body.logs.at(-1);
    expect(last).toMatchObject({ eventKey: 'frontegg.tenant.deleted', status: 'delivered' });
    expect(last.attempts.map((a: { status: number }) => a.status)).toEqual([500, 500, 204]);
    const all = await h.vendor('GET', '/_emulator/webhook-logs');
    const failed = all.body.logs.filter((entry: { status: string }) => entry.status === 'failed');
    expect(failed.at(-1).attempts).toHaveLength(3);
    delete receiver.failures['/standard'];
  });

  it('switches: deletion bodies without a client id, and dropped (lost) deliveries', async () => {
    await flushed();
    const tenantId = await createTenant(h);
    const first = await createTenantApiToken(h, tenantId);
    const second = await createTenantApiToken(h, tenantId);
    const on = await h.vendor('POST', '/_emulator/webhooks/switches', {
      body: { omitClientId: true },
    });
    expect(on.body).toEqual({ omitClientId: true, dropDeliveries: false });
    await h.vendor('DELETE', `/identity/resources/tenants/api-tokens/v1/${first.clientId}`, {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    const unnamed = await flushed();
    expect(unnamed).toHaveLength(2);
    for (const delivery of unnamed) {
      expect(JSON.parse(delivery.body)).toEqual({
        eventKey: 'frontegg.tenantApiToken.deleted',
        eventContext: { tenantId },
      });
    }

    await h.vendor('POST', '/_emulator/webhooks/switches', {
      body: { omitClientId: false, dropDeliveries: true },
    });
    await h.vendor('DELETE', `/identity/resources/tenants/api-tokens/v1/${second.clientId}`, {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    expect(await flushed()).toEqual([]);
    const all = await h.vendor('GET', '/_emulator/webhook-logs');
    const dropped = all.body.logs.filter((entry: { status: string }) => entry.status === 'dropped');
    expect(dropped).toHaveLength(2);
    expect(dropped[0].attempts).toEqual([]);
    expect(JSON.parse(dropped[0].body).apiToken.clientId).toBe(second.clientId);

    const off = await h.vendor('POST', '/_emulator/webhooks/switches', {
      body: { dropDeliveries: false },
    });
    expect(off.body).toEqual({ omitClientId: false, dropDeliveries: false });
    const bad = await h.vendor('POST', '/_emulator/webhooks/switches', { body: { retry: true } });
    expect(bad.status).toBe(400);
  });

  it('validates registrations, lists hooks without secrets and deletes them', async () => {
    const base = { displayName: 'x', url: `${receiver.url}/x`, secret: 's' };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, eventKeys: ['m2m.disabled'] }, /requires standardWebhooksSecret/],
      [
        { ...base, eventKeys: ['frontegg.user.deleted'], standardWebhooksSecret: 'whsec_short' },
        /standardWebhooksSecret/,
      ],
      [{ ...base, eventKeys: ['nope'] }, /Unknown eventKey nope/],
      [{ ...base, eventKeys: [] }, /eventKeys/],
      [{ ...base, url: 'ftp://x', eventKeys: ['frontegg.user.deleted'] }, /url/],
      [
        { displayName: 'x', url: `${receiver.url}/x`, eventKeys: ['frontegg.user.deleted'] },
        /secret/,
      ],
    ];
    for (const [body, message] of cases) {
      const answer = await h.vendor('POST', '/webhook/custom', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.errors[0]).toMatch(message);
    }
    const hooks = await h.vendor('GET', '/webhook');
    expect(hooks.body.length).toBeGreaterThanOrEqual(3);
    for (const hook of hooks.body) {
      expect(hook.secret).toBeUndefined();
      expect(hook.standardWebhooksSecret).toBeUndefined();
    }
    const off = hooks.body.find((hook: { displayName: string }) => hook.displayName === 'off');
    const patched = await h.vendor('PATCH', `/webhook/${off._id}`, {
      body: { description: 'patched' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      description: 'patched',
      isActive: false,
      displayName: 'off',
    });
    const badPatch = await h.vendor('PATCH', `/webhook/${off._id}`, {
      body: { eventKeys: ['m2m.enabled'] },
    });
    expect(badPatch.status).toBe(400);
    expect((await h.vendor('DELETE', `/webhook/${off._id}`)).status).toBe(200);
    expect((await h.vendor('DELETE', `/webhook/${off._id}`)).status).toBe(404);
    expect(receiver.received.some((d) => d.path === '/off')).toBe(false);
  });
});
