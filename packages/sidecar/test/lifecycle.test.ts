import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createAuthenticator } from '@portcullis/core';
import type { Authenticator } from '@portcullis/core';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/logging/logger.js';
import { startSidecar } from '../src/sidecar.js';
import type { RunningSidecar } from '../src/sidecar.js';
import { bearer, rawRequest } from './helpers/http.js';
import { tableProvider } from './helpers/table-provider.js';
import { startUpstream } from './helpers/upstream.js';
import type { EchoBody, RunningUpstream } from './helpers/upstream.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function start(env: Record<string, string>): Promise<RunningSidecar> {
  const config = loadConfig({
    PORTCULLIS_PROVIDER: 'oauth2',
    PORTCULLIS_ISSUER: 'http://127.0.0.1:1/',
    PORTCULLIS_LISTEN: '127.0.0.1:0',
    PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
    ...env,
  });
  const authenticator: Authenticator = createAuthenticator({
    provider: tableProvider(),
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
  });
  const sidecar = await startSidecar(config, { authenticator, logger: createLogger('silent') });
  cleanups.push(async () => {
    await sidecar.close();
    await authenticator.close();
  });
  return sidecar;
}

async function upstream(): Promise<RunningUpstream> {
  const running = await startUpstream();
  cleanups.push(() => running.close());
  return running;
}

describe('readiness with Redis unreachable', () => {
  it('is ready but degraded, with the sidecar building its own authenticator', async () => {
    const config = loadConfig({
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_ISSUER: 'http://127.0.0.1:1/',
      PORTCULLIS_LISTEN: '127.0.0.1:0',
      PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
      PORTCULLIS_REDIS_URL: 'redis://127.0.0.1:1',
      PORTCULLIS_REDIS_KEY_PREFIX: `portcullis-test-${process.pid}:`,
    });
    const sidecar = await startSidecar(config, { logger: createLogger('silent') });
    cleanups.push(() => sidecar.close());
    const ready = await rawRequest(sidecar.adminUrl, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'degraded' });
  });
});

describe('upstream unreachable', () => {
  it('answers 502', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const sidecar = await start({ PORTCULLIS_UPSTREAM: `http://127.0.0.1:${port}` });
    const res = await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('reader-token')] });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_gateway' });
  });
});

describe('drain', () => {
  it('finishes in-flight requests, reports not ready, then stops accepting', async () => {
    const up = await upstream();
    const sidecar = await start({ PORTCULLIS_UPSTREAM: up.url, PORTCULLIS_DRAIN_MS: '10000' });
    const inFlight = Array.from({ length: 5 }, () =>
      rawRequest(sidecar.mainUrl, '/slow?ms=400', { headers: [bearer('reader-token')] }),
    );
    // Wait until the upstream has all five, so they are truly in flight.
    const deadline = Date.now() + 5000;
    while (up.seen.filter((s) => s.startsWith('/slow')).length < 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const draining = sidecar.drain();
    const ready = await rawRequest(sidecar.adminUrl, '/readyz');
    const results = await Promise.all(inFlight);
    await draining;
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.every((r) => r.body === 'slow ok')).toBe(true);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).reasons).toContain('draining');
    await expect(
      rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('reader-token')] }),
    ).rejects.toThrow();
  });
});

describe('abuse limit and trusted proxies', () => {
  it('answers 429 + Retry-After after N failures from one client, per client address', async () => {
    const up = await upstream();
    const sidecar = await start({
      PORTCULLIS_UPSTREAM: up.url,
      PORTCULLIS_FAILED_AUTH_LIMIT: '3',
      PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32',
    });
    const from = (ip: string): [string, string] => ['X-Forwarded-For', ip];
    for (let i = 0; i < 3; i++) {
      expect(
        (await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('bad'), from('10.1.1.1')] }))
          .status,
      ).toBe(401);
    }
    const limited = await rawRequest(sidecar.mainUrl, '/x', {
      headers: [bearer('reader-token'), from('10.1.1.1')],
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another client behind the same trusted proxy is unaffected, and its address is forwarded.
    const other = await rawRequest(sidecar.mainUrl, '/x', {
      headers: [bearer('reader-token'), from('10.2.2.2')],
    });
    expect(other.status).toBe(200);
    const seen = JSON.parse(other.body) as EchoBody;
    expect(seen.headers['x-forwarded-for']).toBe('10.2.2.2, 127.0.0.1');
  });

  it('charges cache misses (IdP verifications) to the client too', async () => {
    const up = await upstream();
    const sidecar = await start({ PORTCULLIS_UPSTREAM: up.url, PORTCULLIS_FAILED_AUTH_LIMIT: '3' });
    const basicHeader: [string, string] = [
      'Authorization',
      `Basic ${Buffer.from('svc-basic:basic-secret').toString('base64')}`,
    ];
    // Three distinct credentials: three misses, all allowed.
    for (const header of [bearer('reader-token'), bearer('admin-token'), basicHeader]) {
      expect((await rawRequest(sidecar.mainUrl, '/x', { headers: [header] })).status).toBe(200);
    }
    // The budget is spent: even a cached credential is refused for the rest of the window.
    const limited = await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('reader-token')] });
    expect(limited.status).toBe(429);
  });

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    const up = await upstream();
    const sidecar = await start({ PORTCULLIS_UPSTREAM: up.url, PORTCULLIS_FAILED_AUTH_LIMIT: '2' });
    for (let i = 0; i < 2; i++) {
      await rawRequest(sidecar.mainUrl, '/x', {
        headers: [bearer('bad'), ['X-Forwarded-For', `10.0.0.${i}`]],
      });
    }
    // Both failures counted against the real peer despite different claimed addresses.
    const res = await rawRequest(sidecar.mainUrl, '/x', {
      headers: [bearer('reader-token'), ['X-Forwarded-For', '10.9.9.9']],
    });
    expect(res.status).toBe(429);
  });

  it('webhook allow-list refuses other sources', async () => {
    const sidecar = await start({ PORTCULLIS_WEBHOOK_ALLOW_IPS: '10.0.0.0/8' });
    const res = await rawRequest(sidecar.mainUrl, '/.portcullis/webhooks/standard', {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'ERR_WEBHOOK_SOURCE_FORBIDDEN' });
  });
});

