/**
 * The in-memory tombstone table checked on every request (docs/design.md §5). Lookups go through maps keyed
 * by the principal's own ids, so the cost does not grow with the number of tombstones. The table is
 * bounded; when full, the tombstone closest to expiry is evicted and the owner is told (loudly).
 */
import type { Principal, Tombstone } from '../types.js';
import {
  isAllSelector,
  isUnconditionalSelector,
  matchesSelector,
  selectorIdentity,
} from './selector.js';
import { MinHeap } from './min-heap.js';

interface TombstoneRecord {
  readonly tombstone: Tombstone;
  readonly identity: string;
  readonly unconditional: boolean;
  /** Which index list holds the record; `undefined` = the `all` list. */
  readonly index: Map<string, TombstoneRecord[]> | undefined;
  readonly indexValue: string;
  removed: boolean;
}

export interface TombstoneTableOptions {
  /** Upper bound on stored tombstones. */
  readonly maxTombstones: number;
  /** Tolerance added to `revokedAt` when comparing with a token's `iat`, in seconds. */
  readonly clockToleranceSec: number;
  /** Called for every tombstone evicted because the table was full. */
  readonly onEvict: (evicted: Tombstone, size: number) => void;
}

export class TombstoneTable {
  readonly #byTokenId = new Map<string, TombstoneRecord[]>();
  readonly #byClientId = new Map<string, TombstoneRecord[]>();
  readonly #byUserId = new Map<string, TombstoneRecord[]>();
  readonly #byTenantId = new Map<string, TombstoneRecord[]>();
  readonly #byCredential = new Map<string, TombstoneRecord[]>();
  #all: TombstoneRecord[] = [];
  readonly #byIdentity = new Map<string, TombstoneRecord>();
  readonly #expiryHeap = new MinHeap<TombstoneRecord>((r) => r.tombstone.expiresAt);
  readonly #options: TombstoneTableOptions;
  readonly #toleranceMs: number;
  #evictions = 0;
  #lastEvictionAt: number | undefined;

  constructor(options: TombstoneTableOptions) {
    this.#options = options;
    this.#toleranceMs = options.clockToleranceSec * 1000;
  }

  get size(): number {
    return this.#byIdentity.size;
  }

  /** Tombstones evicted because the table was full, since start. */
  get evictions(): number {
    return this.#evictions;
  }

  get lastEvictionAt(): number | undefined {
    return this.#lastEvictionAt;
  }

