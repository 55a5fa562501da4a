/**
 * IdP faults (issue 9): a real authenticator with the frontegg preset against the emulator's fault
 * routes, through a counting proxy (the IdP's view: calls made, calls open at once), and the
 * oauth2 preset against a JWKS endpoint that goes down, returns garbage or megabytes.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, errorResponse, frontegg, oauth2 } from '@portcullis/core';
import type { Authenticator, AuthenticatorOptions, RequestLike } from '@portcullis/core';
import { basic, startFronteggEnv } from './support/frontegg-env.js';
import type { FronteggEnv } from './support/frontegg-env.js';
import { createSigningKey, jwksOf, signJwt } from './support/jwt-kit.js';
import type { SigningKey } from './support/jwt-kit.js';
import { describeOutcome, outcomeOf } from './support/outcome.js';
import type { Outcome } from './support/outcome.js';
import { createRecorder } from './support/recorder.js';
import { json, startScriptedServer } from './support/scripted-server.js';
import type { Reply, ScriptedServer } from './support/scripted-server.js';
import { settleWithin, waitFor } from './support/wait.js';

const recorder = createRecorder('idp-faults');
// The report and the test outcome must agree: every observation recorded here was as expected.
afterAll(() => {
  expect(recorder.notOk()).toEqual([]);
});
const EXCHANGE = '/identity/resources/auth/v2/api-token';
const ACTIVE_CHECK = '/identity/resources/vendor-only';
const CONFIGURATIONS = '/identity/resources/configurations/v1';
const BOTH_KINDS = ['client_credentials', 'access_token'] as const;

let env: FronteggEnv;
const opened: Authenticator[] = [];

beforeAll(async () => {
  env = await startFronteggEnv(3);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((authenticator) => authenticator.close()));
  env.proxy.override();
  await env.proxy.accept();
  await env.clearFaults();
});

afterAll(async () => {
  await env?.close();
});

/** A frontegg authenticator through the counting proxy; policy pinned unless `policy` is given. */
async function fronteggAuthenticator(
  options: Partial<AuthenticatorOptions> = {},
): Promise<Authenticator> {
  const authenticator = createAuthenticator({
    provider: frontegg(env.provider),
    policy: { enabled: true, acceptedCredentials: BOTH_KINDS },
    ...options,
    idp: { timeoutMs: 400, ...options.idp },
  });
  opened.push(authenticator);
  await authenticator.ready();
  return authenticator;
}

const withAuthorization = (authorization: string): RequestLike => ({
  headers: { authorization },
  url: '/orders',
});
const withApiKey = (key: string): RequestLike => ({
  headers: { 'x-api-key': key },
  url: '/orders',
});
const tokenRequest = (index: number): RequestLike => {
  const token = env.apiTokens[index]!;
  return withAuthorization(basic(token.clientId, token.secret));
};
const randomBasic = (): RequestLike =>
  withAuthorization(basic(randomBytes(8).toString('hex'), randomBytes(16).toString('hex')));

function unavailable(outcome: Outcome): boolean {
  return !outcome.ok && outcome.status === 503 && (outcome.retryAfterSec ?? 0) >= 1;
}

