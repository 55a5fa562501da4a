/**
 * Optional per-client limit on failed authentications and cache misses (IdP verifications)
 * (PORTCULLIS_FAILED_AUTH_LIMIT per minute). Fixed one-minute windows in a bounded map: a flood of
 * addresses evicts the oldest entries instead of growing memory.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { CHANNELS } from '@portcullis/core';
import type { DecisionEvent } from '@portcullis/core';
export interface AbuseLimiter {
  /** Seconds until the client may try again, or 0 when it is not limited. */
  retryAfterSec(client: string): number;
  recordFailure(client: string): void;
  readonly size: number;
}

export interface AbuseLimiterOptions {
  /** Failures allowed per client per window. */
  readonly maxFailures: number;
  /** Window length in ms (default 60000). */
  readonly windowMs?: number;
  /** Clients tracked at once (default 100000); the oldest are forgotten first. */
  readonly maxClients?: number;
  readonly now?: () => number;
}

/** Fixed-window failure counter per client (defaults: 60000 ms windows, 100000 clients). */
export function createAbuseLimiter(options: AbuseLimiterOptions): AbuseLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const maxClients = options.maxClients ?? 100_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { start: number; failures: number }>();

  const current = (client: string): { start: number; failures: number } | undefined => {
    const entry = windows.get(client);
    if (entry !== undefined && now() - entry.start >= windowMs) {
      windows.delete(client);
      return undefined;
    }
    return entry;
  };
  return {
    retryAfterSec(client) {
      const entry = current(client);
      if (entry === undefined || entry.failures < options.maxFailures) return 0;
      return Math.max(1, Math.ceil((entry.start + windowMs - now()) / 1000));
    },
    recordFailure(client) {
      const entry = current(client);
      if (entry !== undefined) {
        entry.failures += 1;
        return;
      }
      if (windows.size >= maxClients) {
        const oldest = windows.keys().next();
        if (oldest.done !== true) windows.delete(oldest.value);
      }
      windows.set(client, { start: now(), failures: 1 });
    },
    get size() {
      return windows.size;
    },
  };
}

/**
 * Charges successful cache misses to the client whose request caused them. Core publishes its
 * decision event synchronously inside `authenticate`, so the request's async context says who.
 * (Failures are charged by the caller, so a failed miss is counted once.)
 */
export interface MissTracker {
  run<T>(client: string, fn: () => Promise<T>): Promise<T>;
  close(): void;
}

export function createMissTracker(limiter: AbuseLimiter): MissTracker {
  const context = new AsyncLocalStorage<string>();
  const onDecision = (message: unknown): void => {
    const event = message as DecisionEvent;
    if (event.cache !== 'miss' || event.outcome !== 'allow') return;
    const client = context.getStore();
    if (client !== undefined) limiter.recordFailure(client);
  };
  diagnostics.subscribe(CHANNELS.decision, onDecision);
  return {
    run: (client, fn) => context.run(client, fn),
    close: () => diagnostics.unsubscribe(CHANNELS.decision, onDecision),
  };
}
