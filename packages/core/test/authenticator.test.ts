import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/authenticator.js';
import type { Authenticator, AuthenticatorOptions } from '../src/authenticator.js';
import { PortcullisError } from '../src/errors.js';
import {
  apiKey,
  basic,
  bearer,
  Clock,
  codeOf,
  eventually,
  Gate,
  makePrincipal,
  MemoryStore,
  TestProvider,
} from './authenticator-fixtures.js';

const open: Authenticator[] = [];

function setup(overrides: Partial<AuthenticatorOptions> = {}): {
  auth: Authenticator;
  provider: TestProvider;
  clock: Clock;
} {
  const clock = new Clock();
  const provider = (overrides.provider as TestProvider | undefined) ?? new TestProvider();
  const auth = createAuthenticator({ now: clock.now, ...overrides, provider });
  open.push(auth);
  return { auth, provider, clock };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((auth) => auth.close()));
});

describe('authenticate: cache', () => {
  it('verifies once, then answers from the cache until the TTL passes', async () => {
    const { auth, provider, clock } = setup({ cache: { ttlMs: 10_000 } });
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1', expiresAt: clock.sec + 3600 }));

    const first = await auth.authenticate(bearer('tok-1'));
    const second = await auth.authenticate(bearer('tok-1'));
    expect(first.clientId).toBe('c1');
    expect(second).toBe(first);
    expect(provider.calls).toBe(1);
    expect(auth.stats()).toMatchObject({ hits: 1, misses: 1, size: 1, idpCalls: 1 });

    clock.advance(10_000);
    await auth.authenticate(bearer('tok-1'));
    expect(provider.calls).toBe(2);
    expect(auth.stats().evictions.expire).toBe(1);
  });

  it('caps the positive TTL at the token exp (injected clock)', async () => {
    const { auth, provider, clock } = setup({ cache: { ttlMs: 60_000 } });
    provider.addToken('tok-exp', makePrincipal({ clientId: 'c1', expiresAt: clock.sec + 5 }));

    await auth.authenticate(bearer('tok-exp'));
    clock.advance(4_999);
    await auth.authenticate(bearer('tok-exp'));
    expect(provider.calls).toBe(1);
    clock.advance(1);
    await auth.authenticate(bearer('tok-exp'));
    expect(provider.calls).toBe(2);
  });

  it("caps the positive TTL at the provider's maxTtlMs", async () => {
    const { auth, provider, clock } = setup({ cache: { ttlMs: 60_000 } });
    provider.addToken('tok-intro', makePrincipal({ clientId: 'c1' }), {
      checkedOnline: true,
      maxTtlMs: 2_000,
    });
    await auth.authenticate(bearer('tok-intro'));
    clock.advance(1_999);
    await auth.authenticate(bearer('tok-intro'));
    expect(provider.calls).toBe(1);
    clock.advance(1);
    await auth.authenticate(bearer('tok-intro'));
    expect(provider.calls).toBe(2);
  });

  it('caches negative verdicts for negativeTtlMs only', async () => {
    const { auth, provider, clock } = setup({ cache: { negativeTtlMs: 3_000 } });
    expect(await codeOf(auth.authenticate(bearer('unknown')))).toBe('ERR_TOKEN_INACTIVE');
    expect(await codeOf(auth.authenticate(bearer('unknown')))).toBe('ERR_TOKEN_INACTIVE');
    expect(provider.calls).toBe(1);
    expect(auth.stats().negativeHits).toBe(1);

    provider.addToken('unknown', makePrincipal({ clientId: 'late' }));
    clock.advance(2_999);
    expect(await codeOf(auth.authenticate(bearer('unknown')))).toBe('ERR_TOKEN_INACTIVE');
    clock.advance(1);
    await expect(auth.authenticate(bearer('unknown'))).resolves.toMatchObject({ clientId: 'late' });
    expect(provider.calls).toBe(2);
  });

  it('turns an IdP failure into a 503-class error and caches nothing', async () => {
    const { auth, provider } = setup();
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1' }));
    provider.failWith = 'ERR_IDP_UNAVAILABLE';

    const error = await auth.authenticate(bearer('tok-1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortcullisError);
    expect((error as PortcullisError).status).toBe(503);
    expect((error as PortcullisError).retryAfterSec).toBeGreaterThan(0);
    expect(auth.stats().size).toBe(0);
    expect(auth.health().components.idp?.status).toBe('degraded');
    expect(auth.health().ready).toBe(true);

    provider.failWith = undefined;
    await auth.authenticate(bearer('tok-1'));
    expect(provider.calls).toBe(2);
    expect(auth.health().components.idp?.status).toBe('ok');
  });

  it('times out a verification after idp.timeoutMs with ERR_IDP_UNAVAILABLE and aborts its signal', async () => {
    const { auth, provider } = setup({ idp: { timeoutMs: 20 } });
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1' }));
    provider.gate = new Gate(); // never opened: the IdP hangs
    expect(await codeOf(auth.authenticate(bearer('tok-1')))).toBe('ERR_IDP_UNAVAILABLE');
    expect(provider.seenSignals[0]?.aborted).toBe(true);
    expect(auth.stats().size).toBe(0);
  });

  it('serves a stale positive entry while the IdP is down, within staleIfErrorMs and exp', async () => {
    const { auth, provider, clock } = setup({ cache: { ttlMs: 1_000, staleIfErrorMs: 5_000 } });
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1', expiresAt: clock.sec + 4 }));
    await auth.authenticate(bearer('tok-1'));

    provider.failWith = 'ERR_IDP_UNAVAILABLE';
    clock.advance(2_000);
    await expect(auth.authenticate(bearer('tok-1'))).resolves.toMatchObject({ clientId: 'c1' });
    expect(auth.stats().staleHits).toBe(1);

    clock.advance(2_000); // token exp reached: never served past exp
    expect(await codeOf(auth.authenticate(bearer('tok-1')))).toBe('ERR_IDP_UNAVAILABLE');
  });

  it('does not serve a stale entry after an invalidation touching it', async () => {
    const { auth, provider, clock } = setup({ cache: { ttlMs: 1_000, staleIfErrorMs: 60_000 } });
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1', tenantId: 't1' }));
    await auth.authenticate(bearer('tok-1'));
    await auth.invalidate({ tenantId: 't1' });
    provider.failWith = 'ERR_IDP_UNAVAILABLE';
    clock.advance(2_000);
    expect(await codeOf(auth.authenticate(bearer('tok-1')))).toBe('ERR_IDP_UNAVAILABLE');
  });

  it('never serves stale entries when staleIfErrorMs is 0 (default)', async () => {
    const { auth, provider, clock } = setup({ cache: { ttlMs: 1_000 } });
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1' }));
    await auth.authenticate(bearer('tok-1'));
    provider.failWith = 'ERR_IDP_UNAVAILABLE';
    clock.advance(1_000);
    expect(await codeOf(auth.authenticate(bearer('tok-1')))).toBe('ERR_IDP_UNAVAILABLE');
  });

  it('keeps Bearer and X-API-Key answers apart but lets both work', async () => {
    const { auth, provider } = setup();
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1' }));
    await auth.authenticate(bearer('tok-1'));
    await auth.authenticate(apiKey('tok-1'));
    expect(provider.calls).toBe(2);
  });

  it('verifies Basic client credentials and caches under the secret, not the id', async () => {
    const { auth, provider } = setup();
    provider.addClient(
      'client-a',
      's3cret',
      makePrincipal({ clientId: 'client-a', credential: 'client_credentials' }),
    );
    await expect(auth.authenticate(basic('client-a', 's3cret'))).resolves.toMatchObject({
      clientId: 'client-a',
    });
    expect(await codeOf(auth.authenticate(basic('client-a', 'wrong')))).toBe(
      'ERR_CLIENT_CREDENTIALS_INVALID',
    );
    await auth.authenticate(basic('client-a', 's3cret'));
    expect(provider.calls).toBe(2);
  });
});

describe('authenticateOrDefer: the synchronous hit path', () => {
  it('returns a promise on a miss, then the same principal synchronously on a hit', async () => {
    const { auth, provider, clock } = setup();
    provider.addToken('tok-s', makePrincipal({ clientId: 'c1', expiresAt: clock.sec + 3600 }));

    const miss = auth.authenticateOrDefer(bearer('tok-s'));
    expect(miss).toBeInstanceOf(Promise);
    const first = await miss;
    const hit = auth.authenticateOrDefer(bearer('tok-s'));
    expect(hit).not.toBeInstanceOf(Promise);
    expect(hit).toBe(first);
    expect(auth.stats()).toMatchObject({ hits: 1, misses: 1, idpCalls: 1 });
  });

  it('throws failures known without I/O synchronously: malformed, negative hit, revoked', async () => {
    const { auth, provider, clock } = setup();
    // Before start-up has loaded, every answer waits for it; after, known failures are synchronous.
    await auth.ready();
    expect(() => auth.authenticateOrDefer({ headers: { authorization: 'Bearer a b' } })).toThrow(
      PortcullisError,
    );
    await expect(auth.authenticate(bearer('unknown'))).rejects.toThrow(PortcullisError);
    expect(() => auth.authenticateOrDefer(bearer('unknown'))).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_INACTIVE' }),
    );
    provider.addToken('tok-r', makePrincipal({ clientId: 'c-r', expiresAt: clock.sec + 3600 }));
    await auth.authenticate(bearer('tok-r'));
    await auth.revoke({ clientId: 'c-r' });
    // The revocation dropped the entry; the next verification caches the principal again and the
    // tombstone check refuses it on every hit.
    await expect(auth.authenticate(bearer('tok-r'))).rejects.toThrow(PortcullisError);
    expect(() => auth.authenticateOrDefer(bearer('tok-r'))).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_REVOKED' }),
    );
  });
});

