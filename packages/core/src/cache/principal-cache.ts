/**
 * The bounded principal cache of docs/design.md §2 on top of lru-cache: positive answers (with a stale
 * window for `staleIfErrorMs`), negative answers (the credential's own fault) and an index by
 * tenant/user/client/token id so `invalidate(selector)` does not scan the whole cache.
 * Expiry is checked against the injected clock; lru-cache bounds entries and bytes.
 */
import { LRUCache } from 'lru-cache';
import type { ErrorCode } from '../errors.js';
import type { Principal, Selector } from '../types.js';
import { invalidOption } from '../errors.js';
import { isAllSelector, matchesSelector } from '../revocation/selector.js';
import { estimatePrincipalBytes, NEGATIVE_ENTRY_BYTES } from './principal-size.js';
import { KeyIndex } from './key-index.js';

export interface PositiveEntry {
  readonly negative: false;
  readonly principal: Principal;
  /** Epoch ms until which the entry answers without asking the IdP. */
  readonly freshUntil: number;
  /** Epoch ms until which the entry may answer while the IdP is unreachable (≥ freshUntil). */
  readonly staleUntil: number;
  readonly checkedOnline: boolean;
}

/** What is kept of a negative verdict: enough to throw an equivalent error, nothing secret. */
export interface NegativeEntry {
  readonly negative: true;
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly freshUntil: number;
}

export type CacheEntry = PositiveEntry | NegativeEntry;

/** Why an entry left the cache: lru-cache's reasons plus ours. */
export type EvictionReason =
  'evict' | 'expire' | 'set' | 'delete' | 'invalidate' | 'clear' | 'fetch';

export interface PrincipalCacheOptions {
  /** Maximum number of entries (required, positive). */
  readonly maxEntries: number;
  /** Maximum estimated bytes (required, positive). */
  readonly maxBytes: number;
  /** Told about every entry leaving the cache (for diagnostics). */
  readonly onEvict?: (reason: EvictionReason) => void;
}

type IndexField = 'tokenId' | 'clientId' | 'userId' | 'tenantId';

export class PrincipalCache {
  readonly #lru: LRUCache<string, CacheEntry>;
  readonly #byTokenId = new KeyIndex();
  readonly #byClientId = new KeyIndex();
  readonly #byUserId = new KeyIndex();
  readonly #byTenantId = new KeyIndex();
  readonly #negativeKeys = new Set<string>();
  readonly #evictions: Record<string, number> = Object.create(null) as Record<string, number>;
  /** lru-cache reports our own deletions as `delete`; this says which kind they were. */
  #deleteReason: EvictionReason = 'delete';
  readonly #onEvict: ((reason: EvictionReason) => void) | undefined;

