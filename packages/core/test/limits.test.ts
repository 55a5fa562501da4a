import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/authenticator.js';
import type { Authenticator, AuthenticatorOptions } from '../src/authenticator.js';
import { PortcullisError } from '../src/errors.js';
import { InFlightLimiter } from '../src/limits/in-flight-limiter.js';
import { SingleFlight } from '../src/limits/single-flight.js';
import {
  basic,
  bearer,
  Clock,
  codeOf,
  eventually,
  Gate,
  makePrincipal,
  TestProvider,
} from './authenticator-fixtures.js';

const open: Authenticator[] = [];

function setup(overrides: Partial<AuthenticatorOptions> = {}): {
  auth: Authenticator;
  provider: TestProvider;
} {
  const provider = new TestProvider();
  const auth = createAuthenticator({ provider, now: new Clock().now, ...overrides });
  open.push(auth);
  return { auth, provider };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((auth) => auth.close()));
});

describe('single-flight', () => {
  it('100 concurrent requests with one new credential make exactly one IdP call', async () => {
    const { auth, provider } = setup();
    provider.addToken('fresh', makePrincipal({ clientId: 'c1' }));
    provider.gate = new Gate();
    const requests = Array.from({ length: 100 }, () => auth.authenticate(bearer('fresh')));
    await eventually(() => provider.calls === 1);
    provider.gate.open();
    const principals = await Promise.all(requests);
    expect(provider.calls).toBe(1);
    expect(new Set(principals).size).toBe(1);
    expect(auth.stats()).toMatchObject({ misses: 1, coalesced: 99, idpCalls: 1 });
  });

  it('shares a failure with the waiters of that call only', async () => {
    const { auth, provider } = setup();
    provider.addToken('tok', makePrincipal({ clientId: 'c1' }));
    provider.failWith = 'ERR_IDP_UNAVAILABLE';
    provider.gate = new Gate();
    const requests = Array.from({ length: 10 }, () => codeOf(auth.authenticate(bearer('tok'))));
    await eventually(() => provider.calls === 1);
    provider.gate.open();
    expect(new Set(await Promise.all(requests))).toEqual(new Set(['ERR_IDP_UNAVAILABLE']));
    provider.failWith = undefined;
    provider.gate = undefined;
    await expect(auth.authenticate(bearer('tok'))).resolves.toBeDefined();
    expect(provider.calls).toBe(2);
  });

  it('SingleFlight runs one computation per key and forgets it when it settles', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const gate = new Gate();
    const work = async (): Promise<number> => {
      runs++;
      await gate.promise;
      return runs;
    };
    const a = flights.run('k', work);
    const b = flights.run('k', work);
    const c = flights.run('other', work);
    expect(flights.size).toBe(2);
    gate.open();
    expect(await a).toBe(await b);
    await c;
    expect(runs).toBe(2);
    expect(flights.size).toBe(0);
  });
});

describe('in-flight bound', () => {
  it('a flood of distinct bad secrets never has more IdP calls open than the bound; beyond the queue → 503', async () => {
    const { auth, provider } = setup({ idp: { maxInFlight: 4, maxQueue: 10 } });
    provider.gate = new Gate();
    const flood = Array.from({ length: 50 }, (_, i) =>
      auth.authenticate(basic('client', `random-secret-${i}`)).then(
        () => new PortcullisError('ERR_CLOSED', 'unexpectedly accepted'),
        (e: unknown) => e as PortcullisError,
      ),
    );
    await eventually(() => provider.calls === 4);
    expect(auth.stats().inFlight).toBe(4);

    provider.gate.open();
    const errors = await Promise.all(flood);
    const overloaded = errors.filter((e) => e.code === 'ERR_IDP_OVERLOADED');
    expect(overloaded).toHaveLength(36);
    expect(overloaded[0]?.status).toBe(503);
    expect(overloaded[0]?.retryAfterSec).toBeGreaterThan(0);
    expect(errors.filter((e) => e.code === 'ERR_CLIENT_CREDENTIALS_INVALID')).toHaveLength(14);
    expect(provider.calls).toBe(14);
    expect(provider.maxOpen).toBe(4);
    expect(auth.stats().inFlight).toBe(0);
  });

  it('does not cache the overload answer', async () => {
    const { auth, provider } = setup({ idp: { maxInFlight: 1, maxQueue: 0 } });
    provider.addToken('b', makePrincipal({ clientId: 'b' }));
    provider.addToken('a', makePrincipal({ clientId: 'a' }));
    provider.gate = new Gate();
    const first = auth.authenticate(bearer('a'));
    await eventually(() => provider.calls === 1);
    expect(await codeOf(auth.authenticate(bearer('b')))).toBe('ERR_IDP_OVERLOADED');
    provider.gate.open();
    await first;
    await expect(auth.authenticate(bearer('b'))).resolves.toMatchObject({ clientId: 'b' });
  });

  it('InFlightLimiter starts queued tasks in FIFO order', async () => {
    const limiter = new InFlightLimiter({ maxInFlight: 1, maxQueue: 5 });
    const order: number[] = [];
    const gate = new Gate();
    const tasks = [0, 1, 2, 3].map((i) =>
      limiter.run(async () => {
        order.push(i);
        if (i === 0) await gate.promise;
      }),
    );
    expect(limiter.queued).toBe(3);
    gate.open();
    await Promise.all(tasks);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(limiter.highWater).toBe(1);
  });

  it('rejects queued verifications with ERR_CLOSED on close()', async () => {
    const { auth, provider } = setup({ idp: { maxInFlight: 1, maxQueue: 5 } });
    provider.gate = new Gate();
    const first = codeOf(auth.authenticate(bearer('x1')));
    const queued = codeOf(auth.authenticate(bearer('x2')));
    await eventually(() => provider.calls === 1);
    await auth.close();
    expect(await queued).toBe('ERR_CLOSED');
    expect(await first).toBe('ERR_CLOSED');
  });
});
