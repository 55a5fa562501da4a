/**
 * `ready()` settles and the default logger speaks (issue: a wrong Frontegg API key or an IdP that
 * is down left `await authenticator.ready()` pending forever and the process exited 13 silently).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAuthenticator, frontegg, isPortcullisError } from '@portcullis/core';
import type { Authenticator } from '@portcullis/core';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stderrLogger } from '../src/authenticator/stderr-logger.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let emu: RunningEmulator;
/** An origin where nothing listens (a port we bound, then released). */
let closedOrigin: string;

beforeAll(async () => {
  emu = await startEmulator({ logger: () => {} });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await emu?.close();
});

const fronteggAt = (baseUrl: string, apiKey: string) =>
  frontegg({ baseUrl, appUrl: baseUrl, clientId: emu.vendor.clientId, apiKey });

async function rejection(authenticator: Authenticator): Promise<unknown> {
  try {
    await authenticator.ready();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await authenticator.close();
  }
}

describe('ready()', () => {
  it('resolves with the right vendor credentials', async () => {
    const authenticator = createAuthenticator({
      provider: fronteggAt(emu.url, emu.vendor.secret),
      logger: quiet,
    });
    await expect(authenticator.ready()).resolves.toBeUndefined();
    await authenticator.close();
  });

  it('rejects at once when the IdP refuses the API key, naming the cause', async () => {
    // A ten-minute deadline: only the refusal itself can settle this within the test's timeout.
    const error = await rejection(
      createAuthenticator({
        provider: fronteggAt(emu.url, 'not-the-vendor-secret'),
        readyTimeoutMs: 600_000,
        logger: quiet,
      }),
    );
    expect(isPortcullisError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_IDP_AUTH_REFUSED', status: 503 });
    expect((error as Error).message).toMatch(/vendor authentication was refused \(401\)/);
    expect((error as Error).message).not.toContain('not-the-vendor-secret');
  });

  it('rejects after readyTimeoutMs when the IdP is unreachable, naming the last cause', async () => {
    const error = await rejection(
      createAuthenticator({
        provider: fronteggAt(closedOrigin, 'secret'),
        readyTimeoutMs: 300,
        logger: quiet,
      }),
    );
    expect(error).toMatchObject({ code: 'ERR_POLICY_UNKNOWN', status: 503 });
    expect((error as Error).message).toMatch(
      /^not ready after 300 ms: the M2M policy is still unknown \(/,
    );
  });

  it('rejects waiting callers when the authenticator is closed', async () => {
    const authenticator = createAuthenticator({
      provider: fronteggAt(closedOrigin, 'secret'),
      readyTimeoutMs: 600_000,
      logger: quiet,
    });
    const waiting = authenticator.ready();
    await authenticator.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('validates readyTimeoutMs and logger at construction', () => {
    const provider = fronteggAt(emu.url, emu.vendor.secret);
    expect(() => createAuthenticator({ provider, readyTimeoutMs: 0 })).toThrow(/readyTimeoutMs/);
    expect(() => createAuthenticator({ provider, logger: 'stderr' as never })).toThrow(
      /option logger must be false or have/,
    );
  });
});

describe('the default logger', () => {
  it('writes warnings and errors as single lines, drops info and debug', () => {
    const lines: string[] = [];
    const logger = stderrLogger((text) => lines.push(text));
    logger.debug({ a: 1 }, 'debug');
    logger.info({ a: 1 }, 'info');
    logger.warn({ code: 'X' }, 'portcullis: something odd');
    logger.error({}, 'portcullis: broken');
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    logger.warn(circular, 'portcullis: circular');
    expect(lines).toEqual([
      'portcullis WARN: something odd {"code":"X"}\n',
      'portcullis ERROR: broken\n',
      'portcullis WARN: circular {"fields":"unserialisable"}\n',
    ]);
  });

  // A real process, as a library user runs it: the default goes to stderr, `false` silences it.
  const script = (logger: string) => `
    import { createAuthenticator, frontegg } from '@portcullis/core';
    const authenticator = createAuthenticator({
      provider: frontegg({ baseUrl: process.env.IDP, appUrl: process.env.IDP, clientId: 'c', apiKey: 'k' }),
      readyTimeoutMs: 5000,
      ${logger}
    });
    try { await authenticator.ready(); } catch (error) { console.log(error.code); }
    await authenticator.close();
  `;

  beforeAll(async () => {
    await run('npx', ['tsc', '-b', 'packages/core'], { cwd: repo, timeout: 120_000 });
  }, 180_000);

  it('goes to stderr by default: the refused key is visible', async () => {
    const { stdout, stderr } = await run('node', ['--input-type=module', '-e', script('')], {
      cwd: repo,
      env: { ...process.env, IDP: emu.url },
      timeout: 30_000,
    });
    expect(stdout.trim()).toBe('ERR_IDP_AUTH_REFUSED');
    expect(stderr).toMatch(
      /portcullis WARN: reading the M2M policy .* failed .*ERR_IDP_AUTH_REFUSED/,
    );
    expect(stderr).not.toMatch(/"k"|apiKey":/);
  });

  it('is silent with logger: false', async () => {
    const { stdout, stderr } = await run(
      'node',
      ['--input-type=module', '-e', script('logger: false,')],
      { cwd: repo, env: { ...process.env, IDP: emu.url }, timeout: 30_000 },
    );
    expect(stdout.trim()).toBe('ERR_IDP_AUTH_REFUSED');
    expect(stderr).toBe('');
  });
});
