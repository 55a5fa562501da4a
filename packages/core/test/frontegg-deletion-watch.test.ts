import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortcullisError } from '../src/errors.js';
import { createDeletionWatch } from '../src/providers/frontegg/deletion-watch.js';
import { createFronteggSend } from '../src/providers/frontegg/http.js';
import { createVendorTokenClient } from '../src/providers/frontegg/vendor-token.js';
import type { Principal } from '../src/types.js';
import type { FakeFrontegg } from './frontegg-fixtures.js';
import {
  recordingActions,
  recordingLogger,
  startFakeFrontegg,
  watchBook,
} from './frontegg-fixtures.js';

let fake: FakeFrontegg;
beforeAll(async () => {
  fake = await startFakeFrontegg();
});
afterAll(async () => {
  await fake.close();
});

function watchAt(clock: { now: number }, refreshMs = 5_000) {
  const now = () => clock.now;
  const send = createFronteggSend({ dispatcher: undefined, timeoutMs: 2000, now });
  const vendor = createVendorTokenClient({
    baseUrl: fake.url,
    clientId: 'vendor-id',
    apiKey: 'vendor-key',
    refreshRatio: 0.8,
    send,
    now,
  });
  const logger = recordingLogger();
  const watch = createDeletionWatch({
    vendor,
    watchTtlMs: () => 60_000,
    refreshMs,
    maxTenants: 2,
    clockToleranceSec: 5,
    logger,
    now,
  });
  return { watch, logger, book: watchBook(now) };
}

function apiPrincipal(
  clientId: string,
  tenantId: string,
  issuedAtSec: number,
  userId?: string,
): Principal {
  return {
    subject: clientId,
    clientId,
    tenantId,
    ...(userId === undefined ? {} : { userId }),
    ownerKind: userId === undefined ? 'tenant' : 'user',
    credential: 'client_credentials',
    permissions: [],
    roles: [],
    scopes: [],
    issuedAt: issuedAtSec,
    claims: {},
  };
}

const signal = () => AbortSignal.timeout(5000);