describe('IdP slower than idp.timeoutMs', () => {
  for (const mode of ['latency', 'hang'] as const) {
    it(`${mode}: answers 503 ERR_IDP_UNAVAILABLE with Retry-After, no hang, and drops the IdP call`, async () => {
      const authenticator = await fronteggAuthenticator({ idp: { timeoutMs: 300 } });
      await env.fault('exchange', mode, mode === 'latency' ? 10_000 : undefined);
      const settled = await settleWithin(
        outcomeOf(authenticator.authenticate(tokenRequest(0))),
        5000,
      );
      const outcome = settled.state === 'fulfilled' ? settled.value : undefined;
      const answer =
        outcome !== undefined && !outcome.ok
          ? errorResponse(outcome.error, { realm: 'api', basic: true })
          : undefined;
      recorder.record({
        category: 'IdP faults',
        name: `IdP ${mode === 'latency' ? 'slower than the timeout (10 s latency, 300 ms timeout)' : 'hangs (never answers)'}`,
        tried: `client-credentials exchange with the emulator fault ${mode} on the exchange route`,
        expected: '503 ERR_IDP_UNAVAILABLE, Retry-After: 1, settled before the 5 s deadline',
        observed:
          outcome === undefined
            ? 'still pending after 5 s'
            : `${describeOutcome(outcome)}, Retry-After: ${answer?.headers['Retry-After'] ?? 'none'}, settled before the 5 s deadline`,
      });
      expect(outcome).toMatchObject({ ok: false, status: 503, code: 'ERR_IDP_UNAVAILABLE' });
      expect(answer?.headers['Retry-After']).toBe('1');

      // The abandoned call must not stay open at the IdP (else a slow IdP piles up connections).
      let closed = true;
      await waitFor('the abandoned IdP call to close', () => env.proxy.open === 0, 3000).catch(
        () => {
          closed = false;
        },
      );
      recorder.record({
        category: 'IdP faults',
        name: `abandoned IdP call after a timeout (${mode})`,
        tried: 'count connections still open at the IdP after the 503',
        expected: 'the IdP call is aborted (0 open)',
        observed: closed
          ? 'the IdP call is aborted (0 open)'
          : `${env.proxy.open} still open after 3 s`,
      });
      expect(closed).toBe(true);
    });
  }
});

describe('IdP errors are 503, never 401, and never cached', () => {
  for (const mode of ['5xx', 'reset', 'down'] as const) {
    it(`${mode} on the exchange: 503, a retry calls the IdP again, recovery succeeds`, async () => {
      const authenticator = await fronteggAuthenticator();
      await env.fault('exchange', mode);
      const first = await outcomeOf(authenticator.authenticate(tokenRequest(0)));
      const callsBefore = env.proxy.count(EXCHANGE);
      const second = await outcomeOf(authenticator.authenticate(tokenRequest(0)));
      const retriedAtIdp = env.proxy.count(EXCHANGE) - callsBefore;
      await env.clearFaults();
      const beforeRecovery = env.proxy.count(EXCHANGE);
      const recovered = await outcomeOf(authenticator.authenticate(tokenRequest(0)));
      const recoveryCalls = env.proxy.count(EXCHANGE) - beforeRecovery;
      const observed = `${describeOutcome(first)}; retry during the fault: ${describeOutcome(second)} with ${retriedAtIdp} IdP call; after recovery: ${describeOutcome(recovered)} with ${recoveryCalls} IdP call`;
      recorder.record({
        category: 'IdP faults',
        name: `IdP ${mode} on the client-credentials exchange`,
        tried: `emulator fault ${mode} on the exchange route, two attempts, then the fault cleared`,
        expected:
          '503 ERR_IDP_UNAVAILABLE; retry during the fault: 503 ERR_IDP_UNAVAILABLE with 1 IdP call; after recovery: allowed with 1 IdP call',
        observed,
      });
      expect(unavailable(first)).toBe(true);
      expect(first).toMatchObject({ code: 'ERR_IDP_UNAVAILABLE' });
      expect(unavailable(second)).toBe(true);
      expect(retriedAtIdp).toBe(1);
      expect(recovered.ok).toBe(true);
      expect(recoveryCalls).toBe(1);
    });
  }

  it('5xx on the access-token check (X-API-Key): 503, then allowed after recovery', async () => {
    const authenticator = await fronteggAuthenticator();
    await env.fault('vendor-only', '5xx');
    const during = await outcomeOf(authenticator.authenticate(withApiKey(env.accessToken)));
    await env.clearFaults();
    const before = env.proxy.count(ACTIVE_CHECK);
    const after = await outcomeOf(authenticator.authenticate(withApiKey(env.accessToken)));
    const calls = env.proxy.count(ACTIVE_CHECK) - before;
    recorder.record({
      category: 'IdP faults',
      name: 'IdP 5xx on the access-token liveness check',
      tried: 'X-API-Key access token while the vendor-only routes answer 500, then cleared',
      expected: '503 ERR_IDP_UNAVAILABLE, then allowed with a fresh IdP check',
      observed: `${describeOutcome(during)}, then ${describeOutcome(after)}${calls > 0 ? ' with a fresh IdP check' : ' without an IdP check'}`,
    });
    expect(unavailable(during)).toBe(true);
    expect(after.ok).toBe(true);
    expect(calls).toBeGreaterThan(0);
  });
});

