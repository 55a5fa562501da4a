/**
 * Issue 19: three sidecars on a real Redis Cluster (3 masters + 3 replicas started here with
 * `redis-server --cluster-enabled yes` and `redis-cli --cluster create`), configured through
 * PORTCULLIS_REDIS_CLUSTER_NODES. Revocation, policy, replay ids and the shared cache work; a
 * graceful failover moves the sharded bus; then the master holding the prefix's slot is
 * SIGKILLed, the cluster fails over, and no revocation made before, during or after the failover
 * is lost, also on a sidecar started afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster } from '../support/redis-cluster.js';
import type { RedisClusterHarness } from '../support/redis-cluster.js';
import { stopAll } from '../support/redis-processes.js';
import type { RedisProcess } from '../support/redis-processes.js';
import { startReplicaSet } from './support/replicated-sidecars.js';
import type { ReplicaSet } from './support/replicated-sidecars.js';
import type { RunningSidecar } from '@portcullis/sidecar';

const tag = `e2e-${randomBytes(4).toString('hex')}`;
const keyPrefix = `{${tag}}:`;
const REVOKED = '401 ERR_TOKEN_REVOKED';

let cluster: RedisClusterHarness;
let set: ReplicaSet;
let inspector: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  set = await startReplicaSet({
    PORTCULLIS_REDIS_CLUSTER_NODES: cluster.nodeList,
    PORTCULLIS_REDIS_KEY_PREFIX: keyPrefix,
  });
  for (let i = 0; i < 3; i++) await set.add();
  inspector = new Cluster(
    cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
}, 90_000);

afterAll(async () => {
  inspector?.disconnect();
  await set?.close();
  await stopAll();
});

/** Keys under the prefix, from the master that owns the tag's slot now (all of them live there). */
async function keysUnder(pattern: string): Promise<string[]> {
  const master = await cluster.masterOf(tag);
  const client = new Redis({ host: '127.0.0.1', port: master.port, maxRetriesPerRequest: 1 });
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

/** Subscribers of the bus's sharded channel on the master that owns its slot now. */
async function shardSubscribers(): Promise<number> {
  const master = await cluster.masterOf(tag);
  const client = new Redis({ host: '127.0.0.1', port: master.port, maxRetriesPerRequest: 1 });
  try {
    const reply = (await client.call('PUBSUB', 'SHARDNUMSUB', `${keyPrefix}bus`)) as [
      string,
      number,
    ];
    return Number(reply[1]);
  } finally {
    client.disconnect();
  }
}

describe('three sidecars on Redis Cluster', () => {
  let killed: RedisProcess;

  it("share revocations, the policy, replay ids and the cache, all on the tag's shard", async () => {
    const [a, b, c] = [0, 1, 2].map((i) => set.replicas[i]!) as [
      RunningSidecar,
      RunningSidecar,
      RunningSidecar,
    ];
    for (const replica of set.replicas) {
      for (const client of ['c0', 'c4', 'c5'])
        expect(await set.answer(replica, client)).toBe('200');
    }
    // Shared cache: verified principals are written to the cluster under the prefix.
    expect((await keysUnder('cache:e:*')).length).toBeGreaterThan(0);

    const revokeC0 = set.delivery('token.revoked', { clientId: 'c0' });
    expect((await set.send(a, revokeC0)).status).toBe(200);
    await set.everyReplicaAnswers('c0', REVOKED);
    // The same delivery to another replica is recognised as a replay (ids shared in Redis).
    const replay = await set.send(b, revokeC0);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true });

    expect((await set.send(c, set.delivery('m2m.disabled', {}))).status).toBe(200);
    await set.everyReplicaAnswers('c5', '401 ERR_M2M_DISABLED');
    expect((await set.send(a, set.delivery('m2m.enabled', {}))).status).toBe(200);
    await set.everyReplicaAnswers('c5', '200');

    // Every key of the deployment hashes to the one slot of the tag.
    const keys = await keysUnder('*');
    expect(keys.length).toBeGreaterThan(3);
    const slots = new Set(await Promise.all(keys.map((key) => inspector.cluster('KEYSLOT', key))));
    expect([...slots]).toEqual([await inspector.cluster('KEYSLOT', tag)]);
    // …and the bus is a sharded channel with the three sidecars subscribed on that shard.
    expect(await shardSubscribers()).toBe(3);
  });

  it('a graceful failover (CLUSTER FAILOVER) moves the sharded subscriptions to the new master', async () => {
    const [a, b] = [0, 1].map((i) => set.replicas[i]!) as [RunningSidecar, RunningSidecar];
    const before = await cluster.masterOf(tag);
    // The demoted master tells its subscribers SUNSUBSCRIBE; they resubscribe on the new owner.
    const promoted = await cluster.failover(tag);
    expect(promoted.port).not.toBe(before.port);
    await expect.poll(shardSubscribers, { timeout: 15_000, interval: 100 }).toBe(3);
    for (const replica of set.replicas) {
      await expect
        .poll(() => set.storeStatus(replica), { timeout: 15_000, interval: 100 })
        .toBe('ok');
    }
    expect((await set.send(a, set.delivery('token.revoked', { clientId: 'c2' }))).status).toBe(200);
    await set.everyReplicaAnswers('c2', REVOKED);
    expect(await set.answer(b, 'c0')).toBe(REVOKED);
    killed = promoted;
  });

  it("the slot's master is SIGKILLed: revocations before, during and after the failover all hold", async () => {
    const [a, b, c] = [0, 1, 2].map((i) => set.replicas[i]!) as [
      RunningSidecar,
      RunningSidecar,
      RunningSidecar,
    ];
    await killed.kill();
    // During: the vendor's delivery is answered 503 until the slot has a master again, and retried.
    const during = await set.sendUntilAccepted(
      b,
      set.delivery('token.revoked', { clientId: 'c1' }),
    );
    expect(during.at(-1)).toBe(200);
    await cluster.waitHealthy(tag);
    expect((await cluster.masterOf(tag)).port).not.toBe(killed.port);
    for (const replica of set.replicas) {
      await expect
        .poll(() => set.storeStatus(replica), { timeout: 15_000, interval: 100 })
        .toBe('ok');
    }
    // After: a revocation on the new master reaches everyone.
    const revokeC3 = set.delivery('token.revoked', { clientId: 'c3' });
    expect((await set.send(c, revokeC3)).status).toBe(200);
    for (const client of ['c0', 'c1', 'c2', 'c3']) await set.everyReplicaAnswers(client, REVOKED);
    await set.everyReplicaAnswers('c4', '200');
    // Replay ids and the shared cache work on the new master.
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
