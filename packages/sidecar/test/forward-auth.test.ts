import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '@portcullis/core';
import type { Authenticator } from '@portcullis/core';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/logging/logger.js';
import { startSidecar } from '../src/sidecar.js';
import type { RunningSidecar } from '../src/sidecar.js';
import { bearer, rawRequest } from './helpers/http.js';
import { tableProvider } from './helpers/table-provider.js';

const RULES = `
routes:
  rules:
    - path: /public/**
      public: true
    - path: /admin/**
      permissions: [admin]
`;

const started: RunningSidecar[] = [];
const authenticators: Authenticator[] = [];

async function verifySidecar(env: Record<string, string>): Promise<RunningSidecar> {
  const config = loadConfig(
    {
      PORTCULLIS_PROVIDER: 'oauth2',
      PORTCULLIS_ISSUER: 'http://127.0.0.1:1/',
      PORTCULLIS_LISTEN: '127.0.0.1:0',
      PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
      ...env,
    },
    [],
    { readFile: () => RULES },
  );
  const authenticator = createAuthenticator({
    provider: tableProvider(),
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
  });
  authenticators.push(authenticator);
  const sidecar = await startSidecar(config, { authenticator, logger: createLogger('silent') });
  started.push(sidecar);
  return sidecar;
}

let nginx: RunningSidecar;
let traefik: RunningSidecar;
let envoy: RunningSidecar;

beforeAll(async () => {
  nginx = await verifySidecar({ PORTCULLIS_CONFIG: 'rules.yaml' });
  traefik = await verifySidecar({
    PORTCULLIS_CONFIG: 'rules.yaml',
    PORTCULLIS_VERIFY_URI_SOURCE: 'x-forwarded',
  });
  envoy = await verifySidecar({
    PORTCULLIS_CONFIG: 'rules.yaml',
    PORTCULLIS_VERIFY_URI_SOURCE: 'envoy',
    PORTCULLIS_VERIFY_PATH_PREFIX: '/ext-authz',
  });
});

afterAll(async () => {
  for (const sidecar of started) await sidecar.close();
  for (const authenticator of authenticators) await authenticator.close();
});

