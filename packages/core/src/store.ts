/**
 * The shared-store contract `@portcullis/redis` implements (docs/design.md §5 "Other replicas").
 * Core keeps every request-path read in memory; the store persists and fans out.
 */
import type {
  ComponentHealth,
  PolicyState,
  Principal,
  Selector,
  TenantWatch,
  Tombstone,
} from './types.js';

/** Messages on the invalidation bus. Versioned; receivers validate and drop malformed ones. */
export type BusMessage =
  | {
      readonly v: 1;
      readonly origin: string;
      readonly type: 'invalidate';
      readonly selector: Selector;
    }
  | {
      readonly v: 1;
      readonly origin: string;
      readonly type: 'revoke';
      readonly tombstone: Tombstone;
    }
  | { readonly v: 1; readonly origin: string; readonly type: 'unlock'; readonly userId: string }
  | { readonly v: 1; readonly origin: string; readonly type: 'watch'; readonly watch: TenantWatch }
  | { readonly v: 1; readonly origin: string; readonly type: 'policy'; readonly state: PolicyState }
  | { readonly v: 1; readonly origin: string; readonly type: 'flush' };

/** What the authenticator gives the store so remote events reach it. */
export interface StoreSink {
  /** Apply a message published by another replica (the store filters out our own). */
  applyRemote(message: BusMessage): void;
  /**
   * The connection came back (or came up late): the authenticator clears its cache, merges
   * tombstones and deletion watches both ways and re-reads the policy. Pub/sub may have lost messages meanwhile.
   */
  resync(): Promise<void>;
}

/** A cached principal as shared between replicas. */
export interface SharedCacheEntry {
  readonly principal: Principal;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly checkedOnline: boolean;
}

/** Optional shared cache of verified principals. Keys are HMACs under a secret every replica shares. */
export interface SharedPrincipalCache {
  get(key: string): Promise<SharedCacheEntry | undefined>;
  set(key: string, entry: SharedCacheEntry): Promise<void>;
  /** Delete every shared entry whose principal matches the selector. */
  deleteMatching(selector: Selector): Promise<void>;
  clear(): Promise<void>;
}

export interface SharedStore {
  /** Connect and subscribe. Resolves even when the store is unreachable (health says degraded). */
  start(originId: string, sink: StoreSink): Promise<void>;
  saveTombstone(tombstone: Tombstone): Promise<void>;
  deleteTombstone(tombstone: Tombstone): Promise<void>;
  loadTombstones(): Promise<readonly Tombstone[]>;
  /** Stores a deletion watch until its `expiresAt` (the later start and end win over a stored one). */
  saveWatch(watch: TenantWatch): Promise<void>;
  /** Every unexpired deletion watch. */
  loadWatches(): Promise<readonly TenantWatch[]>;
  /** Store the state unless a newer version is already stored; resolves with what is stored now. */
  savePolicy(state: PolicyState): Promise<PolicyState>;
  loadPolicy(): Promise<PolicyState | undefined>;
  publish(message: BusMessage): Promise<void>;
  /**
   * Takes a named lease for `ttlMs` unless another replica holds it: true when this replica got
   * it (e.g. one replica per interval sweeps a tenant).
   */
  acquireLease(name: string, ttlMs: number): Promise<boolean>;
  /** True if the webhook id was already remembered (by any replica). */
  hasWebhookId(id: string): Promise<boolean>;
  rememberWebhookId(id: string, ttlMs: number): Promise<void>;
  readonly sharedCache?: SharedPrincipalCache;
  health(): ComponentHealth;
  close(): Promise<void>;
}