  /**
   * Adds (or widens) a tombstone. The same selector revoked twice keeps the later `revokedAt` and
   * `expiresAt`, so merging tables from two replicas never narrows a revocation.
   * Returns the tombstone now stored, or `undefined` when it had already expired.
   */
  add(tombstone: Tombstone, now: number): Tombstone | undefined {
    this.sweep(now);
    if (tombstone.expiresAt <= now) return undefined;
    const identity = identityOf(tombstone);
    const existing = this.#byIdentity.get(identity);
    let stored = tombstone;
    if (existing !== undefined) {
      const old = existing.tombstone;
      if (old.revokedAt >= tombstone.revokedAt && old.expiresAt >= tombstone.expiresAt) return old;
      stored = Object.freeze({
        kind: tombstone.kind,
        selector: tombstone.selector,
        revokedAt: Math.max(old.revokedAt, tombstone.revokedAt),
        expiresAt: Math.max(old.expiresAt, tombstone.expiresAt),
      });
      this.#unlink(existing);
    }
    this.#insert(stored, identity);
    while (this.#byIdentity.size > this.#options.maxTombstones) this.#evictOne(now);
    return stored;
  }

  /**
   * Lengthens every `revoke` tombstone to live `ttlMs` after its `revokedAt` (the revocation TTL was
   * raised to the IdP's longest token lifetime: a shorter tombstone would let a token outlive it).
   * Returns how many were lengthened. O(n); runs only when the TTL grows.
   */
  extendRevocations(ttlMs: number, now: number): number {
    const shorter: Tombstone[] = [];
    for (const record of this.#byIdentity.values()) {
      const t = record.tombstone;
      if (t.kind === 'revoke' && t.expiresAt < t.revokedAt + ttlMs) shorter.push(t);
    }
    for (const t of shorter) {
      this.add(Object.freeze({ ...t, expiresAt: t.revokedAt + ttlMs }), now);
    }
    return shorter.length;
  }

  /** Removes the lock of a user; returns it when there was one. */
  unlock(userId: string): Tombstone | undefined {
    const record = this.#byIdentity.get(lockIdentity(userId));
    if (record === undefined) return undefined;
    this.#unlink(record);
    return record.tombstone;
  }

  /** The tombstone that rejects this principal, if any. Synchronous and allocation-free. */
  check(principal: Principal, now: number): Tombstone | undefined {
    if (this.#byIdentity.size === 0) return undefined;
    return (
      this.#scan(this.#byTokenId, principal.tokenId, principal, now) ??
      this.#scan(this.#byClientId, principal.clientId, principal, now) ??
      this.#scan(this.#byUserId, principal.userId, principal, now) ??
      this.#scan(this.#byTenantId, principal.tenantId, principal, now) ??
      this.#scan(this.#byCredential, principal.credential, principal, now) ??
      this.#scanList(this.#all, principal, now)
    );
  }

  /** Every live tombstone (for the store merge and the operator API). */
  list(now: number): Tombstone[] {
    this.sweep(now);
    const out: Tombstone[] = [];
    for (const record of this.#byIdentity.values()) out.push(record.tombstone);
    return out;
  }

  /** True when an equal-or-wider tombstone with this identity is stored. */
  covers(tombstone: Tombstone): boolean {
    const existing = this.#byIdentity.get(identityOf(tombstone));
    return (
      existing !== undefined &&
      existing.tombstone.revokedAt >= tombstone.revokedAt &&
      existing.tombstone.expiresAt >= tombstone.expiresAt
    );
  }

  /** Forgets expired tombstones (cheap: pops the expiry heap). */
  sweep(now: number): void {
    for (;;) {
      const top = this.#expiryHeap.peek();
      if (top === undefined) break;
      if (!top.removed && top.tombstone.expiresAt > now) break;
      this.#expiryHeap.pop();
      if (!top.removed) this.#unlink(top);
    }
  }

  #scan(
    index: Map<string, TombstoneRecord[]>,
    value: string | undefined,
    principal: Principal,
    now: number,
  ): Tombstone | undefined {
    if (value === undefined || index.size === 0) return undefined;
    const list = index.get(value);
    return list === undefined ? undefined : this.#scanList(list, principal, now);
  }

  #scanList(list: TombstoneRecord[], principal: Principal, now: number): Tombstone | undefined {
    for (let i = 0; i < list.length; i++) {
      const record = list[i] as TombstoneRecord;
      if (this.#rejects(record, principal, now)) return record.tombstone;
    }
    return undefined;
  }

  #rejects(record: TombstoneRecord, principal: Principal, now: number): boolean {
    const t = record.tombstone;
    if (t.expiresAt <= now) return false;
    if (!matchesSelector(t.selector, principal)) return false;
    if (record.unconditional) return true;
    // Tokens without `iat` count as issued before (docs/design.md §5).
    const issuedAt = principal.issuedAt;
    return issuedAt === undefined || issuedAt * 1000 <= t.revokedAt + this.#toleranceMs;
  }

  #insert(tombstone: Tombstone, identity: string): void {
    const { index, value } = this.#indexFor(tombstone);
    const record: TombstoneRecord = {
      tombstone,
      identity,
      unconditional: tombstone.kind === 'lock' || isUnconditionalSelector(tombstone.selector),
      index,
      indexValue: value,
      removed: false,
    };
    if (index === undefined) {
      this.#all.push(record);
    } else {
      const list = index.get(value);
      if (list === undefined) index.set(value, [record]);
      else list.push(record);
    }
    this.#byIdentity.set(identity, record);
    this.#expiryHeap.push(record);
    // Removed records linger in the heap until popped; compact so it cannot grow without bound.
    if (this.#expiryHeap.size > 2 * this.#byIdentity.size + 64) {
      this.#expiryHeap.rebuild((r) => !r.removed);
    }
  }

  #unlink(record: TombstoneRecord): void {
    record.removed = true;
    this.#byIdentity.delete(record.identity);
    if (record.index === undefined) {
      this.#all = this.#all.filter((r) => r !== record);
      return;
    }
    const list = record.index.get(record.indexValue);
    if (list === undefined) return;
    const remaining = list.filter((r) => r !== record);
    if (remaining.length === 0) record.index.delete(record.indexValue);
    else record.index.set(record.indexValue, remaining);
  }

  #evictOne(now: number): void {
    for (;;) {
      const victim = this.#expiryHeap.pop();
      if (victim === undefined) return;
      if (victim.removed) continue;
      this.#unlink(victim);
      this.#evictions += 1;
      this.#lastEvictionAt = now;
      this.#options.onEvict(victim.tombstone, this.#byIdentity.size);
      return;
    }
  }

  #indexFor(tombstone: Tombstone): {
    index: Map<string, TombstoneRecord[]> | undefined;
    value: string;
  } {
    const s = tombstone.selector;
    if (isAllSelector(s)) return { index: undefined, value: '' };
    if (s.tokenId !== undefined) return { index: this.#byTokenId, value: s.tokenId };
    if (s.clientId !== undefined) return { index: this.#byClientId, value: s.clientId };
    if (s.userId !== undefined) return { index: this.#byUserId, value: s.userId };
    if (s.tenantId !== undefined) return { index: this.#byTenantId, value: s.tenantId };
    if (s.credential !== undefined) return { index: this.#byCredential, value: s.credential };
    return { index: undefined, value: '' };
  }
}

function lockIdentity(userId: string): string {
  return `lock:${encodeURIComponent(userId)}`;
}

function identityOf(tombstone: Tombstone): string {
  if (tombstone.kind === 'lock') {
    const s = tombstone.selector;
    if (!isAllSelector(s) && s.userId !== undefined) return lockIdentity(s.userId);
  }
  return `${tombstone.kind}:${selectorIdentity(tombstone.selector)}`;
}
