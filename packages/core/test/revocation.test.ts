import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/authenticator.js';
import type { Authenticator, AuthenticatorOptions } from '../src/authenticator.js';
import { CHANNELS } from '../src/diagnostics.js';
import type { PortcullisError } from '../src/errors.js';
import { GenerationLog } from '../src/revocation/generation-log.js';
import { TombstoneTable } from '../src/revocation/tombstone-table.js';
import type { Logger, Tombstone } from '../src/types.js';
import {
  basic,
  bearer,
  Clock,
  codeOf,
  eventually,
  makePrincipal,
  MemoryStore,
  TestProvider,
} from './authenticator-fixtures.js';

const HOUR_MS = 3600_000;
const open: Authenticator[] = [];

function setup(overrides: Partial<AuthenticatorOptions> = {}): {
  auth: Authenticator;
  provider: TestProvider;
  clock: Clock;
} {
  const clock = new Clock();
  const provider = new TestProvider();
  const auth = createAuthenticator({ provider, now: clock.now, ...overrides });
  open.push(auth);
  return { auth, provider, clock };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((auth) => auth.close()));
});

describe('revoke', () => {
  it('rejects a token issued before revoke({clientId}) at once and after its cache entry expired', async () => {
    const { auth, provider, clock } = setup({ cache: { ttlMs: 30_000 } });
    provider.addToken(
      'jwt-1',
      makePrincipal({ clientId: 'c1', issuedAt: clock.sec - 60, expiresAt: clock.sec + 3600 }),
    );
    await auth.authenticate(bearer('jwt-1'));

    await auth.revoke({ clientId: 'c1' });
    expect(await codeOf(auth.authenticate(bearer('jwt-1')))).toBe('ERR_TOKEN_REVOKED');
    expect(await codeOf(auth.authenticate(bearer('jwt-1')))).toBe('ERR_TOKEN_REVOKED');
    expect(provider.calls).toBe(2); // revoke dropped the entry; the re-verified answer is cached

    clock.advance(60_000); // well past the cache TTL: the IdP still says the JWT is fine
    expect(await codeOf(auth.authenticate(bearer('jwt-1')))).toBe('ERR_TOKEN_REVOKED');
    expect(provider.calls).toBe(3);
    // A {clientId} tombstone is unconditional: a token issued later for that client is refused too.
    provider.addToken('jwt-2', makePrincipal({ clientId: 'c1', issuedAt: clock.sec + 10 }));
    expect(await codeOf(auth.authenticate(bearer('jwt-2')))).toBe('ERR_TOKEN_REVOKED');
  });

  it('rejects by {tokenId} unconditionally and leaves other tokens alone', async () => {
    const { auth, provider, clock } = setup();
    provider.addToken(
      'a',
      makePrincipal({ clientId: 'c1', tokenId: 'tid-a', issuedAt: clock.sec }),
    );
    provider.addToken(
      'b',
      makePrincipal({ clientId: 'c1', tokenId: 'tid-b', issuedAt: clock.sec }),
    );
    await auth.revoke({ tokenId: 'tid-a' });
    expect(await codeOf(auth.authenticate(bearer('a')))).toBe('ERR_TOKEN_REVOKED');
    await expect(auth.authenticate(bearer('b'))).resolves.toMatchObject({ tokenId: 'tid-b' });
  });

  it('after revoke({userId}) accepts a token issued later for the re-created user', async () => {
    const { auth, provider, clock } = setup({ clockToleranceSec: 5 });
    provider.addToken('old', makePrincipal({ userId: 'u1', issuedAt: clock.sec - 100 }));
    provider.addToken('no-iat', makePrincipal({ userId: 'u1' }));
    await auth.authenticate(bearer('old'));

    await auth.revoke({ userId: 'u1' });
    expect(await codeOf(auth.authenticate(bearer('old')))).toBe('ERR_TOKEN_REVOKED');
    expect(await codeOf(auth.authenticate(bearer('no-iat')))).toBe('ERR_TOKEN_REVOKED');

    // Issued within the clock tolerance of the revocation: still counts as before it.
    provider.addToken('skewed', makePrincipal({ userId: 'u1', issuedAt: clock.sec + 5 }));
    expect(await codeOf(auth.authenticate(bearer('skewed')))).toBe('ERR_TOKEN_REVOKED');

    clock.advance(60_000);
    provider.addToken('new', makePrincipal({ userId: 'u1', issuedAt: clock.sec }));
    await expect(auth.authenticate(bearer('new'))).resolves.toMatchObject({ userId: 'u1' });
  });

  it('combines fields: {userId, tenantId} matches only both', async () => {
    const { auth, provider, clock } = setup();
    provider.addToken(
      't1',
      makePrincipal({ userId: 'u1', tenantId: 't1', issuedAt: clock.sec - 60 }),
    );
    provider.addToken(
      't2',
      makePrincipal({ userId: 'u1', tenantId: 't2', issuedAt: clock.sec - 60 }),
    );
    await auth.revoke({ userId: 'u1', tenantId: 't1' });
    expect(await codeOf(auth.authenticate(bearer('t1')))).toBe('ERR_TOKEN_REVOKED');
    await expect(auth.authenticate(bearer('t2'))).resolves.toMatchObject({ tenantId: 't2' });
  });

  it('revoke({all: true}) rejects tokens issued before it only', async () => {
    const { auth, provider, clock } = setup();
    provider.addToken('before', makePrincipal({ clientId: 'c1', issuedAt: clock.sec - 60 }));
    await auth.revoke({ all: true });
    expect(await codeOf(auth.authenticate(bearer('before')))).toBe('ERR_TOKEN_REVOKED');
    clock.advance(10_000);
    provider.addToken('after', makePrincipal({ clientId: 'c1', issuedAt: clock.sec }));
    await expect(auth.authenticate(bearer('after'))).resolves.toBeDefined();
  });

  it('forgets a tombstone after revocation.ttlMs', async () => {
    const { auth, provider, clock } = setup({ revocation: { ttlMs: HOUR_MS } });
    provider.addToken(
      'short',
      makePrincipal({ clientId: 'c1', issuedAt: clock.sec, expiresAt: clock.sec + 600 }),
    );
    await auth.revoke({ clientId: 'c1' });
    expect(auth.tombstones()).toHaveLength(1);
    expect(auth.tombstones()[0]).toMatchObject({
      kind: 'revoke',
      selector: { clientId: 'c1' },
      revokedAt: clock.ms,
      expiresAt: clock.ms + HOUR_MS,
    });
    clock.advance(HOUR_MS);
    expect(auth.tombstones()).toHaveLength(0);
  });

  it('refuses a selector without fields', async () => {
    const { auth } = setup();
    expect(await codeOf(auth.revoke({} as never))).toBe('ERR_INVALID_OPTION');
    expect(await codeOf(auth.invalidate({ userId: '' }))).toBe('ERR_INVALID_OPTION');
  });
});

