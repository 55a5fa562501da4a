import { afterAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '@portcullis/redis';
import type { BusMessage, PolicyState, SharedStore, Tombstone } from '@portcullis/core';
import type { RedisStoreOptions } from '../src/options.js';
import {
  MemoryLogger,
  REDIS_URL,
  RecordingSink,
  deletePrefix,
  keysUnder,
  rawClient,
  uniquePrefix,
  waitFor,
} from './helpers.js';

const runPrefix = uniquePrefix();
const raw = rawClient();
const opened: SharedStore[] = [];
let counter = 0;

/** Each test gets its own prefix under the run's, so tests cannot see each other's keys. */
function freshPrefix(): string {
  counter += 1;
  return `${runPrefix}${counter}:`;
}

async function startStore(
  origin: string,
  options: RedisStoreOptions = {},
  sink = new RecordingSink(),
): Promise<{ store: SharedStore; sink: RecordingSink }> {
  const store = createRedisStore({ url: REDIS_URL, ...options });
  opened.push(store);
  await store.start(origin, sink);
  expect(store.health()).toEqual({ status: 'ok' });
  return { store, sink };
}

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await deletePrefix(raw, runPrefix);
  await raw.quit();
});

describe('tombstones', () => {
  it('are stored with their expiry and loaded by another replica', async () => {
    const keyPrefix = freshPrefix();
    const now = Date.now();
    const { store: a } = await startStore('replica-a', { keyPrefix });
    const { store: b } = await startStore('replica-b', { keyPrefix });
    const revoke: Tombstone = {
      kind: 'revoke',
      selector: { tokenId: 'tok-1' },
      revokedAt: now,
      expiresAt: now + 60_000,
    };
    const lock: Tombstone = {
      kind: 'lock',
      selector: { userId: 'user-1' },
      revokedAt: now,
      expiresAt: now + 120_000,
    };
    const combined: Tombstone = {
      kind: 'revoke',
      selector: { userId: 'user-2', tenantId: 'tenant-1' },
      revokedAt: now,
      expiresAt: now + 30_000,
    };
    const all: Tombstone = {
      kind: 'revoke',
      selector: { all: true },
      revokedAt: now,
      expiresAt: now + 30_000,
    };
    for (const tombstone of [revoke, lock, combined, all]) await a.saveTombstone(tombstone);

    const loaded = await b.loadTombstones();
    const byKind = (list: readonly Tombstone[]) =>
      [...list].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(byKind(loaded)).toEqual(byKind([revoke, lock, combined, all]));
    // The keys themselves expire with the longest-lived tombstone, so nothing lingers.
    const pttl = await raw.pttl(`${keyPrefix}tombstones`);
    expect(pttl).toBeGreaterThan(60_000);
    expect(pttl).toBeLessThanOrEqual(120_000);
  });

  it('drops expired tombstones from what loads and from Redis', async () => {
    const keyPrefix = freshPrefix();
    let clock = Date.now();
    const { store } = await startStore('replica-a', { keyPrefix, now: () => clock });
    await store.saveTombstone({
      kind: 'revoke',
      selector: { clientId: 'short' },
      revokedAt: clock,
      expiresAt: clock + 1000,
    });
    await store.saveTombstone({
      kind: 'revoke',
      selector: { clientId: 'long' },
      revokedAt: clock,
      expiresAt: clock + 60_000,
    });
    expect((await store.loadTombstones()).map((t) => t.selector)).toHaveLength(2);

    clock += 1000;
    expect((await store.loadTombstones()).map((t) => t.selector)).toEqual([{ clientId: 'long' }]);
    expect(await raw.hlen(`${keyPrefix}tombstones`)).toBe(1);
    expect(await raw.zcard(`${keyPrefix}tombstones:expires`)).toBe(1);

    // An already-expired tombstone is not stored at all.
    await store.saveTombstone({
      kind: 'revoke',
      selector: { clientId: 'dead' },
      revokedAt: clock - 5000,
      expiresAt: clock,
    });
    expect(await raw.hlen(`${keyPrefix}tombstones`)).toBe(1);
  });

  it('keeps one entry per selector with the later revokedAt and expiresAt', async () => {
    const keyPrefix = freshPrefix();
    const now = Date.now();
    const { store } = await startStore('replica-a', { keyPrefix });
    await store.saveTombstone({
      kind: 'revoke',
      selector: { userId: 'u' },
      revokedAt: now + 500,
      expiresAt: now + 10_000,
    });
    await store.saveTombstone({
      kind: 'revoke',
      selector: { userId: 'u' },
      revokedAt: now,
      expiresAt: now + 20_000,
    });
    expect(await store.loadTombstones()).toEqual([
      { kind: 'revoke', selector: { userId: 'u' }, revokedAt: now + 500, expiresAt: now + 20_000 },
    ]);
  });

  it('deletes a lock whatever its times (unlock) and leaves the rest', async () => {
    const keyPrefix = freshPrefix();
    const now = Date.now();
    const { store } = await startStore('replica-a', { keyPrefix });
    const lock: Tombstone = {
      kind: 'lock',
      selector: { userId: 'u1' },
      revokedAt: now,
      expiresAt: now + 60_000,
    };
    const revoke: Tombstone = {
      kind: 'revoke',
      selector: { userId: 'u1' },
      revokedAt: now,
      expiresAt: now + 60_000,
    };
    await store.saveTombstone(lock);
    await store.saveTombstone(revoke);
    await store.deleteTombstone({ ...lock, revokedAt: now + 1, expiresAt: now + 2 });
    expect(await store.loadTombstones()).toEqual([revoke]);
    expect(await raw.zcard(`${keyPrefix}tombstones:revoked`)).toBe(1);
  });

  it('skips and logs a malformed stored tombstone', async () => {
    const keyPrefix = freshPrefix();
    const logger = new MemoryLogger();
    const now = Date.now();
    const { store } = await startStore('replica-a', { keyPrefix, logger });
    const good: Tombstone = {
      kind: 'revoke',
      selector: { tokenId: 'ok' },
      revokedAt: now,
      expiresAt: now + 60_000,
    };
    await store.saveTombstone(good);
    await raw.hset(`${keyPrefix}tombstones`, 'bogus', '{"kind":"revoke","selector":{"nope":"x"}}');
    await raw.zadd(`${keyPrefix}tombstones:expires`, now + 60_000, 'bogus');
    await raw.zadd(`${keyPrefix}tombstones:revoked`, now, 'bogus');
    expect(await store.loadTombstones()).toEqual([good]);
    expect(logger.text()).toContain('ignored a malformed stored tombstone');
  });
});

