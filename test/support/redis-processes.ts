/**
 * Private Redis processes for topology tests: plain servers, cluster nodes and sentinels on free
 * loopback ports, each in its own temp dir. Every process started here is SIGKILLed by
 * `stopAll()` and, should the test runner die first, by the process 'exit' hook.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisProcess {
  readonly port: number;
  readonly dir: string;
  readonly child: ChildProcess;
  /** SIGKILL (no goodbye to clients); resolves once it exited. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

const started = new Set<ChildProcess>();
const dirs = new Set<string>();

process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed by `stopAll()`. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `portcullis-${name}-`));
  dirs.add(dir);
  return dir;
}

/**
 * `redis-server` (or `--sentinel` with a config file) on `port`, non-persistent, bound to
 * loopback; resolves once the port accepts connections.
 */
export async function startRedisProcess(
  port: number,
  args: readonly string[],
  options: { readonly sentinelConfig?: string } = {},
): Promise<RedisProcess> {
  const dir = tempDir(`redis-${port}`);
  let argv: string[];
  if (options.sentinelConfig !== undefined) {
    // Sentinel rewrites its config file: it must be writable and its own.
    const file = join(dir, 'sentinel.conf');
    writeFileSync(file, `port ${port}\nbind 127.0.0.1\ndir ${dir}\n${options.sentinelConfig}`);
    argv = [file, '--sentinel'];
  } else {
    argv = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      ...args,
    ];
  }
  const child = spawn('redis-server', argv, { stdio: 'ignore' });
  started.add(child);
  child.once('exit', () => started.delete(child));
  const proc: RedisProcess = {
    port,
    dir,
    child,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    kill: () => killChild(child),
  };
  await waitUntil(`redis on port ${port}`, () => acceptsConnections(port), 10_000);
  return proc;
}

/** SIGKILLs every process started here and removes their temp dirs. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((child) => killChild(child)));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** `count` distinct loopback ports nothing listens on (bound together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('no port');
    return address.port;
  });
  await Promise.all(
    servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
  return ports;
}

/** Runs a command to completion with a deadline; resolves with its output, rejects on failure. */
export function run(command: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      started.delete(child);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} exited ${code ?? signal}: ${output.slice(-2000)}`));
    });
  });
}

/** Polls `check` every 50 ms until true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
