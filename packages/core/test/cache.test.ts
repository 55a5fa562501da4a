import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/authenticator.js';
import type { Authenticator, AuthenticatorOptions } from '../src/authenticator.js';
import { createCacheKeyer } from '../src/cache/cache-key.js';
import { PrincipalCache } from '../src/cache/principal-cache.js';
import type { PositiveEntry } from '../src/cache/principal-cache.js';
import { CHANNELS } from '../src/diagnostics.js';
import type { CacheEvent, DecisionEvent } from '../src/diagnostics.js';
import { PortcullisError } from '../src/errors.js';
import type { Principal } from '../src/types.js';
import {
  bearer,
  Clock,
  codeOf,
  eventually,
  makePrincipal,
  MemoryStore,
  TestProvider,
} from './authenticator-fixtures.js';

const positive = (principal: Principal, freshUntil = 1_000): PositiveEntry => ({
  negative: false,
  principal,
  freshUntil,
  staleUntil: freshUntil,
  checkedOnline: false,
});

describe('cache keys', () => {
  it('never contain the secret or token, and depend on key secret, form and credential', () => {
    const keyer = createCacheKeyer('k'.repeat(32));
    const token = 'eyJhbGciOiJSUzI1NiJ9.payload.signature';
    const key = keyer({ form: 'bearer', token });
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('payload');
    expect(keyer({ form: 'bearer', token })).toBe(key);
    expect(keyer({ form: 'api-key', token, header: 'x-api-key' })).not.toBe(key);
    expect(createCacheKeyer('j'.repeat(32))({ form: 'bearer', token })).not.toBe(key);
    // The client id / secret split cannot be shifted to collide.
    expect(keyer({ form: 'basic', clientId: 'ab', secret: 'c' })).not.toBe(
      keyer({ form: 'basic', clientId: 'a', secret: 'bc' }),
    );
    // Without a configured secret, two processes (keyers) never agree.
    expect(createCacheKeyer(undefined)({ form: 'bearer', token })).not.toBe(
      createCacheKeyer(undefined)({ form: 'bearer', token }),
    );
  });
});

describe('PrincipalCache', () => {
  it('refuses an unbounded configuration', () => {
    for (const bad of [
      { maxEntries: Infinity, maxBytes: 1000 },
      { maxEntries: 10, maxBytes: Infinity },
      { maxEntries: 0, maxBytes: 1000 },
      { maxEntries: 10, maxBytes: 0 },
    ]) {
      expect(() => new PrincipalCache(bad)).toThrow(PortcullisError);
    }
  });

  it('evicts the least recently used entry beyond maxEntries and counts it', () => {
    const cache = new PrincipalCache({ maxEntries: 2, maxBytes: 1_000_000 });
    cache.setPositive('a', positive(makePrincipal({ clientId: 'a' })));
    cache.setPositive('b', positive(makePrincipal({ clientId: 'b' })));
    cache.get('a', 0);
    cache.setPositive('c', positive(makePrincipal({ clientId: 'c' })));
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBeDefined();
    expect(cache.evictions()).toEqual({ evict: 1 });
    // The index forgot the evicted entry too.
    expect(cache.invalidate({ clientId: 'b' })).toBe(0);
  });

  it('bounds the estimated bytes (maxBytes)', () => {
    const cache = new PrincipalCache({ maxEntries: 1000, maxBytes: 20_000 });
    const big = (id: string): Principal =>
      makePrincipal({
        clientId: id,
        permissions: Array.from({ length: 100 }, (_, i) => `perm:${i}`),
      });
    for (let i = 0; i < 50; i++) cache.setPositive(`k${i}`, positive(big(`c${i}`)));
    expect(cache.bytes).toBeLessThanOrEqual(20_000);
    expect(cache.size).toBeLessThan(50);
    expect(cache.evictions().evict).toBe(50 - cache.size);
  });

  it('invalidates through the field index, combined selectors and {credential} by scan', () => {
    const cache = new PrincipalCache({ maxEntries: 100, maxBytes: 1_000_000 });
    cache.setPositive(
      '1',
      positive(makePrincipal({ clientId: 'c1', tenantId: 't1', userId: 'u1' })),
    );
    cache.setPositive(
      '2',
      positive(makePrincipal({ clientId: 'c2', tenantId: 't1', userId: 'u2' })),
    );
    cache.setPositive(
      '3',
      positive(makePrincipal({ clientId: 'c3', tenantId: 't2', credential: 'client_credentials' })),
    );
    expect(cache.clientIdsOfTenant('t1').sort()).toEqual(['c1', 'c2']);
    expect(cache.invalidate({ tenantId: 't1', userId: 'u2' })).toBe(1);
    expect(cache.invalidate({ credential: 'client_credentials' })).toBe(1);
    expect(cache.invalidate({ tenantId: 't1' })).toBe(1);
    expect(cache.size).toBe(0);
    expect(cache.evictions()).toEqual({ invalidate: 3 });
  });

  it('drops negative entries on clearNegative and keeps positives', () => {
    const cache = new PrincipalCache({ maxEntries: 100, maxBytes: 1_000_000 });
    cache.setPositive('p', positive(makePrincipal({ clientId: 'c1' })));
    cache.setNegative('n', {
      negative: true,
      code: 'ERR_TOKEN_INACTIVE',
      message: 'inactive',
      details: undefined,
      freshUntil: 1_000,
    });
    expect(cache.clearNegative()).toBe(1);
    expect(cache.get('n', 0)).toBeUndefined();
    expect(cache.get('p', 0)).toBeDefined();
  });
});

