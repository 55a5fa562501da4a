import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../src/verifiers/jwt.js';
import type { JwtVerifierOptions } from '../src/verifiers/jwt.js';
import { PortcullisError } from '../src/errors.js';
import { createTestClock } from './helpers/clock.js';
import { forgeJwt, mintHmacJwt, mintJwt } from './helpers/jwt.js';
import { createSigningKey, jwksOf } from './helpers/keys.js';
import type { TestSigningKey } from './helpers/keys.js';
import { startJwksServer } from './helpers/jwks-server.js';
import type { JwksServer } from './helpers/jwks-server.js';
import { rejection } from './helpers/rejection.js';

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'orders-api';

describe('createJwtVerifier with a remote JWKS', () => {
  let rsa: TestSigningKey;
  let jwks: JwksServer;
  const clock = createTestClock();

  beforeAll(async () => {
    rsa = await createSigningKey('RS256');
    jwks = await startJwksServer(rsa);
  });
  afterAll(() => jwks.close());

  const verifier = (extra: Partial<JwtVerifierOptions> = {}) =>
    createJwtVerifier({
      jwksUri: jwks.jwksUri,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now,
      ...extra,
    });
  const claims = () => ({ iss: ISSUER, aud: AUDIENCE, sub: 'svc-1' });
  const mint = (overrides: Record<string, unknown> = {}, lifetime: number | null = 300) =>
    mintJwt(rsa, { ...claims(), ...overrides }, { nowSec: clock.nowSec(), expiresInSec: lifetime });

  it('verifies a good token and returns payload and header', async () => {
    const result = await verifier().verify(await mint());
    expect(result.payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'svc-1' });
    expect(result.protectedHeader).toMatchObject({ alg: 'RS256', kid: rsa.kid });
  });

  it('refuses alg none without fetching keys', async () => {
    const before = jwks.fetchCount();
    const token = forgeJwt({ alg: 'none', typ: 'JWT' }, { ...claims(), exp: clock.nowSec() + 60 });
    const error = await rejection(verifier().verify(token));
    expect(error.code).toBe('ERR_TOKEN_ALG_NOT_ALLOWED');
    expect(error.status).toBe(401);
    expect(jwks.fetchCount()).toBe(before);
  });

  it('refuses HS256 signed with the RSA public key as the HMAC secret', async () => {
    const token = await mintHmacJwt(
      new TextEncoder().encode(rsa.publicKeyPem),
      { ...claims(), exp: clock.nowSec() + 60 },
      { kid: rsa.kid },
    );
    expect((await rejection(verifier().verify(token))).code).toBe('ERR_TOKEN_ALG_NOT_ALLOWED');
  });

  it('refuses a token whose signature does not verify', async () => {
    const good = await mint();
    const other = await mintJwt(rsa, { ...claims(), sub: 'svc-2' }, { nowSec: clock.nowSec() });
    const [header, payload] = other.split('.');
    const spliced = `${header}.${payload}.${good.split('.')[2]}`;
    expect((await rejection(verifier().verify(spliced))).code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
  });

  it('names the claim when iss is wrong, and never echoes the token', async () => {
    const token = await mint({ iss: 'https://evil.example.test' });
    const error = await rejection(verifier().verify(token));
    expect(error.code).toBe('ERR_TOKEN_CLAIM_INVALID');
    expect(error.details).toEqual({ claim: 'iss' });
    expect(error.message).toContain('"iss"');
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain('evil');
  });

  it('refuses a wrong aud', async () => {
    const error = await rejection(verifier().verify(await mint({ aud: 'billing-api' })));
    expect(error.code).toBe('ERR_TOKEN_CLAIM_INVALID');
    expect(error.details).toEqual({ claim: 'aud' });
  });

  it('accepts any aud from an audience list and any iss from an issuer list', async () => {
    const token = await mint({
      aud: ['billing-api', 'orders-api'],
      iss: 'https://other.example.test',
    });
    const v = verifier({
      issuer: [ISSUER, 'https://other.example.test'],
      audience: ['orders-api'],
    });
    await expect(v.verify(token)).resolves.toBeDefined();
  });

  it('refuses a token without iss or aud unless the check is explicitly switched off', async () => {
    const token = await mintJwt(rsa, { sub: 'svc-1' }, { nowSec: clock.nowSec() });
    expect((await rejection(verifier().verify(token))).details).toEqual({ claim: 'iss' });
    expect((await rejection(verifier({ issuer: false }).verify(token))).details).toEqual({
      claim: 'aud',
    });
    await expect(verifier({ issuer: false, audience: false }).verify(token)).resolves.toBeDefined();
  });

  it('refuses an expired token, allowing the clock tolerance', async () => {
    const token = await mint({}, 60);
    clock.advance(63_000); // 3 s past exp: inside the default 5 s tolerance
    await expect(verifier().verify(token)).resolves.toBeDefined();
    clock.advance(3_000); // 6 s past exp
    const error = await rejection(verifier().verify(token));
    expect(error.code).toBe('ERR_TOKEN_EXPIRED');
    const lenient = verifier({ clockToleranceSec: 10 });
    await expect(lenient.verify(token)).resolves.toBeDefined();
  });

  it('refuses a token that is not valid yet (nbf)', async () => {
    const token = await mint({ nbf: clock.nowSec() + 60 });
    const error = await rejection(verifier().verify(token));
    expect(error.code).toBe('ERR_TOKEN_NOT_YET_VALID');
    clock.advance(56_000); // nbf − 4 s: inside the tolerance
    await expect(verifier().verify(token)).resolves.toBeDefined();
  });

  it('requires exp unless the caller checks the token online', async () => {
    const token = await mint({ type: 'tenantAccessToken' }, null);
    const error = await rejection(verifier().verify(token));
    expect(error.code).toBe('ERR_TOKEN_CLAIM_INVALID');
    expect(error.details).toEqual({ claim: 'exp' });
    await expect(verifier().verify(token, undefined, { requireExp: false })).resolves.toBeDefined();
    const byType = verifier({
      isCheckedOnline: (payload) => payload['type'] === 'tenantAccessToken',
    });
    await expect(byType.verify(token)).resolves.toBeDefined();
    const other = await mint({ type: 'userToken' }, null);
    expect((await rejection(byType.verify(other))).details).toEqual({ claim: 'exp' });
  });

  it('rejects a critical header parameter it does not understand', async () => {
    const token = await mintJwt(rsa, claims(), {
      nowSec: clock.nowSec(),
      header: { crit: ['x-unknown'], 'x-unknown': true },
      crit: { 'x-unknown': true },
    });
    expect((await rejection(verifier().verify(token))).code).toBe('ERR_TOKEN_MALFORMED');
  });

  it('never fetches jku / x5u and never trusts an embedded jwk', async () => {
    const attacker = await createSigningKey('RS256', rsa.kid);
    const attackerJwks = await startJwksServer(attacker);
    try {
      const token = await mintJwt(attacker, claims(), {
        nowSec: clock.nowSec(),
        header: {
          jku: attackerJwks.jwksUri,
          x5u: attackerJwks.jwksUri,
          jwk: attacker.publicJwk,
        },
      });
      const error = await rejection(verifier().verify(token));
      expect(error.code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
      expect(attackerJwks.fetchCount()).toBe(0);
    } finally {
      await attackerJwks.close();
    }
  });

  it('refuses garbage as malformed', async () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c', '!!!.???.###', forgeJwt({ typ: 'JWT' }, {})]) {
      expect((await rejection(verifier().verify(token))).code).toBe('ERR_TOKEN_MALFORMED');
    }
  });
});