describe('IdP answers that are not answers', () => {
  let attacker: ScriptedServer;
  beforeAll(async () => {
    attacker = await startScriptedServer(() => json(200, { access_token: 'attacker' }));
  });
  afterAll(async () => {
    await attacker?.close();
  });

  const CASES: {
    name: string;
    answer: () => { status: number; headers?: Record<string, string>; body: string };
    expected: string;
  }[] = [
    {
      name: 'garbage (200, not JSON)',
      answer: () => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"access_token": nope',
      }),
      expected: '503 ERR_IDP_RESPONSE_INVALID',
    },
    {
      name: 'wrong shape (200, JSON without a token)',
      answer: () => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"unexpected":true}',
      }),
      expected: '503 ERR_IDP_RESPONSE_INVALID',
    },
    {
      name: 'megabytes (200, 4 MiB JSON)',
      answer: () => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: 'x'.repeat(4 * 1024 * 1024) }),
      }),
      expected: '503 ERR_IDP_RESPONSE_INVALID',
    },
    {
      name: 'redirect to another host (302)',
      answer: () => ({
        status: 302,
        headers: { location: `${attacker.url}/identity/resources/auth/v2/api-token` },
        body: '',
      }),
      expected: '503 ERR_IDP_RESPONSE_INVALID',
    },
    {
      name: 'an HTML error page (502)',
      answer: () => ({
        status: 502,
        headers: { 'content-type': 'text/html' },
        body: '<html>Bad gateway</html>',
      }),
      expected: '503 ERR_IDP_UNAVAILABLE',
    },
    {
      name: 'rate limited (429, Retry-After: 7)',
      answer: () => ({
        status: 429,
        headers: { 'retry-after': '7', 'content-type': 'application/json' },
        body: '{}',
      }),
      expected: '503 ERR_IDP_UNAVAILABLE',
    },
  ];

  for (const testCase of CASES) {
    it(`exchange answers ${testCase.name}: 503 (never 401), not cached, no redirect followed`, async () => {
      const authenticator = await fronteggAuthenticator();
      const attackerBefore = attacker.seen.length;
      env.proxy.override(EXCHANGE, testCase.answer());
      const during = await outcomeOf(authenticator.authenticate(tokenRequest(0)));
      env.proxy.override();
      const after = await outcomeOf(authenticator.authenticate(tokenRequest(0)));
      const attackerCalls = attacker.seen.length - attackerBefore;
      const retryAfter = during.ok ? undefined : during.retryAfterSec;
      const observed = `${describeOutcome(during)}${retryAfter === undefined ? '' : ` (Retry-After ${retryAfter})`}, then ${describeOutcome(after)}; ${attackerCalls} requests elsewhere`;
      const ok =
        !during.ok &&
        describeOutcome(during) === testCase.expected &&
        after.ok &&
        attackerCalls === 0;
      recorder.record({
        category: 'IdP faults',
        name: `exchange answers ${testCase.name}`,
        tried: `client-credentials exchange answered with ${testCase.name}, then a healthy IdP`,
        expected: `${testCase.expected} (Retry-After ≥ 1), then allowed; 0 requests elsewhere`,
        observed,
        ok: ok && (retryAfter ?? 0) >= 1,
      });
      expect(describeOutcome(during)).toBe(testCase.expected);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(after.ok).toBe(true);
      expect(attackerCalls).toBe(0);
    });
  }
});

