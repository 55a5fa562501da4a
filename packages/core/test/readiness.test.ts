/**
 * Ready means ready (issue 14): until the policy, the provider's warm-up (Frontegg: the vendor
 * token) and the shared revocation state are loaded, `ready()` waits, `health().ready` is false and
 * a request gets 503 with Retry-After — never a decision made on half-loaded state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/authenticator.js';
import type { Authenticator } from '../src/authenticator.js';
import type { PortcullisError } from '../src/errors.js';
import type { Tombstone } from '../src/types.js';
import {
  bearer,
  Gate,
  makePrincipal,
  MemoryStore,
  TestProvider,
} from './authenticator-fixtures.js';

const open: Authenticator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((auth) => auth.close()));
});

/** A provider whose warm-up waits for a gate (and fails while `warmFails`). */
class WarmingProvider extends TestProvider {
  readonly warm = new Gate();
  warmCalls = 0;
  warmFails = false;
  async ready(): Promise<void> {
    this.warmCalls++;
    if (this.warmFails) throw new Error('vendor authentication refused');
    await this.warm.promise;
  }
}

/** A store whose first tombstone load waits for a gate. */
class SlowStore extends MemoryStore {
  readonly loadGate = new Gate();
  override async loadTombstones(): Promise<readonly Tombstone[]> {
    await this.loadGate.promise;
    return super.loadTombstones();
  }
}

async function failure(promise: Promise<unknown>): Promise<PortcullisError> {
  return (await promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  )) as PortcullisError;
}

describe('readiness', () => {
  it('is not ready, and answers 503 ERR_NOT_READY, until the provider is warm', async () => {
    const provider = new WarmingProvider();
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const auth = createAuthenticator({ provider, idp: { timeoutMs: 200 } });
    open.push(auth);
    expect(auth.health()).toMatchObject({
      ready: false,
      components: { startup: { status: 'starting', detail: 'loading test provider' } },
    });
    const error = await failure(auth.authenticate(bearer('tok')));
    expect(error.code).toBe('ERR_NOT_READY');
    expect(error.status).toBe(503);
    expect(error.retryAfterSec).toBe(1);
    expect(provider.calls).toBe(0);
    provider.warm.open();
    await auth.ready();
    expect(auth.health().ready).toBe(true);
    expect(auth.health().components['startup']).toBeUndefined();
    await expect(auth.authenticate(bearer('tok'))).resolves.toMatchObject({ clientId: 'c1' });
  });

  it('retries a failing warm-up until it succeeds', async () => {
    const provider = new WarmingProvider();
    provider.warmFails = true;
    provider.warm.open();
    const auth = createAuthenticator({ provider });
    open.push(auth);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(auth.health().ready).toBe(false);
    provider.warmFails = false;
    await auth.ready();
    expect(provider.warmCalls).toBeGreaterThanOrEqual(2);
    expect(auth.health().ready).toBe(true);
  });

  it('a request arriving while the shared tombstones load waits for them and is refused by them', async () => {
    const store = new SlowStore();
    await store.saveTombstone({
      kind: 'revoke',
      selector: { clientId: 'c1' },
      revokedAt: Date.now() - 1000,
      expiresAt: Date.now() + 3_600_000,
    });
    const provider = new TestProvider();
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    const auth = createAuthenticator({ provider, store, idp: { timeoutMs: 5_000 } });
    open.push(auth);
    expect(auth.health()).toMatchObject({
      ready: false,
      components: { startup: { detail: 'loading shared revocation state' } },
    });
    const answer = failure(auth.authenticate(bearer('tok')));
    store.loadGate.open();
    expect((await answer).code).toBe('ERR_TOKEN_REVOKED');
    expect(auth.health().ready).toBe(true);
  });
});