describe('deletion watches', () => {
  it('are stored, merged (later start and end win), loaded by another replica, and expire', async () => {
    const keyPrefix = freshPrefix();
    const now = Date.now();
    const { store: a } = await startStore('replica-a', { keyPrefix });
    const { store: b } = await startStore('replica-b', { keyPrefix });
    expect(await b.loadWatches()).toEqual([]);
    await a.saveWatch({ tenantId: 't1', startedAt: now, expiresAt: now + 60_000 });
    await b.saveWatch({ tenantId: 't1', startedAt: now - 5000, expiresAt: now + 120_000 });
    await a.saveWatch({ tenantId: 't2', startedAt: now, expiresAt: now + 30_000 });
    const loaded = [...(await b.loadWatches())].sort((x, y) =>
      x.tenantId.localeCompare(y.tenantId),
    );
    expect(loaded).toEqual([
      { tenantId: 't1', startedAt: now, expiresAt: now + 120_000 },
      { tenantId: 't2', startedAt: now, expiresAt: now + 30_000 },
    ]);
    const ttl = await raw.pttl(`${keyPrefix}watches`);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    // An expired watch is not saved; one found expired at load time is dropped from Redis.
    await a.saveWatch({ tenantId: 't-old', startedAt: now - 2000, expiresAt: now - 1000 });
    await raw.hset(
      `${keyPrefix}watches`,
      't-stale',
      JSON.stringify({ startedAt: 1, expiresAt: 2 }),
    );
    await raw.hset(`${keyPrefix}watches`, 't-bad', 'not json');
    expect((await a.loadWatches()).map((w) => w.tenantId).sort()).toEqual(['t1', 't2']);
    expect(await raw.hexists(`${keyPrefix}watches`, 't-stale')).toBe(0);
  });
});