describe('lockUser / unlockUser', () => {
  it('locks every token of the user, including ones issued later, until unlocked', async () => {
    const { auth, provider, clock } = setup();
    provider.addToken('u-old', makePrincipal({ userId: 'u1', issuedAt: clock.sec - 10 }));
    await auth.authenticate(bearer('u-old'));
    await auth.lockUser('u1');
    expect(await codeOf(auth.authenticate(bearer('u-old')))).toBe('ERR_TOKEN_REVOKED');
    clock.advance(60_000);
    provider.addToken('u-new', makePrincipal({ userId: 'u1', issuedAt: clock.sec }));
    expect(await codeOf(auth.authenticate(bearer('u-new')))).toBe('ERR_TOKEN_REVOKED');

    await auth.unlockUser('u1');
    await expect(auth.authenticate(bearer('u-old'))).resolves.toMatchObject({ userId: 'u1' });
    await expect(auth.authenticate(bearer('u-new'))).resolves.toMatchObject({ userId: 'u1' });
  });

  it('drops negative answers on unlock: a personal Basic credential refused while locked works at once', async () => {
    const { auth, provider } = setup({ cache: { negativeTtlMs: 60_000 } });
    await auth.lockUser('u1');
    // While locked the IdP refuses the exchange; the refusal is negative-cached.
    expect(await codeOf(auth.authenticate(basic('personal', 's3cret')))).toBe(
      'ERR_CLIENT_CREDENTIALS_INVALID',
    );
    provider.addClient('personal', 's3cret', makePrincipal({ clientId: 'personal', userId: 'u1' }));
    expect(await codeOf(auth.authenticate(basic('personal', 's3cret')))).toBe(
      'ERR_CLIENT_CREDENTIALS_INVALID',
    );
    await auth.unlockUser('u1');
    await expect(auth.authenticate(basic('personal', 's3cret'))).resolves.toMatchObject({
      userId: 'u1',
    });
  });

  it('caps a lock at 30 days', async () => {
    const { auth, clock } = setup();
    await auth.lockUser('u1');
    expect(auth.tombstones()[0]).toMatchObject({
      kind: 'lock',
      expiresAt: clock.ms + 30 * 24 * HOUR_MS,
    });
  });
});