  constructor(options: PrincipalCacheOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries <= 0) {
      invalidOption(
        'cache.maxEntries',
        'must be a positive integer (an unbounded cache is refused)',
      );
    }
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes <= 0) {
      invalidOption('cache.maxBytes', 'must be a positive integer (an unbounded cache is refused)');
    }
    this.#onEvict = options.onEvict;
    this.#lru = new LRUCache<string, CacheEntry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) =>
        entry.negative ? NEGATIVE_ENTRY_BYTES : estimatePrincipalBytes(entry.principal),
      dispose: (entry, key, reason) => this.#disposed(entry, key, reason),
    });
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  /** Counts of entries that left the cache, by reason. */
  evictions(): Record<string, number> {
    return { ...this.#evictions };
  }

  /** A fresh entry, or undefined. Entries past their stale window are dropped. */
  get(key: string, now: number): CacheEntry | undefined {
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    if (now < entry.freshUntil) return entry;
    if (!entry.negative && now < entry.staleUntil) return undefined;
    this.#delete(key, 'expire');
    return undefined;
  }

  /** A positive entry past its TTL but inside its stale window (for `staleIfErrorMs`). */
  getStale(key: string, now: number): PositiveEntry | undefined {
    const entry = this.#lru.peek(key);
    if (entry === undefined || entry.negative) return undefined;
    return now < entry.staleUntil ? entry : undefined;
  }

  setPositive(key: string, entry: PositiveEntry): void {
    this.#lru.set(key, entry);
    // lru-cache silently refuses an entry larger than maxSize; keep the index honest.
    if (!this.#lru.has(key)) return;
    const p = entry.principal;
    this.#byTokenId.add(p.tokenId, key);
    this.#byClientId.add(p.clientId, key);
    this.#byUserId.add(p.userId, key);
    this.#byTenantId.add(p.tenantId, key);
  }

  setNegative(key: string, entry: NegativeEntry): void {
    this.#lru.set(key, entry);
    if (this.#lru.has(key)) this.#negativeKeys.add(key);
  }

  /** Drops every positive entry whose principal matches; returns how many were dropped. */
  invalidate(selector: Selector): number {
    if (isAllSelector(selector)) {
      const dropped = this.#lru.size;
      this.clear('invalidate');
      return dropped;
    }
    const candidates = this.#candidates(selector);
    let dropped = 0;
    for (const key of candidates) {
      const entry = this.#lru.peek(key);
      if (entry !== undefined && !entry.negative && matchesSelector(selector, entry.principal)) {
        this.#delete(key, 'invalidate');
        dropped++;
      }
    }
    return dropped;
  }

  /** Drops everything. */
  clear(reason: EvictionReason = 'clear'): void {
    this.#deleteReason = reason;
    try {
      this.#lru.clear();
    } finally {
      this.#deleteReason = 'delete';
    }
  }

  /** Drops every negative entry (M2M re-enabled: rejected credentials get a fresh verdict). */
  clearNegative(): number {
    const keys = [...this.#negativeKeys];
    for (const key of keys) this.#delete(key, 'clear');
    return keys.length;
  }

  /** Tenant ids with at least one cached principal (positive or not: callers filter). */
  tenantIds(): IterableIterator<string> {
    return this.#byTenantId.values();
  }

  /** Cached client-credential principals of one tenant (one per client id). */
  clientCredentialsOfTenant(tenantId: string): Principal[] {
    const byClient = new Map<string, Principal>();
    for (const key of this.#byTenantId.keys(tenantId)) {
      const entry = this.#lru.peek(key);
      if (entry === undefined || entry.negative) continue;
      const principal = entry.principal;
      if (principal.credential !== 'client_credentials' || principal.clientId === undefined) {
        continue;
      }
      byClient.set(principal.clientId, principal);
    }
    return [...byClient.values()];
  }

  /** Client ids of cached principals of one tenant. */
  clientIdsOfTenant(tenantId: string): string[] {
    const ids = new Set<string>();
    for (const key of this.#byTenantId.keys(tenantId)) {
      const entry = this.#lru.peek(key);
      if (entry !== undefined && !entry.negative && entry.principal.clientId !== undefined) {
        ids.add(entry.principal.clientId);
      }
    }
    return [...ids];
  }

  #candidates(selector: Exclude<Selector, { all: true }>): string[] {
    const field: IndexField | undefined =
      selector.tokenId !== undefined
        ? 'tokenId'
        : selector.clientId !== undefined
          ? 'clientId'
          : selector.userId !== undefined
            ? 'userId'
            : selector.tenantId !== undefined
              ? 'tenantId'
              : undefined;
    if (field === undefined) return [...this.#lru.keys()]; // `{credential}` only: full scan
    return this.#indexOf(field).keys(selector[field] as string);
  }

  #indexOf(field: IndexField): KeyIndex {
    switch (field) {
      case 'tokenId':
        return this.#byTokenId;
      case 'clientId':
        return this.#byClientId;
      case 'userId':
        return this.#byUserId;
      case 'tenantId':
        return this.#byTenantId;
    }
  }

  #delete(key: string, reason: EvictionReason): void {
    this.#deleteReason = reason;
    try {
      this.#lru.delete(key);
    } finally {
      this.#deleteReason = 'delete';
    }
  }

  #disposed(entry: CacheEntry, key: string, lruReason: LRUCache.DisposeReason): void {
    if (entry.negative) {
      this.#negativeKeys.delete(key);
    } else {
      const p = entry.principal;
      this.#byTokenId.remove(p.tokenId, key);
      this.#byClientId.remove(p.clientId, key);
      this.#byUserId.remove(p.userId, key);
      this.#byTenantId.remove(p.tenantId, key);
    }
    const reason: EvictionReason = lruReason === 'delete' ? this.#deleteReason : lruReason;
    this.#evictions[reason] = (this.#evictions[reason] ?? 0) + 1;
    this.#onEvict?.(reason);
  }
}
