import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import type { ProviderContext } from '../src/provider.js';
import { oauth2 } from '../src/providers/oauth2.js';
import type { OAuth2ProviderOptions } from '../src/providers/oauth2.js';
import { discoveryUrls } from '../src/providers/discovery.js';
import type { ExtractedCredential } from '../src/types.js';
import { createTestClock } from './helpers/clock.js';
import { startTestServer } from './helpers/http-server.js';
import type { RecordedRequest, Reply, TestServer } from './helpers/http-server.js';
import { mintJwt } from './helpers/jwt.js';
import { createSigningKey, jwksOf } from './helpers/keys.js';
import type { TestSigningKey } from './helpers/keys.js';
import { rejection } from './helpers/rejection.js';

const clock = createTestClock();
const signal = () => ({ signal: new AbortController().signal });
const bearer = (token: string): ExtractedCredential => ({ form: 'bearer', token });

function contextFor(extra: Partial<ProviderContext> = {}): ProviderContext {
  return {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    now: clock.now,
    dispatcher: undefined,
    timeoutMs: 1000,
    clockToleranceSec: 5,
    actions: {} as ProviderContext['actions'],
    observePolicy() {},
    requestPolicyRefresh() {},
    ...extra,
  };
}

/** A fake authorization server under `/tenant-a`, with switchable discovery documents. */
interface FakeAs {
  readonly server: TestServer;
  readonly issuer: string;
  rfc8414: 'serve' | 'missing' | 'wrong-issuer' | 'down';
  introspection: Record<string, unknown>;
  tokenReply: (request: RecordedRequest) => Reply | Promise<Reply>;
}

