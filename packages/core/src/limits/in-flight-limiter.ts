/**
 * A bound on concurrent IdP calls with a FIFO queue (docs/design.md §2): a flood of random secrets can
 * keep at most `maxInFlight` calls open at the IdP; beyond `maxQueue` waiting callers the answer is
 * 503 `ERR_IDP_OVERLOADED` at once.
 */
import { PortcullisError } from '../errors.js';

export interface InFlightLimiterOptions {
  /** Calls allowed to run at once (≥ 1). */
  readonly maxInFlight: number;
  /** Callers allowed to wait for a slot (≥ 0). */
  readonly maxQueue: number;
}

interface Waiter {
  readonly start: () => void;
  readonly reject: (error: unknown) => void;
}

export class InFlightLimiter {
  readonly #maxInFlight: number;
  readonly #maxQueue: number;
  #running = 0;
  /** FIFO with a moving head index, so dequeuing is O(1). */
  #queue: Waiter[] = [];
  #head = 0;
  #highWater = 0;

  constructor(options: InFlightLimiterOptions) {
    this.#maxInFlight = options.maxInFlight;
    this.#maxQueue = options.maxQueue;
  }

  /** Calls running now. */
  get inFlight(): number {
    return this.#running;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** The most calls ever running at once (for tests and diagnostics). */
  get highWater(): number {
    return this.#highWater;
  }

  /** Runs `task` when a slot is free; rejects with `ERR_IDP_OVERLOADED` when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.#maxInFlight) return this.#start(task);
    if (this.queued >= this.#maxQueue) {
      return Promise.reject(
        new PortcullisError(
          'ERR_IDP_OVERLOADED',
          'Too many credential verifications are pending at the identity provider; retry shortly',
          { details: { maxInFlight: this.#maxInFlight, maxQueue: this.#maxQueue } },
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        start: () => {
          this.#start(task).then(resolve, reject);
        },
        reject,
      });
    });
  }

  /** Rejects every waiting caller (shutdown). Running calls finish on their own. */
  rejectQueued(error: unknown): void {
    const waiting = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    for (const waiter of waiting) waiter.reject(error);
  }

  #start<T>(task: () => Promise<T>): Promise<T> {
    this.#running++;
    if (this.#running > this.#highWater) this.#highWater = this.#running;
    let promise: Promise<T>;
    try {
      promise = task();
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.finally(() => {
      this.#running--;
      this.#next();
    });
  }

  #next(): void {
    if (this.#running >= this.#maxInFlight || this.#head >= this.#queue.length) return;
    const waiter = this.#queue[this.#head] as Waiter;
    this.#queue[this.#head] = undefined as unknown as Waiter;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    waiter.start();
  }
}
