import { describe, expect, it } from 'vitest';
import { createAbuseLimiter } from '../src/server/abuse-limit.js';
import { createClientAddressResolver } from '../src/server/client-address.js';
import { parseSelector } from '../src/admin/selector.js';
import { selectorFromArgs } from '../src/cli/operator-client.js';

describe('client address', () => {
  it('uses the socket peer when no proxy is trusted', () => {
    const resolver = createClientAddressResolver([]);
    expect(resolver.resolve('::ffff:10.0.0.5', ['1.2.3.4'])).toBe('10.0.0.5');
  });

  it('walks X-Forwarded-For from the right past trusted hops only', () => {
    const resolver = createClientAddressResolver(['10.0.0.0/8', '::1']);
    expect(resolver.resolve('10.0.0.1', ['6.6.6.6, 1.2.3.4, 10.0.0.9'])).toBe('1.2.3.4');
    expect(resolver.resolve('::1', ['1.2.3.4'])).toBe('1.2.3.4');
    expect(resolver.resolve('10.0.0.1', [])).toBe('10.0.0.1');
    // A forged entry left of an untrusted hop is never believed.
    expect(resolver.resolve('10.0.0.1', ['9.9.9.9', '8.8.8.8'])).toBe('8.8.8.8');
    // Garbage in the chain: fall back to the peer.
    expect(resolver.resolve('10.0.0.1', ['not-an-ip'])).toBe('10.0.0.1');
    // An untrusted peer's header is ignored.
    expect(resolver.resolve('192.168.1.1', ['1.2.3.4'])).toBe('192.168.1.1');
  });
});

describe('abuse limiter', () => {
  it('limits after N failures per window, per client, and forgets after the window', () => {
    let now = 1_000_000;
    const limiter = createAbuseLimiter({ maxFailures: 2, windowMs: 60_000, now: () => now });
    expect(limiter.retryAfterSec('a')).toBe(0);
    limiter.recordFailure('a');
    limiter.recordFailure('a');
    expect(limiter.retryAfterSec('a')).toBe(60);
    expect(limiter.retryAfterSec('b')).toBe(0);
    now += 59_500;
    expect(limiter.retryAfterSec('a')).toBe(1);
    now += 600;
    expect(limiter.retryAfterSec('a')).toBe(0);
  });

  it('stays bounded under a flood of addresses', () => {
    const limiter = createAbuseLimiter({ maxFailures: 1, maxClients: 100 });
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
  });
});

describe('operator selectors', () => {
  it('parses API bodies strictly', () => {
    expect(parseSelector({ all: true })).toEqual({ all: true });
    expect(parseSelector({ clientId: 'c', tenantId: 't' })).toEqual({
      clientId: 'c',
      tenantId: 't',
    });
    for (const bad of [
      null,
      [],
      {},
      { all: false },
      { all: true, clientId: 'c' },
      { colour: 'x' },
      { clientId: '' },
      { credential: 'password' },
    ]) {
      expect(() => parseSelector(bad), JSON.stringify(bad)).toThrow();
    }
  });

  it('maps CLI flags', () => {
    expect(selectorFromArgs(['--client-id', 'c', '--tenant-id=t'])).toEqual({
      clientId: 'c',
      tenantId: 't',
    });
    expect(selectorFromArgs(['--all'])).toEqual({ all: true });
    expect(() => selectorFromArgs(['--client-id'])).toThrow(/needs a value/);
    expect(() => selectorFromArgs(['--nope', 'x'])).toThrow(/unknown option/);
  });
});
