import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../src/verifiers/jwt.js';
import type { JwtVerifierOptions } from '../src/verifiers/jwt.js';
import type { PortcullisError } from '../src/errors.js';
import { createTestClock } from './helpers/clock.js';
import type { TestClock } from './helpers/clock.js';
import { mintJwt } from './helpers/jwt.js';
import { createSigningKey } from './helpers/keys.js';
import type { TestSigningKey } from './helpers/keys.js';
import { startJwksServer } from './helpers/jwks-server.js';
import type { JwksServer } from './helpers/jwks-server.js';
import { rejection } from './helpers/rejection.js';

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'orders-api';
const MINUTE = 60_000;

describe('remote JWKS caching', () => {
  let keyA: TestSigningKey;
  let keyB: TestSigningKey;
  let keyC: TestSigningKey;
  let jwks: JwksServer;
  let clock: TestClock;

  beforeAll(async () => {
    [keyA, keyB, keyC] = await Promise.all([
      createSigningKey('RS256', 'key-a'),
      createSigningKey('ES256', 'key-b'),
      createSigningKey('RS256', 'key-c'),
    ]);
  });

  afterEach(() => jwks.close());

  async function setup(extra: Partial<JwtVerifierOptions> = {}) {
    clock = createTestClock();
    jwks = await startJwksServer(keyA);
    const verifier = createJwtVerifier({
      jwksUri: jwks.jwksUri,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now,
      timeoutMs: 1000,
      ...extra,
    });
    return verifier;
  }
  const mint = (key: TestSigningKey) =>
    mintJwt(
      key,
      { iss: ISSUER, aud: AUDIENCE, sub: 'svc' },
      { nowSec: clock.nowSec(), expiresInSec: 7200 },
    );

  it('concurrent verifications share one JWKS fetch', async () => {
    const verifier = await setup();
    const token = await mint(keyA);
    const results = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(token)));
    expect(results).toHaveLength(50);
    expect(jwks.fetchCount()).toBe(1);
  });

  it('keys stay cached for cacheMaxAgeMs, then are refetched', async () => {
    const verifier = await setup({ cacheMaxAgeMs: 10 * MINUTE });
    await verifier.verify(await mint(keyA));
    clock.advance(9 * MINUTE);
    await verifier.verify(await mint(keyA));
    expect(jwks.fetchCount()).toBe(1);
    clock.advance(2 * MINUTE);
    await verifier.verify(await mint(keyA));
    expect(jwks.fetchCount()).toBe(2);
  });

  it('an unknown kid after rotation refetches once; another unknown kid inside the cooldown does not', async () => {
    const verifier = await setup({ cooldownMs: 30_000 });
    await verifier.verify(await mint(keyA));
    expect(jwks.fetchCount()).toBe(1);

    jwks.setKeys(keyA, keyB); // rotation: key-b published
    clock.advance(31_000);
    await expect(verifier.verify(await mint(keyB))).resolves.toMatchObject({
      protectedHeader: { kid: 'key-b' },
    });
    expect(jwks.fetchCount()).toBe(2);

    clock.advance(5_000); // inside the cooldown
    const unknown = await rejection(verifier.verify(await mint(keyC)));
    expect(unknown.code).toBe('ERR_TOKEN_SIGNATURE_INVALID');
    expect(jwks.fetchCount()).toBe(2);

    clock.advance(30_000); // cooldown over: one more refetch, still unknown
    expect((await rejection(verifier.verify(await mint(keyC)))).code).toBe(
      'ERR_TOKEN_SIGNATURE_INVALID',
    );
    expect(jwks.fetchCount()).toBe(3);
  });

  it('many concurrent tokens with an unknown kid cause a single refetch', async () => {
    const verifier = await setup({ cooldownMs: 30_000 });
    await verifier.verify(await mint(keyA));
    clock.advance(31_000);
    jwks.setKeys(keyB);
    const token = await mint(keyB);
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    expect(jwks.fetchCount()).toBe(2);
  });

  it('JWKS endpoint down with cached keys: still verifies until staleKeysMaxAgeMs', async () => {
    const verifier = await setup({
      cacheMaxAgeMs: 10 * MINUTE,
      staleKeysMaxAgeMs: 60 * MINUTE,
      fetchRetryMs: 1000,
    });
    await verifier.verify(await mint(keyA));
    jwks.fail({ status: 503, headers: { 'retry-after': '7' } });

    clock.advance(11 * MINUTE); // keys stale: a refetch is tried, fails, cached keys are used
    await expect(verifier.verify(await mint(keyA))).resolves.toBeDefined();
    expect(jwks.fetchCount()).toBe(2);
    expect(verifier.health().status).toBe('degraded');

    await verifier.verify(await mint(keyA)); // inside fetchRetryMs: no new attempt
    expect(jwks.fetchCount()).toBe(2);

    clock.advance(50 * MINUTE); // keys now 61 min old
    const error = await rejection(verifier.verify(await mint(keyA)));
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.retryAfterSec).toBe(7);
    expect(verifier.health().status).toBe('down');

    jwks.fail(undefined); // back up
    clock.advance(2_000);
    await expect(verifier.verify(await mint(keyA))).resolves.toBeDefined();
    expect(verifier.health().status).toBe('ok');
  });

  it('JWKS endpoint down without cached keys: 503 ERR_JWKS_UNAVAILABLE, nothing cached', async () => {
    const verifier = await setup({ fetchRetryMs: 1000 });
    jwks.fail({ status: 500 });
    const error = await rejection(verifier.verify(await mint(keyA)));
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.retryAfterSec).toBe(1);
    expect(error.negative).toBe(false);
    expect(jwks.fetchCount()).toBe(1);

    jwks.fail(undefined);
    clock.advance(1_000);
    await expect(verifier.verify(await mint(keyA))).resolves.toBeDefined();
    expect(jwks.fetchCount()).toBe(2);
  });

  it('JWKS endpoint unreachable (connection refused) → ERR_JWKS_UNAVAILABLE', async () => {
    const verifier = await setup();
    await jwks.close();
    jwks = await startJwksServer(keyA); // for afterEach; the verifier points at the closed port
    const error = await rejection(verifier.verify(await mint(keyA)));
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect((error.cause as PortcullisError).code).toBe('ERR_IDP_UNAVAILABLE');
  });

  it('a JWKS that is not a JWK set, or oversized, is not accepted as keys', async () => {
    const verifier = await setup({ maxJwksBytes: 1024, fetchRetryMs: 0 });
    jwks.fail({ status: 200, body: { keys: 'nope' } });
    const notASet = await rejection(verifier.verify(await mint(keyA)));
    expect(notASet.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect((notASet.cause as PortcullisError).code).toBe('ERR_IDP_RESPONSE_INVALID');
    jwks.fail({ status: 200, body: { keys: [keyA.publicJwk], padding: 'x'.repeat(2048) } });
    const oversized = await rejection(verifier.verify(await mint(keyA)));
    expect((oversized.cause as PortcullisError).code).toBe('ERR_IDP_RESPONSE_INVALID');
    expect((oversized.cause as PortcullisError).message).toContain('more than 1024 bytes');
  });

  it('a caller that gives up does not cancel the shared fetch for the others', async () => {
    const verifier = await setup();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    jwks.server.setHandler(async () => {
      await gate;
      return { status: 200, body: { keys: [keyA.publicJwk] } };
    });
    const token = await mint(keyA);
    const controller = new AbortController();
    const impatient = verifier.verify(token, controller.signal);
    const patient = verifier.verify(token);
    controller.abort();
    expect((await rejection(impatient)).code).toBe('ERR_IDP_UNAVAILABLE');
    release();
    await expect(patient).resolves.toBeDefined();
    expect(jwks.fetchCount()).toBe(1);
  });
});
