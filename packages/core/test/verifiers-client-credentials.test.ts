import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mapClaimsToPrincipal } from '../src/principal/claims.js';
import { createClientCredentialsVerifier } from '../src/verifiers/client-credentials.js';
import type { ClientCredentialsVerifierOptions } from '../src/verifiers/client-credentials.js';
import { createJwtVerifier } from '../src/verifiers/jwt.js';
import type { VerifiedCredential } from '../src/provider.js';
import { createTestClock } from './helpers/clock.js';
import { startTestServer } from './helpers/http-server.js';
import type { Reply, TestServer } from './helpers/http-server.js';
import { mintJwt } from './helpers/jwt.js';
import { createSigningKey, jwksOf } from './helpers/keys.js';
import type { TestSigningKey } from './helpers/keys.js';
import { rejection } from './helpers/rejection.js';

const ISSUER = 'https://idp.example.test';

describe('createClientCredentialsVerifier', () => {
  let server: TestServer;
  let key: TestSigningKey;
  let reply: (form: URLSearchParams) => Reply | Promise<Reply>;
  const clock = createTestClock();

  beforeAll(async () => {
    key = await createSigningKey('ES256');
    server = await startTestServer((request) => reply(request.form));
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  const jwt = () =>
    createJwtVerifier({ jwks: jwksOf(key), issuer: ISSUER, audience: 'orders', now: clock.now });
  const bearer = async (token: string): Promise<VerifiedCredential> => {
    const { payload } = await jwt().verify(token);
    return {
      principal: mapClaimsToPrincipal(payload, { credential: 'access_token' }),
      checkedOnline: false,
      maxTtlMs: (payload.exp ?? 0) * 1000 - clock.now(),
    };
  };
  const verifier = (extra: Partial<ClientCredentialsVerifierOptions> = {}) =>
    createClientCredentialsVerifier({
      tokenEndpoint: `${server.url}/oauth/token`,
      verifyAccessToken: bearer,
      now: clock.now,
      ...extra,
    });
  const issue = async (
    claims: Record<string, unknown>,
    lifetimeSec = 3600,
    expiresIn = 3600,
  ): Promise<Reply> => ({
    status: 200,
    body: {
      access_token: await mintJwt(
        key,
        { iss: ISSUER, aud: 'orders', ...claims },
        { nowSec: clock.nowSec(), expiresInSec: lifetimeSec },
      ),
      token_type: 'Bearer',
      expires_in: expiresIn,
    },
  });

  it('exchanges Basic credentials and verifies the returned token', async () => {
    reply = () =>
      issue({ sub: 'machine-7', client_id: 'machine-7', scope: 'orders:read' }, 3600, 600);
    const result = await verifier({
      scope: ['orders:read', 'orders:write'],
      resource: 'https://api.example.test',
      audience: 'orders',
    }).verify('machine-7', 'pa:ss word');
    expect(result.checkedOnline).toBe(true);
    expect(result.maxTtlMs).toBe(600_000);
    expect(result.principal).toMatchObject({
      subject: 'machine-7',
      clientId: 'machine-7',
      credential: 'client_credentials',
      ownerKind: 'client',
      scopes: ['orders:read'],
    });
    expect(Object.isFrozen(result.principal)).toBe(true);
    const [seen] = server.requests;
    expect(seen?.form.get('grant_type')).toBe('client_credentials');
    expect(seen?.form.get('scope')).toBe('orders:read orders:write');
    expect(seen?.form.get('resource')).toBe('https://api.example.test');
    expect(seen?.form.get('audience')).toBe('orders');
    expect(seen?.form.has('client_secret')).toBe(false);
    expect(Buffer.from(String(seen?.headers.authorization).slice(6), 'base64').toString()).toBe(
      'machine-7:pa%3Ass+word',
    );
  });

  it('fills in the client id when the token carries none', async () => {
    reply = () => issue({ sub: 'machine-7' });
    expect((await verifier().verify('machine-7', 's')).principal.clientId).toBe('machine-7');
  });

  it('IdP invalid_client (401) and 400 errors → ERR_CLIENT_CREDENTIALS_INVALID (401)', async () => {
    reply = () => ({
      status: 401,
      body: { error: 'invalid_client', error_description: 'client authentication failed' },
    });
    const refused = await rejection(verifier().verify('machine-7', 'wrong'));
    expect(refused).toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_INVALID',
      status: 401,
      negative: true,
      details: { status: 401, idpError: 'invalid_client' },
    });
    expect(refused.message).not.toContain('wrong');
    reply = () => ({ status: 400, body: { error: 'invalid_scope' } });
    expect(await rejection(verifier().verify('machine-7', 's'))).toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_INVALID',
      details: { idpError: 'invalid_scope' },
    });
  });

  it('IdP 5xx, 429 and timeouts → ERR_IDP_UNAVAILABLE', async () => {
    reply = () => ({ status: 503, headers: { 'retry-after': '4' } });
    expect(await rejection(verifier().verify('m', 's'))).toMatchObject({
      code: 'ERR_IDP_UNAVAILABLE',
      retryAfterSec: 4,
    });
    reply = () => ({ status: 429 });
    expect((await rejection(verifier().verify('m', 's'))).code).toBe('ERR_IDP_UNAVAILABLE');
    reply = () => ({ hang: true });
    expect((await rejection(verifier({ timeoutMs: 100 }).verify('m', 's'))).code).toBe(
      'ERR_IDP_UNAVAILABLE',
    );
  });

  it('refuses answers without a bearer access_token or for another client', async () => {
    reply = () => ({ status: 200, body: { token_type: 'Bearer' } });
    expect((await rejection(verifier().verify('m', 's'))).code).toBe('ERR_IDP_RESPONSE_INVALID');
    reply = async () => ({
      status: 200,
      body: { ...((await issue({ sub: 'm' })).body as object), token_type: 'DPoP' },
    });
    expect((await rejection(verifier().verify('m', 's'))).code).toBe('ERR_IDP_RESPONSE_INVALID');
    reply = () => issue({ sub: 'other', client_id: 'other' });
    expect((await rejection(verifier().verify('machine-7', 's'))).code).toBe(
      'ERR_IDP_RESPONSE_INVALID',
    );
  });

  it('passes on what the bearer pipeline says about the returned token', async () => {
    reply = () => issue({ sub: 'm', aud: 'billing' });
    expect(await rejection(verifier().verify('m', 's'))).toMatchObject({
      code: 'ERR_TOKEN_CLAIM_INVALID',
      details: { claim: 'aud' },
    });
  });

  it('validates its options', () => {
    expect(() => verifier({ tokenEndpoint: 'not a url' })).toThrow(
      expect.objectContaining({ details: { option: 'tokenEndpoint' } }),
    );
    expect(() => verifier({ verifyAccessToken: undefined as never })).toThrow(
      expect.objectContaining({ details: { option: 'verifyAccessToken' } }),
    );
    expect(() => verifier({ scope: [''] })).toThrow(
      expect.objectContaining({ details: { option: 'scope' } }),
    );
  });
});
