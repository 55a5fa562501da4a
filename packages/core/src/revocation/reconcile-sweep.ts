/**
 * The reconciliation sweep for lost webhooks (docs/design.md §5 "Lost webhooks heal"). Frontegg
 * documents no webhook retry: a deletion whose webhook is lost would leave the deleted token's JWT
 * valid until its `exp`. Every `intervalMs` (jittered ±25 %) this replica re-checks the cached
 * client credentials of at most `maxTenants` tenants (round robin, so every cached tenant comes up)
 * against the provider's token lists, and revokes everywhere what is gone. A per-tenant lease in
 * the shared store makes one replica per interval check a tenant, whichever replicas cache it.
 */
import type { Logger, Principal } from '../types.js';

export interface ReconcileSweepOptions {
  readonly intervalMs: number;
  readonly maxTenants: number;
  /** Tenants with cached principals (client credentials are filtered by `principalsOf`). */
  tenants(): Iterable<string>;
  /** Cached client-credential principals of the tenant. */
  principalsOf(tenantId: string): readonly Principal[];
  /** The provider's check: revokes what is gone, resolves with how many. */
  reconcile(
    tenantId: string,
    principals: readonly Principal[],
    signal: AbortSignal,
  ): Promise<{ revoked: number }>;
  /** True when this replica may sweep the tenant this interval (the shared-store lease). */
  lease(tenantId: string, ttlMs: number): Promise<boolean>;
  /** Bound on one tenant's check, in ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** [0, 1): the jitter source (injectable for tests). */
  readonly random: () => number;
}

export interface SweepResult {
  readonly tenants: number;
  readonly revoked: number;
}

export class ReconcileSweep {
  readonly #o: ReconcileSweepOptions;
  readonly #abort = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The last tenant swept: the next sweep starts after it (round robin over sorted ids). */
  #cursor: string | undefined;
  #running: Promise<SweepResult> | undefined;
  #closed = false;

  constructor(options: ReconcileSweepOptions) {
    this.#o = options;
  }

  /** Schedules the sweeps (unref'd timers). */
  start(): void {
    if (this.#closed || this.#o.intervalMs <= 0) return;
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#abort.abort();
    clearTimeout(this.#timer);
  }

  /** One sweep now (single flight). Never rejects: trouble with one tenant is logged and skipped. */
  runOnce(): Promise<SweepResult> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #schedule(): void {
    // ±25 %: replicas started together do not sweep (and ask the IdP) in lockstep.
    const delayMs = Math.round(this.#o.intervalMs * (0.75 + 0.5 * this.#o.random()));
    this.#timer = setTimeout(() => {
      void this.runOnce().finally(() => {
        if (!this.#closed) this.#schedule();
      });
    }, delayMs);
    this.#timer.unref();
  }

  #pick(): string[] {
    const all = [...this.#o.tenants()].sort();
    if (all.length === 0) return [];
    const cursor = this.#cursor;
    let start = cursor === undefined ? 0 : all.findIndex((tenantId) => tenantId > cursor);
    if (start < 0) start = 0;
    const picked: string[] = [];
    for (let i = 0; i < all.length && picked.length < this.#o.maxTenants; i++) {
      picked.push(all[(start + i) % all.length] as string);
    }
    return picked;
  }

  async #sweep(): Promise<SweepResult> {
    let tenants = 0;
    let revoked = 0;
    for (const tenantId of this.#pick()) {
      if (this.#closed) break;
      this.#cursor = tenantId;
      const principals = this.#o.principalsOf(tenantId);
      if (principals.length === 0) continue;
      try {
        // Held a little less than an interval: the next interval's sweeper can take it.
        if (!(await this.#o.lease(tenantId, Math.max(1, Math.floor(this.#o.intervalMs * 0.9))))) {
          continue;
        }
        tenants += 1;
        const signal = AbortSignal.any([
          this.#abort.signal,
          AbortSignal.timeout(this.#o.timeoutMs),
        ]);
        revoked += (await this.#o.reconcile(tenantId, principals, signal)).revoked;
      } catch (error) {
        if (this.#closed) break;
        this.#o.logger.warn(
          { tenantId, err: { message: error instanceof Error ? error.message : String(error) } },
          'portcullis: reconciliation of a tenant failed; retried at a later sweep',
        );
      }
    }
    return { tenants, revoked };
  }
}
