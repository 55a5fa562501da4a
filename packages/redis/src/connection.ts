/**
 * The two Redis connections a store needs (commands, and a subscriber for the bus) and the one
 * fact the store acts on: are both usable right now? "Up" means the command connection (or the
 * cluster) is ready and the subscriber has confirmed its SUBSCRIBE (SSUBSCRIBE on a cluster), so
 * a resync started on "up" cannot miss a message published after it. Topologies: clients.ts.
 */
import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import type { Logger } from '@portcullis/core';
import { PlainSubscriber, ShardedSubscriber } from './bus-subscriber.js';
import type { BusSubscriber } from './bus-subscriber.js';
import { createClient } from './clients.js';
import type { ClientSettings, Commands } from './clients.js';

export interface LinkConfig extends ClientSettings {
  readonly channel: string;
  readonly logger: Logger;
}

export interface LinkEvents {
  /** A raw message arrived on the bus channel. */
  onMessage(raw: string): void;
  /** Both connections became usable (first time, or again after a drop). */
  onUp(): void;
}

const MAX_DETAIL_CHARS = 200;

export class RedisLink {
  readonly command: Commands;
  readonly #subscriber: BusSubscriber;
  readonly #config: LinkConfig;
  readonly #events: LinkEvents;
  /** Cluster on a server with sharded pub/sub: the bus uses SPUBLISH/SSUBSCRIBE. */
  #sharded: boolean;
  #subscriberStarted = false;
  #commandReady = false;
  #subscribed = false;
  #up = false;
  #closed = false;
  #lastError: string | undefined;
  #warnedSinceUp = false;
  readonly #outcomeWaiters = new Set<() => void>();

  constructor(config: LinkConfig, events: LinkEvents) {
    this.#config = config;
    this.#events = events;
    this.command = createClient(config);
    const subscriberEvents = {
      onMessage: (raw: string) => this.#events.onMessage(raw),
      onSubscribed: () => {
        this.#subscribed = true;
        this.#evaluate();
      },
      onLost: () => {
        this.#subscribed = false;
        this.#evaluate();
        this.#settleOutcome();
      },
      onError: (error: Error) => this.#recordError('subscriber', error),
    };
    if (this.command instanceof Cluster) {
      this.#sharded = true;
      this.#subscriber = new ShardedSubscriber(
        this.command,
        config,
        config.channel,
        subscriberEvents,
        () => {
          this.#sharded = false;
          config.logger.warn(
            { component: 'redis' },
            'redis cluster without sharded pub/sub (SSUBSCRIBE); using PUBLISH/SUBSCRIBE',
          );
        },
      );
    } else {
      this.#sharded = false;
      this.#subscriber = new PlainSubscriber(
        createClient(config) as Redis,
        config.channel,
        subscriberEvents,
      );
    }
    this.#wireCommand();
  }

  /** Which pub/sub the bus uses: `sharded` (SPUBLISH/SSUBSCRIBE, cluster) or `classic`. */
  get pubsub(): 'sharded' | 'classic' {
    return this.#sharded ? 'sharded' : 'classic';
  }

  /** Publishes on the bus channel with the pub/sub the subscribers use. */
  async publish(client: Commands, text: string): Promise<number> {
    if (!this.#sharded) return Number(await client.publish(this.#config.channel, text));
    try {
      return Number(await client.spublish(this.#config.channel, text));
    } catch (error) {
      if (!(error instanceof Error) || !/unknown command/i.test(error.message)) throw error;
      this.#sharded = false;
      return Number(await client.publish(this.#config.channel, text));
    }
  }

  /** Both connections usable. */
  get up(): boolean {
    return this.#up;
  }

  /** Last connection error, secret-free (ioredis connection errors carry host and port only). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Starts connecting (reconnects continue in the background with backoff) and resolves at the
   * first outcome: both up, a failed attempt, or `connectTimeoutMs`. Never rejects.
   */
  async connect(): Promise<void> {
    const outcome = new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#config.connectTimeoutMs);
      timer.unref();
      const waiters = this.#outcomeWaiters;
      function done(): void {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
    // The promise rejects when the first attempt fails; ioredis keeps retrying regardless.
    this.command.connect().catch(() => this.#settleOutcome());
    // The sharded subscriber needs the cluster's slot map: it starts on the first 'ready'.
    if (!(this.command instanceof Cluster)) this.#startSubscriberOnce();
    await outcome;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#up = false;
    this.#settleOutcome();
    await Promise.all([quit(this.command), this.#subscriber.close()]);
  }

  #startSubscriberOnce(): void {
    if (this.#subscriberStarted || this.#closed) return;
    this.#subscriberStarted = true;
    this.#subscriber.start();
  }

  #wireCommand(): void {
    this.command.on('ready', () => {
      this.#startSubscriberOnce();
      this.#commandReady = true;
      this.#evaluate();
    });
    this.command.on('close', () => {
      this.#commandReady = false;
      this.#evaluate();
      this.#settleOutcome();
    });
    this.command.on('error', (error: Error) => this.#recordError('command', error));
  }

  #evaluate(): void {
    const up = this.#commandReady && this.#subscribed && !this.#closed;
    if (up === this.#up) return;
    this.#up = up;
    if (up) {
      this.#lastError = undefined;
      this.#warnedSinceUp = false;
      this.#config.logger.info({ component: 'redis' }, 'redis connected');
      this.#settleOutcome();
      this.#events.onUp();
    } else if (!this.#closed) {
      this.#config.logger.warn({ component: 'redis' }, 'redis connection lost; reconnecting');
    }
  }

  #recordError(connection: 'command' | 'subscriber', error: Error): void {
    this.#lastError = error.message.slice(0, MAX_DETAIL_CHARS);
    // ioredis reports every failed reconnect attempt; warn once per outage, the rest at debug.
    const level = this.#warnedSinceUp ? 'debug' : 'warn';
    this.#warnedSinceUp = true;
    this.#config.logger[level](
      { component: 'redis', connection, reason: this.#lastError },
      'redis error',
    );
  }

  #settleOutcome(): void {
    for (const done of [...this.#outcomeWaiters]) done();
  }
}

async function quit(client: Commands): Promise<void> {
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
