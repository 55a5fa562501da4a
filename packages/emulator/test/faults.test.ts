import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './helpers.js';
import type { Harness } from './helpers.js';

describe('fault injection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    expect((await h.vendor('DELETE', '/_emulator/faults')).status).toBe(200);
  });
  afterAll(() => h.emu.close());

  const fault = (body: Record<string, unknown>) => h.vendor('POST', '/_emulator/faults', { body });

  it('5xx and down fail only the chosen group', async () => {
    expect((await fault({ group: 'jwks', mode: '5xx' })).status).toBe(200);
    expect((await h.call('GET', '/.well-known/jwks.json')).status).toBe(500);
    expect((await h.vendor('GET', '/identity/resources/configurations/v1')).status).toBe(200);

    await fault({ group: 'configurations', mode: 'down' });
    const down = await h.vendor('GET', '/identity/resources/configurations/v1');
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(down.headers.get('x-dev-idp')).toBe('portcullis-emulator');
  });

  it('reset drops the connection; hang never answers; admin routes are never faulted', async () => {
    await fault({ group: 'all', mode: 'reset' });
    await expect(fetch(`${h.emu.url}/.well-known/jwks.json`)).rejects.toThrow();
    expect((await h.vendor('GET', '/_emulator/faults')).body.faults).toHaveLength(1);

    await fault({ group: 'vendor', mode: 'hang' });
    await fault({ group: 'all', mode: '5xx' });
    const hung = fetch(`${h.emu.url}/auth/vendor`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(300),
    });
    await expect(hung).rejects.toThrow(/aborted|timeout/i);
    // The group's own fault wins over `all`.
    expect((await h.call('GET', '/.well-known/jwks.json')).status).toBe(500);
  });

  it('latency delays but answers; reset clears all faults', async () => {
    await fault({ group: 'exchange', mode: 'latency', latencyMs: 50 });
    const answer = await h.call('POST', '/identity/resources/auth/v1/api-token', {
      body: { clientId: 'x', secret: 'y' },
    });
    expect(answer.status).toBe(401);
    await h.vendor('DELETE', '/_emulator/faults');
    expect((await h.vendor('GET', '/_emulator/faults')).body.faults).toEqual([]);
  });

  it('validates fault requests', async () => {
    expect((await fault({ group: 'everything', mode: '5xx' })).status).toBe(400);
    expect((await fault({ group: 'jwks', mode: 'explode' })).status).toBe(400);
    const latency = await fault({ group: 'jwks', mode: 'latency' });
    expect(latency.status).toBe(400);
    expect(latency.body.errors[0]).toContain('latencyMs');
  });
});
