/**
 * The authenticator's side of the shared store (docs/design.md §5 "Other replicas"): writes (store, then
 * publish) for local actions, remote messages applied locally without re-publishing, and the
 * resync after a (re)connect. Request-path reads never touch the store.
 */
import { PortcullisError } from '../errors.js';
import type { PolicyManager } from '../policy/policy-manager.js';
import { isNewerVersion } from '../policy/version.js';
import { normalizeSelector, selectorIdentity } from '../revocation/selector.js';
import type { TombstoneTable } from '../revocation/tombstone-table.js';
import type { WatchTable } from '../revocation/watch-table.js';
import type { BusMessage, SharedStore, StoreSink } from '../store.js';
import type { Logger, PolicyState, Selector, TenantWatch, Tombstone } from '../types.js';
import { errorSummary } from './failures.js';
import { parsePolicyState, parseTombstone, parseWatch } from './shared-shapes.js';

/** What the link applies to this replica. */
export interface LocalReplica {
  readonly originId: string;
  readonly logger: Logger;
  readonly table: TombstoneTable;
  readonly watches: WatchTable;
  readonly policy: PolicyManager;
  now(): number;
  isClosed(): boolean;
  invalidateLocally(selector: Selector, source: string): void;
  applyTombstone(tombstone: Tombstone, source: string): void;
  /** Adds the watch and drops the tenant's cached principals, so each is checked once under it. */
  applyWatch(watch: TenantWatch, source: string): void;
  unlockLocally(userId: string, source: string): void;
  flushLocally(source: string): void;
}

export class StoreLink {
  readonly #store: SharedStore;
  readonly #local: LocalReplica;
  #started: Promise<void> = Promise.resolve();

  constructor(store: SharedStore, local: LocalReplica) {
    this.#store = store;
    this.#local = local;
  }

  get store(): SharedStore {
    return this.#store;
  }

