import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createAuthenticator, signStandardWebhook } from '@portcullis/core';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/logging/logger.js';
import { startSidecar } from '../src/sidecar.js';
import type { RunningSidecar } from '../src/sidecar.js';
import { bearer, rawRequest } from './helpers/http.js';
import { tableProvider } from './helpers/table-provider.js';
import type { TableProvider } from './helpers/table-provider.js';
import { startUpstream } from './helpers/upstream.js';
import type { EchoBody, RunningUpstream } from './helpers/upstream.js';

const ADMIN_TOKEN = 'operator-token-0123456789';
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const RULES = `
routes:
  default: authenticated
  rules:
    - path: /public/**
      public: true
    - path: /admin/**
      permissions: [admin]
    - path: /tenants/{tenantId}/**
      tenant: { pathParam: tenantId }
    - path: /by-header/**
      tenant: { header: x-tenant }
    - path: /blocked/**
      deny: true
`;

let upstream: RunningUpstream;
let sidecar: RunningSidecar;
let provider: TableProvider;

beforeAll(async () => {
  upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-proxy-'));
  writeFileSync(join(dir, 'rules.yaml'), RULES);
  const config = loadConfig({
    PORTCULLIS_CONFIG: join(dir, 'rules.yaml'),
    PORTCULLIS_PROVIDER: 'oauth2',
    PORTCULLIS_ISSUER: 'http://127.0.0.1:1/',
    PORTCULLIS_LISTEN: '127.0.0.1:0',
    PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
    PORTCULLIS_UPSTREAM: upstream.url,
    PORTCULLIS_UPSTREAM_TIMEOUT_MS: '500',
    PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN,
    PORTCULLIS_STANDARD_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PORTCULLIS_LOG_LEVEL: 'silent',
  });
  provider = tableProvider();
  const authenticator = createAuthenticator({
    provider,
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
    webhooks: { standardSecrets: [WEBHOOK_SECRET] },
  });
  sidecar = await startSidecar(config, { authenticator, logger: createLogger('silent') });
});

afterAll(async () => {
  await sidecar?.close();
  await sidecar?.authenticator.close();
  await upstream?.close();
});

const echo = (body: string): EchoBody => JSON.parse(body) as EchoBody;