describe('oauth2 provider', () => {
  let key: TestSigningKey;
  let as: FakeAs;

  beforeAll(async () => {
    key = await createSigningKey('RS256');
  });
  afterEach(async () => {
    await as?.server.close();
  });

  async function startAs(): Promise<FakeAs> {
    const state = {
      rfc8414: 'serve' as FakeAs['rfc8414'],
      introspection: { active: true, client_id: 'opaque-client', scope: 'orders:read' } as Record<
        string,
        unknown
      >,
      tokenReply: (() => ({ status: 500 })) as FakeAs['tokenReply'],
    };
    let issuer = '';
    const metadata = () => ({
      issuer,
      jwks_uri: `${issuer}/jwks`,
      token_endpoint: `${issuer}/token`,
      introspection_endpoint: `${issuer}/introspect`,
    });
    const server = await startTestServer((request) => {
      switch (request.path) {
        case '/.well-known/oauth-authorization-server/tenant-a':
          if (state.rfc8414 === 'down') return { status: 503 };
          if (state.rfc8414 === 'missing') return { status: 404 };
          return {
            status: 200,
            body:
              state.rfc8414 === 'wrong-issuer'
                ? { ...metadata(), issuer: 'https://evil.test' }
                : metadata(),
          };
        case '/tenant-a/.well-known/openid-configuration':
          return { status: 200, body: metadata() };
        case '/tenant-a/jwks':
          return { status: 200, body: jwksOf(key) };
        case '/tenant-a/introspect':
          return { status: 200, body: state.introspection };
        case '/tenant-a/token':
          return state.tokenReply(request);
        default:
          return { status: 404 };
      }
    });
    issuer = `${server.url}/tenant-a`;
    return Object.assign(state, { server, issuer });
  }

  function provider(extra: Partial<OAuth2ProviderOptions> = {}, context = contextFor()) {
    const p = oauth2({
      issuer: as.issuer,
      audience: 'orders',
      introspection: { clientId: 'rs', clientSecret: 'rs-secret' },
      ...extra,
    });
    p.init?.(context);
    return p;
  }
  const jwt = (claims: Record<string, unknown> = {}) =>
    mintJwt(
      key,
      { iss: as.issuer, aud: 'orders', sub: 'machine-1', client_id: 'machine-1', ...claims },
      { nowSec: clock.nowSec() },
    );

  it('computes RFC 8414 (path inserted) and OIDC (path appended) discovery URLs', () => {
    expect(discoveryUrls(new URL('https://as.test/tenant-a/')).map(String)).toEqual([
      'https://as.test/.well-known/oauth-authorization-server/tenant-a',
      'https://as.test/tenant-a/.well-known/openid-configuration',
    ]);
    expect(discoveryUrls(new URL('https://as.test')).map(String)).toEqual([
      'https://as.test/.well-known/oauth-authorization-server',
      'https://as.test/.well-known/openid-configuration',
    ]);
  });

  it('discovers via RFC 8414 and verifies a JWT through the discovered JWKS', async () => {
    as = await startAs();
    const result = await provider().verify(bearer(await jwt({ scope: 'orders:read' })), signal());
    expect(result).toMatchObject({
      checkedOnline: false,
      maxTtlMs: 300_000,
      principal: {
        subject: 'machine-1',
        clientId: 'machine-1',
        credential: 'access_token',
        ownerKind: 'client',
        scopes: ['orders:read'],
        issuer: as.issuer,
      },
    });
    expect(as.server.count('/.well-known/oauth-authorization-server/tenant-a')).toBe(1);
    expect(as.server.count('/tenant-a/.well-known/openid-configuration')).toBe(0);
  });

  it('falls back to OIDC discovery when RFC 8414 is missing or names another issuer', async () => {
    as = await startAs();
    as.rfc8414 = 'missing';
    await expect(provider().verify(bearer(await jwt()), signal())).resolves.toBeDefined();
    as.rfc8414 = 'wrong-issuer';
    await expect(provider().verify(bearer(await jwt()), signal())).resolves.toBeDefined();
    expect(as.server.count('/tenant-a/.well-known/openid-configuration')).toBe(2);
  });

  it('discovery is single-flight, cached, and retried after a failure', async () => {
    as = await startAs();
    const issuer = as.issuer;
    let discoveryAnswers = 0;
    as.server.setHandler((request) => {
      if (request.path.includes('.well-known')) {
        discoveryAnswers += 1;
        // Both documents of the first attempt fail; the retry succeeds.
        if (discoveryAnswers <= 2) return { status: 503, headers: { 'retry-after': '3' } };
        return { status: 200, body: { issuer, jwks_uri: `${issuer}/jwks` } };
      }
      return request.path === '/tenant-a/jwks'
        ? { status: 200, body: jwksOf(key) }
        : { status: 404 };
    });
    const p = provider();
    const down = await rejection(p.verify(bearer(await jwt()), signal()));
    expect(down).toMatchObject({ code: 'ERR_IDP_UNAVAILABLE', retryAfterSec: 3 });
    expect(p.health?.().status).toBe('degraded');
    const token = await jwt();
    await Promise.all(Array.from({ length: 10 }, () => p.verify(bearer(token), signal())));
    expect(discoveryAnswers).toBe(3); // two failed documents, then one shared successful fetch
    await p.verify(bearer(token), signal());
    expect(discoveryAnswers).toBe(3);
    expect(p.health?.().status).toBe('ok');
  });

  it('explicit URLs override discovery, and no discovery happens when all are given', async () => {
    as = await startAs();
    const p = provider({
      discovery: false,
      jwksUri: `${as.issuer}/jwks`,
      introspectionEndpoint: `${as.issuer}/introspect`,
      tokenEndpoint: `${as.issuer}/token`,
    });
    await expect(p.verify(bearer(await jwt()), signal())).resolves.toBeDefined();
    await expect(p.verify(bearer('opaque-token'), signal())).resolves.toBeDefined();
    expect(as.server.requests.filter((r) => r.path.includes('.well-known'))).toHaveLength(0);
  });

  it('opaque tokens go to introspection; without it they are refused', async () => {
    as = await startAs();
    const result = await provider().verify(
      { form: 'api-key', token: 'opaque-abc', header: 'x-api-key' },
      signal(),
    );
    expect(result).toMatchObject({
      checkedOnline: true,
      principal: { subject: 'opaque-client', clientId: 'opaque-client', scopes: ['orders:read'] },
    });
    expect(
      as.server.requests.find((r) => r.path === '/tenant-a/introspect')?.form.get('token'),
    ).toBe('opaque-abc');
    as.introspection = { active: false };
    expect((await rejection(provider().verify(bearer('opaque-abc'), signal()))).code).toBe(
      'ERR_TOKEN_INACTIVE',
    );
    const withoutIntrospection = provider({ introspection: undefined });
    expect(
      (await rejection(withoutIntrospection.verify(bearer('opaque-abc'), signal()))).code,
    ).toBe('ERR_TOKEN_MALFORMED');
  });

  it('refuses JWTs for another audience or issuer', async () => {
    as = await startAs();
    expect(
      (await rejection(provider().verify(bearer(await jwt({ aud: 'billing' })), signal()))).details,
    ).toEqual({ claim: 'aud' });
    expect(
      (
        await rejection(
          provider().verify(bearer(await jwt({ iss: 'https://evil.test' })), signal()),
        )
      ).details,
    ).toEqual({ claim: 'iss' });
  });

  it('marks tokens by their grant claim and Basic exchanges as client_credentials', async () => {
    as = await startAs();
    const ccToken = await jwt({ gty: 'client_credentials' });
    expect((await provider().verify(bearer(ccToken), signal())).principal.credential).toBe(
      'client_credentials',
    );
    as.tokenReply = async (request) =>
      request.headers.authorization === `Basic ${Buffer.from('machine-1:good').toString('base64')}`
        ? { status: 200, body: { access_token: await jwt(), token_type: 'Bearer', expires_in: 60 } }
        : { status: 401, body: { error: 'invalid_client' } };
    const basic = await provider().verify(
      { form: 'basic', clientId: 'machine-1', secret: 'good' },
      signal(),
    );
    expect(basic).toMatchObject({
      checkedOnline: true,
      maxTtlMs: 60_000,
      principal: { clientId: 'machine-1', credential: 'client_credentials' },
    });
    const bad = await rejection(
      provider().verify({ form: 'basic', clientId: 'machine-1', secret: 'bad' }, signal()),
    );
    expect(bad.code).toBe('ERR_CLIENT_CREDENTIALS_INVALID');
    const off = await rejection(
      provider({ clientCredentials: false }).verify(
        { form: 'basic', clientId: 'm', secret: 's' },
        signal(),
      ),
    );
    expect(off.code).toBe('ERR_CREDENTIAL_KIND_NOT_ACCEPTED');
  });

  it('introspectJwts checks JWTs online too', async () => {
    as = await startAs();
    as.introspection = { active: true };
    const result = await provider({ introspectJwts: true }).verify(bearer(await jwt()), signal());
    expect(result.checkedOnline).toBe(true);
    as.introspection = { active: false };
    expect(
      (await rejection(provider({ introspectJwts: true }).verify(bearer(await jwt()), signal())))
        .code,
    ).toBe('ERR_TOKEN_INACTIVE');
  });

  it('uses the dispatcher, clock and timeout from init(context)', async () => {
    as = await startAs();
    let dispatched = 0;
    const counting = new Agent().compose((dispatch) => (options, handler) => {
      dispatched += 1;
      return dispatch(options, handler);
    });
    try {
      const later = createTestClock(clock.now() + 3_600_000);
      const p = provider({}, contextFor({ dispatcher: counting, now: later.now }));
      expect((await rejection(p.verify(bearer(await jwt()), signal()))).code).toBe(
        'ERR_TOKEN_EXPIRED',
      );
      expect(dispatched).toBe(2); // discovery + JWKS
    } finally {
      await counting.close();
    }
  });

  it('refuses to verify after close()', async () => {
    as = await startAs();
    const p = provider();
    await p.close?.();
    expect((await rejection(p.verify(bearer('x'), signal()))).code).toBe('ERR_CLOSED');
  });

  it('validates its options at construction, naming the field', () => {
    const invalid = (options: unknown, option: string) =>
      expect(() => oauth2(options as OAuth2ProviderOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION', details: { option } }),
      );
    invalid({ issuer: 'https://as.test' }, 'audience');
    invalid({ issuer: 'not a url', audience: 'a' }, 'issuer');
    invalid({ issuer: 'https://as.test', audience: 'a', algorithms: ['HS256'] }, 'algorithms');
    invalid({ issuer: 'https://as.test', audience: 'a', introspectJwts: true }, 'introspectJwts');
    invalid(
      { issuer: 'https://as.test', audience: 'a', introspection: { clientId: 'x' } },
      'introspection.clientSecret',
    );
    invalid({ issuer: 'https://as.test', audience: 'a', discovery: false }, 'jwksUri');
    invalid(
      { issuer: 'https://as.test', audience: 'a', jwksCache: { cooldownMs: -1 } },
      'jwksCache.cooldownMs',
    );
    expect(oauth2({ issuer: 'https://as.test', audience: false }).name).toBe('oauth2');
  });
});
