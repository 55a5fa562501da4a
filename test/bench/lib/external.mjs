/**
 * Processes that do not speak our IPC (nginx, the portcullis CLI): start pinned with taskset,
 * wait until a URL answers.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createWriteStream, openSync } from 'node:fs';
import { stopChild } from './child.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitForUrl(url, { timeoutMs = 20_000, status = 200, child, onExit } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(
        `process exited (${child.exitCode}) before ${url} answered${onExit?.() ?? ''}`,
      );
    }
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === status) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (${last})`);
}

/**
 * Spawn `command args` pinned to `core`; stdout and stderr go to `logFile`. With `pipe: true`
 * stdout is a pipe read by this process (as a container runtime reads a sidecar's log), copied to
 * `logFile` only when `BENCH_KEEP_LOGS=1`.
 */
export function spawnPinned(core, command, args, { env, logFile, pipe = false } = {}) {
  const fd = logFile ? openSync(logFile, 'a') : 'ignore';
  const keep = process.env.BENCH_KEEP_LOGS === '1';
  const child = spawn('taskset', ['-c', String(core), command, ...args], {
    env: env ?? process.env,
    stdio: ['ignore', pipe ? 'pipe' : fd, fd],
  });
  // The last few KB of a piped stdout, so a start-up failure can say why.
  let tail = '';
  if (pipe) {
    if (keep && logFile) child.stdout.pipe(createWriteStream(null, { fd }));
    child.stdout.on('data', (chunk) => {
      tail = (tail + chunk.toString('utf8')).slice(-4096);
    });
  }
  return { child, pid: child.pid, stop: () => stopChild(child), tail: () => tail };
}