describe('IdP down (connection refused)', () => {
  it('cached principals keep working until their TTL, new ones get 503, recovery needs no restart', async () => {
    let clock = Date.now();
    const authenticator = await fronteggAuthenticator({
      cache: { ttlMs: 10_000 },
      now: () => clock,
    });
    const warm = [
      await outcomeOf(authenticator.authenticate(tokenRequest(0))),
      await outcomeOf(authenticator.authenticate(withApiKey(env.accessToken))),
      await outcomeOf(authenticator.authenticate(withAuthorization(`Bearer ${env.apiTokenJwt}`))),
    ];
    expect(warm.every((outcome) => outcome.ok)).toBe(true);

    await env.proxy.refuse();
    env.proxy.resetCounts();
    const cached = [
      await outcomeOf(authenticator.authenticate(tokenRequest(0))),
      await outcomeOf(authenticator.authenticate(withApiKey(env.accessToken))),
    ];
    const fresh = await outcomeOf(authenticator.authenticate(tokenRequest(1)));
    const health = authenticator.health();
    recorder.record({
      category: 'IdP down',
      name: 'cached principals during an outage',
      tried:
        'IdP port closed; a cached client credential and a cached access token within their TTL',
      expected: 'allowed, allowed; 0 IdP calls',
      observed: `${cached.map(describeOutcome).join(', ')}; ${env.proxy.seen.length} IdP calls`,
    });
    recorder.record({
      category: 'IdP down',
      name: 'new credential during an outage',
      tried: 'IdP port closed; a client credential never seen before',
      expected: '503 ERR_IDP_UNAVAILABLE',
      observed: describeOutcome(fresh),
    });
    recorder.record({
      category: 'IdP down',
      name: 'health during an outage',
      tried: 'authenticator.health() after a failed IdP call',
      expected: 'ready, idp degraded',
      observed: `${health.ready ? 'ready' : 'not ready'}, idp ${health.components['idp']?.status ?? 'missing'}`,
    });
    expect(cached.every((outcome) => outcome.ok)).toBe(true);
    expect(fresh).toMatchObject({ ok: false, status: 503, code: 'ERR_IDP_UNAVAILABLE' });
    expect(health.ready).toBe(true);
    expect(health.components['idp']?.status).toBe('degraded');

    clock += 11_000;
    const expired = await outcomeOf(authenticator.authenticate(tokenRequest(0)));
    const offlineJwt = await outcomeOf(
      authenticator.authenticate(withAuthorization(`Bearer ${env.apiTokenJwt}`)),
    );
    recorder.record({
      category: 'IdP down',
      name: 'cached principal past its TTL (no staleIfErrorMs)',
      tried: 'IdP port closed; clock moved past the 10 s cache TTL',
      expected: '503 ERR_IDP_UNAVAILABLE',
      observed: describeOutcome(expired),
    });
    recorder.record({
      category: 'IdP down',
      name: 'API-token JWT (Bearer) past the cache TTL',
      tried:
        'IdP port closed; the exchanged JWT is verified offline with the JWKS keys already held',
      expected: 'allowed',
      observed: describeOutcome(offlineJwt),
    });
    expect(expired).toMatchObject({ ok: false, status: 503 });
    expect(offlineJwt.ok).toBe(true);

    await env.proxy.accept();
    const recovered = [
      await outcomeOf(authenticator.authenticate(tokenRequest(0))),
      await outcomeOf(authenticator.authenticate(tokenRequest(1))),
    ];
    const healthAfter = authenticator.health();
    recorder.record({
      category: 'IdP down',
      name: 'recovery without restart',
      tried: 'IdP port open again; the expired and the new credential, same authenticator',
      expected: 'allowed, allowed; idp ok',
      observed: `${recovered.map(describeOutcome).join(', ')}; idp ${healthAfter.components['idp']?.status ?? 'missing'}`,
    });
    expect(recovered.every((outcome) => outcome.ok)).toBe(true);
    expect(healthAfter.components['idp']?.status).toBe('ok');
  });

  it('staleIfErrorMs serves an expired entry during the outage, bounded, and never after a revocation', async () => {
    let clock = Date.now();
    const authenticator = await fronteggAuthenticator({
      cache: { ttlMs: 10_000, staleIfErrorMs: 20_000 },
      now: () => clock,
    });
    expect((await outcomeOf(authenticator.authenticate(tokenRequest(0)))).ok).toBe(true);
    expect((await outcomeOf(authenticator.authenticate(tokenRequest(2)))).ok).toBe(true);
    await env.proxy.refuse();

    clock += 15_000;
    const stale = await outcomeOf(authenticator.authenticate(tokenRequest(0)));
    const staleHits = authenticator.stats().staleHits;
    await authenticator.revoke({ clientId: env.apiTokens[2]!.clientId });
    const revoked = await outcomeOf(authenticator.authenticate(tokenRequest(2)));
    clock += 16_000;
    const beyond = await outcomeOf(authenticator.authenticate(tokenRequest(0)));
    recorder.record({
      category: 'IdP down',
      name: 'staleIfErrorMs within its bound',
      tried: 'TTL 10 s, staleIfErrorMs 20 s; IdP down; clock +15 s',
      expected: 'allowed (stale hit counted)',
      observed: `${describeOutcome(stale)}${staleHits > 0 ? ' (stale hit counted)' : ''}`,
    });
    recorder.record({
      category: 'IdP down',
      name: 'staleIfErrorMs after a revocation',
      tried: 'revoke {clientId} during the outage, then the same (stale-eligible) credential',
      expected: 'refused (the stale entry is not served)',
      observed: revoked.ok
        ? 'allowed from the stale entry'
        : `refused (${describeOutcome(revoked)})`,
      ok: !revoked.ok,
    });
    recorder.record({
      category: 'IdP down',
      name: 'staleIfErrorMs past its bound',
      tried: 'clock +31 s in all (past TTL + staleIfErrorMs)',
      expected: '503 ERR_IDP_UNAVAILABLE',
      observed: describeOutcome(beyond),
    });
    expect(stale.ok).toBe(true);
    expect(staleHits).toBeGreaterThan(0);
    // The revocation drops the entry, so without the IdP the answer is 503 (fail closed).
    expect(revoked.ok).toBe(false);
    expect(beyond).toMatchObject({ ok: false, status: 503, code: 'ERR_IDP_UNAVAILABLE' });
  });

  it('the M2M policy stays known (ready) while the settings route fails', async () => {
    const authenticator = await fronteggAuthenticator({ policy: { syncIntervalMs: 100 } });
    const before = authenticator.policy.current();
    await env.fault('configurations', '5xx');
    const reads = env.proxy.count(CONFIGURATIONS);
    await waitFor('three failed policy reads', () => env.proxy.count(CONFIGURATIONS) >= reads + 3);
    const during = authenticator.policy.current();
    const health = authenticator.health();
    recorder.record({
      category: 'IdP down',
      name: 'policy reads failing',
      tried: 'settings route answers 500 for three polls (unpinned policy)',
      expected: `policy unchanged (enabled: ${String(before.enabled)}), ready`,
      observed: `policy ${during.enabled === before.enabled && during.acceptedCredentials.join() === before.acceptedCredentials.join() ? 'unchanged' : 'changed'} (enabled: ${String(during.enabled)}), ${health.ready ? 'ready' : 'not ready'}`,
    });
    expect(during.enabled).toBe(before.enabled);
    expect(health.ready).toBe(true);
  });
});

