/**
 * The lost-webhook reconciliation sweep (issue 14): bounded tenants per sweep, round robin, one
 * replica per tenant through the store's lease, revocations applied everywhere, off at 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/authenticator.js';
import type { Authenticator } from '../src/authenticator.js';
import type { AuthenticatorActions } from '../src/provider.js';
import { ReconcileSweep } from '../src/revocation/reconcile-sweep.js';
import type { Principal } from '../src/types.js';
import {
  bearer,
  codeOf,
  eventually,
  makePrincipal,
  MemoryStore,
  TestProvider,
} from './authenticator-fixtures.js';
import { recordingLogger } from './frontegg-fixtures.js';

const open: Authenticator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((auth) => auth.close()));
});

const cc = (clientId: string, tenantId: string): Principal =>
  makePrincipal({
    clientId,
    tenantId,
    credential: 'client_credentials',
    issuedAt: Math.floor(Date.now() / 1000) - 5,
  });

/** An IdP that can list tokens: `live` holds the client ids that still exist. */
class ListingProvider extends TestProvider {
  readonly live = new Set<string>();
  readonly swept: string[] = [];
  async reconcile(
    tenantId: string,
    principals: readonly Principal[],
    actions: AuthenticatorActions,
  ): Promise<{ revoked: number }> {
    this.swept.push(tenantId);
    let revoked = 0;
    for (const principal of principals) {
      if (principal.clientId !== undefined && !this.live.has(principal.clientId)) {
        await actions.revoke({ clientId: principal.clientId });
        revoked += 1;
      }
    }
    return { revoked };
  }
}

describe('ReconcileSweep', () => {
  function sweepOver(tenants: string[], leaseFree = () => true) {
    const seen: string[] = [];
    const sweep = new ReconcileSweep({
      intervalMs: 60_000,
      maxTenants: 2,
      tenants: () => tenants,
      principalsOf: (tenantId) => [cc(`c-${tenantId}`, tenantId)],
      reconcile: async (tenantId) => {
        seen.push(tenantId);
        return { revoked: tenantId === 'b' ? 1 : 0 };
      },
      lease: async () => leaseFree(),
      timeoutMs: 1000,
      logger: recordingLogger(),
      random: () => 0.5,
    });
    return { sweep, seen };
  }

  it('checks at most maxTenants per sweep, round robin over every cached tenant', async () => {
    const { sweep, seen } = sweepOver(['c', 'a', 'b']);
    expect(await sweep.runOnce()).toEqual({ tenants: 2, revoked: 1 });
    expect(seen).toEqual(['a', 'b']);
    await sweep.runOnce();
    expect(seen).toEqual(['a', 'b', 'c', 'a']);
    sweep.close();
  });

  it('skips a tenant whose lease another replica holds', async () => {
    const { sweep, seen } = sweepOver(['a', 'b'], () => false);
    expect(await sweep.runOnce()).toEqual({ tenants: 0, revoked: 0 });
    expect(seen).toEqual([]);
    sweep.close();
  });
});

describe('reconciliation in the authenticator', () => {
  it('revokes a cached client credential the IdP no longer lists, stores the tombstone and holds the tenant lease', async () => {
    const store = new MemoryStore();
    const provider = new ListingProvider();
    provider.live.add('kept');
    provider.addToken('jwt-kept', cc('kept', 't1'));
    provider.addToken('jwt-gone', cc('gone', 't1'));
    const auth = createAuthenticator({
      provider,
      store,
      revocation: { reconcileIntervalMs: 1000 },
    });
    open.push(auth);
    await auth.ready();
    await auth.authenticate(bearer('jwt-kept'));
    await auth.authenticate(bearer('jwt-gone'));
    await eventually(() => provider.swept.length > 0, 5_000);
    expect(await codeOf(auth.authenticate(bearer('jwt-gone')))).toBe('ERR_TOKEN_REVOKED');
    await expect(auth.authenticate(bearer('jwt-kept'))).resolves.toMatchObject({
      clientId: 'kept',
    });
    expect([...store.tombstones.values()]).toMatchObject([{ selector: { clientId: 'gone' } }]);
    // One replica per tenant and interval: the lease is held now.
    expect(await store.acquireLease('reconcile:t1', 1000)).toBe(false);
  });

  it('is off at 0 and refuses intervals under a second', async () => {
    const provider = new ListingProvider();
    const auth = createAuthenticator({ provider, revocation: { reconcileIntervalMs: 0 } });
    open.push(auth);
    expect(() =>
      createAuthenticator({ provider, revocation: { reconcileIntervalMs: 500 } }),
    ).toThrow(/revocation.reconcileIntervalMs/);
  });
});
