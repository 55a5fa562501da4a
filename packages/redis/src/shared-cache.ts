/**
 * The optional shared cache of verified principals (docs/design.md §5). Entries are JSON strings with a
 * PX TTL ending at their `expiresAt`; per-field index sets (tenant, user, client, token, credential
 * kind) list the entry keys so `deleteMatching` removes exactly the matching entries. Positive
 * entries only: the authenticator never shares a rejection.
 */
import { invalidOption } from '@portcullis/core';
import type {
  Logger,
  Principal,
  Selector,
  SelectorFields,
  SharedCacheEntry,
  SharedPrincipalCache,
} from '@portcullis/core';
import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import type { Commands } from './clients.js';
import { parseJson, toSharedCacheEntry } from './codec.js';
import { SELECTOR_FIELDS } from './keys.js';
import type { KeyLayout, SelectorField } from './keys.js';
import { SET_CACHE_ENTRY } from './scripts.js';

/** Runs one Redis operation, mapping failures to ERR_STORE_UNAVAILABLE. */
export type RunCommand = <T>(
  operation: string,
  action: (redis: Commands) => Promise<T>,
) => Promise<T>;

const MAX_CACHE_KEY_CHARS = 512;
/** Larger values are not cached (a principal with huge claims is re-verified instead). */
const MAX_ENTRY_BYTES = 256 * 1024;
const DELETE_BATCH = 256;
const SCAN_COUNT = 500;

export function createSharedCache(
  keys: KeyLayout,
  run: RunCommand,
  now: () => number,
  logger: Logger,
): SharedPrincipalCache {
  const checkKey = (key: string): void => {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_CACHE_KEY_CHARS) {
      // A programmer error (the authenticator passes fixed-length HMACs); the key is not echoed.
      invalidOption('sharedCache key', `must be 1 to ${MAX_CACHE_KEY_CHARS} characters`);
    }
  };

  const deleteEntries = async (
    redis: Commands,
    cacheKeys: readonly string[],
    indexKeys: readonly string[],
  ): Promise<void> => {
    for (let i = 0; i < cacheKeys.length; i += DELETE_BATCH) {
      const batch = cacheKeys.slice(i, i + DELETE_BATCH);
      const pipeline = redis.multi();
      pipeline.unlink(...batch.map((key) => keys.cacheEntry(key)));
      for (const indexKey of indexKeys) pipeline.srem(indexKey, ...batch);
      await pipeline.exec();
    }
  };

  const clear = async (): Promise<void> => {
    // SCAN + UNLINK of the prefix's cache keys only: never FLUSHDB, other data may share the db.
    await run('shared cache clear', async (redis) => {
      // SCAN is per node: on a cluster, scan every master (the hash tag puts the keys on one).
      for (const node of scanTargets(redis)) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(
            cursor,
            'MATCH',
            keys.cachePattern,
            'COUNT',
            SCAN_COUNT,
          );
          cursor = next;
          if (found.length > 0) await node.unlink(...found);
        } while (cursor !== '0');
      }
    });
  };

  return Object.freeze({
    clear,

    async get(key: string): Promise<SharedCacheEntry | undefined> {
      checkKey(key);
      const text = await run('shared cache get', (redis) => redis.get(keys.cacheEntry(key)));
      if (text === null) return undefined;
      const parsed = parseJson(text, toSharedCacheEntry);
      if (!parsed.ok) {
        logger.warn(
          { component: 'redis', reason: parsed.reason },
          'ignored a malformed shared cache entry',
        );
        return undefined;
      }
      return parsed.value.expiresAt > now() ? parsed.value : undefined;
    },

    async set(key: string, entry: SharedCacheEntry): Promise<void> {
      checkKey(key);
      const ttlMs = Math.floor(entry.expiresAt - now());
      if (!(ttlMs > 0)) return;
      const text = JSON.stringify({
        principal: entry.principal,
        expiresAt: entry.expiresAt,
        checkedOnline: entry.checkedOnline,
      });
      if (Buffer.byteLength(text) > MAX_ENTRY_BYTES) return;
      const indexKeys = indexKeysOf(keys, entry.principal);
      await run('shared cache set', (redis) =>
        SET_CACHE_ENTRY.run(redis, [keys.cacheEntry(key), ...indexKeys], [text, ttlMs, key]),
      );
    },

    async deleteMatching(selector: Selector): Promise<void> {
      if ('all' in selector && selector.all === true) return clear();
      const fields = selector as SelectorFields;
      const indexKeys = SELECTOR_FIELDS.filter((field) => fields[field] !== undefined).map(
        (field) => keys.cacheIndex(field, fields[field] as string),
      );
      if (indexKeys.length === 0) return;
      await run('shared cache delete', async (redis) => {
        // Fields combine: only principals listed in every named index match.
        const members =
          indexKeys.length === 1
            ? await redis.smembers(indexKeys[0] as string)
            : await redis.sinter(...indexKeys);
        await deleteEntries(redis, members, indexKeys);
      });
    },
  });
}

function scanTargets(redis: Commands): readonly Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

function indexKeysOf(keys: KeyLayout, principal: Principal): string[] {
  const out: string[] = [];
  for (const field of SELECTOR_FIELDS) {
    const value = principalField(principal, field);
    if (value !== undefined && value !== '') out.push(keys.cacheIndex(field, value));
  }
  return out;
}

function principalField(principal: Principal, field: SelectorField): string | undefined {
  return principal[field];
}