describe('long-lived tokens', () => {
  const DAY_SEC = 24 * 3600;

  it('refuses an offline-verified JWT that lives longer than revocationTtlMs', async () => {
    const { auth, provider, clock } = setup();
    provider.addToken(
      'long',
      makePrincipal({ clientId: 'c1', issuedAt: clock.sec, expiresAt: clock.sec + 2 * DAY_SEC }),
    );
    const error = (await auth
      .authenticate(bearer('long'))
      .catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('ERR_TOKEN_LIFETIME_TOO_LONG');
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/longer/);
  });

  it('accepts it when checked online, or when allowLongLivedTokens is set', async () => {
    const online = setup();
    online.provider.addToken(
      'long',
      makePrincipal({
        clientId: 'c1',
        issuedAt: online.clock.sec,
        expiresAt: online.clock.sec + 2 * DAY_SEC,
      }),
      { checkedOnline: true },
    );
    await expect(online.auth.authenticate(bearer('long'))).resolves.toBeDefined();

    const allowed = setup({ revocation: { allowLongLivedTokens: true } });
    allowed.provider.addToken(
      'long',
      makePrincipal({
        clientId: 'c1',
        issuedAt: allowed.clock.sec,
        expiresAt: allowed.clock.sec + 2 * DAY_SEC,
      }),
    );
    await expect(allowed.auth.authenticate(bearer('long'))).resolves.toBeDefined();
  });

  it('lengthens tombstones made before the TTL was raised', async () => {
    const { auth, provider, clock } = setup();
    await auth.revoke({ clientId: 'c1' });
    expect(auth.tombstones()[0]?.expiresAt).toBe(clock.ms + DAY_SEC * 1000);
    provider.context?.observePolicy({ maxTokenLifetimeSec: 3 * DAY_SEC }, 'test');
    expect(auth.tombstones()[0]?.expiresAt).toBe(clock.ms + 3 * DAY_SEC * 1000);
    clock.advance(2 * DAY_SEC * 1000);
    provider.addToken('jwt', makePrincipal({ clientId: 'c1', issuedAt: clock.sec - 60 }));
    expect(await codeOf(auth.authenticate(bearer('jwt')))).toBe('ERR_TOKEN_REVOKED');
  });

  it("raises the tombstone TTL to the IdP's longest token lifetime", async () => {
    const { auth, provider, clock } = setup();
    provider.addToken(
      'long',
      makePrincipal({ clientId: 'c1', issuedAt: clock.sec, expiresAt: clock.sec + 2 * DAY_SEC }),
    );
    provider.context?.observePolicy({ maxTokenLifetimeSec: 3 * DAY_SEC }, 'test');
    await expect(auth.authenticate(bearer('long'))).resolves.toBeDefined();
    await auth.revoke({ clientId: 'c1' });
    expect(auth.tombstones()[0]?.expiresAt).toBe(clock.ms + 3 * DAY_SEC * 1000);
  });
});

