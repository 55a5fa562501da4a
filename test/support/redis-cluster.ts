/**
 * A real Redis Cluster on loopback: `masters` masters with one replica each, started with
 * `redis-server --cluster-enabled yes` and joined by `redis-cli --cluster create`. Short node
 * timeout so a SIGKILLed master fails over in a few seconds.
 */
import { Redis } from 'ioredis';
import { freePorts, run, startRedisProcess, waitUntil } from './redis-processes.js';
import type { RedisProcess } from './redis-processes.js';

export interface RedisClusterHarness {
  readonly nodes: readonly RedisProcess[];
  /** `host:port,host:port,…` of every node (PORTCULLIS_REDIS_CLUSTER_NODES). */
  readonly nodeList: string;
  /** The node currently serving `key`'s slot as master, asked of a live node. */
  masterOf(key: string): Promise<RedisProcess>;
  /**
   * Resolves once every live node reports cluster_state:ok, every live replica is in sync with
   * its master, and `key`'s slot has a live master.
   */
  waitHealthy(key: string, timeoutMs?: number): Promise<void>;
  /** A plain connection to one live node (for CLUSTER commands). */
  admin(): Promise<Redis>;
  /** Graceful failover (CLUSTER FAILOVER on its replica) of `key`'s master; resolves with the new one. */
  failover(key: string, timeoutMs?: number): Promise<RedisProcess>;
}

const NODE_TIMEOUT_MS = 1000;

export async function startRedisCluster(masters = 3): Promise<RedisClusterHarness> {
  const count = masters * 2;
  const ports = await freePorts(count * 2);
  const nodes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startRedisProcess(ports[i]!, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        // Its own bus port: port + 10000 may be beyond 65535 or taken.
        '--cluster-port',
        String(ports[count + i]!),
        '--cluster-node-timeout',
        String(NODE_TIMEOUT_MS),
        // A replica may always take over, however long it was cut off.
        '--cluster-replica-validity-factor',
        '0',
      ]),
    ),
  );
  await run('redis-cli', [
    '--cluster',
    'create',
    ...nodes.map((node) => `127.0.0.1:${node.port}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);

  const admin = async (): Promise<Redis> => {
    for (const node of nodes) {
      if (!node.alive) continue;
      const client = new Redis({
        host: '127.0.0.1',
        port: node.port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await client.connect();
        return client;
      } catch {
        client.disconnect();
      }
    }
    throw new Error('no live cluster node');
  };

  const masterPort = async (key: string): Promise<number | undefined> => {
    const client = await admin();
    try {
      const slot = Number(await client.cluster('KEYSLOT', key));
      const ranges = await client.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      return range?.[2]?.[1];
    } finally {
      client.disconnect();
    }
  };

  const harness: RedisClusterHarness = {
    nodes,
    nodeList: nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
    admin,
    async masterOf(key) {
      const port = await masterPort(key);
      const node = nodes.find((candidate) => candidate.port === port);
      if (node === undefined) throw new Error(`no master for ${key}`);
      return node;
    },
    async failover(key, timeoutMs = 30_000) {
      const master = await harness.masterOf(key);
      const client = await admin();
      let replicaPort: number;
      try {
        const lines = String(await client.cluster('NODES')).split('\n');
        const masterId = lines.find((line) => line.includes(`:${master.port}@`))?.split(' ')[0];
        const replicaLine = lines.find((line) => line.split(' ')[3] === masterId);
        replicaPort = Number(/:(\d+)@/.exec(replicaLine ?? '')?.[1]);
      } finally {
        client.disconnect();
      }
      const replica = nodes.find((node) => node.port === replicaPort);
      if (replica === undefined) throw new Error(`no replica of ${master.port}`);
      const direct = new Redis({ host: '127.0.0.1', port: replica.port, maxRetriesPerRequest: 0 });
      try {
        await direct.cluster('FAILOVER');
      } finally {
        direct.disconnect();
      }
      await waitUntil(
        'the replica to take over',
        async () => (await harness.masterOf(key)).port === replica.port,
        timeoutMs,
      );
      await harness.waitHealthy(key, timeoutMs);
      return replica;
    },
    async waitHealthy(key, timeoutMs = 30_000) {
      await waitUntil(
        'the cluster to be healthy',
        async () => {
          for (const node of nodes.filter((candidate) => candidate.alive)) {
            const client = new Redis({
              host: '127.0.0.1',
              port: node.port,
              lazyConnect: true,
              maxRetriesPerRequest: 0,
              retryStrategy: () => null,
            });
            try {
              await client.connect();
              const info = String(await client.cluster('INFO'));
              if (!info.includes('cluster_state:ok')) return false;
              // A replica still in its first full sync would be promoted empty.
              const replication = String(await client.info('replication'));
              if (
                replication.includes('role:slave') &&
                !replication.includes('master_link_status:up')
              )
                return false;
            } finally {
              client.disconnect();
            }
          }
          const port = await masterPort(key);
          return nodes.some((node) => node.port === port && node.alive);
        },
        timeoutMs,
      );
    },
  };
  await harness.waitHealthy('{portcullis}');
  return harness;
}
