/** Remembered webhook delivery ids, so a replayed delivery is answered without re-applying it. */
import { invalidOption } from '../errors.js';

/**
 * Where a receiver remembers delivery ids. `remember` is called only after the delivery's actions
 * were applied (and stored and published), so a failed delivery can be retried. The authenticator
 * backs it with its shared store when one is configured, so every replica knows every id.
 */
export interface ReplayGuard {
  seen(id: string): Promise<boolean>;
  remember(id: string): Promise<void>;
}

/** Options of `createMemoryReplayGuard`. */
export interface MemoryReplayGuardOptions {
  /**
   * How long an id is remembered, in ms. Must cover the receiver's timestamp window (twice
   * `toleranceSec`): an older delivery is refused as stale anyway.
   */
  readonly ttlMs: number;
  /** Most ids kept; when full, the oldest is forgotten first. */
  readonly maxEntries: number;
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/** An in-process `ReplayGuard`: bounded by `maxEntries`, entries expire after `ttlMs`. */
export function createMemoryReplayGuard(options: MemoryReplayGuardOptions): ReplayGuard {
  const { ttlMs, maxEntries } = options;
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
    invalidOption('replay.ttlMs', 'must be a positive integer (ms)');
  }
  if (!Number.isInteger(maxEntries) || maxEntries <= 0) {
    invalidOption('replay.maxEntries', 'must be a positive integer');
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    invalidOption('replay.now', 'must be a function returning epoch milliseconds');
  }
  const now = options.now ?? Date.now;
  // Insertion order is expiry order (one TTL for all), so expired ids are always at the front.
  const expiries = new Map<string, number>();

  const sweep = (at: number): void => {
    for (const [id, expiresAt] of expiries) {
      if (expiresAt > at) break;
      expiries.delete(id);
    }
  };

  return {
    seen(id) {
      const expiresAt = expiries.get(id);
      return Promise.resolve(expiresAt !== undefined && expiresAt > now());
    },
    remember(id) {
      const at = now();
      sweep(at);
      expiries.delete(id);
      while (expiries.size >= maxEntries) {
        const oldest = expiries.keys().next();
        if (oldest.done === true) break;
        expiries.delete(oldest.value);
      }
      expiries.set(id, at + ttlMs);
      return Promise.resolve();
    },
  };
}
