/**
 * ioredis clients for each topology (standalone, Cluster, Sentinel), built from the resolved
 * options. One place decides the client behaviour the store relies on: fail fast while
 * disconnected (no offline queue, no replay), bounded connects and commands, jittered backoff.
 */
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { HostPort, ResolvedAuth, Topology } from './options.js';

/** What the store sends commands to: a standalone/Sentinel-managed connection or a Cluster. */
export type Commands = Redis | Cluster;

export interface ClientSettings {
  readonly topology: Topology;
  readonly auth: ResolvedAuth;
  readonly clientName: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
}

const FIRST_RETRY_DELAY_MS = 50;

/** Exponential from 50 ms, capped, jittered so replicas do not reconnect in the same millisecond. */
export function backoffMs(attempt: number, maxDelayMs: number): number {
  const exponential = FIRST_RETRY_DELAY_MS * 2 ** Math.min(Math.max(attempt, 1) - 1, 16);
  const capped = Math.min(maxDelayMs, exponential);
  return Math.max(1, Math.round(capped * (0.5 + Math.random() / 2)));
}

/** Options every single-node connection gets (standalone, Sentinel, cluster nodes, bus). */
export function nodeOptions(settings: ClientSettings): RedisOptions {
  const { auth } = settings;
  return {
    lazyConnect: true,
    connectionName: settings.clientName,
    connectTimeout: settings.connectTimeoutMs,
    commandTimeout: settings.commandTimeoutMs,
    // Fail fast instead of queueing while disconnected: a revoke must reject (webhook 503) at
    // once rather than hang, and nothing stale is replayed after a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // The store subscribes itself on every `ready`, so it knows when the subscription is live.
    autoResubscribe: false,
    retryStrategy: (attempt: number) => backoffMs(attempt, settings.reconnectMaxDelayMs),
    // A master demoted to replica (manual failover) answers writes with READONLY: reconnect, and
    // Sentinel hands out the new master.
    reconnectOnError: (error: Error) => /^READONLY/.test(error.message),
    ...(auth.username === undefined ? {} : { username: auth.username }),
    ...(auth.password === undefined ? {} : { password: auth.password }),
    ...(auth.tls === undefined ? {} : { tls: { ...auth.tls } }),
  };
}

/** A new connection to the configured Redis (for Cluster: to the cluster as a whole). */
export function createClient(settings: ClientSettings): Commands {
  const { topology } = settings;
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, nodeOptions(settings));
    case 'sentinel':
      return new Redis(sentinelOptions(settings, topology.sentinels, topology.name));
    case 'cluster':
      return new Cluster(topology.nodes.map(toIoredisNode), clusterOptions(settings));
  }
}

/** A single-node connection to one cluster node (the sharded bus subscriber). */
export function createNodeClient(settings: ClientSettings, node: HostPort): Redis {
  return new Redis({
    ...nodeOptions(settings),
    host: node.host,
    port: node.port,
    // The caller picks the node again (it may no longer own the slot) instead of ioredis
    // reconnecting to the same one.
    retryStrategy: () => null,
  });
}

function sentinelOptions(
  settings: ClientSettings,
  sentinels: readonly HostPort[],
  name: string,
): RedisOptions {
  const { auth } = settings;
  return {
    ...nodeOptions(settings),
    sentinels: sentinels.map(toIoredisNode),
    name,
    role: 'master',
    sentinelCommandTimeout: settings.commandTimeoutMs,
    sentinelMaxConnections: 4,
    sentinelRetryStrategy: (attempt: number) => backoffMs(attempt, settings.reconnectMaxDelayMs),
    // Subscribes to +switch-master on the sentinels: a graceful failover (old master still up)
    // moves the connection at once instead of at the next error.
    failoverDetector: true,
    ...(auth.sentinelPassword === undefined ? {} : { sentinelPassword: auth.sentinelPassword }),
    ...(auth.tls === undefined
      ? {}
      : { enableTLSForSentinelMode: true, sentinelTLS: { ...auth.tls } }),
  };
}

function clusterOptions(settings: ClientSettings): ClusterOptions {
  const { retryStrategy: _perNode, ...redisOptions } = nodeOptions(settings);
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    scaleReads: 'master',
    clusterRetryStrategy: (attempt: number) => backoffMs(attempt, settings.reconnectMaxDelayMs),
    // While a failover is in progress a command is retried every 100 ms, at most 10 times, so
    // a webhook waits about a second and then answers 503 (the vendor retries).
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 10,
    slotsRefreshTimeout: settings.connectTimeoutMs,
    slotsRefreshInterval: 5000,
    redisOptions,
  };
}

function toIoredisNode(node: HostPort): { host: string; port: number } {
  return { host: node.host, port: node.port };
}
