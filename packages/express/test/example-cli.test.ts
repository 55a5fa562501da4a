/**
 * The example as a reader runs it (README "Try it against the emulator"): `node examples/app.js`
 * with the README's variables, then `npm run example:seed`, then the printed curl line. And the
 * dead ends it must not have: a taken port or refused vendor credentials exit 1, saying why.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const APP = 'packages/express/examples/app.js';

let emu: RunningEmulator;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await run('npx', ['tsc', '-b', 'packages/core', 'packages/express'], {
    cwd: repo,
    timeout: 120_000,
  });
  emu = await startEmulator({
    logger: () => {},
    vendorClientId: 'vendor',
    vendorSecret: 'vendor-secret',
  });
}, 180_000);

afterAll(async () => {
  for (const child of children) child.kill();
  await emu?.close();
});

/** The README's variables, pointed at this test's emulator. */
function readmeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('FRONTEGG_') && !name.startsWith('PORTCULLIS_')) env[name] = value;
  }
  return {
    ...env,
    FRONTEGG_BASE_URL: emu.url,
    FRONTEGG_APP_URL: emu.url,
    FRONTEGG_CLIENT_ID: 'vendor',
    FRONTEGG_API_KEY: 'vendor-secret',
    FRONTEGG_WEBHOOK_SECRET: 'hook-secret',
    ...extra,
  };
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runToExit(env: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn('node', [APP], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples/app.js + npm run example:seed', () => {
  it('serves, seeds and answers the printed curl line', async () => {
    const app = spawn('node', [APP], {
      cwd: repo,
      env: readmeEnv({ PORT: '0' }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(app);
    const listening = await new Promise<string>((resolve, reject) => {
      createInterface({ input: app.stdout }).on('line', (line) => {
        if (line.includes('listening on')) resolve(line);
      });
      app.once('exit', (code) => reject(new Error(`example exited ${code}`)));
    });
    const exampleUrl = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(listening)?.[1];
    expect(exampleUrl).toBeDefined();
    expect(exampleUrl).not.toMatch(/:0$/);

    const seeded = await run('npm', ['run', '--silent', 'example:seed'], {
      cwd: repo,
      env: readmeEnv({ EXAMPLE_URL: exampleUrl! }),
      timeout: 60_000,
    });
    const curl = /^curl -i -u '([^:']+):([^']+)' (\S+\/api\/whoami)$/m.exec(seeded.stdout);
    expect(curl, seeded.stdout).not.toBeNull();
    const [, clientId, secret, whoami] = curl as unknown as [string, string, string, string];
    const answer = await fetch(whoami, {
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({
      clientId,
      tenantId: 'acme',
      permissions: expect.arrayContaining(['orders:read', 'orders:write']),
    });

    // Seeding again reuses the tenant, permissions and webhook.
    const again = await run('npm', ['run', '--silent', 'example:seed'], {
      cwd: repo,
      env: readmeEnv({ EXAMPLE_URL: exampleUrl! }),
      timeout: 60_000,
    });
    expect(again.stdout).toContain('curl -i -u');
  }, 120_000);

  it('exits 1 naming EADDRINUSE when the port is taken, without claiming to listen', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const exit = await runToExit(readmeEnv({ PORT: String(port) }));
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(exit.stderr).toContain('EADDRINUSE');
      expect(exit.stdout).not.toContain('listening');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  }, 60_000);

  it('exits 1 naming the cause when the vendor credentials are refused', async () => {
    const exit = await runToExit(readmeEnv({ PORT: '0', FRONTEGG_API_KEY: 'wrong' }));
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/example: not ready: .*vendor authentication was refused/);
  }, 60_000);

  it('exits 2 naming a missing variable', async () => {
    const env = readmeEnv();
    delete env['FRONTEGG_APP_URL'];
    const exit = await runToExit(env);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('set FRONTEGG_APP_URL');
  }, 60_000);
});