describe('signed identity JWT', () => {
  it('adds a verifiable ES256 x-portcullis-identity and serves its JWKS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-jwt-'));
    const keyFile = join(dir, 'identity.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const up = await upstream();
    const sidecar = await start({
      PORTCULLIS_UPSTREAM: up.url,
      PORTCULLIS_IDENTITY_JWT_KEY_FILE: keyFile,
    });
    const res = await rawRequest(sidecar.mainUrl, '/x', {
      headers: [bearer('reader-token'), ['X-Portcullis-Identity', 'forged']],
    });
    const token = (JSON.parse(res.body) as EchoBody).headers['x-portcullis-identity'] as string;
    expect(token).not.toBe('forged');
    const jwks = JSON.parse((await rawRequest(sidecar.adminUrl, '/.well-known/jwks.json')).body);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: 'portcullis',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBe(jwks.keys[0].kid);
    expect(payload).toMatchObject({
      sub: 'svc-reader',
      tenant_id: 'acme',
      permissions: ['orders:read'],
    });
    expect(payload.exp! - payload.iat!).toBe(60);
  });
});

describe('smaller contracts', () => {
  it('forwards credentials only when configured', async () => {
    const up = await upstream();
    const sidecar = await start({
      PORTCULLIS_UPSTREAM: up.url,
      PORTCULLIS_FORWARD_CREDENTIALS: 'true',
    });
    const res = await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('reader-token')] });
    expect((JSON.parse(res.body) as EchoBody).headers.authorization).toBe('Bearer reader-token');
  });

  it('serves forward-auth in proxy mode too, without proxying it', async () => {
    const up = await upstream();
    const sidecar = await start({ PORTCULLIS_UPSTREAM: up.url });
    const res = await rawRequest(sidecar.mainUrl, '/.portcullis/verify', {
      headers: [
        bearer('reader-token'),
        ['X-Original-URL', 'http://a/x'],
        ['X-Original-Method', 'GET'],
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-portcullis-subject']).toBe('svc-reader');
    expect(up.seen).toEqual([]);
  });

  it('webhooks: 405 for GET, 413 for an oversized body', async () => {
    const sidecar = await start({});
    const get = await rawRequest(sidecar.mainUrl, '/.portcullis/webhooks/standard');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const big = await rawRequest(sidecar.mainUrl, '/.portcullis/webhooks/standard', {
      method: 'POST',
      body: Buffer.alloc(70_000, 0x61),
    });
    expect(big.status).toBe(413);
  });

  it('operator flush and invalidate; the API is off without a token', async () => {
    const token = 'admin-token-for-tests-0123';
    const sidecar = await start({ PORTCULLIS_ADMIN_TOKEN: token });
    const auth = bearer(token);
    expect(
      (await rawRequest(sidecar.adminUrl, '/v1/flush', { method: 'POST', headers: [auth] })).status,
    ).toBe(200);
    const invalidate = await rawRequest(sidecar.adminUrl, '/v1/invalidate', {
      method: 'POST',
      headers: [auth],
      body: '{"tenantId":"acme"}',
    });
    expect(invalidate.status).toBe(200);
    expect(JSON.parse(invalidate.body)).toMatchObject({
      ok: true,
      action: 'invalidate',
      selector: { tenantId: 'acme' },
    });
    const metrics = (await rawRequest(sidecar.adminUrl, '/metrics')).body;
    expect(metrics).toMatch(/portcullis_revocations_total\{action="flush",source="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(
      /portcullis_revocations_total\{action="invalidate",source="[^"]+"\} [1-9]/,
    );
    const off = await start({});
    expect((await rawRequest(off.adminUrl, '/v1/policy', { headers: [auth] })).status).toBe(404);
  });
});
