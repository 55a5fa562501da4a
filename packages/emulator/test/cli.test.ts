import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Reads stdout lines until `count` are in, or fails after the deadline. */
function firstLines(child: ChildProcess, count: number, deadlineMs = 15_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`no output; got ${JSON.stringify(buffer)}`)),
      deadlineMs,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      if (lines.length > count) {
        clearTimeout(timer);
        resolve(lines.slice(0, count));
      }
    });
  });
}

describe('portcullis-emulator CLI (built dist)', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-b', 'packages/emulator'], { cwd: root, stdio: 'inherit' });
  }, 120_000);

  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints the URL first, then credentials; serves; warns on stderr; exits cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, [cli, '--port', '0', '--app-id', 'cli-app'], {
      env: {
        ...process.env,
        PORTCULLIS_EMULATOR_VENDOR_CLIENT_ID: 'env-client',
        PORTCULLIS_EMULATOR_VENDOR_SECRET: 'env-secret',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const lines = await firstLines(child, 4);
    expect(lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[1]).toContain('env-client');
    expect(lines[2]).toContain('env-secret');
    expect(lines[3]).toContain('cli-app');
    expect(stderr).toContain('DEVELOPMENT ONLY');

    const auth = await fetch(`${lines[0]}/auth/vendor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'env-client', secret: 'env-secret' }),
    });
    expect(auth.status).toBe(200);

    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('--app-port serves the app domain apart; --lenient and --webhook-alg are taken', async () => {
    const split = spawn(
      process.execPath,
      [cli, '--port', '0', '--app-port', '0', '--lenient', '--webhook-alg', 'HS512'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const lines = await firstLines(split, 5);
      const appUrl = lines[4]!.replace(/^app url:\s+/, '');
      expect(appUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(appUrl).not.toBe(lines[0]);
      expect((await fetch(`${appUrl}/.well-known/jwks.json`)).status).toBe(200);
      expect((await fetch(`${lines[0]}/.well-known/jwks.json`)).status).toBe(404);
    } finally {
      const exited = new Promise((resolve) => split.once('exit', resolve));
      split.kill('SIGTERM');
      await exited;
    }
    let status = 0;
    try {
      execFileSync(process.execPath, [cli, '--webhook-alg', 'RS256'], { stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number }).status;
    }
    expect(status).toBe(2);
  });

  it('--help prints usage; a bad flag exits 2', () => {
    const help = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(help).toContain('--vendor-client-id');
    let status = 0;
    try {
      execFileSync(process.execPath, [cli, '--bogus'], { stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number }).status;
    }
    expect(status).toBe(2);
  });
});
