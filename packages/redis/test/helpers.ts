/** Shared test plumbing: real Redis, unique prefixes, private redis-server children, polling. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { BusMessage, Logger, StoreSink } from '@portcullis/core';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other test run shares. */
export function uniquePrefix(): string {
  return `portcullis-test:${randomBytes(6).toString('hex')}:`;
}

/** A plain client for looking at what the store wrote. */
export function rawClient(url = REDIS_URL): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Deletes every key under the prefix (SCAN + DEL; never FLUSH*). */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out.sort();
}

/** Polls `check` until it returns true or the deadline passes (then fails with `what`). */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A StoreSink that records what the store hands it. */
export class RecordingSink implements StoreSink {
  readonly messages: BusMessage[] = [];
  resyncs = 0;
  failNextResync = false;

  applyRemote(message: BusMessage): void {
    this.messages.push(message);
  }

  async resync(): Promise<void> {
    this.resyncs += 1;
    if (this.failNextResync) {
      this.failNextResync = false;
      throw new Error('resync failed on purpose');
    }
  }
}

/** A logger that keeps every line, to assert on warnings and on the absence of secrets. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; obj: object; msg: string | undefined }[] = [];
  debug(obj: object, msg?: string): void {
    this.lines.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
  text(): string {
    return this.lines
      .map((line) => `${line.level} ${line.msg ?? ''} ${JSON.stringify(line.obj)}`)
      .join('\n');
  }
}

/** A loopback port nothing listens on (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** A private, non-persistent redis-server on `port`; resolves once it answers PING. */
export async function startRedisServer(
  port: number,
  extraArgs: readonly string[] = [],
): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...extraArgs,
    ],
    { stdio: 'ignore' },
  );
  // Accepting TCP connections is enough: redis-server listens once it can serve (nothing to load).
  await waitFor('private redis-server', () => acceptsConnections(port));
  return child;
}

export async function stopRedisServer(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Kills every connection whose CLIENT SETNAME equals `name`; returns how many. */
export async function killClientsNamed(client: Redis, name: string): Promise<number> {
  const list = (await client.client('LIST')) as string;
  const ids = list
    .split('\n')
    .map((line) =>
      Object.fromEntries(
        line
          .trim()
          .split(' ')
          .map((pair) => pair.split('=') as [string, string]),
      ),
    )
    .filter((fields) => fields.name === name && fields.id !== undefined)
    .map((fields) => fields.id as string);
  for (const id of ids) await client.client('KILL', 'ID', id);
  return ids.length;
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