describe('tombstone table bound', () => {
  it('evicts the tombstone closest to expiry loudly when full', async () => {
    const errors: object[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (obj) => errors.push(obj),
    };
    const events: unknown[] = [];
    const onEvent = (message: unknown): void => {
      events.push(message);
    };
    diagnostics.subscribe(CHANNELS.tombstoneEviction, onEvent);
    try {
      const { auth, provider, clock } = setup({ revocation: { maxTombstones: 2 }, logger });
      provider.addToken('c1', makePrincipal({ clientId: 'c1', issuedAt: clock.sec }));
      await auth.revoke({ clientId: 'c1' }); // expires first
      clock.advance(1000);
      await auth.lockUser('u1'); // 30 days
      clock.advance(1000);
      await auth.revoke({ clientId: 'c3' });
      expect(auth.tombstones().map((t) => t.selector)).toEqual(
        expect.arrayContaining([{ userId: 'u1' }, { clientId: 'c3' }]),
      );
      expect(auth.tombstones()).toHaveLength(2);
      expect(errors).toHaveLength(1);
      expect(events).toEqual([{ evicted: 1, size: 2 }]);
      const health = auth.health();
      expect(health.components.tombstones?.status).toBe('degraded');
      expect(health.degraded).toBe(true);
      expect(health.ready).toBe(true);
      // The evicted revocation no longer applies: that is why the eviction is loud.
      await expect(auth.authenticate(bearer('c1'))).resolves.toBeDefined();
    } finally {
      diagnostics.unsubscribe(CHANNELS.tombstoneEviction, onEvent);
    }
  });

  it('looks tombstones up by field (a table of many does not slow the check of others)', () => {
    const evicted: Tombstone[] = [];
    const table = new TombstoneTable({
      maxTombstones: 100_000,
      clockToleranceSec: 0,
      onEvict: (t) => evicted.push(t),
    });
    for (let i = 0; i < 20_000; i++) {
      table.add(
        { kind: 'revoke', selector: { clientId: `c${i}` }, revokedAt: 0, expiresAt: 10_000 + i },
        1,
      );
    }
    expect(table.check(makePrincipal({ clientId: 'c19999' }), 2)?.selector).toEqual({
      clientId: 'c19999',
    });
    expect(table.check(makePrincipal({ clientId: 'other', userId: 'u' }), 2)).toBeUndefined();
    expect(evicted).toHaveLength(0);
    // Expired tombstones are dropped.
    table.sweep(10_000 + 10_000);
    expect(table.size).toBe(9_999);
  });

  it('merges the same selector revoked twice into the wider tombstone', () => {
    const table = new TombstoneTable({
      maxTombstones: 10,
      clockToleranceSec: 0,
      onEvict: () => undefined,
    });
    table.add(
      { kind: 'revoke', selector: { userId: 'u' }, revokedAt: 5_000, expiresAt: 50_000 },
      0,
    );
    table.add(
      { kind: 'revoke', selector: { userId: 'u' }, revokedAt: 2_000, expiresAt: 90_000 },
      0,
    );
    expect(table.list(0)).toEqual([
      { kind: 'revoke', selector: { userId: 'u' }, revokedAt: 5_000, expiresAt: 90_000 },
    ]);
  });
  it('keeps selectors sharing a slot apart, and a replaced tombstone never expires the wider one', () => {
    const table = new TombstoneTable({
      maxTombstones: 10,
      clockToleranceSec: 0,
      onEvict: () => undefined,
    });
    // Two selectors indexed under the same client id, a third widening the first.
    table.add({ kind: 'revoke', selector: { clientId: 'c' }, revokedAt: 1, expiresAt: 100 }, 0);
    table.add(
      { kind: 'revoke', selector: { clientId: 'c', tenantId: 't' }, revokedAt: 1, expiresAt: 50 },
      0,
    );
    table.add({ kind: 'revoke', selector: { clientId: 'c' }, revokedAt: 1, expiresAt: 300 }, 0);
    expect(table.size).toBe(2);
    expect(
      table.covers({ kind: 'revoke', selector: { clientId: 'c' }, revokedAt: 1, expiresAt: 300 }),
    ).toBe(true);
    // The replaced entry (expiresAt 100) is still in the expiry heap: popping it must not drop
    // the stored one.
    table.sweep(150);
    expect(table.list(150)).toEqual([
      { kind: 'revoke', selector: { clientId: 'c' }, revokedAt: 1, expiresAt: 300 },
    ]);
    expect(table.check(makePrincipal({ clientId: 'c', issuedAt: 0 }), 150)?.expiresAt).toBe(300);
    table.add({ kind: 'lock', selector: { userId: 'u' }, revokedAt: 1, expiresAt: 400 }, 150);
    expect(table.unlock('u')?.kind).toBe('lock');
    expect(table.unlock('u')).toBeUndefined();
    table.sweep(301);
    expect(table.size).toBe(0);
  });
});