describe('authenticate: race guard', () => {
  it('does not cache a verification that started before a matching invalidate()', async () => {
    const { auth, provider } = setup();
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1', userId: 'u1' }));
    provider.gate = new Gate();
    const pending = auth.authenticate(bearer('tok-1'));
    await eventually(() => provider.calls === 1);
    await auth.invalidate({ userId: 'u1' });
    provider.gate.open();
    await pending;
    expect(auth.stats().size).toBe(0);

    provider.gate = undefined;
    await auth.authenticate(bearer('tok-1'));
    expect(provider.calls).toBe(2);
  });

  it('caches a verification that started before an unrelated invalidate()', async () => {
    const { auth, provider } = setup();
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1', userId: 'u1' }));
    provider.gate = new Gate();
    const pending = auth.authenticate(bearer('tok-1'));
    await eventually(() => provider.calls === 1);
    await auth.invalidate({ userId: 'someone-else' });
    provider.gate.open();
    await pending;
    expect(auth.stats().size).toBe(1);
    provider.gate = undefined;
    await auth.authenticate(bearer('tok-1'));
    expect(provider.calls).toBe(1);
  });

  it('rejects every waiter of a shared verification when a revoke lands meanwhile', async () => {
    const { auth, provider, clock } = setup();
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1', issuedAt: clock.sec - 10 }));
    provider.gate = new Gate();
    const waiters = Array.from({ length: 5 }, () => auth.authenticate(bearer('tok-1')));
    await eventually(() => provider.calls === 1);
    await auth.revoke({ clientId: 'c1' });
    provider.gate.open();
    const codes = await Promise.all(waiters.map((w) => codeOf(w)));
    expect(codes).toEqual(Array(5).fill('ERR_TOKEN_REVOKED'));
    expect(provider.calls).toBe(1);
  });
});

