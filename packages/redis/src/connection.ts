/**
 * The two Redis connections a store needs (commands, and a subscriber for the bus) and the one
 * fact the store acts on: are both usable right now? "Up" means the command connection is ready
 * and the subscriber has confirmed its SUBSCRIBE, so a resync started on "up" cannot miss a
 * message published after it.
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from '@portcullis/core';

export interface LinkConfig {
  readonly url: string;
  readonly clientName: string;
  readonly channel: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly logger: Logger;
}

export interface LinkEvents {
  /** A raw message arrived on the bus channel. */
  onMessage(raw: string): void;
  /** Both connections became usable (first time, or again after a drop). */
  onUp(): void;
}

const FIRST_RETRY_DELAY_MS = 50;
const MAX_DETAIL_CHARS = 200;

export class RedisLink {
  readonly command: Redis;
  readonly subscriber: Redis;
  readonly #config: LinkConfig;
  readonly #events: LinkEvents;
  #commandReady = false;
  #subscribed = false;
  /** Incremented on every subscriber close, so a late SUBSCRIBE reply of a dead connection is ignored. */
  #subscriberEpoch = 0;
  #up = false;
  #closed = false;
  #lastError: string | undefined;
  #warnedSinceUp = false;
  readonly #outcomeWaiters = new Set<() => void>();

  constructor(config: LinkConfig, events: LinkEvents) {
    this.#config = config;
    this.#events = events;
    this.command = new Redis(config.url, this.#clientOptions());
    this.subscriber = new Redis(config.url, this.#clientOptions());
    this.#wireCommand();
    this.#wireSubscriber();
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
    // The promises reject when the first attempt fails; ioredis keeps retrying regardless.
    this.command.connect().catch(() => this.#settleOutcome());
    this.subscriber.connect().catch(() => this.#settleOutcome());
    await outcome;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#up = false;
    this.#settleOutcome();
    await Promise.all([quit(this.command), quit(this.subscriber)]);
  }

  #clientOptions(): RedisOptions {
    const maxDelay = this.#config.reconnectMaxDelayMs;
    return {
      lazyConnect: true,
      connectionName: this.#config.clientName,
      connectTimeout: this.#config.connectTimeoutMs,
      commandTimeout: this.#config.commandTimeoutMs,
      // Fail fast instead of queueing while disconnected: a revoke must reject (webhook 503) at
      // once rather than hang, and nothing stale is replayed after a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // The store subscribes itself on every `ready`, so it knows when the subscription is live.
      autoResubscribe: false,
      retryStrategy: (attempt: number) => {
        const exponential = FIRST_RETRY_DELAY_MS * 2 ** Math.min(attempt - 1, 16);
        const capped = Math.min(maxDelay, exponential);
        // Jitter so every replica does not reconnect in the same millisecond after a Redis restart.
        return Math.max(1, Math.round(capped * (0.5 + Math.random() / 2)));
      },
    };
  }

  #wireCommand(): void {
    this.command.on('ready', () => {
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

  #wireSubscriber(): void {
    this.subscriber.on('ready', () => {
      const epoch = this.#subscriberEpoch;
      this.subscriber.subscribe(this.#config.channel).then(
        () => {
          if (epoch !== this.#subscriberEpoch || this.#closed) return;
          this.#subscribed = true;
          this.#evaluate();
        },
        (error: unknown) => {
          this.#recordError(
            'subscriber',
            error instanceof Error ? error : new Error(String(error)),
          );
          // A connection that cannot subscribe is useless; drop it and let the backoff retry.
          if (epoch === this.#subscriberEpoch && !this.#closed) this.subscriber.disconnect(true);
        },
      );
    });
    this.subscriber.on('close', () => {
      this.#subscriberEpoch += 1;
      this.#subscribed = false;
      this.#evaluate();
      this.#settleOutcome();
    });
    this.subscriber.on('error', (error: Error) => this.#recordError('subscriber', error));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#config.channel) this.#events.onMessage(message);
    });
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