describe('reverse proxy: authentication', () => {
  it('answers 401 with a Bearer challenge and never reaches the upstream without a credential', async () => {
    const before = upstream.seen.length;
    const res = await rawRequest(sidecar.mainUrl, '/orders');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="portcullis"/);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'ERR_NO_CREDENTIAL' });
    expect(upstream.seen.length).toBe(before);
  });

  it('proxies an authenticated request with identity headers and without the credential', async () => {
    const res = await rawRequest(sidecar.mainUrl, '/orders/1?x=1', {
      headers: [bearer('reader-token')],
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('echo');
    const seen = echo(res.body);
    expect(seen.url).toBe('/orders/1?x=1');
    expect(seen.headers['x-portcullis-subject']).toBe('svc-reader');
    expect(seen.headers['x-portcullis-tenant-id']).toBe('acme');
    expect(seen.headers['x-portcullis-client-id']).toBe('svc-reader');
    expect(seen.headers['x-portcullis-permissions']).toBe('orders:read');
    expect(seen.headers['x-portcullis-credential']).toBe('access_token');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('accepts Basic and X-API-Key; percent-encodes awkward values', async () => {
    const basic = await rawRequest(sidecar.mainUrl, '/x', {
      headers: [
        ['Authorization', `Basic ${Buffer.from('svc-basic:basic-secret').toString('base64')}`],
      ],
    });
    expect(basic.status).toBe(200);
    expect(echo(basic.body).headers['x-portcullis-scopes']).toBe('a%20b,c%2Cd');
    expect(echo(basic.body).headers['x-portcullis-credential']).toBe('client_credentials');
    const apiKey = await rawRequest(sidecar.mainUrl, '/x', {
      headers: [['X-API-Key', 'admin-token']],
    });
    expect(apiKey.status).toBe(200);
    expect(echo(apiKey.body).headers['x-portcullis-subject']).toBe('svc-admin');
    expect(echo(apiKey.body).headers['x-api-key']).toBeUndefined();
  });

  it('rejects bad credentials (401 invalid_token) and two credentials (400)', async () => {
    const bad = await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('nope')] });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
    const two = await rawRequest(sidecar.mainUrl, '/x', {
      headers: [bearer('reader-token'), ['X-API-Key', 'admin-token']],
    });
    expect(two.status).toBe(400);
    const query = await rawRequest(sidecar.mainUrl, '/x?access_token=reader-token');
    expect(query.status).toBe(400);
  });

  it('strips every inbound identity look-alike, any case or underscore spelling', async () => {
    const res = await rawRequest(sidecar.mainUrl, '/x', {
      headers: [
        bearer('reader-token'),
        ['X_Portcullis_Tenant_Id', 'evil'],
        ['x-portcullis-tenant_id', 'evil2'],
        ['X-PORTCULLIS-ROLES', 'admin'],
        ['x-Portcullis-User-Id', 'victim'],
        ['X-Portcullis-Identity', 'forged.jwt.value'],
        ['X-Original-URL', 'http://x/admin'],
        ['X_Forwarded_For', '6.6.6.6'],
        ['X-Forwarded-Host', 'evil.example'],
        ['Forwarded', 'for=6.6.6.6'],
      ],
    });
    expect(res.status).toBe(200);
    const seen = echo(res.body);
    expect(seen.headers['x-portcullis-tenant-id']).toBe('acme');
    expect(seen.headers['x-portcullis-roles']).toBeUndefined();
    expect(seen.headers['x-portcullis-user-id']).toBeUndefined();
    expect(seen.headers['x-portcullis-identity']).toBeUndefined();
    expect(seen.headers['x-original-url']).toBeUndefined();
    expect(seen.headers.forwarded).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-host']).not.toBe('evil.example');
    const names = seen.rawHeaderNames.map((name) => name.toLowerCase().replaceAll('_', '-'));
    expect(names.filter((name) => name === 'x-portcullis-tenant-id')).toHaveLength(1);
    expect(names.filter((name) => name === 'x-forwarded-for')).toHaveLength(1);
  });
});