describe('frontegg deletion watch (API-token deletion without a client id)', () => {
  it('revokes cached client ids missing from their owner list, keeps the listed, re-verifies the unknown', async () => {
    const clock = { now: Date.now() };
    const { watch, logger, book } = watchAt(clock);
    const iat = Math.floor(clock.now / 1000) - 60;
    watch.remember(apiPrincipal('tenant-kept', 't1', iat));
    watch.remember(apiPrincipal('tenant-gone', 't1', iat));
    watch.remember(apiPrincipal('personal-kept', 't1', iat, 'u1'));
    watch.remember(apiPrincipal('personal-gone', 't1', iat, 'u1'));
    fake.apiTokens.set('t1', ['tenant-kept']);
    fake.apiTokens.set('t1/u1', ['personal-kept']);
    const actions = recordingActions(
      {
        t1: ['tenant-kept', 'tenant-gone', 'personal-kept', 'personal-gone', 'stranger'],
      },
      book,
    );
    const result = await watch.reconcile('t1', undefined, actions, signal());
    expect(result).toEqual({ revoked: 2, invalidated: 1 });
    expect(actions.calls).toEqual([
      { action: 'revoke', selector: { clientId: 'tenant-gone' } },
      { action: 'revoke', selector: { clientId: 'personal-gone' } },
      { action: 'invalidate', selector: { clientId: 'stranger' } },
    ]);
    // A personal token is judged by its owner's list, not the tenant's.
    const userList = fake.requests
      .filter((r) => r.path === '/identity/resources/users/api-tokens/v1')
      .at(-1);
    expect(userList?.headers['frontegg-user-id']).toBe('u1');
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(watch.size()).toBe(1);
  });

  it('refuses and revokes a watched tenant JWT whose client id is no longer listed', async () => {
    const clock = { now: Date.now() };
    const { watch, book } = watchAt(clock);
    fake.apiTokens.set('t2', ['alive']);
    await watch.reconcile('t2', undefined, recordingActions({}, book), signal());
    const iat = Math.floor(clock.now / 1000) - 120;
    const actions = recordingActions({}, book);
    await watch.check(apiPrincipal('alive', 't2', iat), actions, signal());
    const error = await watch.check(apiPrincipal('deleted', 't2', iat), actions, signal()).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PortcullisError);
    expect((error as PortcullisError).code).toBe('ERR_TOKEN_REVOKED');
    expect(actions.calls).toEqual([{ action: 'revoke', selector: { clientId: 'deleted' } }]);
    // Other tenants are not watched: no IdP call, no verdict.
    const before = fake.requests.length;
    await watch.check(apiPrincipal('anything', 't-other', iat), actions, signal());
    expect(fake.requests.length).toBe(before);
  });

  it('re-reads the list (at most every refreshMs) for a token issued after the last read', async () => {
    const clock = { now: Date.now() };
    const { watch, book } = watchAt(clock, 5_000);
    fake.apiTokens.set('t3', ['old']);
    await watch.reconcile('t3', undefined, recordingActions({}, book), signal());
    const listPath = '/identity/resources/tenants/api-tokens/v1';
    const reads = fake.count(listPath);
    fake.apiTokens.set('t3', ['old', 'brand-new']);
    // Issued within the clock tolerance of the deletion: it may be the deleted token.
    const issuedNow = Math.floor(clock.now / 1000) + 2;
    clock.now += 1_000;
    const tooSoon = await watch
      .check(apiPrincipal('brand-new', 't3', issuedNow), recordingActions({}, book), signal())
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    // Not a verdict on the token: the caller may retry shortly.
    expect((tooSoon as PortcullisError).code).toBe('ERR_IDP_OVERLOADED');
    expect(fake.count(listPath)).toBe(reads);
    clock.now += 5_000;
    const actions = recordingActions({}, book);
    await watch.check(apiPrincipal('brand-new', 't3', issuedNow), actions, signal());
    expect(fake.count(listPath)).toBe(reads + 1);
    expect(actions.calls).toEqual([]);
  });

  it('does not check a JWT issued after the deletion (beyond clock tolerance): it cannot be the deleted one', async () => {
    const clock = { now: Date.now() };
    const { watch, book } = watchAt(clock);
    fake.apiTokens.set('t-after', ['old']);
    await watch.reconcile('t-after', undefined, recordingActions({}, book), signal());
    const reads = fake.requests.length;
    clock.now += 10_000;
    const actions = recordingActions({}, book);
    await watch.check(
      apiPrincipal('created-later', 't-after', Math.floor(clock.now / 1000)),
      actions,
      signal(),
    );
    expect(fake.requests.length).toBe(reads);
    expect(actions.calls).toEqual([]);
  });

  it('reads a 404 for a deleted user as "no tokens": revokes, never an IdP failure', async () => {
    const clock = { now: Date.now() };
    const { watch, book } = watchAt(clock);
    const iat = Math.floor(clock.now / 1000) - 60;
    watch.remember(apiPrincipal('of-deleted-user', 't404', iat, 'gone-user'));
    fake.apiTokens.set('t404', []);
    const actions = recordingActions({ t404: ['of-deleted-user'] }, book);
    // No `t404/gone-user` entry: the fake answers 404 "User not found", as Frontegg does.
    const result = await watch.reconcile('t404', undefined, actions, signal());
    expect(result).toEqual({ revoked: 1, invalidated: 0 });
    expect(actions.calls).toEqual([
      { action: 'revoke', selector: { clientId: 'of-deleted-user' } },
    ]);
    clock.now += 10_000;
    const error = await watch
      .check(
        apiPrincipal('other-personal', 't404', iat, 'gone-user'),
        recordingActions({}, book),
        signal(),
      )
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect((error as PortcullisError).code).toBe('ERR_TOKEN_REVOKED');
  });

  it('stops checking once the watch expired, and keeps lists for at most maxTenants tenants', async () => {
    const clock = { now: Date.now() };
    const { watch, book } = watchAt(clock);
    for (const tenant of ['a', 'b', 'c']) {
      fake.apiTokens.set(tenant, []);
      await watch.reconcile(tenant, undefined, recordingActions({}, book), signal());
    }
    expect(watch.size()).toBe(2);
    clock.now += 61_000;
    const actions = recordingActions({}, book);
    const before = fake.requests.length;
    await watch.check(
      apiPrincipal('whatever', 'c', Math.floor(clock.now / 1000)),
      actions,
      signal(),
    );
    expect(actions.calls).toEqual([]);
    expect(fake.requests.length).toBe(before);
  });

  it('checks against a watch another replica started (the watch is shared state)', async () => {
    const clock = { now: Date.now() };
    const { watch, book } = watchAt(clock);
    const at = clock.now;
    // As if loaded from the store or received on the bus: this replica never saw the webhook.
    book.watches.set('t-remote', { tenantId: 't-remote', startedAt: at, expiresAt: at + 60_000 });
    fake.apiTokens.set('t-remote', ['kept']);
    const iat = Math.floor(at / 1000) - 600;
    const actions = recordingActions({}, book);
    await watch.check(apiPrincipal('kept', 't-remote', iat), actions, signal());
    const error = await watch
      .check(apiPrincipal('deleted-elsewhere', 't-remote', iat), actions, signal())
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect((error as PortcullisError).code).toBe('ERR_TOKEN_REVOKED');
    expect(actions.calls).toEqual([
      { action: 'revoke', selector: { clientId: 'deleted-elsewhere' } },
    ]);
  });
});

describe('frontegg reconciliation sweep (lost webhooks)', () => {
  it('reads each owner list fresh, revokes what is gone, reads at most maxLists lists', async () => {
    const clock = { now: Date.now() };
    const { watch, book } = watchAt(clock);
    const iat = Math.floor(clock.now / 1000) - 60;
    fake.apiTokens.set('ts', ['t-kept']);
    fake.apiTokens.set('ts/u1', ['p-kept']);
    const principals = [
      apiPrincipal('t-kept', 'ts', iat),
      apiPrincipal('t-gone', 'ts', iat),
      apiPrincipal('p-kept', 'ts', iat, 'u1'),
      apiPrincipal('p-gone', 'ts', iat, 'u1'),
      apiPrincipal('of-deleted-user', 'ts', iat, 'u-deleted'),
      apiPrincipal('elsewhere', 'other-tenant', iat),
    ];
    const actions = recordingActions({}, book);
    const result = await watch.sweep('ts', principals, actions, 10, signal());
    expect(result).toEqual({ revoked: 3, lists: 3 });
    expect(actions.calls).toEqual([
      { action: 'revoke', selector: { clientId: 't-gone' } },
      { action: 'revoke', selector: { clientId: 'p-gone' } },
      { action: 'revoke', selector: { clientId: 'of-deleted-user' } },
    ]);
    const bounded = recordingActions({}, book);
    expect(await watch.sweep('ts', principals, bounded, 1, signal())).toEqual({
      revoked: 1,
      lists: 1,
    });
  });
});
