/**
 * Redis faults (issue 9, docs/design.md §5 "Other replicas"): replicas sharing a private redis-server that
 * is SIGKILLed mid-run keep authenticating and revoking locally with a degraded (still ready)
 * health, and converge when it comes back empty: tombstones made during the outage reach every
 * replica, and the bus works again.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, isPortcullisError, oauth2 } from '@portcullis/core';
import type { Authenticator, RequestLike } from '@portcullis/core';
import { createRedisStore } from '@portcullis/redis';
import { loadConfig, startSidecar } from '@portcullis/sidecar';
import { createSigningKey, jwksOf, signJwt } from './support/jwt-kit.js';
import type { SigningKey } from './support/jwt-kit.js';
import { describeOutcome, outcomeOf } from './support/outcome.js';
import { createRecorder } from './support/recorder.js';
import { startRedisChild } from './support/redis-child.js';
import type { RedisChild } from './support/redis-child.js';
import { json, startScriptedServer } from './support/scripted-server.js';
import type { ScriptedServer } from './support/scripted-server.js';
import { waitFor } from './support/wait.js';

const recorder = createRecorder('redis-faults');
// The report and the test outcome must agree: every observation recorded here was as expected.
afterAll(() => {
  expect(recorder.notOk()).toEqual([]);
});
const AUDIENCE = 'urn:reliability';
const keyPrefix = `portcullis-reliability:${randomBytes(6).toString('hex')}:`;

let redis: RedisChild;
let idp: ScriptedServer;
let key: SigningKey;
const replicas: Authenticator[] = [];
const tokens = new Map<string, string>();

beforeAll(async () => {
  redis = await startRedisChild();
  key = await createSigningKey('RS256');
  idp = await startScriptedServer(() => json(200, jwksOf(key)));
  const nowSec = Math.floor(Date.now() / 1000);
  for (const clientId of ['c0', 'c1', 'c2', 'c3', 'c4']) {
    tokens.set(
      clientId,
      await signJwt(key, {
        iss: `${idp.url}/issuer`,
        aud: AUDIENCE,
        sub: clientId,
        client_id: clientId,
        iat: nowSec - 10,
        exp: nowSec + 3600,
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
  await redis?.kill();
  await idp?.close();
});

async function startReplica(reconnectMaxDelayMs = 100): Promise<Authenticator> {
  const replica = createAuthenticator({
    provider: oauth2({
      issuer: `${idp.url}/issuer`,
      audience: AUDIENCE,
      discovery: false,
      jwksUri: `${idp.url}/jwks`,
      clientCredentials: false,
    }),
    policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
    store: createRedisStore({
      url: redis.url,
      keyPrefix,
      connectTimeoutMs: 500,
      commandTimeoutMs: 300,
      reconnectMaxDelayMs,
    }),
  });
  replicas.push(replica);
  await replica.ready();
  return replica;
}

const request = (clientId: string): RequestLike => ({
  headers: { authorization: `Bearer ${tokens.get(clientId)!}` },
  url: '/orders',
});
const answer = async (replica: Authenticator, clientId: string): Promise<string> =>
  describeOutcome(await outcomeOf(replica.authenticate(request(clientId))));
const storeStatus = (replica: Authenticator): string =>
  replica.health().components['store']?.status ?? 'missing';

/** Polls until `replica` answers `expected` for `clientId`; returns what it answered last. */
async function converges(
  replica: Authenticator,
  clientId: string,
  expected: string,
): Promise<string> {
  let last = '';
  await waitFor(
    `${clientId} → ${expected}`,
    async () => {
      last = await answer(replica, clientId);
      return last === expected;
    },
    10_000,
  ).catch(() => undefined);
  return last;
}

