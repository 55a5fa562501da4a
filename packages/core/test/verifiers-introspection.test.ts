import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIntrospectionVerifier } from '../src/verifiers/introspection.js';
import type { IntrospectionVerifierOptions } from '../src/verifiers/introspection.js';
import { createTestClock } from './helpers/clock.js';
import { startTestServer } from './helpers/http-server.js';
import type { Reply, TestServer } from './helpers/http-server.js';
import { rejection } from './helpers/rejection.js';

const PATH = '/oauth/introspect';

describe('createIntrospectionVerifier', () => {
  let server: TestServer;
  let reply: Reply;
  const clock = createTestClock();

  beforeAll(async () => {
    server = await startTestServer(() => reply);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  const verifier = (extra: Partial<IntrospectionVerifierOptions> = {}) =>
    createIntrospectionVerifier({
      introspectionEndpoint: `${server.url}${PATH}`,
      clientId: 'resource-server',
      clientSecret: 's3cr:et+/',
      now: clock.now,
      ...extra,
    });
  const active = (extra: Record<string, unknown> = {}): Reply => ({
    status: 200,
    body: {
      active: true,
      client_id: 'machine-7',
      scope: 'orders:read orders:write',
      iss: 'https://idp.example.test',
      iat: clock.nowSec() - 10,
      exp: clock.nowSec() + 600,
      ...extra,
    },
  });

  it('an active token becomes a principal checked online, cached no longer than exp', async () => {
    reply = active({ sub: 'svc-account', jti: 'tok-1', tenant: 'acme', perms: ['a', 'b'] });
    const result = await verifier({
      claimNames: { tenantId: 'tenant', permissions: 'perms' },
    }).verify('opaque-token-1');
    expect(result.checkedOnline).toBe(true);
    expect(result.maxTtlMs).toBe(600_000);
    expect(result.principal).toMatchObject({
      subject: 'svc-account',
      clientId: 'machine-7',
      tokenId: 'tok-1',
      tenantId: 'acme',
      ownerKind: 'tenant',
      credential: 'access_token',
      scopes: ['orders:read', 'orders:write'],
      permissions: ['a', 'b'],
      issuer: 'https://idp.example.test',
      expiresAt: clock.nowSec() + 600,
    });
    expect(Object.isFrozen(result.principal)).toBe(true);
  });

  it('sends the token with a hint and authenticates with client_secret_basic (form-encoded)', async () => {
    reply = active();
    await verifier().verify('opaque-token-2');
    const [seen] = server.requests;
    expect(seen?.method).toBe('POST');
    expect(seen?.form.get('token')).toBe('opaque-token-2');
    expect(seen?.form.get('token_type_hint')).toBe('access_token');
    expect(seen?.form.has('client_secret')).toBe(false);
    const basic = Buffer.from(String(seen?.headers.authorization).slice(6), 'base64').toString();
    expect(basic).toBe('resource-server:s3cr%3Aet%2B%2F');
  });

  it('supports client_secret_post and no hint', async () => {
    reply = active();
    await verifier({ clientAuthMethod: 'client_secret_post', tokenTypeHint: false }).verify('t');
    const [seen] = server.requests;
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.form.get('client_id')).toBe('resource-server');
    expect(seen?.form.get('client_secret')).toBe('s3cr:et+/');
    expect(seen?.form.has('token_type_hint')).toBe(false);
  });

  it('active:false → ERR_TOKEN_INACTIVE (401, may be negative-cached)', async () => {
    reply = { status: 200, body: { active: false } };
    const error = await rejection(verifier().verify('revoked'));
    expect(error).toMatchObject({
      code: 'ERR_TOKEN_INACTIVE',
      status: 401,
      oauthError: 'invalid_token',
      negative: true,
    });
  });

  it('marks client_credentials tokens by their grant claim', async () => {
    reply = active({ grant_type: 'client_credentials' });
    expect((await verifier().verify('t')).principal.credential).toBe('client_credentials');
    reply = active({ gty: 'client-credentials' });
    expect((await verifier().verify('t')).principal.credential).toBe('client_credentials');
  });

  it('refuses an "active" answer past its exp or before its nbf, and a wrong iss/aud when configured', async () => {
    reply = active({ exp: clock.nowSec() - 60 });
    expect((await rejection(verifier().verify('t'))).code).toBe('ERR_TOKEN_EXPIRED');
    reply = active({ nbf: clock.nowSec() + 60 });
    expect((await rejection(verifier().verify('t'))).code).toBe('ERR_TOKEN_NOT_YET_VALID');
    reply = active({ iss: 'https://other.example.test' });
    const iss = await rejection(verifier({ issuer: 'https://idp.example.test' }).verify('t'));
    expect(iss).toMatchObject({ code: 'ERR_TOKEN_CLAIM_INVALID', details: { claim: 'iss' } });
    reply = active({ aud: ['billing'] });
    const aud = await rejection(verifier({ audience: 'orders' }).verify('t'));
    expect(aud).toMatchObject({ code: 'ERR_TOKEN_CLAIM_INVALID', details: { claim: 'aud' } });
  });

  it('IdP 5xx and timeouts → ERR_IDP_UNAVAILABLE (503, never 401)', async () => {
    reply = { status: 502, body: 'bad gateway' };
    expect(await rejection(verifier().verify('t'))).toMatchObject({
      code: 'ERR_IDP_UNAVAILABLE',
      status: 503,
      negative: false,
    });
    reply = { hang: true };
    const timeout = await rejection(verifier({ timeoutMs: 100 }).verify('t'));
    expect(timeout.code).toBe('ERR_IDP_UNAVAILABLE');
    expect(timeout.message).toContain('timed out');
  });

  it('our own client being refused is an outage, not the token’s fault', async () => {
    reply = { status: 401, body: { error: 'invalid_client' } };
    expect(await rejection(verifier().verify('t'))).toMatchObject({
      code: 'ERR_IDP_UNAVAILABLE',
      negative: false,
    });
  });

  it('oversized, non-JSON or shapeless answers → ERR_IDP_RESPONSE_INVALID', async () => {
    reply = active({ padding: 'x'.repeat(4096) });
    expect((await rejection(verifier({ maxResponseBytes: 1024 }).verify('t'))).code).toBe(
      'ERR_IDP_RESPONSE_INVALID',
    );
    reply = { status: 200, body: 'active=true' };
    expect((await rejection(verifier().verify('t'))).code).toBe('ERR_IDP_RESPONSE_INVALID');
    reply = { status: 200, body: { active: 'true' } };
    expect((await rejection(verifier().verify('t'))).code).toBe('ERR_IDP_RESPONSE_INVALID');
    reply = { status: 200, body: [true] };
    expect((await rejection(verifier().verify('t'))).code).toBe('ERR_IDP_RESPONSE_INVALID');
  });

  it('validates its options', () => {
    const bad = (extra: Partial<IntrospectionVerifierOptions>, option: string) => {
      expect(() => verifier(extra)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION', details: { option } }),
      );
    };
    bad({ introspectionEndpoint: 'ftp://idp' }, 'introspectionEndpoint');
    bad({ clientId: '' }, 'clientId');
    bad({ clientSecret: undefined as unknown as string }, 'clientSecret');
    bad({ clientAuthMethod: 'private_key_jwt' as 'client_secret_post' }, 'clientAuthMethod');
    bad({ timeoutMs: 0 }, 'timeoutMs');
    bad({ claimNames: { tenantId: '' } }, 'claimNames.tenantId');
  });
});
