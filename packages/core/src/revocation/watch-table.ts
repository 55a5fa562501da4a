/**
 * Deletion watches (docs/design.md §5 "Deletions that name no token"): tenants whose client
 * credentials must be re-checked against the IdP's token list because a deletion webhook named no
 * token. Shared state like a tombstone: each replica holds them here, the store persists and
 * fans them out. Bounded: when full, the watch closest to expiry gives way (loudly).
 */
import type { TenantWatch } from '../types.js';

export interface WatchTableOptions {
  readonly maxWatches: number;
  onEvict(evicted: TenantWatch): void;
}

export class WatchTable {
  readonly #watches = new Map<string, TenantWatch>();
  readonly #options: WatchTableOptions;

  constructor(options: WatchTableOptions) {
    this.#options = options;
  }

  /**
   * Adds or widens a watch (the later start and the later end win: a newer deletion restarts the
   * window, an older message never shortens it). Returns what the table holds, or undefined when
   * the watch had already expired.
   */
  add(watch: TenantWatch, now: number): TenantWatch | undefined {
    if (watch.expiresAt <= now) return undefined;
    const existing = this.get(watch.tenantId, now);
    const merged: TenantWatch =
      existing === undefined
        ? watch
        : Object.freeze({
            tenantId: watch.tenantId,
            startedAt: Math.max(existing.startedAt, watch.startedAt),
            expiresAt: Math.max(existing.expiresAt, watch.expiresAt),
          });
    if (existing === undefined && this.#watches.size >= this.#options.maxWatches) {
      this.#evictSoonest(now);
    }
    this.#watches.set(watch.tenantId, merged);
    return merged;
  }

  /** The tenant's live watch, if any (expired ones are dropped on the way). */
  get(tenantId: string, now: number): TenantWatch | undefined {
    const watch = this.#watches.get(tenantId);
    if (watch === undefined) return undefined;
    if (watch.expiresAt > now) return watch;
    this.#watches.delete(tenantId);
    return undefined;
  }

  list(now: number): TenantWatch[] {
    const out: TenantWatch[] = [];
    for (const watch of this.#watches.values()) {
      if (watch.expiresAt > now) out.push(watch);
      else this.#watches.delete(watch.tenantId);
    }
    return out;
  }

  get size(): number {
    return this.#watches.size;
  }

  #evictSoonest(now: number): void {
    let soonest: TenantWatch | undefined;
    for (const watch of this.list(now)) {
      if (soonest === undefined || watch.expiresAt < soonest.expiresAt) soonest = watch;
    }
    if (soonest === undefined || this.#watches.size < this.#options.maxWatches) return;
    this.#watches.delete(soonest.tenantId);
    this.#options.onEvict(soonest);
  }
}
