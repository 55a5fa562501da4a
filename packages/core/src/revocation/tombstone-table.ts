/**
 * The in-memory tombstone table checked on every request (docs/design.md §5). Lookups go through maps keyed
 * by the principal's own ids, so the cost does not grow with the number of tombstones. The table is
 * bounded; when full, the tombstone closest to expiry is evicted and the owner is told (loudly).
 *
 * Memory (issue 16: 100k tombstones ≤ 20 MiB): the tombstones themselves are the records. An index
 * slot holds a single tombstone, or an array only when two share the value; there is no identity
 * string and no side table. The expiry heap may hold tombstones already replaced or removed: they
 * are recognised on pop (no longer stored) and skipped.
 */
import type { Principal, Tombstone } from '../types.js';
import { isAllSelector, isUnconditionalSelector, matchesSelector } from './selector.js';
import { MinHeap } from './min-heap.js';

type Slot = Tombstone | Tombstone[];
type Index = Map<string, Slot>;

export interface TombstoneTableOptions {
  /** Upper bound on stored tombstones. */
  readonly maxTombstones: number;
  /** Tolerance added to `revokedAt` when comparing with a token's `iat`, in seconds. */
  readonly clockToleranceSec: number;
  /** Called for every tombstone evicted because the table was full. */
  readonly onEvict: (evicted: Tombstone, size: number) => void;
}

export class TombstoneTable {
  readonly #byTokenId: Index = new Map();
  readonly #byClientId: Index = new Map();
  readonly #byUserId: Index = new Map();
  readonly #byTenantId: Index = new Map();
  readonly #byCredential: Index = new Map();
  #all: Tombstone[] = [];
  #size = 0;
  readonly #expiryHeap = new MinHeap<Tombstone>((t) => t.expiresAt);
  readonly #options: TombstoneTableOptions;
  readonly #toleranceMs: number;
  #evictions = 0;
  #lastEvictionAt: number | undefined;

  constructor(options: TombstoneTableOptions) {
    this.#options = options;
    this.#toleranceMs = options.clockToleranceSec * 1000;
  }