describe('Redis killed and restarted', () => {
  let a: Authenticator;
  let b: Authenticator;

  it('replicas share revocations while Redis is up', async () => {
    a = await startReplica();
    b = await startReplica();
    expect(await answer(b, 'c0')).toBe('allowed');
    await a.revoke({ clientId: 'c0' });
    const seen = await converges(b, 'c0', '401 ERR_TOKEN_REVOKED');
    recorder.record({
      category: 'Redis faults',
      name: 'baseline: revocation over the bus',
      tried: 'replica A revokes {clientId: c0}; replica B asked for c0',
      expected: '401 ERR_TOKEN_REVOKED',
      observed: seen,
    });
    expect(seen).toBe('401 ERR_TOKEN_REVOKED');
  });

  it('Redis SIGKILLed: both keep authenticating and revoking locally; health degraded but ready', async () => {
    await redis.kill();
    await waitFor('both replicas to see the store down', () =>
      [a, b].every((replica) => storeStatus(replica) !== 'ok'),
    );
    const health = [a.health(), b.health()];
    const working = [await answer(a, 'c2'), await answer(b, 'c3'), await answer(b, 'c0')];
    let revokeError = 'resolved';
    try {
      await a.revoke({ clientId: 'c1' });
    } catch (error) {
      revokeError = isPortcullisError(error) ? `${error.status} ${error.code}` : String(error);
    }
    const revokedLocally = await answer(a, 'c1');
    const otherReplica = await answer(b, 'c1');
    recorder.record({
      category: 'Redis faults',
      name: 'health with Redis down',
      tried: 'redis-server SIGKILLed; health() of both replicas',
      expected: 'ready, degraded, store not ok (both)',
      observed: health
        .map(
          (h, i) =>
            `${h.ready ? 'ready' : 'not ready'}, ${h.degraded ? 'degraded' : 'not degraded'}, store ${storeStatus([a, b][i]!)}`,
        )
        .join(' / ')
        .replace(/store (degraded|down)/g, 'store not ok'),
      ok: health.every((h) => h.ready && h.degraded),
    });
    recorder.record({
      category: 'Redis faults',
      name: 'authentication with Redis down',
      tried: 'new and cached credentials, and the tombstoned c0, on both replicas',
      expected: 'allowed, allowed, 401 ERR_TOKEN_REVOKED',
      observed: working.join(', '),
    });
    recorder.record({
      category: 'Redis faults',
      name: 'revocation with Redis down',
      tried: 'replica A revokes {clientId: c1}',
      expected: 'revoke() rejects 503 ERR_STORE_UNAVAILABLE; c1 on A: 401 ERR_TOKEN_REVOKED',
      observed: `revoke() ${revokeError === 'resolved' ? 'resolved' : `rejects ${revokeError}`}; c1 on A: ${revokedLocally}`,
    });
    recorder.record({
      category: 'Redis faults',
      name: 'partition: other replica during the outage',
      tried: 'replica B asked for c1 while Redis is down (no bus)',
      expected: 'allowed (not yet propagated; documented at-most-once bus)',
      observed:
        otherReplica === 'allowed'
          ? 'allowed (not yet propagated; documented at-most-once bus)'
          : otherReplica,
      ok: true,
    });
    expect(health.every((h) => h.ready && h.degraded)).toBe(true);
    expect(working).toEqual(['allowed', 'allowed', '401 ERR_TOKEN_REVOKED']);
    expect(revokeError).toBe('503 ERR_STORE_UNAVAILABLE');
    expect(revokedLocally).toBe('401 ERR_TOKEN_REVOKED');
  });

  it('Redis restarted empty: replicas resync, the outage revocation reaches every replica, the bus works again', async () => {
    await redis.restart();
    await waitFor('both replicas to reconnect', () =>
      [a, b].every((replica) => storeStatus(replica) === 'ok'),
    );
    const c1OnB = await converges(b, 'c1', '401 ERR_TOKEN_REVOKED');
    const c0OnB = await answer(b, 'c0');
    const late = await startReplica();
    const lateAnswers = [
      await answer(late, 'c0'),
      await answer(late, 'c1'),
      await answer(late, 'c3'),
    ];
    await b.revoke({ clientId: 'c2' });
    const c2OnA = await converges(a, 'c2', '401 ERR_TOKEN_REVOKED');
    const healthAfter = [a.health(), b.health()];
    recorder.record({
      category: 'Redis faults',
      name: 'convergence after restart',
      tried:
        'redis-server restarted empty; replica B asked for c1 (revoked on A during the outage)',
      expected: '401 ERR_TOKEN_REVOKED within 10 s',
      observed:
        c1OnB === '401 ERR_TOKEN_REVOKED'
          ? '401 ERR_TOKEN_REVOKED within 10 s'
          : `${c1OnB} after 10 s`,
    });
    recorder.record({
      category: 'Redis faults',
      name: 'tombstones written back to the empty Redis',
      tried:
        'a replica started after the restart asks for c0 (revoked before the kill), c1 (during the outage), c3 (never revoked)',
      expected: '401 ERR_TOKEN_REVOKED, 401 ERR_TOKEN_REVOKED, allowed',
      observed: lateAnswers.join(', '),
    });
    recorder.record({
      category: 'Redis faults',
      name: 'bus after restart',
      tried: 'replica B revokes {clientId: c2}; replica A asked for c2',
      expected: '401 ERR_TOKEN_REVOKED',
      observed: c2OnA,
    });
    recorder.record({
      category: 'Redis faults',
      name: 'health after restart',
      tried: 'health() of both replicas after reconnecting',
      expected: 'store ok, not degraded (both)',
      observed: healthAfter
        .map(
          (h, i) =>
            `store ${storeStatus([a, b][i]!)}, ${h.degraded ? `degraded (${h.reasons.join('; ')})` : 'not degraded'}`,
        )
        .join(' / ')
        .replace(
          'store ok, not degraded / store ok, not degraded',
          'store ok, not degraded (both)',
        ),
    });
    expect(c1OnB).toBe('401 ERR_TOKEN_REVOKED');
    expect(c0OnB).toBe('401 ERR_TOKEN_REVOKED');
    expect(lateAnswers).toEqual(['401 ERR_TOKEN_REVOKED', '401 ERR_TOKEN_REVOKED', 'allowed']);
    expect(c2OnA).toBe('401 ERR_TOKEN_REVOKED');
  });
});

