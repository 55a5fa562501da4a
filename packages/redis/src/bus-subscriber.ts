/**
 * The bus subscription: a connection that reports exactly when the subscription is live and when
 * it is gone, so the store resyncs after every gap (pub/sub drops messages while unsubscribed).
 *
 * - `PlainSubscriber`: SUBSCRIBE on a standalone or Sentinel-managed connection (ioredis
 *   reconnects it, Sentinel hands out the current master).
 * - `ShardedSubscriber`: Redis Cluster. SSUBSCRIBE on the master owning the channel's slot; after
 *   a failover the slot has a new owner, so every attempt looks the owner up again. Falls back to
 *   SUBSCRIBE on servers without sharded pub/sub (before 7.0).
 */
import type { Cluster, Redis } from 'ioredis';
import { backoffMs, createNodeClient } from './clients.js';
import type { ClientSettings } from './clients.js';
import type { HostPort } from './options.js';
import { keySlot } from './slot.js';

export interface SubscriberEvents {
  onMessage(raw: string): void;
  /** The subscription is live (first time or again). */
  onSubscribed(): void;
  /** The subscription is gone (connection closed); messages may be missed until the next onSubscribed. */
  onLost(): void;
  onError(error: Error): void;
}

export interface BusSubscriber {
  /** Starts connecting; keeps retrying with backoff until closed. */
  start(): void;
  close(): Promise<void>;
}

export class PlainSubscriber implements BusSubscriber {
  readonly #client: Redis;
  readonly #channel: string;
  readonly #events: SubscriberEvents;
  /** Incremented on every close, so a late SUBSCRIBE reply of a dead connection is ignored. */
  #epoch = 0;
  #closed = false;

  constructor(client: Redis, channel: string, events: SubscriberEvents) {
    this.#client = client;
    this.#channel = channel;
    this.#events = events;
    client.on('ready', () => this.#subscribe());
    client.on('close', () => {
      this.#epoch += 1;
      events.onLost();
    });
    client.on('error', (error: Error) => events.onError(error));
    client.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) events.onMessage(message);
    });
  }

  start(): void {
    // Rejects when the first attempt fails ('error' and 'close' already said why); ioredis keeps
    // retrying regardless.
    this.#client.connect().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await quit(this.#client);
  }

  #subscribe(): void {
    const epoch = this.#epoch;
    this.#client.subscribe(this.#channel).then(
      () => {
        if (epoch === this.#epoch && !this.#closed) this.#events.onSubscribed();
      },
      (error: unknown) => {
        this.#events.onError(asError(error));
        // A connection that cannot subscribe is useless; drop it and let the backoff retry.
        if (epoch === this.#epoch && !this.#closed) this.#client.disconnect(true);
      },
    );
  }
}

export class ShardedSubscriber implements BusSubscriber {
  readonly #cluster: Cluster;
  readonly #settings: ClientSettings;
  readonly #channel: string;
  readonly #slot: number;
  readonly #events: SubscriberEvents;
  readonly #onClassic: () => void;
  #sharded = true;
  #client: Redis | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** `onClassic`: the server has no SSUBSCRIBE; publish with PUBLISH from now on. */
  constructor(
    cluster: Cluster,
    settings: ClientSettings,
    channel: string,
    events: SubscriberEvents,
    onClassic: () => void,
  ) {
    this.#cluster = cluster;
    this.#settings = settings;
    this.#channel = channel;
    this.#slot = keySlot(channel);
    this.#events = events;
    this.#onClassic = onClassic;
  }

  start(): void {
    void this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await quit(client);
  }

  async #open(): Promise<void> {
    if (this.#closed) return;
    let owner: HostPort;
    try {
      owner = await this.#ownerOfSlot();
    } catch (error) {
      this.#events.onError(asError(error));
      this.#retry();
      return;
    }
    if (this.#closed) return;
    const client = createNodeClient(this.#settings, owner);
    this.#client = client;
    client.on('ready', () => this.#subscribe(client));
    client.on('error', (error: Error) => {
      // A SUNSUBSCRIBE pushed by the server (the slot moved away: failover, resharding) reaches
      // ioredis as a reply nobody asked for: start over on the slot's new owner.
      if (/queue state/i.test(error.message)) {
        this.#events.onError(new Error('the bus slot moved to another node (SUNSUBSCRIBE)'));
        client.disconnect();
        return;
      }
      this.#events.onError(error);
    });
    const deliver = (channel: string, message: string): void => {
      if (channel === this.#channel) this.#events.onMessage(message);
    };
    client.on('smessage', deliver);
    client.on('message', deliver);
    // retryStrategy is null: 'end' follows every failed connect and every lost connection.
    client.on('end', () => {
      if (client !== this.#client) return;
      this.#client = undefined;
      this.#events.onLost();
      this.#retry();
    });
    client.connect().catch(() => undefined);
  }

  #subscribe(client: Redis): void {
    const subscription = this.#sharded
      ? client.ssubscribe(this.#channel)
      : client.subscribe(this.#channel);
    subscription.then(
      () => {
        if (client !== this.#client || this.#closed) return;
        this.#attempt = 0;
        this.#events.onSubscribed();
      },
      (error: unknown) => {
        const failure = asError(error);
        if (this.#sharded && /unknown command/i.test(failure.message)) {
          this.#sharded = false;
          this.#onClassic();
        }
        this.#events.onError(failure);
        // MOVED (stale slot map), unknown command, or anything else: reconnect and look again.
        client.disconnect();
      },
    );
  }

  #retry(): void {
    if (this.#closed) return;
    this.#attempt += 1;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => void this.#open(),
      backoffMs(this.#attempt, this.#settings.reconnectMaxDelayMs),
    );
    this.#timer.unref();
  }

  /** The master of the channel's slot; after the first attempt, from a freshly loaded slot map. */
  async #ownerOfSlot(): Promise<HostPort> {
    if (this.#cluster.status !== 'ready') throw new Error('cluster not connected');
    if (this.#attempt > 0) {
      await new Promise<void>((resolve, reject) =>
        this.#cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())),
      );
    }
    const nodeKey = this.#cluster.slots[this.#slot]?.[0];
    if (nodeKey === undefined) throw new Error('no master owns the bus slot');
    const colon = nodeKey.lastIndexOf(':');
    return { host: nodeKey.slice(0, colon), port: Number(nodeKey.slice(colon + 1)) };
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through: a dead connection is simply dropped.
    }
  }
  client.disconnect();
}