describe('authenticate: request shape and lifecycle', () => {
  it('refuses a request without a credential before touching the IdP', async () => {
    const { auth, provider } = setup();
    expect(await codeOf(auth.authenticate({ headers: {} }))).toBe('ERR_NO_CREDENTIAL');
    expect(
      await codeOf(
        auth.authenticate({ headers: { authorization: 'Bearer a' }, url: '/x?access_token=a' }),
      ),
    ).toBe('ERR_TOKEN_IN_QUERY');
    expect(provider.calls).toBe(0);
  });

  it('always has a standard webhook receiver', () => {
    const { auth } = setup();
    expect(auth.webhooks.standard?.name).toBe('standard');
  });

  it('is ready at once without a policy source, and answers ERR_CLOSED after close()', async () => {
    const { auth, provider } = setup();
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1' }));
    await auth.ready();
    expect(auth.health()).toMatchObject({ ready: true, degraded: false });
    await auth.close();
    expect(provider.closed).toBe(true);
    expect(await codeOf(auth.authenticate(bearer('tok-1')))).toBe('ERR_CLOSED');
    expect(auth.health().ready).toBe(false);
  });

  it('hands the provider a context whose actions act on this authenticator', async () => {
    const { auth, provider, clock } = setup();
    provider.addToken(
      'tok-1',
      makePrincipal({ clientId: 'c1', tenantId: 't1', issuedAt: clock.sec }),
    );
    await auth.authenticate(bearer('tok-1'));
    const context = provider.context;
    expect(context?.timeoutMs).toBe(2000);
    expect(context?.clockToleranceSec).toBe(5);
    expect(context?.now()).toBe(clock.ms);
    expect(context?.actions.cachedClientIds('t1')).toEqual(['c1']);
    await context?.actions.revoke({ clientId: 'c1' });
    expect(await codeOf(auth.authenticate(bearer('tok-1')))).toBe('ERR_TOKEN_REVOKED');
  });
});