describe('revocation with a shared store', () => {
  it('stores the tombstone before publishing it', async () => {
    const store = new MemoryStore();
    const { auth } = setup({ store, originId: 'replica-a' });
    await auth.revoke({ clientId: 'c1' });
    expect([...store.tombstones.values()]).toMatchObject([{ selector: { clientId: 'c1' } }]);
    expect(store.published).toMatchObject([
      { v: 1, origin: 'replica-a', type: 'revoke', tombstone: { selector: { clientId: 'c1' } } },
    ]);
  });

  it('rejects with ERR_STORE_UNAVAILABLE when the store fails, but applies the revocation locally', async () => {
    const store = new MemoryStore();
    const { auth, provider, clock } = setup({ store });
    provider.addToken('jwt-1', makePrincipal({ clientId: 'c1', issuedAt: clock.sec }));
    await auth.authenticate(bearer('jwt-1'));
    store.failing = true;
    expect(await codeOf(auth.revoke({ clientId: 'c1' }))).toBe('ERR_STORE_UNAVAILABLE');
    expect(await codeOf(auth.authenticate(bearer('jwt-1')))).toBe('ERR_TOKEN_REVOKED');
    expect(auth.health().components.store?.status).toBe('degraded');
    expect(auth.health().ready).toBe(true);
  });

  it('applies remote revocations, unlocks and invalidations without re-publishing them', async () => {
    const store = new MemoryStore();
    const { auth, provider, clock } = setup({ store, originId: 'replica-a' });
    provider.addToken(
      'jwt-1',
      makePrincipal({ clientId: 'c1', userId: 'u1', issuedAt: clock.sec - 5 }),
    );
    await auth.authenticate(bearer('jwt-1'));
    await eventually(() => store.sink !== undefined);

    store.sink?.applyRemote({
      v: 1,
      origin: 'replica-b',
      type: 'revoke',
      tombstone: {
        kind: 'lock',
        selector: { userId: 'u1' },
        revokedAt: clock.ms,
        expiresAt: clock.ms + HOUR_MS,
      },
    });
    expect(await codeOf(auth.authenticate(bearer('jwt-1')))).toBe('ERR_TOKEN_REVOKED');
    store.sink?.applyRemote({ v: 1, origin: 'replica-b', type: 'unlock', userId: 'u1' });
    await expect(auth.authenticate(bearer('jwt-1'))).resolves.toBeDefined();
    expect(provider.calls).toBe(2);
    store.sink?.applyRemote({
      v: 1,
      origin: 'replica-b',
      type: 'invalidate',
      selector: { userId: 'u1' },
    });
    await auth.authenticate(bearer('jwt-1'));
    expect(provider.calls).toBe(3);
    // Malformed messages are dropped, not half-applied.
    store.sink?.applyRemote({
      v: 1,
      origin: 'x',
      type: 'revoke',
      tombstone: { kind: 'revoke' },
    } as never);
    expect(auth.tombstones()).toHaveLength(0);
    expect(store.published).toHaveLength(0);
  });

  it('resync clears the cache and merges tombstones both ways', async () => {
    const store = new MemoryStore();
    const { auth, provider, clock } = setup({ store });
    provider.addToken('jwt-1', makePrincipal({ clientId: 'c1', issuedAt: clock.sec }));
    provider.addToken('jwt-2', makePrincipal({ clientId: 'c2', issuedAt: clock.sec }));
    await eventually(() => store.sink !== undefined);
    await auth.authenticate(bearer('jwt-1'));
    await auth.authenticate(bearer('jwt-2'));

    store.failing = true;
    await codeOf(auth.revoke({ clientId: 'c2' })); // made while disconnected
    store.failing = false;
    store.tombstones.set('remote', {
      kind: 'revoke',
      selector: { clientId: 'c1' },
      revokedAt: clock.ms,
      expiresAt: clock.ms + HOUR_MS,
    });
    await store.sink?.resync();
    expect(auth.stats().size).toBe(0);
    expect(await codeOf(auth.authenticate(bearer('jwt-1')))).toBe('ERR_TOKEN_REVOKED');
    expect([...store.tombstones.values()].map((t) => t.selector)).toEqual(
      expect.arrayContaining([{ clientId: 'c1' }, { clientId: 'c2' }]),
    );
  });
});

describe('GenerationLog (race guard)', () => {
  it('blocks caching only for selectors logged after the start that match', () => {
    const log = new GenerationLog(8);
    const principal = makePrincipal({ clientId: 'c1', tenantId: 't1' });
    const started = log.current();
    expect(log.mayCache(started, principal)).toBe(true);
    log.record({ tenantId: 'other' });
    expect(log.mayCache(started, principal)).toBe(true);
    log.record({ tenantId: 't1' });
    expect(log.mayCache(started, principal)).toBe(false);
    // A verification that started after the invalidation may cache.
    expect(log.mayCache(log.current(), principal)).toBe(true);
  });

  it('blocks negative results only on an `all` selector', () => {
    const log = new GenerationLog(8);
    const started = log.current();
    log.record({ clientId: 'c1' });
    expect(log.mayCache(started, undefined)).toBe(true);
    log.record({ all: true });
    expect(log.mayCache(started, undefined)).toBe(false);
  });

  it('refuses to cache when the log was truncated past the start generation', () => {
    const log = new GenerationLog(4);
    const principal = makePrincipal({ clientId: 'c1' });
    const started = log.current();
    for (let i = 0; i < 4; i++) log.record({ clientId: `unrelated-${i}` });
    expect(log.mayCache(started, principal)).toBe(false);
    expect(log.mayCache(started + 1, principal)).toBe(true);
  });
});