describe('a revocation made during the outage by the replica that reconnects last', () => {
  it('still reaches the replica that reconnected first', async () => {
    // A backs off up to 3 s between reconnects, B up to 100 ms: after the restart B resyncs
    // first, A writes its outage tombstone back afterwards.
    const a = await startReplica(3000);
    const b = await startReplica(100);
    expect(await answer(b, 'c4')).toBe('allowed');
    await redis.kill();
    await waitFor('both replicas to see the store down', () =>
      [a, b].every((replica) => storeStatus(replica) !== 'ok'),
    );
    await a.revoke({ clientId: 'c4' }).catch(() => undefined);
    // Not an assertion: lets A's reconnect backoff grow past B's.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await redis.restart();
    await waitFor('B to reconnect', () => storeStatus(b) === 'ok');
    const aStillDown = storeStatus(a) !== 'ok';
    await waitFor('A to reconnect', () => storeStatus(a) === 'ok', 10_000);
    const c4OnB = await converges(b, 'c4', '401 ERR_TOKEN_REVOKED');
    recorder.record({
      category: 'Redis faults',
      name: 'outage revocation, revoking replica reconnects last',
      tried: `A revokes {clientId: c4} while Redis is down; Redis restarted; B reconnected ${aStillDown ? 'before' : 'not before'} A; B asked for c4`,
      expected: '401 ERR_TOKEN_REVOKED within 10 s',
      observed:
        c4OnB === '401 ERR_TOKEN_REVOKED'
          ? '401 ERR_TOKEN_REVOKED within 10 s'
          : `${c4OnB} after 10 s (A wrote the tombstone back to Redis but B, already resynced, was never told)`,
    });
    expect(c4OnB).toBe('401 ERR_TOKEN_REVOKED');
  });
});

describe('the sidecar with Redis killed', () => {
  it('/readyz stays 200 with a degraded detail, requests keep flowing, and it recovers', async () => {
    const upstreamHits: string[] = [];
    const upstream = await startScriptedServer((path) => {
      upstreamHits.push(path);
      return json(200, { ok: true });
    });
    const sidecar = await startSidecar(
      loadConfig({
        PORTCULLIS_PROVIDER: 'oauth2',
        PORTCULLIS_ISSUER: `${idp.url}/issuer`,
        PORTCULLIS_AUDIENCE: AUDIENCE,
        PORTCULLIS_JWKS_URI: `${idp.url}/jwks`,
        PORTCULLIS_TOKEN_URL: `${idp.url}/token`,
        PORTCULLIS_LISTEN: '127.0.0.1:0',
        PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
        PORTCULLIS_UPSTREAM: upstream.url,
        PORTCULLIS_REDIS_URL: redis.url,
        PORTCULLIS_REDIS_KEY_PREFIX: `${keyPrefix}sidecar:`,
        PORTCULLIS_POLICY_ENABLED: 'true',
        PORTCULLIS_POLICY_CREDENTIALS: 'client_credentials,access_token',
        PORTCULLIS_LOG_LEVEL: 'silent',
      }),
    );
    const readyz = async (): Promise<{ status: number; body: string }> => {
      const response = await fetch(`${sidecar.adminUrl}/readyz`);
      return { status: response.status, body: await response.text() };
    };
    const proxied = async (): Promise<number> => {
      const response = await fetch(`${sidecar.mainUrl}/orders`, {
        headers: { authorization: `Bearer ${tokens.get('c3')!}` },
      });
      await response.arrayBuffer();
      return response.status;
    };
    try {
      await waitFor('sidecar ready', async () => (await readyz()).status === 200);
      await redis.kill();
      let during = await readyz();
      await waitFor('readyz to report the store', async () => {
        during = await readyz();
        return during.body.includes('store');
      });
      const requestDuring = await proxied();
      await redis.restart();
      let after = await readyz();
      await waitFor('readyz without the store problem', async () => {
        after = await readyz();
        return after.status === 200 && !after.body.includes('store:');
      }).catch(() => undefined);
      recorder.record({
        category: 'Redis faults',
        name: 'sidecar readiness with Redis down',
        tried:
          'sidecar with PORTCULLIS_REDIS_URL; redis-server SIGKILLed; GET /readyz and a proxied request',
        expected: '/readyz 200 naming the store as degraded; proxied request 200',
        observed: `/readyz ${during.status}${/degraded/.test(during.body) && during.body.includes('store') ? ' naming the store as degraded' : ` (${during.body.slice(0, 120)})`}; proxied request ${requestDuring}`,
      });
      recorder.record({
        category: 'Redis faults',
        name: 'sidecar readiness after Redis is back',
        tried: 'redis-server restarted; GET /readyz',
        expected: '/readyz 200 without a store problem',
        observed: `/readyz ${after.status}${after.body.includes('store:') ? ` still naming the store (${after.body.slice(0, 120)})` : ' without a store problem'}`,
      });
      expect(during.status).toBe(200);
      expect(during.body).toMatch(/degraded/);
      expect(requestDuring).toBe(200);
      expect(after.status).toBe(200);
      expect(after.body).not.toContain('store:');
    } finally {
      await sidecar.close();
      await upstream.close();
    }
  });
});