describe('createAuthenticator: options', () => {
  const provider = new TestProvider();
  const invalid = (options: Record<string, unknown>): { code: string; option: unknown } => {
    try {
      createAuthenticator({ provider, ...options } as unknown as AuthenticatorOptions);
    } catch (error) {
      const e = error as PortcullisError;
      return { code: e.code, option: e.details?.option };
    }
    throw new Error('expected ERR_INVALID_OPTION');
  };

  it.each([
    [{ cache: { maxEntries: Infinity } }, 'cache.maxEntries'],
    [{ cache: { maxEntries: 0 } }, 'cache.maxEntries'],
    [{ cache: { maxBytes: Infinity } }, 'cache.maxBytes'],
    [{ cache: { maxBytes: -1 } }, 'cache.maxBytes'],
    [{ cache: { ttlMs: -5 } }, 'cache.ttlMs'],
    [{ cache: { keySecret: 'short' } }, 'cache.keySecret'],
    [{ idp: { maxInFlight: 0 } }, 'idp.maxInFlight'],
    [{ idp: { timeoutMs: 'fast' } }, 'idp.timeoutMs'],
    [{ revocation: { maxTombstones: Infinity } }, 'revocation.maxTombstones'],
    [{ policy: { acceptedCredentials: ['password'] } }, 'policy.acceptedCredentials'],
    [{ policy: { enabled: 'yes' } }, 'policy.enabled'],
    [{ clockToleranceSec: -1 }, 'clockToleranceSec'],
    [{ originId: '' }, 'originId'],
    [{ provider: {} }, 'provider'],
  ])('refuses %j naming %s', (options, option) => {
    expect(invalid(options)).toEqual({ code: 'ERR_INVALID_OPTION', option });
  });
});

describe('flush and the store', () => {
  it('flush() drops every answer here, publishes a flush and clears the shared cache', async () => {
    const store = new MemoryStore({ sharedCache: true });
    const { auth, provider } = setup({
      store,
      originId: 'replica-a',
      cache: { keySecret: 'a-shared-cache-key-of-32-bytes!!' },
    });
    await auth.ready();
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1' }));
    await auth.authenticate(bearer('tok-1'));
    await eventually(() => store.sharedCache?.entries.size === 1);

    await auth.flush();
    expect(auth.stats().size).toBe(0);
    expect(auth.stats().evictions.clear).toBe(1);
    expect(store.published).toContainEqual({ v: 1, origin: 'replica-a', type: 'flush' });
    expect(store.sharedCache?.entries.size).toBe(0);
    await auth.authenticate(bearer('tok-1'));
    expect(provider.calls).toBe(2);
  });

  it('on resync writes back and publishes a revocation made while the store was down', async () => {
    const store = new MemoryStore();
    const { auth } = setup({ store, originId: 'replica-a' });
    await auth.ready();
    store.failing = true;
    await expect(auth.revoke({ clientId: 'c-offline' })).rejects.toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
    });
    store.failing = false;
    await store.sink?.resync();
    expect([...store.tombstones.values()].map((t) => t.selector)).toContainEqual({
      clientId: 'c-offline',
    });
    expect(store.published).toContainEqual(
      expect.objectContaining({
        origin: 'replica-a',
        type: 'revoke',
        tombstone: expect.objectContaining({ selector: { clientId: 'c-offline' } }),
      }),
    );
  });

  it('applies a remote flush without re-publishing it', async () => {
    const store = new MemoryStore();
    const { auth, provider } = setup({ store });
    await auth.ready();
    provider.addToken('tok-1', makePrincipal({ clientId: 'c1' }));
    await auth.authenticate(bearer('tok-1'));
    store.sink?.applyRemote({ v: 1, origin: 'replica-b', type: 'flush' });
    expect(auth.stats().size).toBe(0);
    expect(store.published).toHaveLength(0);
  });

  it('closes the store with the authenticator', async () => {
    const store = new MemoryStore();
    const { auth } = setup({ store });
    await auth.ready();
    await auth.close();
    expect(store.closed).toBe(true);
    expect(await codeOf(auth.revoke({ clientId: 'c1' }))).toBe('ERR_CLOSED');
  });
});

describe('long-lived rule and Basic', () => {
  it('does not apply to a token just issued for a Basic client secret (an online check)', async () => {
    const { auth, provider, clock } = setup();
    provider.addClient(
      'client-a',
      's3cret',
      makePrincipal({
        clientId: 'client-a',
        credential: 'client_credentials',
        issuedAt: clock.sec,
        expiresAt: clock.sec + 7 * 24 * 3600,
      }),
    );
    await expect(auth.authenticate(basic('client-a', 's3cret'))).resolves.toMatchObject({
      clientId: 'client-a',
    });
  });
});