describe('reverse proxy: route rules and path normalisation', () => {
  it('public routes need no credential; protected ones do', async () => {
    expect((await rawRequest(sidecar.mainUrl, '/public/page')).status).toBe(200);
    expect((await rawRequest(sidecar.mainUrl, '/admin/panel')).status).toBe(401);
    expect(
      (await rawRequest(sidecar.mainUrl, '/admin/panel', { headers: [bearer('reader-token')] }))
        .status,
    ).toBe(403);
    const ok = await rawRequest(sidecar.mainUrl, '/admin/panel', {
      headers: [bearer('admin-token')],
    });
    expect(ok.status).toBe(200);
  });

  it('no bypass attempt reaches a protected route without its requirements', async () => {
    const attempts: Array<[string, number]> = [
      ['/public/..%2fadmin/panel', 400],
      ['/public/..%2Fadmin/panel', 400],
      ['/public/..;/admin/panel', 400],
      ['/public/%2e%2e/admin/panel', 401],
      ['/public/../admin/panel', 401],
      ['//admin/panel', 401],
      ['/public/..%5cadmin/panel', 400],
      ['/PUBLIC/../admin/panel', 401],
      ['/PUBLIC/page', 401],
      ['/public/./../admin', 401],
    ];
    const before = upstream.seen.length;
    for (const [path, status] of attempts) {
      const res = await rawRequest(sidecar.mainUrl, path);
      expect(res.status, path).toBe(status);
    }
    expect(upstream.seen.slice(before)).toEqual([]);
    // With a non-admin credential the normalised path still lands on the admin rule (403).
    const res = await rawRequest(sidecar.mainUrl, '/public/%2e%2e/admin/panel', {
      headers: [bearer('reader-token')],
    });
    expect(res.status).toBe(403);
  });

  it('the upstream receives the normalised path', async () => {
    const res = await rawRequest(sidecar.mainUrl, '/public/a/./b//c/../%7Euser?q=%2F', {});
    expect(res.status).toBe(200);
    expect(echo(res.body).url).toBe('/public/a/b/~user?q=%2F');
  });

  it('binds the tenant from the path and from a header', async () => {
    expect(
      (
        await rawRequest(sidecar.mainUrl, '/tenants/acme/orders', {
          headers: [bearer('reader-token')],
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await rawRequest(sidecar.mainUrl, '/tenants/globex/orders', {
          headers: [bearer('reader-token')],
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await rawRequest(sidecar.mainUrl, '/by-header/x', {
          headers: [bearer('reader-token'), ['X-Tenant', 'acme']],
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await rawRequest(sidecar.mainUrl, '/by-header/x', {
          headers: [bearer('reader-token'), ['X-Tenant', 'globex']],
        })
      ).status,
    ).toBe(403);
    expect(
      (await rawRequest(sidecar.mainUrl, '/by-header/x', { headers: [bearer('reader-token')] }))
        .status,
    ).toBe(403);
  });

  it('deny rules answer 403', async () => {
    expect(
      (await rawRequest(sidecar.mainUrl, '/blocked/x', { headers: [bearer('admin-token')] }))
        .status,
    ).toBe(403);
  });

  it('the reserved prefix is never proxied', async () => {
    const before = upstream.seen.length;
    expect(
      (
        await rawRequest(sidecar.mainUrl, '/.portcullis/anything', {
          headers: [bearer('admin-token')],
        })
      ).status,
    ).toBe(404);
    expect(upstream.seen.length).toBe(before);
  });
});

describe('reverse proxy: upstream faults and streaming', () => {
  it('slow upstream → 504', async () => {
    const res = await rawRequest(sidecar.mainUrl, '/slow?ms=5000', {
      headers: [bearer('reader-token')],
    });
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'gateway_timeout' });
  });

  it('streams an upload body to the upstream', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const res = await rawRequest(sidecar.mainUrl, '/upload', {
      method: 'POST',
      headers: [bearer('reader-token')],
      body,
    });
    expect(res.status).toBe(200);
    expect(echo(res.body).bodyBytes).toBe(body.length);
  });

  it('keeps the upstream connection pooled (keep-alive)', async () => {
    for (let i = 0; i < 3; i++) {
      expect(
        (await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('reader-token')] })).status,
      ).toBe(200);
    }
  });
});

describe('WebSocket', () => {
  it('tunnels an authenticated upgrade and refuses an anonymous one', async () => {
    const ws = new WebSocket(`${sidecar.mainUrl.replace('http', 'ws')}/ws`, {
      headers: { authorization: 'Bearer reader-token' },
    });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hello'));
      ws.on('message', (data) => resolve(String(data)));
      ws.on('error', reject);
    });
    expect(reply).toBe('echo:hello|subject:svc-reader');
    ws.close();
    const anonymous = new WebSocket(`${sidecar.mainUrl.replace('http', 'ws')}/ws`);
    const status = await new Promise<number>((resolve) => {
      anonymous.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      anonymous.on('error', () => resolve(-1));
    });
    expect(status).toBe(401);
  });
});

