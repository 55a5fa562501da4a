/**
 * A real Redis Sentinel setup on loopback: one master, one replica and three sentinels (quorum 2),
 * with a short `down-after-milliseconds` so a SIGKILLed master is replaced in a few seconds.
 */
import { Redis } from 'ioredis';
import { freePorts, startRedisProcess, waitUntil } from './redis-processes.js';
import type { RedisProcess } from './redis-processes.js';

export const SENTINEL_MASTER_NAME = 'portcullis-e2e';

export interface RedisSentinelHarness {
  readonly master: RedisProcess;
  readonly replica: RedisProcess;
  readonly sentinels: readonly RedisProcess[];
  /** `host:port,…` of the sentinels (PORTCULLIS_REDIS_SENTINELS). */
  readonly sentinelList: string;
  /** The port the sentinels currently name as master. */
  currentMasterPort(): Promise<number>;
  /** Resolves once the sentinels name a live master other than `notPort` and it has the role. */
  waitForNewMaster(notPort: number, timeoutMs?: number): Promise<RedisProcess>;
  /** The data node (master or replica process) listening on `port`. */
  node(port: number): RedisProcess;
  /** `SENTINEL FAILOVER` (graceful: the old master becomes a replica); resolves with the new master. */
  failover(timeoutMs?: number): Promise<RedisProcess>;
}

export async function startRedisSentinel(): Promise<RedisSentinelHarness> {
  const [masterPort, replicaPort, ...sentinelPorts] = await freePorts(5);
  const master = await startRedisProcess(masterPort!, []);
  const replica = await startRedisProcess(replicaPort!, [
    '--replicaof',
    '127.0.0.1',
    String(masterPort),
  ]);
  await waitUntil(
    'the replica to sync',
    async () => {
      const client = plain(replicaPort!);
      try {
        return (await client.info('replication')).includes('master_link_status:up');
      } finally {
        client.disconnect();
      }
    },
    15_000,
  );
  const sentinels = await Promise.all(
    sentinelPorts.map((port) =>
      startRedisProcess(port, [], {
        sentinelConfig: [
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      }),
    ),
  );
  const all = [master, replica];

  const currentMasterPort = async (): Promise<number> => {
    for (const sentinel of sentinels.filter((candidate) => candidate.alive)) {
      const client = plain(sentinel.port);
      try {
        const reply = (await client.call(
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          SENTINEL_MASTER_NAME,
        )) as [string, string] | null;
        if (reply !== null) return Number(reply[1]);
      } catch {
        // try the next sentinel
      } finally {
        client.disconnect();
      }
    }
    throw new Error('no sentinel answered');
  };

  // Every sentinel must know the replica (and the others) before a failover can succeed.
  await waitUntil(
    'the sentinels to see the replica and each other',
    async () => {
      for (const sentinel of sentinels) {
        const client = plain(sentinel.port);
        try {
          const info = await client.info('sentinel');
          if (!/slaves=1,sentinels=3/.test(info)) return false;
        } finally {
          client.disconnect();
        }
      }
      return true;
    },
    20_000,
  );

  const harness: RedisSentinelHarness = {
    master,
    replica,
    sentinels,
    sentinelList: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','),
    currentMasterPort,
    async waitForNewMaster(notPort, timeoutMs = 30_000) {
      let found: RedisProcess | undefined;
      await waitUntil(
        'the sentinels to promote a new master',
        async () => {
          const port = await currentMasterPort();
          const node = all.find((candidate) => candidate.port === port && candidate.alive);
          if (port === notPort || node === undefined) return false;
          const client = plain(port);
          try {
            if (!(await client.info('replication')).includes('role:master')) return false;
          } finally {
            client.disconnect();
          }
          found = node;
          return true;
        },
        timeoutMs,
      );
      return found!;
    },
    node(port) {
      const found = all.find((candidate) => candidate.port === port);
      if (found === undefined) throw new Error(`no data node on ${port}`);
      return found;
    },
    async failover(timeoutMs = 30_000) {
      const old = await currentMasterPort();
      // The replica must be in sync, or the sentinels refuse (NOGOODSLAVE) and the test waits.
      await waitUntil(
        'a sentinel to accept SENTINEL FAILOVER',
        async () => {
          const client = plain(sentinels[0]!.port);
          try {
            await client.call('SENTINEL', 'FAILOVER', SENTINEL_MASTER_NAME);
            return true;
          } finally {
            client.disconnect();
          }
        },
        timeoutMs,
      );
      const promoted = await harness.waitForNewMaster(old, timeoutMs);
      // Back to a steady state: the demoted master replicates from the new one.
      await waitUntil(
        'the old master to resync as a replica',
        async () => {
          const client = plain(old);
          try {
            const info = await client.info('replication');
            return info.includes('role:slave') && info.includes('master_link_status:up');
          } finally {
            client.disconnect();
          }
        },
        timeoutMs,
      );
      return promoted;
    },
  };
  return harness;
}

function plain(port: number): Redis {
  return new Redis({
    host: '127.0.0.1',
    port,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}