describe('forward-auth, nginx style (X-Original-Method / X-Original-URL)', () => {
  const call = (url: string | undefined, headers: Array<[string, string]> = [], method = 'GET') =>
    rawRequest(nginx.mainUrl, '/.portcullis/verify', {
      headers: [
        ...(url === undefined ? [] : ([['X-Original-URL', url]] as Array<[string, string]>)),
        ['X-Original-Method', method],
        ...headers,
      ],
    });

  it('200 + identity headers on allow', async () => {
    const res = await call('https://api.example.com/orders/1?x=1', [bearer('reader-token')]);
    expect(res.status).toBe(200);
    expect(res.headers['x-portcullis-subject']).toBe('svc-reader');
    expect(res.headers['x-portcullis-tenant-id']).toBe('acme');
    expect(res.body).toBe('');
  });

  it('401 with an RFC 6750 challenge, 403 insufficient_scope', async () => {
    const anonymous = await call('https://api.example.com/orders');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer realm="portcullis"/);
    const forbidden = await call('https://api.example.com/admin/x', [bearer('reader-token')]);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });

  it('public routes answer 200 without identity; bypass attempts are caught', async () => {
    const pub = await call('https://api.example.com/public/x');
    expect(pub.status).toBe(200);
    expect(pub.headers['x-portcullis-subject']).toBeUndefined();
    expect((await call('https://api.example.com/public/..%2fadmin/x')).status).toBe(400);
    expect((await call('https://api.example.com/public/..;/admin/x')).status).toBe(400);
    expect((await call('https://api.example.com/public/../admin/x')).status).toBe(401);
    expect((await call('https://api.example.com//admin/x')).status).toBe(401);
    expect((await call('https://api.example.com/public\\..\\admin')).status).toBe(400);
    expect((await call('https://api.example.com/PUBLIC/x')).status).toBe(401);
  });

  it('uses X-Original-URI too; missing or conflicting → 400', async () => {
    const uri = await rawRequest(nginx.mainUrl, '/.portcullis/verify', {
      headers: [
        ['X-Original-URI', '/public/a'],
        ['X-Original-Method', 'GET'],
      ],
    });
    expect(uri.status).toBe(200);
    expect((await call(undefined, [bearer('reader-token')])).status).toBe(400);
    const conflicting = await call('https://api.example.com/public/a', [
      ['X-Original-URI', '/admin/a'],
    ]);
    expect(conflicting.status).toBe(400);
    const noMethod = await rawRequest(nginx.mainUrl, '/.portcullis/verify', {
      headers: [['X-Original-URL', 'https://api.example.com/public/a']],
    });
    expect(noMethod.status).toBe(400);
    // Traefik's headers are not this deployment's source: they do not stand in for a missing URL.
    const wrongSource = await rawRequest(nginx.mainUrl, '/.portcullis/verify', {
      headers: [
        ['X-Forwarded-Uri', '/public/a'],
        ['X-Forwarded-Method', 'GET'],
      ],
    });
    expect(wrongSource.status).toBe(400);
  });

  it('the original method selects method-specific rules', async () => {
    expect(
      (await call('https://api.example.com/orders', [bearer('reader-token')], 'DELETE')).status,
    ).toBe(200);
  });

  it('in verify-only mode every other path is a verify request', async () => {
    const res = await rawRequest(nginx.mainUrl, '/anything', {
      headers: [
        ['X-Original-URL', 'https://api.example.com/admin/x'],
        ['X-Original-Method', 'GET'],
        bearer('admin-token'),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-portcullis-subject']).toBe('svc-admin');
  });
});

describe('forward-auth, Traefik style (X-Forwarded-Method / X-Forwarded-Uri)', () => {
  it('allows, denies, and refuses a missing URI', async () => {
    const ok = await rawRequest(traefik.mainUrl, '/.portcullis/verify', {
      headers: [
        ['X-Forwarded-Method', 'POST'],
        ['X-Forwarded-Uri', '/orders?a=1'],
        ['X-Forwarded-Proto', 'https'],
        bearer('reader-token'),
      ],
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-portcullis-client-id']).toBe('svc-reader');
    const denied = await rawRequest(traefik.mainUrl, '/.portcullis/verify', {
      headers: [
        ['X-Forwarded-Method', 'GET'],
        ['X-Forwarded-Uri', '/admin'],
        bearer('reader-token'),
      ],
    });
    expect(denied.status).toBe(403);
    const missing = await rawRequest(traefik.mainUrl, '/.portcullis/verify', {
      headers: [['X-Forwarded-Method', 'GET'], bearer('reader-token')],
    });
    expect(missing.status).toBe(400);
    const bypass = await rawRequest(traefik.mainUrl, '/.portcullis/verify', {
      headers: [
        ['X-Forwarded-Method', 'GET'],
        ['X-Forwarded-Uri', '/public/..%2Fadmin'],
      ],
    });
    expect(bypass.status).toBe(400);
  });
});

describe('forward-auth, Envoy ext_authz HTTP style (prefixed path)', () => {
  it('takes the method from the request and the path after the prefix', async () => {
    const ok = await rawRequest(envoy.mainUrl, '/ext-authz/admin/x?y=1', {
      method: 'DELETE',
      headers: [bearer('admin-token')],
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-portcullis-subject']).toBe('svc-admin');
    expect(ok.headers['x-envoy-auth-headers-to-remove']).toBe('authorization,x-api-key');
    expect(
      (await rawRequest(envoy.mainUrl, '/ext-authz/admin/x', { headers: [bearer('reader-token')] }))
        .status,
    ).toBe(403);
    expect((await rawRequest(envoy.mainUrl, '/ext-authz/public/x')).status).toBe(200);
    expect((await rawRequest(envoy.mainUrl, '/ext-authz/public/..%2fadmin')).status).toBe(400);
    expect((await rawRequest(envoy.mainUrl, '/ext-authz//admin/x')).status).toBe(401);
    // Outside the prefix: refused, never evaluated as its own path.
    expect((await rawRequest(envoy.mainUrl, '/public/x')).status).toBe(400);
    // /.portcullis/verify + original path works too.
    expect((await rawRequest(envoy.mainUrl, '/.portcullis/verify/public/x')).status).toBe(200);
  });
});