describe('IdP calls stay bounded during an outage', () => {
  it('a flood of distinct credentials against a hanging IdP keeps at most maxInFlight calls open', async () => {
    const authenticator = await fronteggAuthenticator({
      idp: { timeoutMs: 300, maxInFlight: 4, maxQueue: 8 },
    });
    await env.fault('exchange', 'hang');
    env.proxy.resetCounts();
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, () => outcomeOf(authenticator.authenticate(randomBasic()))),
    );
    const overloaded = outcomes.filter((o) => !o.ok && o.code === 'ERR_IDP_OVERLOADED').length;
    const all503 = outcomes.every(unavailable);
    const calls = env.proxy.count(EXCHANGE);
    recorder.record({
      category: 'IdP load during outage',
      name: 'flood of 60 distinct credentials, IdP hanging',
      tried: 'maxInFlight 4, maxQueue 8, timeout 300 ms; 60 concurrent random client credentials',
      // An abandoned call's socket closes asynchronously, so the IdP may briefly see its
      // replacement before the old connection's FIN: allow that overlap, not a pile-up.
      expected: 'all 503; ≤ 12 IdP calls; ≤ 8 open at once (4 + closing); ≥ 48 ERR_IDP_OVERLOADED',
      observed: `${all503 ? 'all 503' : 'not all 503'}; ${calls} IdP calls; ${env.proxy.highWater} open at once; ${overloaded} ERR_IDP_OVERLOADED`,
      ok: all503 && calls <= 12 && env.proxy.highWater <= 8 && overloaded >= 48,
    });
    expect(all503).toBe(true);
    expect(calls).toBeLessThanOrEqual(12);
    expect(env.proxy.highWater).toBeLessThanOrEqual(8);
    await waitFor('every abandoned IdP call to close', () => env.proxy.open === 0, 3000);
    expect(overloaded).toBeGreaterThanOrEqual(48);
  });

  it('during a 5xx outage each distinct credential costs exactly one IdP call (no retry amplification)', async () => {
    const authenticator = await fronteggAuthenticator();
    await env.fault('exchange', '5xx');
    env.proxy.resetCounts();
    const outcomes = [];
    for (let i = 0; i < 30; i++)
      outcomes.push(await outcomeOf(authenticator.authenticate(randomBasic())));
    const calls = env.proxy.count(EXCHANGE);
    recorder.record({
      category: 'IdP load during outage',
      name: '30 distinct credentials one after another, IdP 5xx',
      tried: '30 sequential random client credentials while the exchange answers 500',
      expected:
        'all 503; 30 IdP calls (one each: no retries; the design has a concurrency bound, no circuit breaker)',
      observed: `${outcomes.every(unavailable) ? 'all 503' : 'not all 503'}; ${calls} IdP calls`,
      ok: outcomes.every(unavailable) && calls === 30,
    });
    expect(outcomes.every(unavailable)).toBe(true);
    expect(calls).toBe(30);
  });

  it('one credential retried 50 times at once makes one IdP call (single flight), failing or not', async () => {
    const authenticator = await fronteggAuthenticator({ idp: { timeoutMs: 300 } });
    await env.fault('exchange', '5xx');
    env.proxy.resetCounts();
    const failing = await Promise.all(
      Array.from({ length: 50 }, () => outcomeOf(authenticator.authenticate(tokenRequest(1)))),
    );
    const failingCalls = env.proxy.count(EXCHANGE);
    await env.clearFaults();
    env.proxy.resetCounts();
    const working = await Promise.all(
      Array.from({ length: 50 }, () => outcomeOf(authenticator.authenticate(tokenRequest(1)))),
    );
    const workingCalls = env.proxy.count(EXCHANGE);
    recorder.record({
      category: 'IdP load during outage',
      name: '50 concurrent retries of one credential',
      tried: '50 concurrent requests with the same client credential, IdP 5xx, then healthy',
      expected: 'during the fault: all 503, 1 IdP call; healthy: all allowed, 1 IdP call',
      observed: `during the fault: ${failing.every(unavailable) ? 'all 503' : 'not all 503'}, ${failingCalls} IdP call; healthy: ${working.every((o) => o.ok) ? 'all allowed' : 'not all allowed'}, ${workingCalls} IdP call`,
    });
    expect(failing.every(unavailable)).toBe(true);
    expect(failingCalls).toBe(1);
    expect(working.every((o) => o.ok)).toBe(true);
    expect(workingCalls).toBe(1);
  });
});