const open: Authenticator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((auth) => auth.close()));
});

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

describe('authenticator cache bounds and diagnostics', () => {
  it('refuses an unbounded cache configuration', () => {
    expect(() =>
      createAuthenticator({ provider: new TestProvider(), cache: { maxEntries: Infinity } }),
    ).toThrow(/cache\.maxEntries/);
    expect(() =>
      createAuthenticator({ provider: new TestProvider(), cache: { maxBytes: Infinity } }),
    ).toThrow(/cache\.maxBytes/);
  });

  it('publishes cache and decision events without the credential', async () => {
    const { auth, provider } = setup();
    provider.addToken('secret-token-value', makePrincipal({ clientId: 'c1' }));
    const cacheEvents: CacheEvent[] = [];
    const decisions: DecisionEvent[] = [];
    const onCache = (m: unknown): void => {
      cacheEvents.push(m as CacheEvent);
    };
    const onDecision = (m: unknown): void => {
      decisions.push(m as DecisionEvent);
    };
    diagnostics.subscribe(CHANNELS.cache, onCache);
    diagnostics.subscribe(CHANNELS.decision, onDecision);
    try {
      await auth.authenticate(bearer('secret-token-value'));
      await auth.authenticate(bearer('secret-token-value'));
      await codeOf(auth.authenticate(bearer('nope')));
    } finally {
      diagnostics.unsubscribe(CHANNELS.cache, onCache);
      diagnostics.unsubscribe(CHANNELS.decision, onDecision);
    }
    expect(cacheEvents.map((e) => e.event)).toEqual(['miss', 'hit', 'miss']);
    expect(decisions).toMatchObject([
      { outcome: 'allow', form: 'bearer', credential: 'access_token', cache: 'miss' },
      { outcome: 'allow', cache: 'hit' },
      { outcome: 'deny', code: 'ERR_TOKEN_INACTIVE', cache: 'miss' },
    ]);
    expect(JSON.stringify([cacheEvents, decisions])).not.toContain('secret-token-value');
  });
});

describe('shared principal cache', () => {
  const KEY = 'shared-cache-key-secret-0123456789';

  it('requires an explicit cache.keySecret', () => {
    expect(() =>
      createAuthenticator({
        provider: new TestProvider(),
        store: new MemoryStore({ sharedCache: true }),
      }),
    ).toThrow(/cache\.keySecret/);
  });

  it('lets a second replica answer from the shared cache without the IdP, still checking tombstones', async () => {
    const store = new MemoryStore({ sharedCache: true });
    const a = setup({ store, cache: { keySecret: KEY } });
    a.provider.addToken('tok', makePrincipal({ clientId: 'c1', issuedAt: a.clock.sec }));
    await a.auth.ready();
    await a.auth.authenticate(bearer('tok'));
    await eventually(() => store.sharedCache?.entries.size === 1);
    const storedKeys = [...(store.sharedCache?.entries.keys() ?? [])];
    expect(storedKeys.join()).not.toContain('tok');

    const b = setup({ store, cache: { keySecret: KEY } });
    await b.auth.ready();
    await expect(b.auth.authenticate(bearer('tok'))).resolves.toMatchObject({ clientId: 'c1' });
    expect(b.provider.calls).toBe(0);

    // A revocation deletes matching shared entries; the local tombstone refuses the rest.
    await b.auth.revoke({ clientId: 'c1' });
    expect(store.sharedCache?.entries.size).toBe(0);
    b.provider.addToken('tok', makePrincipal({ clientId: 'c1', issuedAt: a.clock.sec }));
    expect(await codeOf(b.auth.authenticate(bearer('tok')))).toBe('ERR_TOKEN_REVOKED');
    expect(b.provider.calls).toBe(1);
  });
});
