import { afterAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '@portcullis/redis';
import type { Principal, Selector, SharedCacheEntry, SharedStore } from '@portcullis/core';
import {
  MemoryLogger,
  REDIS_URL,
  RecordingSink,
  deletePrefix,
  keysUnder,
  rawClient,
  uniquePrefix,
} from './helpers.js';

const runPrefix = uniquePrefix();
const raw = rawClient();
const opened: SharedStore[] = [];
let counter = 0;

async function startStore(keyPrefix: string, logger?: MemoryLogger): Promise<SharedStore> {
  const store = createRedisStore({ url: REDIS_URL, keyPrefix, sharedCache: true, logger });
  opened.push(store);
  await store.start(`replica-${opened.length}`, new RecordingSink());
  return store;
}

function principal(
  fields: Partial<Principal> & Pick<Principal, 'subject' | 'ownerKind' | 'credential'>,
): Principal {
  return {
    permissions: ['orders:read'],
    roles: ['reader'],
    scopes: [],
    claims: { sub: fields.subject },
    ...fields,
  };
}

// Four principals that overlap on every selector field.
const PRINCIPALS: Record<string, Principal> = {
  p1: principal({
    subject: 's1',
    ownerKind: 'user',
    credential: 'access_token',
    tenantId: 't1',
    userId: 'u1',
    clientId: 'c1',
    tokenId: 'k1',
  }),
  p2: principal({
    subject: 's2',
    ownerKind: 'user',
    credential: 'access_token',
    tenantId: 't1',
    userId: 'u2',
    clientId: 'c2',
    tokenId: 'k2',
  }),
  p3: principal({
    subject: 's3',
    ownerKind: 'tenant',
    credential: 'client_credentials',
    tenantId: 't2',
    clientId: 'c3',
    createdByUserId: 'u1',
  }),
  p4: principal({
    subject: 's4',
    ownerKind: 'user',
    credential: 'access_token',
    tenantId: 't2',
    userId: 'u1',
    clientId: 'c4',
    tokenId: 'k4',
  }),
};

const entry = (p: Principal, ttlMs = 60_000): SharedCacheEntry => ({
  principal: p,
  expiresAt: Date.now() + ttlMs,
  checkedOnline: false,
});

async function populate(store: SharedStore): Promise<void> {
  for (const [key, p] of Object.entries(PRINCIPALS))
    await store.sharedCache!.set(`hmac-${key}`, entry(p));
}

async function present(store: SharedStore): Promise<string[]> {
  const out: string[] = [];
  for (const key of Object.keys(PRINCIPALS)) {
    if ((await store.sharedCache!.get(`hmac-${key}`)) !== undefined) out.push(key);
  }
  return out;
}

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await deletePrefix(raw, runPrefix);
  await raw.quit();
});

describe('shared principal cache', () => {
  it('is absent unless enabled', () => {
    expect(createRedisStore({ keyPrefix: runPrefix }).sharedCache).toBeUndefined();
    expect(createRedisStore({ keyPrefix: runPrefix, sharedCache: true }).sharedCache).toBeDefined();
  });

  it('shares entries between replicas until their expiry', async () => {
    const keyPrefix = `${runPrefix}${++counter}:`;
    const a = await startStore(keyPrefix);
    const b = await startStore(keyPrefix);
    const stored = {
      principal: PRINCIPALS.p3!,
      expiresAt: Date.now() + 30_000,
      checkedOnline: true,
    };
    await a.sharedCache!.set('hmac-x', stored);
    const got = await b.sharedCache!.get('hmac-x');
    expect(got).toEqual(stored);
    expect(Object.isFrozen(got!.principal)).toBe(true);
    expect(Object.isFrozen(got!.principal.permissions)).toBe(true);
    const ttl = await raw.pttl(`${keyPrefix}cache:e:hmac-x`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);

    // Already expired: not stored. Unknown key: undefined.
    await a.sharedCache!.set('hmac-old', { ...stored, expiresAt: Date.now() - 1 });
    expect(await raw.exists(`${keyPrefix}cache:e:hmac-old`)).toBe(0);
    expect(await b.sharedCache!.get('hmac-missing')).toBeUndefined();

    await a.sharedCache!.set('hmac-brief', entry(PRINCIPALS.p1!, 40));
    await expect.poll(() => b.sharedCache!.get('hmac-brief'), { timeout: 5000 }).toBeUndefined();
  });

  const cases: [string, Selector, string[]][] = [
    ['tenant', { tenantId: 't1' }, ['p3', 'p4']],
    ['user (owner only, not the creator)', { userId: 'u1' }, ['p2', 'p3']],
    ['client', { clientId: 'c3' }, ['p1', 'p2', 'p4']],
    ['token', { tokenId: 'k2' }, ['p1', 'p3', 'p4']],
    ['credential kind', { credential: 'client_credentials' }, ['p1', 'p2', 'p4']],
    ['user within a tenant', { userId: 'u1', tenantId: 't2' }, ['p1', 'p2', 'p3']],
    ['a selector nothing matches', { tenantId: 't9' }, ['p1', 'p2', 'p3', 'p4']],
    ['all', { all: true }, []],
  ];
  it.each(cases)(
    'deleteMatching by %s deletes exactly the matching entries',
    async (_name, selector, remaining) => {
      const keyPrefix = `${runPrefix}${++counter}:`;
      const a = await startStore(keyPrefix);
      const b = await startStore(keyPrefix);
      await populate(a);
      expect(await present(b)).toEqual(['p1', 'p2', 'p3', 'p4']);
      await b.sharedCache!.deleteMatching(selector);
      expect(await present(a)).toEqual(remaining);
    },
  );

  it('clear() removes every cache key under the prefix and nothing else', async () => {
    const keyPrefix = `${runPrefix}${++counter}:`;
    const neighbourPrefix = `${runPrefix}${++counter}:`;
    const a = await startStore(keyPrefix);
    const neighbour = await startStore(neighbourPrefix);
    await populate(a);
    await populate(neighbour);
    const now = Date.now();
    await a.saveTombstone({
      kind: 'revoke',
      selector: { tokenId: 'k' },
      revokedAt: now,
      expiresAt: now + 60_000,
    });
    await a.rememberWebhookId('msg_1', 60_000);
    await raw.set(`${keyPrefix}cache-lookalike`, 'not ours to delete');

    await a.sharedCache!.clear();
    expect(await keysUnder(raw, `${keyPrefix}cache:`)).toEqual([]);
    expect(await a.loadTombstones()).toHaveLength(1);
    expect(await a.hasWebhookId('msg_1')).toBe(true);
    expect(await raw.get(`${keyPrefix}cache-lookalike`)).toBe('not ours to delete');
    expect(await present(neighbour)).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  it('ignores and logs a malformed entry', async () => {
    const keyPrefix = `${runPrefix}${++counter}:`;
    const logger = new MemoryLogger();
    const a = await startStore(keyPrefix, logger);
    await raw.set(
      `${keyPrefix}cache:e:hmac-bad`,
      JSON.stringify({
        principal: { subject: 1 },
        expiresAt: Date.now() + 1000,
        checkedOnline: false,
      }),
      'PX',
      10_000,
    );
    expect(await a.sharedCache!.get('hmac-bad')).toBeUndefined();
    expect(logger.text()).toContain('ignored a malformed shared cache entry');
  });
});