  /** Connects, then loads tombstones and policy. Never rejects: an unreachable store only degrades. */
  start(): Promise<void> {
    const sink: StoreSink = {
      applyRemote: (message) => this.#applyRemote(message),
      resync: () => this.#resync(true),
    };
    this.#started = (async () => {
      try {
        await this.#store.start(this.#local.originId, sink);
        // Actions made before this first load store and publish themselves once it is over.
        await this.#resync(false);
      } catch (error) {
        this.#local.logger.warn(
          { err: errorSummary(error) },
          'portcullis: the shared store is unavailable at start; working locally until it resyncs',
        );
      }
    })();
    return this.#started;
  }

  /** Resolves once the first start-and-load attempt is over. */
  started(): Promise<void> {
    return this.#started;
  }

  /**
   * Runs the store part of an action whose local part is already applied (and stays applied).
   * Rejects with `ERR_STORE_UNAVAILABLE` when the store fails.
   */
  async write(what: string, action: (store: SharedStore) => Promise<void>): Promise<void> {
    await this.#started;
    try {
      await action(this.#store);
    } catch (error) {
      this.#local.logger.error(
        { err: errorSummary(error), action: what },
        `portcullis: the ${what} was applied on this replica but could not be stored or published`,
      );
      throw new PortcullisError(
        'ERR_STORE_UNAVAILABLE',
        `The ${what} was applied on this replica but the shared store could not record or publish it; retry`,
        { cause: error },
      );
    }
  }

  publish(message: BusMessage): Promise<void> {
    return this.#store.publish(message);
  }

  /** Stores a local policy observation unless a newer one is stored (then takes that), and publishes it. */
  async persistPolicy(observed: PolicyState): Promise<void> {
    await this.#started;
    const stored = parsePolicyState(await this.#store.savePolicy(observed)) ?? observed;
    if (isNewerVersion(stored.version, observed.version)) {
      this.#local.policy.applyShared(stored, 'store');
      return;
    }
    await this.#store.publish({
      v: 1,
      origin: this.#local.originId,
      type: 'policy',
      state: observed,
    });
  }

  /** Another replica's message: applied here, never re-published. Malformed ones are dropped. */
  #applyRemote(message: BusMessage): void {
    const local = this.#local;
    if (local.isClosed() || message === null || typeof message !== 'object' || message.v !== 1) {
      return;
    }
    try {
      switch (message.type) {
        case 'invalidate':
          local.invalidateLocally(normalizeSelector(message.selector), 'remote');
          return;
        case 'revoke': {
          const tombstone = parseTombstone(message.tombstone);
          if (tombstone !== undefined) local.applyTombstone(tombstone, 'remote');
          return;
        }
        case 'watch': {
          const watch = parseWatch(message.watch);
          if (watch !== undefined) local.applyWatch(watch, 'remote');
          return;
        }
        case 'unlock':
          if (typeof message.userId === 'string' && message.userId.length > 0) {
            local.unlockLocally(message.userId, 'remote');
          }
          return;
        case 'policy': {
          const state = parsePolicyState(message.state);
          if (state !== undefined) local.policy.applyShared(state, 'remote');
          return;
        }
        case 'flush':
          local.flushLocally('remote');
          return;
        default:
          return;
      }
    } catch (error) {
      local.logger.warn(
        { err: errorSummary(error) },
        'portcullis: dropped a malformed bus message',
      );
    }
  }

  /**
   * After a (re)connect pub/sub may have lost messages: forget every cached answer, merge
   * tombstones both ways, take the newer policy and re-read the IdP's (docs/design.md §5). Over-invalidating
   * is safe; missing a revocation is not.
   */
  async #resync(publishWriteBacks: boolean): Promise<void> {
    const local = this.#local;
    if (local.isClosed()) return;
    local.flushLocally('resync');
    const now = local.now();
    const ours = local.table.list(now);
    const theirs = new Map<string, Tombstone>();
    for (const raw of await this.#store.loadTombstones()) {
      const tombstone = parseTombstone(raw);
      if (tombstone === undefined) continue;
      theirs.set(identity(tombstone), tombstone);
      // The cache was just flushed: only the table needs the tombstone.
      local.table.add(tombstone, now);
    }
    // Write back what this replica revoked while it could not reach the store, and tell the
    // replicas that stayed connected: they would otherwise learn of it only on their next resync.
    for (const tombstone of ours) {
      const stored = theirs.get(identity(tombstone));
      if (
        stored === undefined ||
        stored.revokedAt < tombstone.revokedAt ||
        stored.expiresAt < tombstone.expiresAt
      ) {
        await this.#store.saveTombstone(tombstone);
        if (publishWriteBacks) {
          await this.#store.publish({ v: 1, origin: local.originId, type: 'revoke', tombstone });
        }
      }
    }
    await this.#mergeWatches(publishWriteBacks);
    const storedPolicy = parsePolicyState(await this.#store.loadPolicy());
    const observed = local.policy.observed();
    if (storedPolicy !== undefined) local.policy.applyShared(storedPolicy, 'store');
    if (
      observed.version.at > 0 &&
      observed.enabled !== undefined &&
      (storedPolicy === undefined || isNewerVersion(observed.version, storedPolicy.version))
    ) {
      await this.#store.savePolicy(observed);
    }
    void local.policy.refresh();
  }

  /** Deletion watches, both ways, like tombstones (the cache was just flushed: the table suffices). */
  async #mergeWatches(publishWriteBacks: boolean): Promise<void> {
    const local = this.#local;
    const now = local.now();
    const ours = local.watches.list(now);
    const theirs = new Map<string, TenantWatch>();
    for (const raw of await this.#store.loadWatches()) {
      const watch = parseWatch(raw);
      if (watch === undefined) continue;
      theirs.set(watch.tenantId, watch);
      local.watches.add(watch, now);
    }
    for (const watch of ours) {
      const stored = theirs.get(watch.tenantId);
      if (
        stored === undefined ||
        stored.startedAt < watch.startedAt ||
        stored.expiresAt < watch.expiresAt
      ) {
        await this.#store.saveWatch(watch);
        if (publishWriteBacks) {
          await this.#store.publish({ v: 1, origin: local.originId, type: 'watch', watch });
        }
      }
    }
  }
}

function identity(tombstone: Tombstone): string {
  return `${tombstone.kind}:${selectorIdentity(tombstone.selector)}`;
}
