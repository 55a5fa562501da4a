import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPortcullisError } from '@portcullis/core';
import { loadConfig } from '../src/config/load.js';
import type { ConfigIssue } from '../src/config/load.js';
import { redactConfig } from '../src/config/redact.js';
import { redisStoreOptions } from '../src/config/redis-store-options.js';
import { createRedisStore } from '@portcullis/redis';

const base = { PORTCULLIS_PROVIDER: 'oauth2', PORTCULLIS_ISSUER: 'http://127.0.0.1:1/' };
const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function issuesOf(env: Record<string, string>, argv: string[] = []): ConfigIssue[] {
  try {
    loadConfig(env, argv);
  } catch (error) {
    expect(isPortcullisError(error)).toBe(true);
    expect((error as { code: string }).code).toBe('ERR_INVALID_OPTION');
    return (error as { details: { issues: ConfigIssue[] } }).details.issues;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('refuses the manifests’ REPLACE placeholders, from env and from _FILE, without echoing them', () => {
    const issues = issuesOf({
      ...base,
      PORTCULLIS_AUDIENCE: 'REPLACE-with-your-audience',
      PORTCULLIS_ADMIN_TOKEN_FILE: file('admin-token', 'REPLACE-with-a-long-random-admin-token\n'),
    });
    const placeholders = issues.filter((issue) => issue.message.includes('placeholder'));
    expect(placeholders.map((issue) => issue.field).sort()).toEqual([
      'PORTCULLIS_ADMIN_TOKEN_FILE',
      'PORTCULLIS_AUDIENCE',
    ]);
    expect(JSON.stringify(issues)).not.toContain('with-a-long-random');
  });

  it('applies the docs/design.md §7 defaults', () => {
    const config = loadConfig(base);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.adminListen).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.upstream).toBeUndefined();
    expect(config.cache).toEqual({
      ttlMs: 30000,
      negativeTtlMs: 5000,
      maxEntries: 10000,
      maxBytes: 64 * 1024 * 1024,
      staleIfErrorMs: 0,
    });
    expect(config.revocationTtlMs).toBe(86400000);
    expect(config.policy).toEqual({ syncIntervalMs: 30000 });
    expect(config.credentials).toEqual({ apiKeyHeader: 'x-api-key', forward: false });
    expect(config.identity.headerPrefix).toBe('x-portcullis-');
    expect(config.idp).toEqual({ maxInFlight: 64, timeoutMs: 2000 });
    expect(config.upstreamTimeoutMs).toBe(30000);
    expect(config.drainMs).toBe(20000);
    expect(config.verify).toEqual({ uriSource: 'x-original', pathPrefix: '' });
    expect(config.caseInsensitivePaths).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.routes.default).toBe('authenticated');
  });

  it('maps every env variable', () => {
    const config = loadConfig({
      ...base,
      PORTCULLIS_LISTEN: '127.0.0.1:0',
      PORTCULLIS_ADMIN_LISTEN: '[::1]:9191',
      PORTCULLIS_ADMIN_TOKEN: 'a'.repeat(32),
      PORTCULLIS_UPSTREAM: 'http://127.0.0.1:3000',
      PORTCULLIS_AUDIENCE: 'api',
      PORTCULLIS_JWKS_URI: 'http://idp/jwks',
      PORTCULLIS_INTROSPECTION_URL: 'http://idp/introspect',
      PORTCULLIS_INTROSPECTION_CLIENT_ID: 'rs',
      PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 'rs-secret',
      PORTCULLIS_STANDARD_WEBHOOK_SECRET: 'whsec_a, whsec_b',
      PORTCULLIS_WEBHOOK_ALLOW_IPS: '10.0.0.0/8,::1',
      PORTCULLIS_REDIS_URL: 'redis://:pw@127.0.0.1:6379',
      PORTCULLIS_REDIS_KEY_PREFIX: 'x:',
      PORTCULLIS_SHARED_CACHE_SECRET: 's'.repeat(32),
      PORTCULLIS_CACHE_TTL_MS: '1000',
      PORTCULLIS_POLICY_ENABLED: 'true',
      PORTCULLIS_POLICY_CREDENTIALS: 'access_token',
      PORTCULLIS_FORWARD_CREDENTIALS: 'true',
      PORTCULLIS_API_KEY_HEADER: 'X-Key',
      PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1/32',
      PORTCULLIS_FAILED_AUTH_LIMIT: '20',
      PORTCULLIS_VERIFY_URI_SOURCE: 'envoy',
      PORTCULLIS_VERIFY_PATH_PREFIX: '/ext-authz',
      PORTCULLIS_CASE_INSENSITIVE_PATHS: '1',
      PORTCULLIS_LOG_LEVEL: 'warn',
    });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.adminListen).toEqual({ host: '::1', port: 9191 });
    expect(config.upstream).toBe('http://127.0.0.1:3000');
    expect(config.provider).toEqual({
      kind: 'oauth2',
      issuer: 'http://127.0.0.1:1/',
      audience: 'api',
      jwksUri: 'http://idp/jwks',
      introspectionUrl: 'http://idp/introspect',
      introspectionClient: { clientId: 'rs', clientSecret: 'rs-secret' },
    });
    expect(config.webhooks.standardSecrets).toEqual(['whsec_a', 'whsec_b']);
    expect(config.webhooks.allowIps).toEqual(['10.0.0.0/8', '::1']);
    expect(config.redis).toEqual({
      url: 'redis://:pw@127.0.0.1:6379',
      keyPrefix: 'x:',
      sharedCacheSecret: 's'.repeat(32),
      tls: false,
    });
    expect(config.cache.ttlMs).toBe(1000);
    expect(config.policy).toMatchObject({ enabled: true, acceptedCredentials: ['access_token'] });
    expect(config.credentials).toEqual({ apiKeyHeader: 'x-key', forward: true });
    expect(config.failedAuthLimit).toBe(20);
    expect(config.verify).toEqual({ uriSource: 'envoy', pathPrefix: '/ext-authz' });
    expect(config.caseInsensitivePaths).toBe(true);
  });

  it('reports every bad field at once, by env name', () => {
    const issues = issuesOf({
      PORTCULLIS_PROVIDER: 'okta',
      PORTCULLIS_CACHE_TTL_MS: 'soon',
      PORTCULLIS_LISTEN: 'nope',
      PORTCULLIS_UPSTREAM: 'ftp://x',
      PORTCULLIS_TRUSTED_PROXIES: '10.0.0.0/8,banana',
      PORTCULLIS_VERIFY_URI_SOURCE: 'magic',
      PORTCULLIS_POLICY_ENABLED: 'maybe',
      PORTCULLIS_UPSTREM: 'typo',
    });
    const fields = issues.map((issue) => issue.field).sort();
    expect(fields).toEqual(
      [
        'PORTCULLIS_CACHE_TTL_MS',
        'PORTCULLIS_LISTEN',
        'PORTCULLIS_POLICY_ENABLED',
        'PORTCULLIS_PROVIDER',
        'PORTCULLIS_TRUSTED_PROXIES',
        'PORTCULLIS_UPSTREAM',
        'PORTCULLIS_UPSTREM',
        'PORTCULLIS_VERIFY_URI_SOURCE',
      ].sort(),
    );
  });

  it('reports missing provider settings together with other problems', () => {
    const fields = issuesOf({ PORTCULLIS_PROVIDER: 'oauth2', PORTCULLIS_CACHE_TTL_MS: 'x' }).map(
      (i) => i.field,
    );
    expect(fields.sort()).toEqual(['PORTCULLIS_CACHE_TTL_MS', 'oauth2.issuer (PORTCULLIS_ISSUER)']);
  });

  it('requires the provider and its settings', () => {
    expect(issuesOf({}).map((i) => i.field)).toContain('PORTCULLIS_PROVIDER');
    expect(issuesOf({ PORTCULLIS_PROVIDER: 'oauth2' }).map((i) => i.field)).toEqual([
      'oauth2.issuer (PORTCULLIS_ISSUER)',
    ]);
    const frontegg = issuesOf({ PORTCULLIS_PROVIDER: 'frontegg' }).map((i) => i.field);
    expect(frontegg).toEqual([
      'frontegg.baseUrl (PORTCULLIS_FRONTEGG_BASE_URL)',
      'frontegg.appUrl (PORTCULLIS_FRONTEGG_APP_URL)',
      'frontegg.clientId (PORTCULLIS_FRONTEGG_CLIENT_ID)',
      'frontegg.apiKey (PORTCULLIS_FRONTEGG_API_KEY)',
    ]);
  });

  it('refuses a Frontegg vendor API host as the app URL, naming both settings', () => {
    const settings = {
      PORTCULLIS_PROVIDER: 'frontegg',
      PORTCULLIS_FRONTEGG_BASE_URL: 'https://api.frontegg.com',
      PORTCULLIS_FRONTEGG_CLIENT_ID: 'vendor-client',
      PORTCULLIS_FRONTEGG_API_KEY: 'vendor-key',
    };
    for (const appUrl of ['https://api.frontegg.com', 'https://api.eu.frontegg.com']) {
      const issues = issuesOf({ ...settings, PORTCULLIS_FRONTEGG_APP_URL: appUrl });
      expect(issues.map((i) => i.field)).toEqual(['PORTCULLIS_FRONTEGG_APP_URL']);
      expect(issues[0]!.message).toContain('PORTCULLIS_FRONTEGG_BASE_URL');
    }
    const config = loadConfig({
      ...settings,
      PORTCULLIS_FRONTEGG_APP_URL: 'https://app-xyz.frontegg.com',
      PORTCULLIS_FRONTEGG_ENFORCE_STRATEGY: 'true',
    });
    expect(config.provider).toMatchObject({
      kind: 'frontegg',
      appUrl: 'https://app-xyz.frontegg.com',
      enforceStrategy: true,
    });
  });

  it('reads <NAME>_FILE secrets, trimming one trailing newline; refuses both forms', () => {
    const secretFile = file('token', `${'t'.repeat(20)}\n`);
    const config = loadConfig({ ...base, PORTCULLIS_ADMIN_TOKEN_FILE: secretFile });
    expect(config.adminToken).toBe('t'.repeat(20));
    const both = issuesOf({
      ...base,
      PORTCULLIS_ADMIN_TOKEN_FILE: secretFile,
      PORTCULLIS_ADMIN_TOKEN: 'x'.repeat(20),
    });
    expect(both.map((i) => i.field)).toEqual(['PORTCULLIS_ADMIN_TOKEN']);
    const missing = issuesOf({ ...base, PORTCULLIS_ADMIN_TOKEN_FILE: join(dir, 'nope') });
    expect(missing).toEqual([
      { field: 'PORTCULLIS_ADMIN_TOKEN_FILE', message: expect.stringContaining('ENOENT') },
    ]);
    // Non-secret variables have no _FILE form.
    expect(issuesOf({ ...base, PORTCULLIS_LISTEN_FILE: secretFile }).map((i) => i.field)).toEqual([
      'PORTCULLIS_LISTEN_FILE',
    ]);
  });

  it('never puts a secret value into an error message', () => {
    const error = (() => {
      try {
        loadConfig({ ...base, PORTCULLIS_ADMIN_TOKEN: 'short-secret' });
      } catch (e) {
        return e as Error;
      }
      throw new Error('unreachable');
    })();
    expect(error.message).toContain('PORTCULLIS_ADMIN_TOKEN');
    expect(error.message).not.toContain('short-secret');
  });

  it('loads YAML route rules; env wins over the file', () => {
    const yaml = file(
      'ok.yaml',
      `
provider: oauth2
oauth2: { issuer: "http://from-file/" }
upstream: http://127.0.0.1:1111
routes:
  default: deny
  rules:
    - path: /public/**
      methods: [get, head]
      public: true
    - path: /tenants/{tenantId}/**
      tenant: { pathParam: tenantId }
      permissions: [orders:read]
      ownerKind: tenant
`,
    );
    const config = loadConfig({ PORTCULLIS_UPSTREAM: 'http://127.0.0.1:2222' }, ['--config', yaml]);
    expect(config.upstream).toBe('http://127.0.0.1:2222');
    expect(config.provider).toMatchObject({ issuer: 'http://from-file/' });
    expect(config.routes.default).toBe('deny');
    expect(config.routes.rules).toHaveLength(2);
    expect(config.routes.rules[0]).toMatchObject({ action: 'public' });
    expect([...config.routes.rules[0]!.methods!]).toEqual(['GET', 'HEAD']);
    expect(config.routes.rules[1]!.requirements).toEqual({
      tenant: { pathParam: 'tenantId' },
      permissions: ['orders:read'],
      ownerKind: ['tenant'],
    });
    // PORTCULLIS_CONFIG works as well as --config.
    expect(loadConfig({ PORTCULLIS_CONFIG: yaml }).upstream).toBe('http://127.0.0.1:1111');
  });

  it('names bad YAML fields by path', () => {
    const yaml = file(
      'bad.yaml',
      `
provider: oauth2
oauth2: { issuer: "http://x/" }
cache: { ttlMs: -1, colour: blue }
routes:
  rules:
    - path: /a/../b
    - path: /t/{id}
      tenant: { pathParam: other }
    - path: /p
      public: true
      permissions: [x]
`,
    );
    const fields = issuesOf({ PORTCULLIS_CONFIG: yaml }).map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'cache.ttlMs (PORTCULLIS_CACHE_TTL_MS)',
        'cache.colour',
        'routes.rules.0.path',
        'routes.rules.1.tenant',
        'routes.rules.2.public',
      ]),
    );
    expect(
      issuesOf({ PORTCULLIS_CONFIG: file('syntax.yaml', 'a: [') }).map((i) => i.field),
    ).toContain(join(dir, 'syntax.yaml'));
    expect(issuesOf({ PORTCULLIS_CONFIG: join(dir, 'missing.yaml') })[0]).toMatchObject({
      field: 'PORTCULLIS_CONFIG',
    });
  });

  it('refuses an upstream with a path and a shared cache without Redis', () => {
    const fields = issuesOf({
      ...base,
      PORTCULLIS_UPSTREAM: 'http://127.0.0.1:1/base',
      PORTCULLIS_SHARED_CACHE_SECRET: 's'.repeat(40),
    }).map((i) => i.field);
    expect(fields).toEqual(['PORTCULLIS_UPSTREAM', 'PORTCULLIS_SHARED_CACHE_SECRET']);
  });
});

