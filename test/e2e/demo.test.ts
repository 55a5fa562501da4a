/**
 * The `npm start` demo, black-box: runs `node scripts/demo.mjs` (built emulator and sidecar CLIs)
 * on free ports, takes the curl commands it prints, performs the same HTTP requests and checks
 * that each does what the demo says; then Ctrl-C (SIGINT) must stop everything with exit 0.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const DEMO = fileURLToPath(new URL('../../scripts/demo.mjs', import.meta.url));
// `npm test` builds first; a bare `vitest run` without a build skips, except in CI where it fails.
const built =
  ['packages/emulator/dist/cli.js', 'packages/sidecar/dist/cli.js'].every((path) =>
    existsSync(fileURLToPath(new URL(`../../${path}`, import.meta.url))),
  ) || process.env['CI'] !== undefined;

const run = promisify(execFile);
const hasCurl = ((): boolean => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

interface Demo {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runDemo(env: Record<string, string>, args: string[] = []): Demo {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')),
  );
  const child = spawn(process.execPath, [DEMO, ...args], {
    cwd: repo,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so the test can press "Ctrl-C" the way a terminal does: SIGINT to
    // the demo and its children at once.
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** POSIX-shell words of one printed command: quotes, `'\''` escapes and `$VAR` in double quotes. */
function shellWords(line: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  const expand = (text: string): string =>
    text.replace(/\$([A-Z_]+)/g, (_all, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`$${name} used before it was set`);
      return value;
    });
  for (let i = 0; i < line.length;) {
    const c = line[i] as string;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end === -1) throw new Error(`unbalanced ${c} in: ${line}`);
      const text = line.slice(i + 1, end);
      word += c === '"' ? expand(text) : text;
      inWord = true;
      i = end + 1;
    } else if (c === '\\') {
      word += line[i + 1] ?? '';
      inWord = true;
      i += 2;
    } else if (c === ' ') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else {
      word += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}

