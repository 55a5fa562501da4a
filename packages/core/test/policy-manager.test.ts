import { describe, expect, it } from 'vitest';
import { PolicyManager } from '../src/policy/policy-manager.js';
import type { PolicyManagerOptions } from '../src/policy/policy-manager.js';
import { isNewerVersion } from '../src/policy/version.js';
import type { PolicyState } from '../src/types.js';
import { Clock } from './authenticator-fixtures.js';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function manager(overrides: Partial<PolicyManagerOptions> = {}): {
  policy: PolicyManager;
  shared: PolicyState[];
  clock: Clock;
} {
  const clock = new Clock();
  const shared: PolicyState[] = [];
  const policy = new PolicyManager({
    pins: {},
    readPolicy: undefined,
    syncIntervalMs: 30_000,
    timeoutMs: 1000,
    originId: 'me',
    now: clock.now,
    logger: silent,
    onTransition: () => undefined,
    onLocalChange: (state) => shared.push(state),
    onReenabled: () => undefined,
    onMaxTokenLifetime: () => undefined,
    onRead: () => undefined,
    ...overrides,
  });
  return { policy, shared, clock };
}

describe('PolicyManager', () => {
  it('orders versions by time, then origin', () => {
    expect(isNewerVersion({ at: 2, origin: 'a' }, { at: 1, origin: 'z' })).toBe(true);
    expect(isNewerVersion({ at: 1, origin: 'b' }, { at: 1, origin: 'a' })).toBe(true);
    expect(isNewerVersion({ at: 1, origin: 'a' }, { at: 1, origin: 'a' })).toBe(false);
  });

  it('gives two local observations in the same millisecond increasing versions', () => {
    const { policy, shared } = manager();
    policy.observe({ enabled: false }, 'a');
    policy.observe({ enabled: true }, 'b');
    expect(shared.map((s) => [s.enabled, s.version.origin])).toEqual([
      [false, 'me'],
      [true, 'me'],
    ]);
    expect(shared[1]?.version.at).toBeGreaterThan(shared[0]?.version.at ?? Infinity);
    expect(policy.current().enabled).toBe(true);
  });

  it('does not re-publish an unchanged observation', () => {
    const { policy, shared } = manager();
    policy.observe({ enabled: true }, 'idp');
    policy.observe({ enabled: true }, 'idp');
    expect(shared).toHaveLength(1);
  });

  it('never shares or adopts an unknown state', () => {
    const { policy, shared } = manager({ readPolicy: async () => ({}) });
    policy.observe({ acceptedCredentials: ['access_token'] }, 'idp');
    expect(policy.known()).toBe(false);
    expect(shared).toHaveLength(0);
    expect(
      policy.applyShared(
        { enabled: undefined, acceptedCredentials: [], version: { at: 99, origin: 'x' } },
        'remote',
      ),
    ).toBe(false);
  });

  it('refuses a malformed observation', () => {
    const { policy } = manager();
    expect(() => policy.observe({ acceptedCredentials: ['password' as never] }, 'x')).toThrow(
      /acceptedCredentials/,
    );
    expect(() => policy.observe({ enabled: 'no' as never }, 'x')).toThrow(/enabled/);
  });

  it('reports the provider token lifetime for the tombstone TTL floor', () => {
    const seen: number[] = [];
    const { policy } = manager({ onMaxTokenLifetime: (s) => seen.push(s) });
    policy.observe({ maxTokenLifetimeSec: 172_800 }, 'idp');
    expect(seen).toEqual([172_800]);
  });
});