describe('leases', () => {
  it('go to one replica until they expire, under a hashed key', async () => {
    const keyPrefix = freshPrefix();
    const { store: a } = await startStore('replica-a', { keyPrefix });
    const { store: b } = await startStore('replica-b', { keyPrefix });
    expect(await a.acquireLease('reconcile:tenant-1', 300)).toBe(true);
    expect(await b.acquireLease('reconcile:tenant-1', 300)).toBe(false);
    expect(await b.acquireLease('reconcile:tenant-2', 300)).toBe(true);
    expect((await keysUnder(raw, keyPrefix)).every((key) => !key.includes('tenant-1'))).toBe(true);
    await waitFor('the lease to expire', async () => b.acquireLease('reconcile:tenant-1', 300));
    await expect(a.acquireLease('', 10)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

describe('policy', () => {
  const state = (at: number, origin: string, enabled: boolean | undefined): PolicyState => ({
    enabled,
    acceptedCredentials: enabled === false ? [] : ['client_credentials', 'access_token'],
    version: { at, origin },
  });

  it('is undefined until saved, then read by every replica', async () => {
    const keyPrefix = freshPrefix();
    const { store: a } = await startStore('replica-a', { keyPrefix });
    const { store: b } = await startStore('replica-b', { keyPrefix });
    expect(await b.loadPolicy()).toBeUndefined();
    const disabled = state(1000, 'replica-a', false);
    expect(await a.savePolicy(disabled)).toEqual(disabled);
    expect(await b.loadPolicy()).toEqual(disabled);
  });

  it('keeps the newest version: later `at` wins, then the larger origin', async () => {
    const keyPrefix = freshPrefix();
    const { store } = await startStore('replica-a', { keyPrefix });
    const first = state(1000, 'b', true);
    expect(await store.savePolicy(first)).toEqual(first);
    expect(await store.savePolicy(state(999, 'z', false))).toEqual(first);
    expect(await store.savePolicy(state(1000, 'a', false))).toEqual(first);
    expect(await store.savePolicy(state(1000, 'b', false))).toEqual(first);
    const tieWinner = state(1000, 'c', false);
    expect(await store.savePolicy(tieWinner)).toEqual(tieWinner);
    const later = state(1001, 'a', true);
    expect(await store.savePolicy(later)).toEqual(later);
    expect(await store.loadPolicy()).toEqual(later);
  });

  it('converges on the newest under concurrent saves from two replicas', async () => {
    const keyPrefix = freshPrefix();
    const { store: a } = await startStore('replica-a', { keyPrefix });
    const { store: b } = await startStore('replica-b', { keyPrefix });
    const candidates = Array.from({ length: 40 }, (_, i) =>
      state(1000 + ((i * 7919) % 13), i % 2 === 0 ? 'replica-a' : 'replica-b', i % 3 === 0),
    );
    const results = await Promise.all(
      candidates.map((candidate, i) => (i % 2 === 0 ? a : b).savePolicy(candidate)),
    );
    const newer = (x: PolicyState, y: PolicyState) =>
      x.version.at !== y.version.at
        ? x.version.at > y.version.at
        : x.version.origin > y.version.origin;
    const newest = candidates.reduce((best, candidate) =>
      newer(candidate, best) ? candidate : best,
    );
    expect(await a.loadPolicy()).toEqual(newest);
    // Every save answered with something at least as new as what it proposed.
    results.forEach((result, i) => {
      const proposed = candidates[i]!;
      expect(result.version.at > proposed.version.at || !newer(proposed, result)).toBe(true);
    });
  });
});

describe('invalidation bus', () => {
  const now = Date.now();
  const messagesFrom = (origin: string): BusMessage[] => [
    { v: 1, origin, type: 'invalidate', selector: { tenantId: 'tenant-1' } },
    {
      v: 1,
      origin,
      type: 'revoke',
      tombstone: {
        kind: 'revoke',
        selector: { clientId: 'c1' },
        revokedAt: now,
        expiresAt: now + 1000,
      },
    },
    { v: 1, origin, type: 'unlock', userId: 'user-1' },
    {
      v: 1,
      origin,
      type: 'watch',
      watch: { tenantId: 'tenant-1', startedAt: now, expiresAt: now + 1000 },
    },
    {
      v: 1,
      origin,
      type: 'policy',
      state: { enabled: false, acceptedCredentials: [], version: { at: now, origin } },
    },
    { v: 1, origin, type: 'flush' },
    { v: 1, origin, type: 'invalidate', selector: { all: true } },
  ];

  it('delivers every message kind to other replicas and not back to the sender', async () => {
    const keyPrefix = freshPrefix();
    const { store: a, sink: sinkA } = await startStore('replica-a', { keyPrefix });
    const { store: b, sink: sinkB } = await startStore('replica-b', { keyPrefix });
    const sent = messagesFrom('replica-a');
    for (const message of sent) await a.publish(message);
    await waitFor('b to receive all messages', () => sinkB.messages.length === sent.length);
    expect(sinkB.messages).toEqual(sent);

    // A's own messages would have arrived before this one; it must be the only one A sees.
    const reply: BusMessage = { v: 1, origin: 'replica-b', type: 'flush' };
    await b.publish(reply);
    await waitFor('a to receive b', () => sinkA.messages.length === 1);
    expect(sinkA.messages).toEqual([reply]);
    expect(sinkB.messages).toHaveLength(sent.length);
  });

  it('stays on its own channel: another prefix does not hear it', async () => {
    const { store: a } = await startStore('replica-a', { keyPrefix: freshPrefix() });
    const otherPrefix = freshPrefix();
    const { sink: other } = await startStore('replica-b', { keyPrefix: otherPrefix });
    const { store: sameAsOther } = await startStore('replica-c', { keyPrefix: otherPrefix });
    await a.publish({ v: 1, origin: 'replica-a', type: 'flush' });
    const marker: BusMessage = { v: 1, origin: 'replica-c', type: 'unlock', userId: 'marker' };
    await sameAsOther.publish(marker);
    await waitFor('the marker', () => other.messages.length > 0);
    expect(other.messages).toEqual([marker]);
  });

  it('logs and drops malformed messages and keeps working', async () => {
    const keyPrefix = freshPrefix();
    const logger = new MemoryLogger();
    const { store: a } = await startStore('replica-a', { keyPrefix });
    const { store: b, sink: sinkB } = await startStore('replica-b', {
      keyPrefix,
      logger,
      maxMessageBytes: 4096,
    });
    const channel = `${keyPrefix}bus`;
    const garbage = [
      'not json',
      'null',
      '[]',
      JSON.stringify({ v: 2, origin: 'x', type: 'flush' }),
      JSON.stringify({ v: 1, origin: 'x', type: 'explode' }),
      JSON.stringify({ v: 1, origin: '', type: 'flush' }),
      JSON.stringify({ v: 1, origin: 'x', type: 'invalidate', selector: {} }),
      JSON.stringify({
        v: 1,
        origin: 'x',
        type: 'invalidate',
        selector: { tenantId: 't', extra: 'widen?' },
      }),
      JSON.stringify({ v: 1, origin: 'x', type: 'invalidate', selector: { all: false } }),
      JSON.stringify({
        v: 1,
        origin: 'x',
        type: 'invalidate',
        selector: { credential: 'password' },
      }),
      JSON.stringify({
        v: 1,
        origin: 'x',
        type: 'revoke',
        tombstone: {
          kind: 'revoke',
          selector: { tokenId: 't' },
          revokedAt: 'yesterday',
          expiresAt: 1,
        },
      }),
      JSON.stringify({
        v: 1,
        origin: 'x',
        type: 'policy',
        state: { enabled: 'no', acceptedCredentials: [], version: { at: 1, origin: 'x' } },
      }),
      JSON.stringify({ v: 1, origin: 'x', type: 'unlock', userId: 42 }),
    ];
    for (const text of garbage) await raw.publish(channel, text);
    await raw.publish(
      channel,
      JSON.stringify({ v: 1, origin: 'x', type: 'unlock', userId: 'u'.repeat(5000) }),
    );
    const valid: BusMessage = {
      v: 1,
      origin: 'replica-a',
      type: 'invalidate',
      selector: { userId: 'u1' },
    };
    await a.publish(valid);
    await waitFor('the valid message', () => sinkB.messages.length > 0);
    expect(sinkB.messages).toEqual([valid]);
    const warnings = logger.lines.filter((line) => line.level === 'warn');
    expect(warnings.filter((line) => line.msg === 'dropped a malformed bus message')).toHaveLength(
      garbage.length,
    );
    expect(warnings.filter((line) => line.msg === 'dropped an oversized bus message')).toHaveLength(
      1,
    );
    expect(b.health()).toEqual({ status: 'ok' });
  });

  it('survives a sink that throws and keeps delivering', async () => {
    const keyPrefix = freshPrefix();
    const logger = new MemoryLogger();
    const throwing = new RecordingSink();
    let calls = 0;
    throwing.applyRemote = (message) => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      throwing.messages.push(message);
    };
    const { store: a } = await startStore('replica-a', { keyPrefix });
    await startStore('replica-b', { keyPrefix, logger }, throwing);
    await a.publish({ v: 1, origin: 'replica-a', type: 'flush' });
    await a.publish({ v: 1, origin: 'replica-a', type: 'unlock', userId: 'after' });
    await waitFor('the second message', () => throwing.messages.length === 1);
    expect(throwing.messages[0]).toMatchObject({ type: 'unlock', userId: 'after' });
    expect(logger.text()).toContain('applying a bus message failed');
  });
});

describe('webhook replay ids', () => {
  it('are shared between replicas, hashed in the key, and expire', async () => {
    const keyPrefix = freshPrefix();
    const { store: a } = await startStore('replica-a', { keyPrefix });
    const { store: b } = await startStore('replica-b', { keyPrefix });
    expect(await b.hasWebhookId('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W')).toBe(false);
    await a.rememberWebhookId('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 60_000);
    expect(await b.hasWebhookId('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W')).toBe(true);
    expect(await b.hasWebhookId('msg_other')).toBe(false);

    const keys = await keysUnder(raw, keyPrefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain('msg_');
    const ttl = await raw.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // NX: remembering again does not extend the window.
    await b.rememberWebhookId('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 3_600_000);
    expect(await raw.pttl(keys[0]!)).toBeLessThanOrEqual(60_000);

    await a.rememberWebhookId('msg_short', 30);
    await waitFor('the short id to expire', async () => !(await b.hasWebhookId('msg_short')));
  });
});
