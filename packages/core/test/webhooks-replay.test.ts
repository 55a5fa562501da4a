import { describe, expect, it } from 'vitest';
import { PortcullisError } from '../src/errors.js';
import { createMemoryReplayGuard } from '../src/webhooks/replay-guard.js';

describe('createMemoryReplayGuard', () => {
  it('remembers an id until ttlMs passes on the injected clock', async () => {
    let now = 1_000;
    const guard = createMemoryReplayGuard({ ttlMs: 500, maxEntries: 10, now: () => now });
    expect(await guard.seen('a')).toBe(false);
    await guard.remember('a');
    expect(await guard.seen('a')).toBe(true);
    now += 499;
    expect(await guard.seen('a')).toBe(true);
    now += 1;
    expect(await guard.seen('a')).toBe(false);
  });

  it('re-remembering an id extends it', async () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ ttlMs: 100, maxEntries: 10, now: () => now });
    await guard.remember('a');
    now = 90;
    await guard.remember('a');
    now = 150;
    expect(await guard.seen('a')).toBe(true);
  });

  it('is bounded: the oldest id is forgotten first', async () => {
    const guard = createMemoryReplayGuard({ ttlMs: 60_000, maxEntries: 3, now: () => 0 });
    for (const id of ['a', 'b', 'c', 'd']) await guard.remember(id);
    expect(await guard.seen('a')).toBe(false);
    for (const id of ['b', 'c', 'd']) expect(await guard.seen(id)).toBe(true);
  });

  it('drops expired ids before evicting live ones', async () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ ttlMs: 100, maxEntries: 2, now: () => now });
    await guard.remember('old');
    now = 50;
    await guard.remember('live');
    now = 120; // 'old' expired, 'live' has not
    await guard.remember('new');
    expect(await guard.seen('live')).toBe(true);
    expect(await guard.seen('new')).toBe(true);
  });

  it.each([
    [{ ttlMs: 0, maxEntries: 1 }, 'replay.ttlMs'],
    [{ ttlMs: 1.5, maxEntries: 1 }, 'replay.ttlMs'],
    [{ ttlMs: 1, maxEntries: 0 }, 'replay.maxEntries'],
    [{ ttlMs: 1, maxEntries: Number.POSITIVE_INFINITY }, 'replay.maxEntries'],
  ])('refuses %j naming %s', (options, path) => {
    expect(() => createMemoryReplayGuard(options)).toThrow(PortcullisError);
    expect(() => createMemoryReplayGuard(options)).toThrow(path);
  });
});