  get size(): number {
    return this.#size;
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
    const existing = this.#findSame(tombstone);
    let stored = tombstone;
    if (existing !== undefined) {
      if (existing.revokedAt >= tombstone.revokedAt && existing.expiresAt >= tombstone.expiresAt) {
        return existing;
      }
      stored = Object.freeze({
        kind: tombstone.kind,
        selector: tombstone.selector,
        revokedAt: Math.max(existing.revokedAt, tombstone.revokedAt),
        expiresAt: Math.max(existing.expiresAt, tombstone.expiresAt),
      });
      this.#unlink(existing);
    }
    this.#insert(stored);
    while (this.#size > this.#options.maxTombstones) this.#evictOne(now);
    return stored;
  }

  /**
   * Lengthens every `revoke` tombstone to live `ttlMs` after its `revokedAt` (the revocation TTL was
   * raised to the IdP's longest token lifetime: a shorter tombstone would let a token outlive it).
   * Returns how many were lengthened. O(n); runs only when the TTL grows.
   */
  extendRevocations(ttlMs: number, now: number): number {
    const shorter: Tombstone[] = [];
    this.#forEach((t) => {
      if (t.kind === 'revoke' && t.expiresAt < t.revokedAt + ttlMs) shorter.push(t);
    });
    for (const t of shorter) {
      this.add(Object.freeze({ ...t, expiresAt: t.revokedAt + ttlMs }), now);
    }
    return shorter.length;
  }

  /** Removes the lock of a user; returns it when there was one. */
  unlock(userId: string): Tombstone | undefined {
    const lock = this.#find(this.#byUserId, userId, (t) => isLockOf(t, userId));
    if (lock === undefined) return undefined;
    this.#unlink(lock);
    return lock;
  }

  /** The tombstone that rejects this principal, if any. Synchronous and allocation-free. */
  check(principal: Principal, now: number): Tombstone | undefined {
    if (this.#size === 0) return undefined;
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
    this.#forEach((t) => out.push(t));
    return out;
  }

  /** True when an equal-or-wider tombstone with this identity is stored. */
  covers(tombstone: Tombstone): boolean {
    const existing = this.#findSame(tombstone);
    return (
      existing !== undefined &&
      existing.revokedAt >= tombstone.revokedAt &&
      existing.expiresAt >= tombstone.expiresAt
    );
  }

  /** Forgets expired tombstones (cheap: pops the expiry heap). */
  sweep(now: number): void {
    for (;;) {
      const top = this.#expiryHeap.peek();
      if (top === undefined) break;
      const stored = this.#isStored(top);
      if (stored && top.expiresAt > now) break;
      this.#expiryHeap.pop();
      if (stored) this.#unlink(top);
    }
  }

  #scan(index: Index, value: string | undefined, principal: Principal, now: number) {
    if (value === undefined || index.size === 0) return undefined;
    const slot = index.get(value);
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return this.#rejects(slot, principal, now) ? slot : undefined;
    return this.#scanList(slot, principal, now);
  }

  #scanList(list: readonly Tombstone[], principal: Principal, now: number) {
    for (let i = 0; i < list.length; i++) {
      const t = list[i] as Tombstone;
      if (this.#rejects(t, principal, now)) return t;
    }
    return undefined;
  }

  #rejects(t: Tombstone, principal: Principal, now: number): boolean {
    if (t.expiresAt <= now) return false;
    if (!matchesSelector(t.selector, principal)) return false;
    if (t.kind === 'lock' || isUnconditionalSelector(t.selector)) return true;
    // Tokens without `iat` count as issued before (docs/design.md §5).
    const issuedAt = principal.issuedAt;
    return issuedAt === undefined || issuedAt * 1000 <= t.revokedAt + this.#toleranceMs;
  }

  #insert(tombstone: Tombstone): void {
    const place = this.#placeOf(tombstone);
    if (place === undefined) {
      this.#all.push(tombstone);
    } else {
      const [index, value] = place;
      const slot = index.get(value);
      if (slot === undefined) index.set(value, tombstone);
      else if (Array.isArray(slot)) slot.push(tombstone);
      else index.set(value, [slot, tombstone]);
    }
    this.#size += 1;
    this.#expiryHeap.push(tombstone);
    // Replaced and removed tombstones linger in the heap until popped; compact so it cannot grow
    // without bound.
    if (this.#expiryHeap.size > 2 * this.#size + 64) {
      this.#expiryHeap.rebuild((t) => this.#isStored(t));
    }
  }

  #unlink(tombstone: Tombstone): void {
    const place = this.#placeOf(tombstone);
    if (place === undefined) {
      const before = this.#all.length;
      this.#all = this.#all.filter((t) => t !== tombstone);
      if (this.#all.length < before) this.#size -= 1;
      return;
    }
    const [index, value] = place;
    const slot = index.get(value);
    if (slot === undefined) return;
    if (!Array.isArray(slot)) {
      if (slot !== tombstone) return;
      index.delete(value);
    } else {
      const remaining = slot.filter((t) => t !== tombstone);
      if (remaining.length === slot.length) return;
      if (remaining.length === 0) index.delete(value);
      else index.set(value, remaining.length === 1 ? (remaining[0] as Tombstone) : remaining);
    }
    this.#size -= 1;
  }

  #isStored(tombstone: Tombstone): boolean {
    const place = this.#placeOf(tombstone);
    if (place === undefined) return this.#all.includes(tombstone);
    const slot = place[0].get(place[1]);
    return Array.isArray(slot) ? slot.includes(tombstone) : slot === tombstone;
  }

  #evictOne(now: number): void {
    for (;;) {
      const victim = this.#expiryHeap.pop();
      if (victim === undefined) return;
      if (!this.#isStored(victim)) continue;
      this.#unlink(victim);
      this.#evictions += 1;
      this.#lastEvictionAt = now;
      this.#options.onEvict(victim, this.#size);
      return;
    }
  }

  /** The stored tombstone with the same identity (kind and selector; a lock: its user). */
  #findSame(tombstone: Tombstone): Tombstone | undefined {
    const place = this.#placeOf(tombstone);
    const same = (t: Tombstone): boolean => sameIdentity(t, tombstone);
    if (place === undefined) return this.#all.find(same);
    return this.#find(place[0], place[1], same);
  }

  #find(index: Index, value: string, test: (t: Tombstone) => boolean): Tombstone | undefined {
    const slot = index.get(value);
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return test(slot) ? slot : undefined;
    return slot.find(test);
  }

  #forEach(visit: (t: Tombstone) => void): void {
    for (const index of [
      this.#byTokenId,
      this.#byClientId,
      this.#byUserId,
      this.#byTenantId,
      this.#byCredential,
    ]) {
      for (const slot of index.values()) {
        if (Array.isArray(slot)) slot.forEach(visit);
        else visit(slot);
      }
    }
    this.#all.forEach(visit);
  }

  /** Which index slot holds a tombstone; `undefined` = the `all` list. A lock goes by its user. */
  #placeOf(tombstone: Tombstone): [Index, string] | undefined {
    const s = tombstone.selector;
    if (isAllSelector(s)) return undefined;
    if (tombstone.kind === 'lock' && s.userId !== undefined) return [this.#byUserId, s.userId];
    if (s.tokenId !== undefined) return [this.#byTokenId, s.tokenId];
    if (s.clientId !== undefined) return [this.#byClientId, s.clientId];
    if (s.userId !== undefined) return [this.#byUserId, s.userId];
    if (s.tenantId !== undefined) return [this.#byTenantId, s.tenantId];
    if (s.credential !== undefined) return [this.#byCredential, s.credential];
    return undefined;
  }
}

function isLockOf(tombstone: Tombstone, userId: string): boolean {
  const s = tombstone.selector;
  return tombstone.kind === 'lock' && !isAllSelector(s) && s.userId === userId;
}

/** Same identity: a lock is one per user; anything else is its kind and every selector field. */
function sameIdentity(a: Tombstone, b: Tombstone): boolean {
  if (a.kind !== b.kind) return false;
  const x = a.selector;
  const y = b.selector;
  if (a.kind === 'lock' && !isAllSelector(x) && !isAllSelector(y) && x.userId !== undefined) {
    return x.userId === y.userId;
  }
  if (isAllSelector(x) || isAllSelector(y)) return isAllSelector(x) && isAllSelector(y);
  return (
    x.tokenId === y.tokenId &&
    x.clientId === y.clientId &&
    x.userId === y.userId &&
    x.tenantId === y.tenantId &&
    x.credential === y.credential
  );
}