describe('Redis topologies', () => {
  it('maps a cluster: seed nodes, default hash-tagged prefix, password and TLS for every node', () => {
    const config = loadConfig({
      ...base,
      PORTCULLIS_REDIS_CLUSTER_NODES: '10.0.0.1:6379, redis-1.redis:6380,[::1]:7000',
      PORTCULLIS_REDIS_PASSWORD: 'node-password',
      PORTCULLIS_REDIS_USERNAME: 'portcullis',
      PORTCULLIS_REDIS_TLS_CA_FILE: '/etc/redis/ca.pem',
    });
    expect(config.redis).toEqual({
      clusterNodes: ['10.0.0.1:6379', 'redis-1.redis:6380', '[::1]:7000'],
      username: 'portcullis',
      password: 'node-password',
      tlsCaFile: '/etc/redis/ca.pem',
      tls: true,
      keyPrefix: '{portcullis}:',
    });
    expect(redisStoreOptions(config.redis!, (path) => `PEM of ${path}`)).toEqual({
      cluster: ['10.0.0.1:6379', 'redis-1.redis:6380', '[::1]:7000'],
      username: 'portcullis',
      password: 'node-password',
      tls: { ca: 'PEM of /etc/redis/ca.pem' },
      keyPrefix: '{portcullis}:',
    });
    // The options are valid for the store as they are.
    expect(() => createRedisStore(redisStoreOptions(config.redis!, () => 'pem'))).not.toThrow();
  });

  it('maps Sentinel, with the sentinel password from a file', () => {
    const config = loadConfig(
      {
        ...base,
        PORTCULLIS_REDIS_SENTINELS: '127.0.0.1:26379,127.0.0.1:26380',
        PORTCULLIS_REDIS_SENTINEL_NAME: 'mymaster',
        PORTCULLIS_REDIS_SENTINEL_PASSWORD_FILE: '/run/secrets/sentinel',
        PORTCULLIS_REDIS_TLS: 'true',
      },
      [],
      { readFile: () => 'sentinel-password\n' },
    );
    expect(config.redis).toEqual({
      sentinels: ['127.0.0.1:26379', '127.0.0.1:26380'],
      sentinelName: 'mymaster',
      sentinelPassword: 'sentinel-password',
      tls: true,
      keyPrefix: 'portcullis:',
    });
    expect(redisStoreOptions(config.redis!)).toEqual({
      sentinels: ['127.0.0.1:26379', '127.0.0.1:26380'],
      name: 'mymaster',
      sentinelPassword: 'sentinel-password',
      tls: true,
      keyPrefix: 'portcullis:',
    });
  });

  it('refuses two topologies, a cluster prefix without a hash tag, and Sentinel settings out of place', () => {
    const cases: [Record<string, string>, string[]][] = [
      [
        {
          PORTCULLIS_REDIS_URL: 'redis://127.0.0.1:6379',
          PORTCULLIS_REDIS_CLUSTER_NODES: '127.0.0.1:7000',
        },
        ['PORTCULLIS_REDIS_CLUSTER_NODES'],
      ],
      [
        {
          PORTCULLIS_REDIS_CLUSTER_NODES: '127.0.0.1:7000',
          PORTCULLIS_REDIS_SENTINELS: '127.0.0.1:26379',
          PORTCULLIS_REDIS_SENTINEL_NAME: 'm',
        },
        ['PORTCULLIS_REDIS_SENTINELS'],
      ],
      [
        {
          PORTCULLIS_REDIS_CLUSTER_NODES: '127.0.0.1:7000',
          PORTCULLIS_REDIS_KEY_PREFIX: 'orders:',
        },
        ['PORTCULLIS_REDIS_KEY_PREFIX'],
      ],
      [
        { PORTCULLIS_REDIS_CLUSTER_NODES: '127.0.0.1:7000', PORTCULLIS_REDIS_KEY_PREFIX: '{}:' },
        ['PORTCULLIS_REDIS_KEY_PREFIX'],
      ],
      [{ PORTCULLIS_REDIS_CLUSTER_NODES: '127.0.0.1' }, ['PORTCULLIS_REDIS_CLUSTER_NODES']],
      [{ PORTCULLIS_REDIS_CLUSTER_NODES: 'a:70000' }, ['PORTCULLIS_REDIS_CLUSTER_NODES']],
      [
        { PORTCULLIS_REDIS_SENTINELS: '127.0.0.1:26379' },
        ['redis.sentinelName (PORTCULLIS_REDIS_SENTINEL_NAME)'],
      ],
      [
        { PORTCULLIS_REDIS_URL: 'redis://x', PORTCULLIS_REDIS_SENTINEL_NAME: 'm' },
        ['PORTCULLIS_REDIS_SENTINEL_NAME'],
      ],
      [{ PORTCULLIS_REDIS_PASSWORD: 'pw' }, ['PORTCULLIS_REDIS_PASSWORD']],
    ];
    for (const [env, fields] of cases) {
      const issues = issuesOf({ ...base, ...env });
      expect(
        issues.map((i) => i.field),
        JSON.stringify(env),
      ).toEqual(fields);
    }
    const [prefix] = issuesOf({
      ...base,
      PORTCULLIS_REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      PORTCULLIS_REDIS_KEY_PREFIX: 'orders:',
    });
    expect(prefix?.message).toMatch(/hash tag/);
  });

  it('a hash-tagged prefix anywhere before the first } is accepted', () => {
    const config = loadConfig({
      ...base,
      PORTCULLIS_REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      PORTCULLIS_REDIS_KEY_PREFIX: 'orders:{orders-api}:',
    });
    expect(config.redis?.keyPrefix).toBe('orders:{orders-api}:');
  });

  it('names the CA file variable when the file cannot be read', () => {
    const config = loadConfig({
      ...base,
      PORTCULLIS_REDIS_URL: 'rediss://127.0.0.1:6380',
      PORTCULLIS_REDIS_TLS_CA_FILE: '/nonexistent/ca.pem',
    });
    expect(() => redisStoreOptions(config.redis!)).toThrow(/PORTCULLIS_REDIS_TLS_CA_FILE/);
  });
});