describe('createJwtVerifier with static keys', () => {
  const clock = createTestClock();
  let es: TestSigningKey;
  let ed: TestSigningKey;

  beforeAll(async () => {
    es = await createSigningKey('ES256');
    ed = await createSigningKey('EdDSA');
  });

  it('verifies with a static JWK set and a PEM key', async () => {
    const token = await mintJwt(es, { iss: ISSUER, aud: AUDIENCE }, { nowSec: clock.nowSec() });
    const fromSet = createJwtVerifier({
      jwks: jwksOf(es, ed),
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now,
    });
    await expect(fromSet.verify(token)).resolves.toMatchObject({ payload: { iss: ISSUER } });
    const fromPem = createJwtVerifier({
      publicKeyPem: es.publicKeyPem,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now,
    });
    await expect(fromPem.verify(token)).resolves.toBeDefined();
    const edToken = await mintJwt(ed, { iss: ISSUER, aud: AUDIENCE }, { nowSec: clock.nowSec() });
    expect((await rejection(fromPem.verify(edToken))).code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
  });

  it('tries every key when several match (no kid)', async () => {
    const other = await createSigningKey('ES256');
    const token = await mintJwt(
      es,
      { iss: ISSUER, aud: AUDIENCE },
      { nowSec: clock.nowSec(), header: { kid: undefined } },
    );
    const noKids = { keys: [other, es].map(({ publicJwk: { kid: _kid, ...jwk } }) => jwk) };
    const v = createJwtVerifier({
      jwks: noKids,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now,
    });
    await expect(v.verify(token)).resolves.toBeDefined();
  });

  it('accepts HS256 only with an explicit secret', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!!';
    const token = await mintHmacJwt(new TextEncoder().encode(secret), {
      iss: ISSUER,
      aud: AUDIENCE,
      exp: clock.nowSec() + 60,
    });
    const v = createJwtVerifier({ secret, issuer: ISSUER, audience: AUDIENCE, now: clock.now });
    await expect(v.verify(token)).resolves.toBeDefined();
    const forged = await mintHmacJwt(new TextEncoder().encode(`${secret}x`), {
      iss: ISSUER,
      aud: AUDIENCE,
      exp: clock.nowSec() + 60,
    });
    expect((await rejection(v.verify(forged))).code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
    const rs = await mintJwt(es, { iss: ISSUER, aud: AUDIENCE }, { nowSec: clock.nowSec() });
    expect((await rejection(v.verify(rs))).code).toBe('ERR_TOKEN_ALG_NOT_ALLOWED');
  });
});

describe('createJwtVerifier option validation', () => {
  const base = { jwksUri: 'https://idp.example.test/jwks', issuer: ISSUER, audience: AUDIENCE };
  const invalid = (options: unknown): PortcullisError => {
    try {
      createJwtVerifier(options as JwtVerifierOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(PortcullisError);
      expect((error as PortcullisError).code).toBe('ERR_INVALID_OPTION');
      return error as PortcullisError;
    }
    throw new Error('expected ERR_INVALID_OPTION');
  };

  it('names the field that is wrong', () => {
    expect(invalid({ ...base, issuer: undefined }).details).toEqual({ option: 'issuer' });
    expect(invalid({ ...base, audience: '' }).details).toEqual({ option: 'audience' });
    expect(invalid({ ...base, algorithms: ['RS256', 'HS256'] }).details).toEqual({
      option: 'algorithms',
    });
    expect(invalid({ ...base, algorithms: ['none'] }).details).toEqual({ option: 'algorithms' });
    expect(invalid({ ...base, algorithms: [] }).details).toEqual({ option: 'algorithms' });
    expect(invalid({ ...base, jwksUri: 'file:///etc/keys' }).details).toEqual({
      option: 'jwksUri',
    });
    expect(invalid({ ...base, secret: 'x'.repeat(40) }).details).toEqual({ option: 'jwksUri' });
    expect(invalid({ ...base, clockToleranceSec: -1 }).details).toEqual({
      option: 'clockToleranceSec',
    });
    expect(invalid({ ...base, cooldownMs: Number.NaN }).details).toEqual({ option: 'cooldownMs' });
    expect(invalid({ ...base, cacheMaxAgeMs: 10_000, staleKeysMaxAgeMs: 5_000 }).details).toEqual({
      option: 'staleKeysMaxAgeMs',
    });
    const { jwksUri: _omit, ...noSource } = base;
    expect(invalid({ ...noSource, secret: 'too-short' }).details).toEqual({ option: 'secret' });
    expect(invalid({ ...noSource, secret: 'x'.repeat(40), algorithms: ['RS256'] }).details).toEqual(
      {
        option: 'algorithms',
      },
    );
    expect(invalid({ ...noSource, publicKeyPem: 'not a pem' }).details).toEqual({
      option: 'publicKeyPem',
    });
    expect(invalid({ ...noSource, jwks: { keys: [{ kty: 'oct', k: 'abc' }] } }).details).toEqual({
      option: 'jwks',
    });
  });
});
