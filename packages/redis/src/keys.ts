/**
 * Every Redis key and channel the store uses, derived from the key prefix in one place so the
 * README's key layout and the code cannot drift. Keys hold ids and HMACs, never secrets.
 */
import { createHash } from 'node:crypto';
import type { Selector, SelectorFields, Tombstone } from '@portcullis/core';

/** The selector fields, in the order used by tombstone ids and cache indexes. */
export const SELECTOR_FIELDS = ['tokenId', 'clientId', 'userId', 'tenantId', 'credential'] as const;
export type SelectorField = (typeof SELECTOR_FIELDS)[number];

export interface KeyLayout {
  /** Pub/sub channel of the invalidation bus. */
  readonly channel: string;
  /** Hash: tombstone id → `{kind, selector}` JSON. */
  readonly tombstoneBodies: string;
  /** Sorted set: tombstone id scored by `expiresAt` (epoch ms). */
  readonly tombstoneExpiries: string;
  /** Sorted set: tombstone id scored by `revokedAt` (epoch ms). */
  readonly tombstoneRevokedAt: string;
  /** Hash: tenant id → `{startedAt, expiresAt}` JSON (deletion watches). */
  readonly watches: string;
  /** Hash: `at`, `origin`, `state` (PolicyState JSON). */
  readonly policy: string;
  /** String with PX: a lease (SHA-256 of its name), holding the holder's origin id. */
  lease(name: string): string;
  /** String with PX: a remembered webhook id (SHA-256 of the id, so its length is bounded). */
  webhookId(id: string): string;
  /** `SCAN MATCH` pattern covering every shared-cache key (entries and indexes). */
  readonly cachePattern: string;
  /** String with PX: one shared-cache entry. */
  cacheEntry(cacheKey: string): string;
  /** Set of cache keys whose principal has `field = value`. */
  cacheIndex(field: SelectorField, value: string): string;
}

export function createKeyLayout(prefix: string): KeyLayout {
  return Object.freeze({
    channel: `${prefix}bus`,
    tombstoneBodies: `${prefix}tombstones`,
    tombstoneExpiries: `${prefix}tombstones:expires`,
    tombstoneRevokedAt: `${prefix}tombstones:revoked`,
    watches: `${prefix}watches`,
    policy: `${prefix}policy`,
    lease: (name: string) => `${prefix}lease:${createHash('sha256').update(name).digest('hex')}`,
    webhookId: (id: string) => `${prefix}webhook:${createHash('sha256').update(id).digest('hex')}`,
    cachePattern: `${escapeGlob(prefix)}cache:*`,
    cacheEntry: (cacheKey: string) => `${prefix}cache:e:${cacheKey}`,
    cacheIndex: (field: SelectorField, value: string) =>
      `${prefix}cache:i:${field}:${encodeURIComponent(value)}`,
  });
}

/**
 * Canonical id of a tombstone: its kind and selector, not its times, so revoking the same
 * selector twice keeps one entry (with the later `revokedAt` and `expiresAt`).
 */
export function tombstoneId(tombstone: Pick<Tombstone, 'kind' | 'selector'>): string {
  return `${tombstone.kind}:${selectorId(tombstone.selector)}`;
}

function selectorId(selector: Selector): string {
  if ('all' in selector && selector.all === true) return 'all';
  const fields = selector as SelectorFields;
  return SELECTOR_FIELDS.filter((field) => fields[field] !== undefined)
    .map((field) => `${field}=${encodeURIComponent(fields[field] as string)}`)
    .join('&');
}

/** Escapes `SCAN MATCH` glob characters so a prefix matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