describe('redactConfig', () => {
  it('hides every secret', () => {
    const config = loadConfig({
      ...base,
      PORTCULLIS_ADMIN_TOKEN: 'admin-token-value-123',
      PORTCULLIS_INTROSPECTION_CLIENT_ID: 'rs',
      PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 'introspection-secret',
      PORTCULLIS_STANDARD_WEBHOOK_SECRET: 'whsec_secretvalue',
      PORTCULLIS_REDIS_URL: 'redis://user:redis-password@127.0.0.1:6379',
      PORTCULLIS_SHARED_CACHE_SECRET: 'shared-cache-secret-value-0123456789',
    });
    const text = JSON.stringify(redactConfig(config));
    const sentinel = JSON.stringify(
      redactConfig(
        loadConfig({
          ...base,
          PORTCULLIS_REDIS_SENTINELS: '127.0.0.1:26379',
          PORTCULLIS_REDIS_SENTINEL_NAME: 'mymaster',
          PORTCULLIS_REDIS_SENTINEL_PASSWORD: 'sentinel-secret-value',
          PORTCULLIS_REDIS_PASSWORD: 'node-secret-value',
        }),
      ),
    );
    expect(sentinel).not.toContain('sentinel-secret-value');
    expect(sentinel).not.toContain('node-secret-value');
    expect(sentinel).toContain('127.0.0.1:26379');
    for (const secret of [
      'admin-token-value-123',
      'introspection-secret',
      'whsec_secretvalue',
      'redis-password',
      'shared-cache-secret-value',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
    expect(text).toContain('127.0.0.1:6379');
  });
});