describe('webhooks and the operator API', () => {
  it('a Standard Webhooks token.revoked makes the next request fail, and is never proxied', async () => {
    const ok = await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('admin-token')] });
    expect(ok.status).toBe(200);
    const body = JSON.stringify({
      type: 'token.revoked',
      timestamp: new Date().toISOString(),
      data: { clientId: 'svc-admin' },
    });
    const id = `msg_${randomBytes(8).toString('hex')}`;
    const ts = Math.floor(Date.now() / 1000);
    const before = upstream.seen.length;
    const hook = await rawRequest(sidecar.mainUrl, '/.portcullis/webhooks/standard', {
      method: 'POST',
      headers: [
        ['content-type', 'application/json'],
        ['webhook-id', id],
        ['webhook-timestamp', String(ts)],
        ['webhook-signature', signStandardWebhook(WEBHOOK_SECRET, id, ts, body)],
      ],
      body,
    });
    expect(hook.status).toBe(200);
    expect(upstream.seen.length).toBe(before);
    const after = await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('admin-token')] });
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body)).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    const forged = await rawRequest(sidecar.mainUrl, '/.portcullis/webhooks/standard', {
      method: 'POST',
      headers: [
        ['webhook-id', 'x'],
        ['webhook-timestamp', String(ts)],
        ['webhook-signature', 'v1,AAAA'],
      ],
      body,
    });
    expect(forged.status).toBe(401);
    expect(
      (
        await rawRequest(sidecar.mainUrl, '/.portcullis/webhooks/nope', {
          method: 'POST',
          body: '{}',
        })
      ).status,
    ).toBe(404);
  });

  it('operator revoke needs the admin token and takes effect', async () => {
    expect(
      (await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('reader-token')] })).status,
    ).toBe(200);
    const denied = await rawRequest(sidecar.adminUrl, '/v1/revoke', {
      method: 'POST',
      body: '{"clientId":"svc-reader"}',
    });
    expect(denied.status).toBe(401);
    const wrong = await rawRequest(sidecar.adminUrl, '/v1/revoke', {
      method: 'POST',
      headers: [bearer('wrong-token-0123456789')],
      body: '{"clientId":"svc-reader"}',
    });
    expect(wrong.status).toBe(401);
    const bad = await rawRequest(sidecar.adminUrl, '/v1/revoke', {
      method: 'POST',
      headers: [bearer(ADMIN_TOKEN)],
      body: '{"colour":"x"}',
    });
    expect(bad.status).toBe(400);
    const res = await rawRequest(sidecar.adminUrl, '/v1/revoke', {
      method: 'POST',
      headers: [bearer(ADMIN_TOKEN)],
      body: '{"clientId":"svc-reader"}',
    });
    expect(res.status).toBe(200);
    expect(
      (await rawRequest(sidecar.mainUrl, '/x', { headers: [bearer('reader-token')] })).status,
    ).toBe(401);
    const tombstones = await rawRequest(sidecar.adminUrl, '/v1/tombstones', {
      headers: [bearer(ADMIN_TOKEN)],
    });
    expect(JSON.parse(tombstones.body).tombstones).toEqual(
      expect.arrayContaining([expect.objectContaining({ selector: { clientId: 'svc-reader' } })]),
    );
    const policy = await rawRequest(sidecar.adminUrl, '/v1/policy', {
      headers: [bearer(ADMIN_TOKEN)],
    });
    expect(JSON.parse(policy.body)).toMatchObject({ enabled: true });
  });

  it('serves health, readiness and metrics', async () => {
    const live = await rawRequest(sidecar.adminUrl, '/healthz');
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toMatchObject({ status: 'ok', components: { policy: {} } });
    const ready = await rawRequest(sidecar.adminUrl, '/readyz');
    expect(ready.status).toBe(200);
    const metrics = await rawRequest(sidecar.adminUrl, '/metrics');
    expect(metrics.status).toBe(200);
    // Read from the authenticator at scrape time: right even when the policy never changed.
    expect(metrics.body).toMatch(/^portcullis_policy_enabled 1$/m);
    expect(metrics.body).toMatch(/^portcullis_tombstone_evictions_total 0$/m);
    expect(metrics.body).toMatch(
      /portcullis_requests_total\{kind="proxy",decision="allow",status="2xx"\} [1-9]/,
    );
    expect(metrics.body).toMatch(
      /portcullis_upstream_duration_seconds_count\{status="200"\} [1-9]/,
    );
    expect(metrics.body).toContain('portcullis_tombstones');
    expect(metrics.body).toContain('process_resident_memory_bytes');
  });
});
