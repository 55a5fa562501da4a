import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/authenticator.js';
import type { Authenticator, AuthenticatorOptions } from '../src/authenticator.js';
import { CHANNELS } from '../src/diagnostics.js';
import type { PolicyEvent } from '../src/diagnostics.js';
import type { PortcullisError } from '../src/errors.js';
import type { PolicyState } from '../src/types.js';
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
  PolicyTestProvider,
  TestProvider,
} from './authenticator-fixtures.js';

const open: Authenticator[] = [];

function setup<P extends TestProvider>(
  provider: P,
  overrides: Partial<AuthenticatorOptions> = {},
): { auth: Authenticator; provider: P; clock: Clock } {
  const clock = new Clock();
  const auth = createAuthenticator({ provider, now: clock.now, ...overrides });
  open.push(auth);
  return { auth, provider, clock };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((auth) => auth.close()));
});

describe('policy: before the first state is known', () => {
  it('answers ERR_POLICY_UNKNOWN (503) and is not ready until the first read succeeds', async () => {
    const provider = new PolicyTestProvider();
    provider.readGate = new Gate();
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const { auth } = setup(provider);

    const error = (await auth
      .authenticate(bearer('tok'))
      .catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('ERR_POLICY_UNKNOWN');
    expect(error.status).toBe(503);
    expect(provider.calls).toBe(0);
    expect(auth.health()).toMatchObject({
      ready: false,
      components: { policy: { status: 'starting' } },
    });
    expect(auth.acceptsBasic()).toBe(false);

    provider.readGate.open();
    await auth.ready();
    expect(auth.health().ready).toBe(true);
    await expect(auth.authenticate(bearer('tok'))).resolves.toMatchObject({ clientId: 'c1' });
  });

  it('stays unknown while the settings read fails, unless a pin supplies the state', async () => {
    const failing = new PolicyTestProvider();
    failing.readFails = true;
    const unpinned = setup(failing, { idp: { timeoutMs: 1000 } });
    await eventually(() => failing.reads >= 1);
    expect(await codeOf(unpinned.auth.authenticate(bearer('tok')))).toBe('ERR_POLICY_UNKNOWN');

    const pinnedProvider = new PolicyTestProvider();
    pinnedProvider.readFails = true;
    pinnedProvider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const pinned = setup(pinnedProvider, { policy: { enabled: true } });
    await pinned.auth.ready();
    await expect(pinned.auth.authenticate(bearer('tok'))).resolves.toBeDefined();
  });

  it("takes the store's stored policy when the IdP cannot be read", async () => {
    const provider = new PolicyTestProvider();
    provider.readFails = true;
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const store = new MemoryStore();
    store.policy = {
      enabled: true,
      acceptedCredentials: ['access_token'],
      version: { at: 1000, origin: 'replica-b' },
    };
    const { auth } = setup(provider, { store });
    await auth.ready();
    expect(auth.policy.current()).toMatchObject({
      enabled: true,
      acceptedCredentials: ['access_token'],
    });
    await expect(auth.authenticate(bearer('tok'))).resolves.toBeDefined();
  });
});

describe('policy: enable and disable', () => {
  it('disable rejects every credential with ERR_M2M_DISABLED; enable restores them without tombstones', async () => {
    const provider = new TestProvider();
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const { auth } = setup(provider);
    await auth.authenticate(bearer('tok'));
    expect(auth.stats().size).toBe(1);

    await auth.policy.apply({ enabled: false }, 'test');
    const error = (await auth
      .authenticate(bearer('tok'))
      .catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('ERR_M2M_DISABLED');
    expect(error.status).toBe(401);
    expect(error.message).toBe('M2M tokens are disabled by the vendor');
    expect(auth.stats().size).toBe(0);
    expect(auth.tombstones()).toHaveLength(0);
    expect(provider.calls).toBe(1);

    await auth.policy.apply({ enabled: true }, 'test');
    await expect(auth.authenticate(bearer('tok'))).resolves.toMatchObject({ clientId: 'c1' });
    expect(provider.calls).toBe(2);
  });

  it('follows the IdP poll: disabled at the IdP, then re-enabled', async () => {
    const provider = new PolicyTestProvider();
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const { auth } = setup(provider);
    await auth.ready();
    await auth.authenticate(bearer('tok'));

    provider.policy = { enabled: false };
    await auth.policy.refresh();
    expect(await codeOf(auth.authenticate(bearer('tok')))).toBe('ERR_M2M_DISABLED');
    provider.policy = { enabled: true };
    await auth.policy.refresh();
    await expect(auth.authenticate(bearer('tok'))).resolves.toBeDefined();
  });

  it('clears negative answers on enable, so a credential the IdP refused while disabled works again', async () => {
    const provider = new TestProvider();
    const store = new MemoryStore();
    const { auth, clock } = setup(provider, { store, cache: { negativeTtlMs: 60_000 } });
    await eventually(() => store.sink !== undefined);
    await auth.policy.apply({ enabled: true }, 'test');
    // The IdP already refuses the token (its M2M switch flipped first); a negative answer is cached.
    expect(await codeOf(auth.authenticate(bearer('tok')))).toBe('ERR_TOKEN_INACTIVE');
    // Another replica learns "disabled" first, then "enabled".
    store.sink?.applyRemote({
      v: 1,
      origin: 'replica-b',
      type: 'policy',
      state: {
        enabled: false,
        acceptedCredentials: ['access_token'],
        version: { at: clock.ms + 10, origin: 'b' },
      },
    });
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    store.sink?.applyRemote({
      v: 1,
      origin: 'replica-b',
      type: 'policy',
      state: {
        enabled: true,
        acceptedCredentials: ['access_token', 'client_credentials'],
        version: { at: clock.ms + 20, origin: 'b' },
      },
    });
    await expect(auth.authenticate(bearer('tok'))).resolves.toMatchObject({ clientId: 'c1' });
  });

  it('clears negative answers on re-enable even when a pin kept M2M on locally', async () => {
    const provider = new TestProvider();
    const { auth } = setup(provider, {
      policy: { enabled: true },
      cache: { negativeTtlMs: 60_000 },
    });
    expect(await codeOf(auth.authenticate(bearer('tok')))).toBe('ERR_TOKEN_INACTIVE');
    await auth.policy.apply({ enabled: false }, 'm2m.disabled');
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    expect(await codeOf(auth.authenticate(bearer('tok')))).toBe('ERR_TOKEN_INACTIVE');
    await auth.policy.apply({ enabled: true }, 'm2m.enabled');
    await expect(auth.authenticate(bearer('tok'))).resolves.toMatchObject({ clientId: 'c1' });
  });

  it('applies an event at once and lets the following IdP read correct it', async () => {
    const provider = new PolicyTestProvider();
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const { auth } = setup(provider);
    await auth.ready();
    const readsBefore = provider.reads;
    provider.readGate = new Gate();
    await provider.context?.actions.applyPolicyEvent({ enabled: false }, 'm2m.disabled');
    expect(await codeOf(auth.authenticate(bearer('tok')))).toBe('ERR_M2M_DISABLED');
    await eventually(() => provider.reads > readsBefore);
    provider.readGate.open(); // the IdP says M2M is on: the read corrects the event
    await eventually(() => auth.policy.current().enabled === true);
    await expect(auth.authenticate(bearer('tok'))).resolves.toBeDefined();
  });

  it('never changes a pinned value', async () => {
    const provider = new TestProvider();
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const { auth } = setup(provider, {
      policy: { enabled: true, acceptedCredentials: ['access_token'] },
    });
    await auth.policy.apply(
      { enabled: false, acceptedCredentials: ['client_credentials'] },
      'test',
    );
    expect(auth.policy.current()).toMatchObject({
      enabled: true,
      acceptedCredentials: ['access_token'],
    });
    await expect(auth.authenticate(bearer('tok'))).resolves.toBeDefined();
  });

  it('polls the provider every syncIntervalMs and re-reads on requestPolicyRefresh()', async () => {
    const provider = new PolicyTestProvider();
    setup(provider, { policy: { syncIntervalMs: 100 } });
    await eventually(() => provider.reads >= 3, 5000);
    const reads = provider.reads;
    provider.context?.requestPolicyRefresh();
    await eventually(() => provider.reads > reads);
  });
});

describe('policy: accepted credential kinds', () => {
  it('gates the form before verification and names the kind', async () => {
    const provider = new TestProvider();
    const { auth } = setup(provider, { policy: { acceptedCredentials: ['access_token'] } });
    const error = (await auth
      .authenticate(basic('c1', 'secret'))
      .catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('ERR_CREDENTIAL_KIND_NOT_ACCEPTED');
    expect(error.message).toMatch(/^Client credentials are not accepted/);
    expect(auth.acceptsBasic()).toBe(false);

    const onlyClients = setup(new TestProvider(), {
      policy: { acceptedCredentials: ['client_credentials'] },
    });
    expect(await codeOf(onlyClients.auth.authenticate(apiKey('tok')))).toBe(
      'ERR_CREDENTIAL_KIND_NOT_ACCEPTED',
    );
    expect(provider.calls + onlyClients.provider.calls).toBe(0);
  });

  it('gates the verified kind on cache hits: a cached client-credentials JWT sent as Bearer is refused after a strategy switch', async () => {
    const provider = new TestProvider();
    provider.addToken(
      'cc-jwt',
      makePrincipal({ clientId: 'c1', credential: 'client_credentials' }),
    );
    const { auth } = setup(provider);
    await auth.authenticate(bearer('cc-jwt'));

    await auth.policy.apply({ acceptedCredentials: ['access_token'] }, 'm2m.strategy.changed');
    const error = (await auth
      .authenticate(bearer('cc-jwt'))
      .catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('ERR_CREDENTIAL_KIND_NOT_ACCEPTED');
    expect(error.message).toMatch(/^Client credentials are not accepted/);
    expect(provider.calls).toBe(1); // it was a cache hit
    expect(auth.stats().hits).toBe(1);
  });
});

describe('policy: versions, listeners, store', () => {
  it('keeps the newest state: an older remote state is ignored', async () => {
    const store = new MemoryStore();
    const { auth, clock } = setup(new TestProvider(), { store });
    await eventually(() => store.sink !== undefined);
    await auth.policy.apply({ enabled: false }, 'test');
    const at = auth.policy.current().version.at;
    store.sink?.applyRemote({
      v: 1,
      origin: 'b',
      type: 'policy',
      state: {
        enabled: true,
        acceptedCredentials: ['access_token'],
        version: { at: at - 1, origin: 'zzz' },
      },
    });
    expect(auth.policy.current().enabled).toBe(false);
    store.sink?.applyRemote({
      v: 1,
      origin: 'b',
      type: 'policy',
      state: {
        enabled: true,
        acceptedCredentials: ['access_token'],
        version: { at: clock.ms + 5, origin: 'b' },
      },
    });
    expect(auth.policy.current().enabled).toBe(true);
  });

  it('stores and publishes local changes, tells listeners and the policy channel', async () => {
    const store = new MemoryStore();
    const { auth } = setup(new TestProvider(), { store, originId: 'replica-a' });
    const seen: PolicyState[] = [];
    const unsubscribe = auth.policy.onChange((state) => seen.push(state));
    const events: PolicyEvent[] = [];
    const onEvent = (message: unknown): void => {
      events.push(message as PolicyEvent);
    };
    diagnostics.subscribe(CHANNELS.policy, onEvent);
    try {
      await auth.policy.apply({ enabled: false }, 'm2m.disabled');
      expect(seen.map((s) => s.enabled)).toEqual([false]);
      expect(events).toMatchObject([{ enabled: false, source: 'm2m.disabled' }]);
      expect(store.policy).toMatchObject({ enabled: false, version: { origin: 'replica-a' } });
      expect(store.published).toContainEqual(
        expect.objectContaining({ type: 'policy', origin: 'replica-a' }),
      );
      unsubscribe();
      await auth.policy.apply({ enabled: true }, 'm2m.enabled');
      expect(seen).toHaveLength(1);
    } finally {
      diagnostics.unsubscribe(CHANNELS.policy, onEvent);
    }
  });

  it('rejects apply() with ERR_STORE_UNAVAILABLE when the store fails, keeping the local change', async () => {
    const store = new MemoryStore();
    const { auth } = setup(new TestProvider(), { store });
    await eventually(() => store.sink !== undefined);
    store.failing = true;
    expect(await codeOf(auth.policy.apply({ enabled: false }, 'test'))).toBe(
      'ERR_STORE_UNAVAILABLE',
    );
    expect(auth.policy.current().enabled).toBe(false);
  });
});
