/**
 * Issue 19: three sidecars on a real Redis Sentinel setup (one master, one replica, three
 * sentinels, started here), configured through PORTCULLIS_REDIS_SENTINELS and
 * PORTCULLIS_REDIS_SENTINEL_NAME. A graceful SENTINEL FAILOVER, then the master is SIGKILLed and
 * the sentinels promote the replica, and
 * no revocation made before, during or after the failover is lost, also on a sidecar started
 * afterwards; the policy, replay ids and the shared cache keep working.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSidecar } from '@portcullis/sidecar';
import { stopAll } from '../support/redis-processes.js';
import { SENTINEL_MASTER_NAME, startRedisSentinel } from '../support/redis-sentinel.js';
import type { RedisSentinelHarness } from '../support/redis-sentinel.js';
import { startReplicaSet } from './support/replicated-sidecars.js';
import type { ReplicaSet } from './support/replicated-sidecars.js';

const keyPrefix = `portcullis-e2e-${randomBytes(4).toString('hex')}:`;
const REVOKED = '401 ERR_TOKEN_REVOKED';

let sentinel: RedisSentinelHarness;
let set: ReplicaSet;

beforeAll(async () => {
  sentinel = await startRedisSentinel();
  set = await startReplicaSet({
    PORTCULLIS_REDIS_SENTINELS: sentinel.sentinelList,
    PORTCULLIS_REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
    PORTCULLIS_REDIS_KEY_PREFIX: keyPrefix,
  });
  for (let i = 0; i < 3; i++) await set.add();
}, 90_000);

afterAll(async () => {
  await set?.close();
  await stopAll();
});

/** Keys under the prefix on the server the sentinels name as master now. */
async function keysUnder(pattern: string): Promise<string[]> {
  const client = new Redis({
    host: '127.0.0.1',
    port: await sentinel.currentMasterPort(),
    maxRetriesPerRequest: 1,
  });
  try {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await client.scan(
        cursor,
        'MATCH',
        `${keyPrefix}${pattern}`,
        'COUNT',
        500,
      );
      cursor = next;
      out.push(...found);
    } while (cursor !== '0');
    return out;
  } finally {
    client.disconnect();
  }
}

const first3 = (): [RunningSidecar, RunningSidecar, RunningSidecar] =>
  [0, 1, 2].map((i) => set.replicas[i]!) as [RunningSidecar, RunningSidecar, RunningSidecar];

describe('three sidecars on Redis Sentinel', () => {
  it('share revocations, the policy, replay ids and the cache through the master', async () => {
    const [a, b, c] = first3();
    expect(await sentinel.currentMasterPort()).toBe(sentinel.master.port);
    for (const replica of set.replicas) {
      for (const client of ['c0', 'c4', 'c5']) {
        expect(await set.answer(replica, client)).toBe('200');
      }
    }
    expect((await keysUnder('cache:e:*')).length).toBeGreaterThan(0);

    const revokeC0 = set.delivery('token.revoked', { clientId: 'c0' });
    expect((await set.send(a, revokeC0)).status).toBe(200);
    await set.everyReplicaAnswers('c0', REVOKED);
    expect((await set.send(b, revokeC0)).body).toMatchObject({ replayed: true });

    expect((await set.send(c, set.delivery('m2m.disabled', {}))).status).toBe(200);
    await set.everyReplicaAnswers('c5', '401 ERR_M2M_DISABLED');
    expect((await set.send(a, set.delivery('m2m.enabled', {}))).status).toBe(200);
    await set.everyReplicaAnswers('c5', '200');
  });

  it('a graceful failover (SENTINEL FAILOVER) moves both connections to the new master', async () => {
    const [a, b] = first3();
    const promoted = await sentinel.failover();
    expect(promoted.port).toBe(sentinel.replica.port);
    for (const replica of set.replicas) {
      await expect
        .poll(() => set.storeStatus(replica), { timeout: 15_000, interval: 100 })
        .toBe('ok');
    }
    // Writes reach the new master (a demoted master would answer READONLY).
    await set.sendUntilAccepted(a, set.delivery('token.revoked', { clientId: 'c2' }));
    await set.everyReplicaAnswers('c2', REVOKED);
    expect(await set.answer(b, 'c0')).toBe(REVOKED);
  });

  it('the master is SIGKILLed: revocations before, during and after the failover all hold', async () => {
    const [a, b, c] = first3();
    const oldPort = await sentinel.currentMasterPort();
    await sentinel.node(oldPort).kill();
    // During: answered 503 until the sentinels promote the replica, retried like a vendor does.
    const during = await set.sendUntilAccepted(
      b,
      set.delivery('token.revoked', { clientId: 'c1' }),
    );
    expect(during.at(-1)).toBe(200);
    const promoted = await sentinel.waitForNewMaster(oldPort);
    expect(promoted.port).not.toBe(oldPort);
    for (const replica of set.replicas) {
      await expect
        .poll(() => set.storeStatus(replica), { timeout: 15_000, interval: 100 })
        .toBe('ok');
    }
    const revokeC3 = set.delivery('token.revoked', { clientId: 'c3' });
    expect((await set.send(c, revokeC3)).status).toBe(200);
    for (const client of ['c0', 'c1', 'c2', 'c3']) await set.everyReplicaAnswers(client, REVOKED);
    await set.everyReplicaAnswers('c4', '200');
    expect((await set.send(a, revokeC3)).body).toMatchObject({ replayed: true });
    expect((await keysUnder('cache:e:*')).length).toBeGreaterThan(0);
  });

  it('a sidecar started after the failover refuses every revoked credential', async () => {
    const late = await set.add();
    // Readiness follows the IdP policy read, not the store (issue 14 adds a gate): give the new
    // sidecar's store its load, bounded, before asking.
    await expect.poll(() => set.storeStatus(late), { timeout: 15_000, interval: 50 }).toBe('ok');
    for (const client of ['c0', 'c1', 'c2', 'c3']) {
      await set.everyReplicaAnswers(client, REVOKED, 5_000);
    }
    expect(await set.answer(late, 'c4')).toBe('200');
    expect(await set.answer(late, 'c5')).toBe('200');
  });
});