interface CurlRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The request a printed `curl` line makes (the options the demo uses: -i -s -X -H -u -d). */
function parseCurl(line: string, vars: Record<string, string>): CurlRequest {
  const words = shellWords(line, vars);
  expect(words[0]).toBe('curl');
  const request: CurlRequest = { method: 'GET', url: '', headers: {} };
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    const next = (): string => {
      const value = words[++i];
      if (value === undefined) throw new Error(`${word} needs a value in: ${line}`);
      return value;
    };
    if (word === '-i' || word === '-s') continue;
    if (word === '-X') request.method = next();
    else if (word === '-H') {
      const header = next();
      const colon = header.indexOf(':');
      request.headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (word === '-u') {
      request.headers['authorization'] = `Basic ${Buffer.from(next()).toString('base64')}`;
    } else if (word === '-d') {
      request.body = next();
      if (request.method === 'GET') request.method = 'POST';
    } else if (word.startsWith('http://')) request.url = word;
    else throw new Error(`unexpected curl option ${word} in: ${line}`);
  }
  expect(request.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  return request;
}

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

async function perform(request: CurlRequest): Promise<Answer> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** Repeat `request` until it answers `status`: webhooks are delivered asynchronously. */
async function eventually(request: CurlRequest, status: number): Promise<Answer> {
  let last: Answer | undefined;
  return until(
    `${request.method} ${request.url} → ${status} (last ${last?.status})`,
    async () => {
      last = await perform(request);
      return last.status === status ? last : undefined;
    },
    15_000,
  );
}

const identityOf = (answer: Answer): Record<string, string> =>
  (JSON.parse(answer.body) as { identity: Record<string, string> }).identity;

const PORTS_ZERO = {
  PORTCULLIS_DEMO_SIDECAR_PORT: '0',
  PORTCULLIS_DEMO_ADMIN_PORT: '0',
  PORTCULLIS_DEMO_EMULATOR_PORT: '0',
  PORTCULLIS_DEMO_UPSTREAM_PORT: '0',
};

describe.runIf(built)('npm start demo', () => {
  let demo: Demo;
  let commands: string[];

  beforeAll(async () => {
    demo = runDemo(PORTS_ZERO);
    await until('the demo to print its guide', async () => {
      if (demo.child.exitCode !== null) {
        throw new Error(`demo exited ${demo.child.exitCode}: ${demo.stderr()}`);
      }
      return demo.stdout().includes('Press Ctrl-C to stop.') ? true : undefined;
    });
    commands = demo
      .stdout()
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('curl ') || line.startsWith('export '));
  }, 90_000);

  afterAll(async () => {
    if (demo.child.exitCode === null && demo.child.signalCode === null) {
      process.kill(-demo.child.pid!, 'SIGKILL');
      await demo.exited;
    }
  });

  it('prints the URLs of every component', () => {
    for (const name of ['sidecar', 'admin', 'upstream', 'emulator']) {
      expect(demo.stdout()).toMatch(new RegExp(`^  ${name} +http://127\\.0\\.0\\.1:\\d+ `, 'm'));
    }
    expect(commands).toHaveLength(12);
  });

  it('prints the console URL and a user who can sign in and manage tokens there', async () => {
    const line = /^ {2}console +(http:\/\/127\.0\.0\.1:\d+)\/console .* user (\S+) \/ (\S+)$/m.exec(
      demo.stdout(),
    );
    expect(line, demo.stdout()).not.toBeNull();
    const [, emulator, email, password] = line as unknown as [string, string, string, string];
    // The emulator's root sends a browser to the console.
    const root = await fetch(`${emulator}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console');
    expect((await fetch(`${emulator}/console`)).status).toBe(200);
    const signIn = await fetch(`${emulator}/identity/resources/auth/v1/user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    expect(signIn.status).toBe(200);
    const { accessToken } = (await signIn.json()) as { accessToken: string };
    const claims = JSON.parse(
      Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString('utf8'),
    ) as { permissions?: string[] };
    expect(claims.permissions?.filter((key) => key.startsWith('fe.secure.')).sort()).toEqual([
      'fe.secure.delete.tenantApiTokens',
      'fe.secure.delete.userApiTokens',
      'fe.secure.read.tenantApiTokens',
      'fe.secure.read.userApiTokens',
      'fe.secure.write.tenantApiTokens',
      'fe.secure.write.userApiTokens',
    ]);
  });

  it.runIf(hasCurl)('prints commands that work pasted into a shell (real curl)', async () => {
    for (const index of [0, 2]) {
      const { stdout } = await run('bash', ['-c', commands[index] as string], { timeout: 10_000 });
      expect(stdout.split('\r\n')[0], commands[index]).toMatch(/^HTTP\/1\.1 200 /);
    }
  });

  it('runs every printed command with the outcome it announces', async () => {
    const vars: Record<string, string> = {};
    const at = (index: number): CurlRequest => parseCurl(commands[index] as string, vars);

    // 1-2. Client credentials via Basic: the tenant API token and the personal API token.
    const tenantBasic = await perform(at(0));
    expect(tenantBasic.status).toBe(200);
    expect(identityOf(tenantBasic)).toMatchObject({
      credential: 'client_credentials',
      'owner-kind': 'tenant',
      'tenant-id': 'acme',
      permissions: 'orders.read,orders.write',
    });
    const personalBasic = await perform(at(1));
    expect(personalBasic.status).toBe(200);
    expect(identityOf(personalBasic)).toMatchObject({
      credential: 'client_credentials',
      'owner-kind': 'user',
    });
    expect(identityOf(personalBasic)['user-id']).toBeTruthy();

    // 3-4. Access tokens via X-API-Key and as Bearer; neither credential reaches the upstream.
    const apiKey = await perform(at(2));
    expect(apiKey.status).toBe(200);
    expect(identityOf(apiKey)).toMatchObject({
      credential: 'access_token',
      'owner-kind': 'tenant',
    });
    const bearer = await perform(at(3));
    expect(bearer.status).toBe(200);
    expect(identityOf(bearer)).toMatchObject({ credential: 'access_token', 'owner-kind': 'user' });

    // 5. The reader token may not write.
    const denied = await perform(at(4));
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(denied.body).toContain('orders.write');

    // 6. Vendor token, delete the personal access token at the emulator, its next call fails.
    const exported = /^export VENDOR_TOKEN=\$\((curl .*) \| sed .*\)$/.exec(commands[5] as string);
    expect(exported).not.toBeNull();
    const vendor = await perform(parseCurl(exported![1] as string, vars));
    expect(vendor.status).toBe(200);
    vars['VENDOR_TOKEN'] = (JSON.parse(vendor.body) as { token: string }).token;
    expect((await perform(at(6))).status).toBe(200);
    const afterDelete = await eventually(at(7), 401);
    expect(afterDelete.headers.get('www-authenticate')).toContain('invalid_token');

    // 7. Disable M2M: the tenant API token is refused; re-enable: accepted again. (The
    // configurations POST answers 201, as Frontegg's.)
    expect((await perform(at(8))).status).toBe(201);
    const disabled = await eventually(at(9), 401);
    expect(disabled.body).toMatch(/disabled/i);
    expect((await perform(at(10))).status).toBe(201);
    const enabled = await eventually(at(11), 200);
    expect(identityOf(enabled)).toMatchObject({ credential: 'client_credentials' });
    // The deleted token stays dead after re-enabling.
    expect((await perform(at(7))).status).toBe(401);
  }, 90_000);

  it('stops everything cleanly on Ctrl-C (SIGINT to the process group)', async () => {
    const sidecarUrl = /^ {2}sidecar +(\S+)/m.exec(demo.stdout())![1] as string;
    const emulatorUrl = /^ {2}emulator +(\S+)/m.exec(demo.stdout())![1] as string;
    process.kill(-demo.child.pid!, 'SIGINT');
    const { code } = await demo.exited;
    expect(code).toBe(0);
    expect(demo.stderr()).toContain('demo: stopped');
    for (const url of [sidecarUrl, emulatorUrl]) {
      await expect(fetch(url, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    }
  }, 30_000);
});

describe.runIf(built)('npm start demo: ports', () => {
  let taken: Server;

  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('names the setting when a port is taken, before starting anything', async () => {
    const port = (taken.address() as { port: number }).port;
    const demo = runDemo({ ...PORTS_ZERO, PORTCULLIS_DEMO_SIDECAR_PORT: String(port) });
    const { code } = await demo.exited;
    expect(code).toBe(1);
    expect(demo.stderr()).toContain(`port ${port} (sidecar) is already in use`);
    expect(demo.stderr()).toContain('PORTCULLIS_DEMO_SIDECAR_PORT');
    expect(demo.stdout()).toBe('');
  });

  it('takes ports as flags and refuses a bad one with exit 2', async () => {
    const demo = runDemo(PORTS_ZERO, ['--admin-port', 'ninety']);
    const { code } = await demo.exited;
    expect(code).toBe(2);
    expect(demo.stderr()).toContain('--admin-port');
  });
});