describe('deletion watches (shared like tombstones)', () => {
  const cc = (clientId: string, tenantId: string, issuedAt: number) =>
    makePrincipal({ clientId, tenantId, credential: 'client_credentials', issuedAt });

  it('stores and publishes a watch, and re-verifies the tenant’s cached client credentials once', async () => {
    const store = new MemoryStore();
    const { auth, provider, clock } = setup({ store, originId: 'replica-a' });
    await auth.ready();
    provider.addToken('cc-1', cc('c1', 't1', clock.sec - 5));
    provider.addToken('other', cc('c9', 't9', clock.sec - 5));
    await auth.authenticate(bearer('cc-1'));
    await auth.authenticate(bearer('other'));
    expect(provider.calls).toBe(2);

    const watch = await provider.context!.actions.watchTenant('t1', HOUR_MS);
    expect(watch).toEqual({ tenantId: 't1', startedAt: clock.ms, expiresAt: clock.ms + HOUR_MS });
    expect([...store.watches.values()]).toEqual([watch]);
    expect(store.published).toMatchObject([{ v: 1, origin: 'replica-a', type: 'watch', watch }]);
    expect(provider.context!.actions.watchOf('t1')).toEqual(watch);

    await auth.authenticate(bearer('cc-1')); // re-verified (the provider checks it) ...
    await auth.authenticate(bearer('cc-1')); // ... once: then cached again
    await auth.authenticate(bearer('other')); // other tenants keep their entries
    expect(provider.calls).toBe(3);
    clock.advance(HOUR_MS + 1);
    expect(provider.context!.actions.watchOf('t1')).toBeUndefined();
  });

  it('applies a remote watch and loads stored ones at start and on resync', async () => {
    const store = new MemoryStore();
    const now = Date.now();
    store.watches.set('t-stored', {
      tenantId: 't-stored',
      startedAt: now - 1000,
      expiresAt: now + HOUR_MS,
    });
    const { auth, provider } = setup({ store, now: () => now });
    await auth.ready();
    expect(provider.context!.actions.watchOf('t-stored')?.startedAt).toBe(now - 1000);

    provider.addToken('cc-2', cc('c2', 't2', Math.floor(now / 1000) - 5));
    await auth.authenticate(bearer('cc-2'));
    store.sink?.applyRemote({
      v: 1,
      origin: 'replica-b',
      type: 'watch',
      watch: { tenantId: 't2', startedAt: now, expiresAt: now + HOUR_MS },
    });
    expect(provider.context!.actions.watchOf('t2')).toBeDefined();
    await auth.authenticate(bearer('cc-2'));
    expect(provider.calls).toBe(2);
    // Malformed watches are dropped.
    store.sink?.applyRemote({ v: 1, origin: 'x', type: 'watch', watch: { tenantId: '' } } as never);
    expect(store.published).toHaveLength(0);

    store.watches.set('t-later', { tenantId: 't-later', startedAt: now, expiresAt: now + HOUR_MS });
    await store.sink?.resync();
    expect(provider.context!.actions.watchOf('t-later')).toBeDefined();
  });

  it('does not take a watched tenant’s client credential from the shared cache', async () => {
    const store = new MemoryStore({ sharedCache: true });
    const a = setup({ store, originId: 'a', cache: { keySecret: 'k'.repeat(32) } });
    await a.auth.ready();
    a.provider.addToken('cc-3', cc('c3', 't3', a.clock.sec - 5));
    await a.auth.authenticate(bearer('cc-3'));
    await eventually(() => (store.sharedCache?.entries.size ?? 0) > 0);

    const b = setup({ store, originId: 'b', cache: { keySecret: 'k'.repeat(32) } });
    await b.auth.ready();
    b.provider.addToken('cc-3', cc('c3', 't3', b.clock.sec - 5));
    store.sink?.applyRemote({
      v: 1,
      origin: 'a',
      type: 'watch',
      watch: { tenantId: 't3', startedAt: b.clock.ms, expiresAt: b.clock.ms + HOUR_MS },
    });
    await b.auth.authenticate(bearer('cc-3'));
    expect(b.provider.calls).toBe(1);
  });
});
