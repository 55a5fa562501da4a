/**
 * Black-box: the BUILT `portcullis` CLI as a child process, configured by env (+ YAML rules),
 * against a real oidc-provider and a plain node:http upstream.
 * Build first: `npx tsc -b packages/core packages/redis packages/sidecar`.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signStandardWebhook } from '@portcullis/core';
import { CLI_PATH, cliEnv, eventually, startCli } from './helpers/cli-process.js';
import type { RunningCli } from './helpers/cli-process.js';
import { bearer, rawRequest } from './helpers/http.js';
import { AUDIENCE, CLIENTS, startIdp } from './helpers/idp.js';
import type { RunningIdp } from './helpers/idp.js';
import { startUpstream } from './helpers/upstream.js';
import { startConformanceEnv } from '../../../test/conformance/env.js';
import type { EchoBody, RunningUpstream } from './helpers/upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
const RULES_FILE = join(dir, 'portcullis.yaml');
writeFileSync(
  RULES_FILE,
  `
oauth2:
  claims: { tenantId: tenant_id }
routes:
  rules:
    - path: /public/**
      public: true
    - path: /admin/**
      permissions: [admin]
    - path: /tenants/{tenantId}/**
      tenant: { pathParam: tenantId }
`,
);
const ADMIN_TOKEN = 'cli-admin-token-0123456789';
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

function runCli(
  args: string[],
  env: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], {
    env: cliEnv(env),
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const basic = (c: { clientId: string; secret: string }): [string, string] => [
  'Authorization',
  `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`,
];

describe('CLI: configuration and commands', () => {
  it('--version and --help', () => {
    const version = runCli(['--version'], {});
    expect(version.status).toBe(0);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = runCli(['--help'], {});
    expect(help.status).toBe(0);
    for (const name of [
      'PORTCULLIS_UPSTREAM',
      'PORTCULLIS_VERIFY_URI_SOURCE',
      'PORTCULLIS_ADMIN_TOKEN (or PORTCULLIS_ADMIN_TOKEN_FILE)',
    ]) {
      expect(help.stdout).toContain(name);
    }
  });

  it('bad config → exit 2 naming every bad field, for run and check-config', () => {
    const env = {
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_CACHE_TTL_MS: 'ten',
      PORTCULLIS_LISTEN: 'localhost',
      PORTCULLIS_UPSTREAM: 'not a url',
    };
    for (const args of [[], ['check-config']]) {
      const result = runCli(args, env);
      expect(result.status).toBe(2);
      for (const field of [
        'PORTCULLIS_CACHE_TTL_MS',
        'PORTCULLIS_LISTEN',
        'PORTCULLIS_UPSTREAM',
        'PORTCULLIS_ISSUER',
      ]) {
        expect(result.stderr).toContain(field);
      }
    }
  });

  it('check-config OK and --print-config with secrets redacted', () => {
    const env = {
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_ISSUER: 'http://127.0.0.1:1',
      PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN,
      PORTCULLIS_STANDARD_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PORTCULLIS_CONFIG: RULES_FILE,
    };
    const check = runCli(['check-config'], env);
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('verify-only');
    const printed = runCli(['--print-config'], env);
    expect(printed.status).toBe(0);
    expect(printed.stdout).not.toContain(ADMIN_TOKEN);
    expect(printed.stdout).not.toContain(WEBHOOK_SECRET);
    expect(JSON.parse(printed.stdout)).toMatchObject({
      adminToken: '[redacted]',
      provider: { kind: 'oauth2' },
    });
  });

  it('an unreadable identity key file → exit 2', () => {
    const result = runCli([], {
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_ISSUER: 'http://127.0.0.1:1',
      PORTCULLIS_LISTEN: '127.0.0.1:0',
      PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
      PORTCULLIS_IDENTITY_JWT_KEY_FILE: join(dir, 'missing.pem'),
    });
    expect(result.status).toBe(2);
    expect(result.stdout + result.stderr).toContain('PORTCULLIS_IDENTITY_JWT_KEY_FILE');
  });
});

describe('CLI against oidc-provider', () => {
  let idp: RunningIdp;
  let upstream: RunningUpstream;
  let proxy: RunningCli;
  let verify: RunningCli;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    idp = await startIdp();
    upstream = await startUpstream();
    const common = {
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_ISSUER: idp.issuer,
      PORTCULLIS_AUDIENCE: AUDIENCE,
      PORTCULLIS_INTROSPECTION_CLIENT_ID: CLIENTS.rs.clientId,
      PORTCULLIS_INTROSPECTION_CLIENT_SECRET: CLIENTS.rs.secret,
      PORTCULLIS_CONFIG: RULES_FILE,
      PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN,
      PORTCULLIS_STANDARD_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PORTCULLIS_CACHE_TTL_MS: '1000',
    };
    [proxy, verify] = await Promise.all([
      startCli({
        ...common,
        PORTCULLIS_UPSTREAM: upstream.url,
        PORTCULLIS_UPSTREAM_TIMEOUT_MS: '1000',
      }),
      startCli(common),
    ]);
    for (const [name, client] of Object.entries(CLIENTS)) tokens[name] = await idp.token(client);
    await eventually(
      async () => ((await rawRequest(proxy.adminUrl, '/readyz')).status === 200 ? true : undefined),
      10_000,
      'readiness',
    );
  });

  afterAll(async () => {
    await Promise.all([proxy?.stop(), verify?.stop()]);
    await upstream?.close();
    await idp?.close();
  });

  it('logs its bound addresses as one JSON line', () => {
    expect(proxy.mainUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(proxy.lines.some((line) => line.includes('"mode":"proxy"'))).toBe(true);
  });

  it('every credential kind is allowed through the proxy, with identity headers', async () => {
    const cases: Array<[string, [string, string]]> = [
      ['Basic client credentials', basic(CLIENTS.reader)],
      ['Bearer JWT', bearer(tokens['reader']!)],
      ['X-API-Key JWT', ['X-API-Key', tokens['reader']!]],
      ['Bearer opaque (introspection)', bearer(tokens['opaque']!)],
    ];
    for (const [name, header] of cases) {
      const res = await rawRequest(proxy.mainUrl, '/orders', { headers: [header] });
      expect(res.status, name).toBe(200);
      const seen = JSON.parse(res.body) as EchoBody;
      expect(seen.headers['x-portcullis-client-id'], name).toMatch(/^svc-(reader|opaque)$/);
      expect(seen.headers['x-portcullis-tenant-id'], name).toBe('acme');
      expect(seen.headers.authorization, name).toBeUndefined();
      expect(seen.headers['x-api-key'], name).toBeUndefined();
    }
  });

  it('bad credentials are denied through the proxy and forward-auth alike', async () => {
    const cases: Array<[string, [string, string], number]> = [
      [
        'wrong client secret',
        basic({ clientId: CLIENTS.reader.clientId, secret: 'wrong-secret' }),
        401,
      ],
      ['garbage bearer', bearer('not-a-token'), 401],
      ['forged JWT', bearer(`${tokens['reader']!.slice(0, -4)}AAAA`), 401],
      ['malformed Basic', ['Authorization', 'Basic !!!'], 400],
    ];
    for (const [name, header, status] of cases) {
      const viaProxy = await rawRequest(proxy.mainUrl, '/orders', { headers: [header] });
      expect(viaProxy.status, `proxy: ${name}`).toBe(status);
      const viaVerify = await rawRequest(verify.mainUrl, '/.portcullis/verify', {
        headers: [
          header,
          ['X-Original-URL', 'https://api.example/orders'],
          ['X-Original-Method', 'GET'],
        ],
      });
      expect(viaVerify.status, `verify: ${name}`).toBe(status);
      expect(viaVerify.headers['www-authenticate'], name).toMatch(/^Bearer realm=/);
    }
  });

  it('route rules, tenant binding and bypass attempts', async () => {
    const reader = bearer(tokens['reader']!);
    expect((await rawRequest(proxy.mainUrl, '/admin/x', { headers: [reader] })).status).toBe(403);
    expect(
      (await rawRequest(proxy.mainUrl, '/admin/x', { headers: [bearer(tokens['admin']!)] })).status,
    ).toBe(200);
    expect((await rawRequest(proxy.mainUrl, '/tenants/acme/x', { headers: [reader] })).status).toBe(
      200,
    );
    expect(
      (await rawRequest(proxy.mainUrl, '/tenants/globex/x', { headers: [reader] })).status,
    ).toBe(403);
    expect(
      (
        await rawRequest(proxy.mainUrl, '/tenants/globex/x', {
          headers: [bearer(tokens['other']!)],
        })
      ).status,
    ).toBe(200);
    const before = upstream.seen.length;
    for (const path of [
      '/public/..%2fadmin/x',
      '/public/..;/admin/x',
      '//admin/x',
      '/PUBLIC/../admin/x',
      '/public/%2e%2e/admin/x',
    ]) {
      const res = await rawRequest(proxy.mainUrl, path, { headers: [reader] });
      expect([400, 403], path).toContain(res.status);
    }
    expect(upstream.seen.slice(before)).toEqual([]);
    for (const path of ['/public/..%2fadmin/x', '/public/..;/admin/x']) {
      const res = await rawRequest(verify.mainUrl, '/.portcullis/verify', {
        headers: [
          reader,
          ['X-Original-URL', `https://api.example${path}`],
          ['X-Original-Method', 'GET'],
        ],
      });
      expect(res.status, path).toBe(400);
    }
  });

  it('strips spoofed identity headers, including X_Portcullis_Tenant_Id', async () => {
    const res = await rawRequest(proxy.mainUrl, '/orders', {
      headers: [
        bearer(tokens['reader']!),
        ['X_Portcullis_Tenant_Id', 'globex'],
        ['x-PORTCULLIS-permissions', 'admin'],
      ],
    });
    const seen = JSON.parse(res.body) as EchoBody;
    expect(seen.headers['x-portcullis-tenant-id']).toBe('acme');
    expect(seen.headers['x-portcullis-permissions']).toBe('orders:read');
    expect(seen.rawHeaderNames.filter((n) => /portcullis.tenant.id/i.test(n))).toHaveLength(1);
  });

  it('streams a 50 MB upload and download with flat memory', async () => {
    const rss = (): number => {
      const text = readFileSync(`/proc/${proxy.child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(text)![1]) * 1024;
    };
    const size = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 1);
    const url = new URL(proxy.mainUrl);
    const upload = (): Promise<EchoBody> =>
      new Promise<EchoBody>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: '/upload',
            method: 'POST',
            headers: {
              authorization: `Bearer ${tokens['reader']}`,
              'content-length': String(size),
            },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve(JSON.parse(text) as EchoBody));
          },
        );
        req.on('error', reject);
        let sent = 0;
        void pipeline(
          Readable.from(
            (function* () {
              while (sent < size) {
                sent += chunk.length;
                yield chunk;
              }
            })(),
          ),
          req,
        ).catch(reject);
      });
    const download = (): Promise<number> =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: `/download?bytes=${size}`,
            headers: { authorization: `Bearer ${tokens['reader']}` },
          },
          (res) => {
            let bytes = 0;
            res.on('data', (c: Buffer) => (bytes += c.length));
            res.on('end', () => resolve(bytes));
          },
        );
        req.on('error', reject);
        req.end();
      });
    // V8 frees the memory of socket Buffers lazily: the first large transfer raises RSS once
    // (by ~60 MB whatever the size), so the baseline is taken after one warm-up round and the
    // bound is on the steady state — a proxy that buffered bodies would grow by the body size.
    expect((await upload()).bodyBytes).toBe(size);
    expect(await download()).toBe(size);
    const baseline = rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss());
    }, 20);
    try {
      expect((await upload()).bodyBytes).toBe(size);
      expect(await download()).toBe(size);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, rss());
    expect(peak - baseline).toBeLessThan(40 * 1024 * 1024);
  });

  it('upstream slow → 504', async () => {
    const res = await rawRequest(proxy.mainUrl, '/slow?ms=5000', {
      headers: [bearer(tokens['reader']!)],
    });
    expect(res.status).toBe(504);
  });

  it('a webhook revocation rejects the next request, still after the cache TTL; operator CLI revoke too', async () => {
    const token = bearer(tokens['admin']!);
    expect((await rawRequest(proxy.mainUrl, '/orders', { headers: [token] })).status).toBe(200);
    const body = JSON.stringify({
      type: 'token.revoked',
      timestamp: new Date().toISOString(),
      data: { clientId: CLIENTS.admin.clientId },
    });
    const id = `msg_${randomBytes(6).toString('hex')}`;
    const ts = Math.floor(Date.now() / 1000);
    const hook = await rawRequest(proxy.mainUrl, '/.portcullis/webhooks/standard', {
      method: 'POST',
      headers: [
        ['webhook-id', id],
        ['webhook-timestamp', String(ts)],
        ['webhook-signature', signStandardWebhook(WEBHOOK_SECRET, id, ts, body)],
      ],
      body,
    });
    expect(hook.status).toBe(200);
    expect((await rawRequest(proxy.mainUrl, '/orders', { headers: [token] })).status).toBe(401);
    const revokedAt = Date.now();
    await eventually(
      async () => (Date.now() - revokedAt > 1200 ? true : undefined),
      5000,
      'cache TTL to pass',
    );
    const later = await rawRequest(proxy.mainUrl, '/orders', { headers: [token] });
    expect(later.status).toBe(401);
    expect(JSON.parse(later.body)).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });

    // Operator CLI against the verify-only sidecar's admin listener.
    const operatorEnv = { PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN };
    const adminUrl = verify.adminUrl;
    const otherToken = bearer(tokens['other']!);
    const verifyOther = () =>
      rawRequest(verify.mainUrl, '/.portcullis/verify', {
        headers: [
          otherToken,
          ['X-Original-URL', 'https://api.example/orders'],
          ['X-Original-Method', 'GET'],
        ],
      });
    expect((await verifyOther()).status).toBe(200);
    const revoke = runCli(
      ['revoke', '--client-id', CLIENTS.other.clientId, '--admin-url', adminUrl],
      operatorEnv,
    );
    expect(revoke.status, revoke.stderr).toBe(0);
    expect((await verifyOther()).status).toBe(401);
    const tombstones = runCli(['tombstones', '--admin-url', adminUrl], operatorEnv);
    expect(tombstones.stdout).toContain(CLIENTS.other.clientId);
    expect(runCli(['policy', '--admin-url', adminUrl], {}).status).toBe(1);
    expect(runCli(['revoke', '--colour', 'x', '--admin-url', adminUrl], operatorEnv).status).toBe(
      2,
    );
    expect(runCli(['healthcheck', '--admin-url', adminUrl], {}).status).toBe(0);
  });

  it('exposes metrics fed by core', async () => {
    const metrics = await rawRequest(proxy.adminUrl, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/portcullis_decisions_total\{outcome="allow"[^}]*\} [1-9]/);
    expect(metrics.body).toMatch(/portcullis_idp_call_duration_seconds_count\{[^}]*\} [1-9]/);
    expect(metrics.body).toMatch(/portcullis_webhooks_total\{receiver="standard"[^}]*\} [1-9]/);
    expect(metrics.body).toMatch(/portcullis_revocations_total\{[^}]*\} [1-9]/);
    expect(metrics.body).toMatch(/portcullis_requests_total\{kind="proxy",decision="deny"/);
  });

  it('the access log has one line per request and never a credential', () => {
    const access = proxy.lines.filter((line) => line.includes('"access"'));
    expect(access.length).toBeGreaterThan(10);
    const all = proxy.lines.join('\n');
    for (const secret of [
      tokens['reader']!,
      tokens['admin']!,
      tokens['opaque']!,
      CLIENTS.reader.secret,
      ADMIN_TOKEN,
    ]) {
      expect(all).not.toContain(secret);
    }
    const entry = JSON.parse(access.find((line) => line.includes('"decision":"allow"'))!).access;
    expect(entry).toMatchObject({
      method: expect.any(String),
      path: expect.any(String),
      status: 200,
      decision: 'allow',
    });
    expect(entry.subject).toBeDefined();
    expect(typeof entry.latencyMs).toBe('number');
  });
});

describe('CLI: SIGTERM under load', () => {
  it('finishes every in-flight request and exits 0', async () => {
    const idp = await startIdp();
    const upstream = await startUpstream();
    try {
      const cli = await startCli({
        PORTCULLIS_PROVIDER: 'oauth2',
        PORTCULLIS_ISSUER: idp.issuer,
        PORTCULLIS_AUDIENCE: AUDIENCE,
        PORTCULLIS_UPSTREAM: upstream.url,
        PORTCULLIS_DRAIN_MS: '10000',
      });
      const token = bearer(await idp.token(CLIENTS.reader));
      const requests = Array.from({ length: 20 }, () =>
        rawRequest(cli.mainUrl, '/slow?ms=700', { headers: [token] }),
      );
      await eventually(
        async () =>
          upstream.seen.filter((s) => s.startsWith('/slow')).length >= 20 ? true : undefined,
        10_000,
        'requests in flight',
      );
      cli.child.kill('SIGTERM');
      const results = await Promise.all(requests);
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(await cli.exited).toBe(0);
      expect(cli.lines.some((line) => line.includes('"msg":"draining"'))).toBe(true);
    } finally {
      await upstream.close();
      await idp.close();
    }
  });
});

describe('CLI: two sidecars sharing Redis', () => {
  it('a webhook delivered to one makes both reject', async () => {
    const idp = await startIdp();
    const prefix = `portcullis-test:${randomBytes(6).toString('hex')}:`;
    const env = {
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_ISSUER: idp.issuer,
      PORTCULLIS_AUDIENCE: AUDIENCE,
      PORTCULLIS_STANDARD_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PORTCULLIS_REDIS_URL: 'redis://127.0.0.1:6379',
      PORTCULLIS_REDIS_KEY_PREFIX: prefix,
    };
    const [a, b] = await Promise.all([startCli(env), startCli(env)]);
    try {
      const token = bearer(await idp.token(CLIENTS.reader));
      const check = (cli: RunningCli) =>
        rawRequest(cli.mainUrl, '/.portcullis/verify', {
          headers: [
            token,
            ['X-Original-URL', 'https://api.example/orders'],
            ['X-Original-Method', 'GET'],
          ],
        });
      await eventually(
        async () =>
          (await check(a)).status === 200 && (await check(b)).status === 200 ? true : undefined,
        10_000,
        'both allow',
      );
      const body = JSON.stringify({
        type: 'token.revoked',
        timestamp: new Date().toISOString(),
        data: { clientId: CLIENTS.reader.clientId },
      });
      const id = `msg_${randomBytes(6).toString('hex')}`;
      const ts = Math.floor(Date.now() / 1000);
      const hook = await rawRequest(a.mainUrl, '/.portcullis/webhooks/standard', {
        method: 'POST',
        headers: [
          ['webhook-id', id],
          ['webhook-timestamp', String(ts)],
          ['webhook-signature', signStandardWebhook(WEBHOOK_SECRET, id, ts, body)],
        ],
        body,
      });
      expect(hook.status).toBe(200);
      expect((await check(a)).status).toBe(401);
      await eventually(
        async () => ((await check(b)).status === 401 ? true : undefined),
        5_000,
        'the other replica to reject',
      );
      // The same delivery replayed to the other replica is recognised as a replay.
      const replay = await rawRequest(b.mainUrl, '/.portcullis/webhooks/standard', {
        method: 'POST',
        headers: [
          ['webhook-id', id],
          ['webhook-timestamp', String(ts)],
          ['webhook-signature', signStandardWebhook(WEBHOOK_SECRET, id, ts, body)],
        ],
        body,
      });
      expect(JSON.parse(replay.body)).toMatchObject({ replayed: true });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await idp.close();
    }
  });
});

describe('CLI with the frontegg preset (emulator)', () => {
  it('verifies Frontegg client credentials and mounts the Frontegg webhook receiver', async () => {
    const env = await startConformanceEnv();
    try {
      const cli = await startCli({
        PORTCULLIS_PROVIDER: 'frontegg',
        PORTCULLIS_FRONTEGG_BASE_URL: env.provider.baseUrl,
        PORTCULLIS_FRONTEGG_APP_URL: env.provider.appUrl,
        PORTCULLIS_FRONTEGG_CLIENT_ID: env.provider.clientId,
        PORTCULLIS_FRONTEGG_API_KEY: env.provider.apiKey,
        PORTCULLIS_FRONTEGG_WEBHOOK_SECRET: 'frontegg-hook-secret',
      });
      try {
        await eventually(
          async () =>
            (await rawRequest(cli.adminUrl, '/readyz')).status === 200 ? true : undefined,
          10_000,
          'readiness',
        );
        const { clientId, secret } = env.credentials.tenantApiToken;
        const check = (header: [string, string]) =>
          rawRequest(cli.mainUrl, '/.portcullis/verify', {
            headers: [
              header,
              ['X-Original-URL', 'https://api.example/orders'],
              ['X-Original-Method', 'GET'],
            ],
          });
        const ok = await check(basic({ clientId, secret }));
        expect(ok.status).toBe(200);
        expect(ok.headers['x-portcullis-tenant-id']).toBe(env.credentials.tenantId);
        expect(ok.headers['x-portcullis-credential']).toBe('client_credentials');
        expect((await check(basic({ clientId, secret: 'wrong' }))).status).toBe(401);
        const hook = await rawRequest(cli.mainUrl, '/.portcullis/webhooks/frontegg', {
          method: 'POST',
          body: '{}',
        });
        expect(hook.status).toBe(401);
      } finally {
        await cli.stop();
      }
    } finally {
      await env.close();
    }
  });
});