describe('JWKS endpoint faults', () => {
  type JwksMode = 'ok' | 'down' | 'reset' | 'garbage' | 'wrong-shape' | 'huge' | 'hang';
  const ISSUER_PATH = '/issuer';
  let key: SigningKey;
  let mode: JwksMode = 'ok';
  let server: ScriptedServer;

  const jwksReply = (): Reply => {
    switch (mode) {
      case 'ok':
        return json(200, jwksOf(key));
      case 'down':
        return json(503, { error: 'down' });
      case 'reset':
        return { status: 0, reset: true };
      case 'garbage':
        return { status: 200, body: '{"keys": [ this is not json' };
      case 'wrong-shape':
        return json(200, { keys: 'not-a-list' });
      case 'huge':
        // 4 MiB of well-formed JWKS: far past the 256 KiB bound.
        return json(200, {
          keys: Array.from({ length: 6000 }, (_, i) => ({
            ...key.publicJwk,
            kid: `k${i}`,
            pad: 'x'.repeat(600),
          })),
        });
      case 'hang':
        return { status: 0, hang: true };
    }
  };

  beforeAll(async () => {
    key = await createSigningKey('RS256');
    server = await startScriptedServer((path) =>
      path === '/jwks' ? jwksReply() : json(404, { error: 'not_found' }),
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  function oauth2Authenticator(now: () => number): Authenticator {
    const authenticator = createAuthenticator({
      provider: oauth2({
        issuer: `${server.url}${ISSUER_PATH}`,
        audience: 'urn:reliability',
        discovery: false,
        jwksUri: `${server.url}/jwks`,
        clientCredentials: false,
        jwksCache: { cacheMaxAgeMs: 1000, staleKeysMaxAgeMs: 60_000, fetchRetryMs: 500 },
      }),
      policy: { enabled: true, acceptedCredentials: BOTH_KINDS },
      idp: { timeoutMs: 300 },
      now,
    });
    opened.push(authenticator);
    return authenticator;
  }

  const token = (subject: string, nowMs: number): Promise<string> =>
    signJwt(key, {
      iss: `${server.url}${ISSUER_PATH}`,
      aud: 'urn:reliability',
      sub: subject,
      client_id: subject,
      iat: Math.floor(nowMs / 1000),
      exp: Math.floor(nowMs / 1000) + 3600,
    });

  for (const fault of ['down', 'reset', 'garbage', 'wrong-shape', 'huge', 'hang'] as const) {
    it(`${fault} with no keys yet: 503 (never 401), then allowed once the endpoint is back`, async () => {
      let clock = Date.now();
      const authenticator = oauth2Authenticator(() => clock);
      await authenticator.ready();
      mode = fault;
      const settled = await settleWithin(
        outcomeOf(
          authenticator.authenticate(withAuthorization(`Bearer ${await token('svc-a', clock)}`)),
        ),
        5000,
      );
      const during = settled.state === 'fulfilled' ? settled.value : undefined;
      mode = 'ok';
      // Recovery within a bounded time: a hung fetch still in flight may answer the first retry.
      let after: Outcome | undefined;
      let attempts = 0;
      await waitFor(
        'recovery after the JWKS endpoint is fixed',
        async () => {
          attempts += 1;
          clock += 1000;
          after = await outcomeOf(
            authenticator.authenticate(withAuthorization(`Bearer ${await token('svc-a', clock)}`)),
          );
          return after.ok;
        },
        5000,
      ).catch(() => undefined);
      recorder.record({
        category: 'JWKS faults',
        name: `JWKS ${fault} (oauth2 preset, no keys cached)`,
        tried: `a valid JWT while the JWKS endpoint is ${fault}; then the endpoint is fixed`,
        expected:
          '503 (ERR_JWKS_UNAVAILABLE, or ERR_IDP_UNAVAILABLE when the request deadline fires first), then allowed',
        observed: `${during === undefined ? 'still pending after 5 s' : describeOutcome(during)}, then ${after === undefined ? 'nothing' : describeOutcome(after)}`,
        ok: during !== undefined && unavailable(during) && after?.ok === true,
      });
      expect(during).toBeDefined();
      expect(unavailable(during!)).toBe(true);
      expect(after?.ok).toBe(true);
      if (attempts > 1) {
        recorder.record({
          category: 'JWKS faults',
          name: `JWKS ${fault}: attempts until recovery`,
          tried: 'retries (clock +1 s each) after the endpoint was fixed',
          expected: 'recovered within 5 s',
          observed: `recovered within 5 s, after ${attempts} attempts`,
          ok: true,
        });
      }
    });
  }

  it('keys already held keep verifying while the endpoint is down, until staleKeysMaxAgeMs', async () => {
    let clock = Date.now();
    const authenticator = oauth2Authenticator(() => clock);
    mode = 'ok';
    expect(
      (
        await outcomeOf(
          authenticator.authenticate(withAuthorization(`Bearer ${await token('svc-b', clock)}`)),
        )
      ).ok,
    ).toBe(true);
    mode = 'garbage';
    clock += 5000; // keys are past cacheMaxAgeMs (1 s): a refetch is attempted and fails
    const stale = await outcomeOf(
      authenticator.authenticate(withAuthorization(`Bearer ${await token('svc-c', clock)}`)),
    );
    clock += 61_000; // past staleKeysMaxAgeMs (60 s)
    const tooOld = await outcomeOf(
      authenticator.authenticate(withAuthorization(`Bearer ${await token('svc-d', clock)}`)),
    );
    mode = 'ok';
    recorder.record({
      category: 'JWKS faults',
      name: 'JWKS garbage after keys were fetched',
      tried:
        'keys fetched, then the endpoint returns garbage; a new token at +5 s and at +66 s (stale bound 60 s)',
      expected: 'allowed (stale keys), then 503 ERR_JWKS_UNAVAILABLE',
      observed: `${describeOutcome(stale)}${stale.ok ? ' (stale keys)' : ''}, then ${describeOutcome(tooOld)}`,
    });
    expect(stale.ok).toBe(true);
    expect(tooOld).toMatchObject({ ok: false, status: 503, code: 'ERR_JWKS_UNAVAILABLE' });
  });

  it('a flood of unknown kids refetches the JWKS at most once per cooldown', async () => {
    const clock = Date.now();
    const authenticator = oauth2Authenticator(() => clock);
    mode = 'ok';
    const attacker = await createSigningKey('RS256');
    const before = server.count('/jwks');
    const outcomes = [];
    for (let i = 0; i < 40; i++) {
      const forged = await signJwt(
        attacker,
        {
          iss: `${server.url}${ISSUER_PATH}`,
          aud: 'urn:reliability',
          sub: `x${i}`,
          exp: Math.floor(clock / 1000) + 60,
        },
        { kid: `unknown-${i}` },
      );
      outcomes.push(
        await outcomeOf(authenticator.authenticate(withAuthorization(`Bearer ${forged}`))),
      );
    }
    const fetches = server.count('/jwks') - before;
    const all401 = outcomes.every((o) => !o.ok && o.status === 401);
    recorder.record({
      category: 'JWKS faults',
      name: 'unknown-kid flood',
      tried: '40 tokens with 40 different unknown kids (attacker key), fixed clock',
      expected: 'all 401; ≤ 2 JWKS fetches',
      observed: `${all401 ? 'all 401' : 'not all 401'}; ${fetches} JWKS fetches`,
      ok: all401 && fetches <= 2,
    });
    expect(all401).toBe(true);
    expect(fetches).toBeLessThanOrEqual(2);
  });

  it('oauth2 preset: an explicit jwksUri verifies Bearer JWTs even when discovery documents are missing', async () => {
    // The issuer publishes no RFC 8414 / OIDC metadata; only the token endpoint (for Basic) would
    // need it. docs/design.md §7: explicit URLs override discovery.
    const clock = Date.now();
    mode = 'ok';
    const authenticator = createAuthenticator({
      provider: oauth2({
        issuer: `${server.url}${ISSUER_PATH}`,
        audience: 'urn:reliability',
        jwksUri: `${server.url}/jwks`,
      }),
      policy: { enabled: true, acceptedCredentials: BOTH_KINDS },
      idp: { timeoutMs: 300 },
    });
    opened.push(authenticator);
    const outcome = await outcomeOf(
      authenticator.authenticate(withAuthorization(`Bearer ${await token('svc-e', clock)}`)),
    );
    recorder.record({
      category: 'JWKS faults',
      name: 'discovery documents missing, jwksUri explicit (oauth2 preset, as the sidecar builds it)',
      tried:
        'oauth2({issuer, audience, jwksUri}) with default discovery and client credentials; a valid Bearer JWT',
      expected: 'allowed',
      observed: describeOutcome(outcome),
    });
    expect(outcome.ok).toBe(true);
  });

  it('frontegg preset: with the JWKS route failing, JWTs verify with the configurations publicKey', async () => {
    await env.fault('jwks', '5xx');
    const authenticator = await fronteggAuthenticator();
    const outcome = await outcomeOf(
      authenticator.authenticate(withAuthorization(`Bearer ${env.apiTokenJwt}`)),
    );
    recorder.record({
      category: 'JWKS faults',
      name: 'JWKS 5xx (frontegg preset)',
      tried: 'emulator JWKS route answers 500 from the start; an API-token JWT as Bearer',
      expected: 'allowed',
      observed: describeOutcome(outcome),
    });
    expect(outcome.ok).toBe(true);
  });
});
