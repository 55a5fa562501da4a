/**
 * Start a bench server in its own process pinned to one core (`taskset -c`), wait for it to say
 * where it listens (IPC `{type:'ready', port}`), and stop it by pid.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const serverPath = (name) => fileURLToPath(new URL(`../servers/${name}`, import.meta.url));

/**
 * @param {string} script absolute path of an `.mjs` server (it sends `{type:'ready', ...}`)
 * @param {{core: number, args?: object, nodeFlags?: string[], env?: object, stdout?: any, timeoutMs?: number}} options
 */
export async function startServer(script, options) {
  const child = spawn(
    'taskset',
    ['-c', String(options.core), process.execPath, ...(options.nodeFlags ?? []), script],
    {
      env: { ...process.env, ...options.env, BENCH_ARGS: JSON.stringify(options.args ?? {}) },
      stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
    },
  );
  const ready = await waitForMessage(child, 'ready', options.timeoutMs ?? 30_000);
  return {
    child,
    pid: child.pid,
    port: ready.port,
    info: ready,
    url: `http://127.0.0.1:${ready.port}`,
    /** Send a command and wait for the answer of the same `type` + `:done`. */
    async ask(type, payload = {}, timeoutMs = 120_000) {
      const answer = waitForMessage(child, `${type}:done`, timeoutMs);
      child.send({ type, ...payload });
      return answer;
    },
    stop: () => stopChild(child),
  };
}

export function waitForMessage(child, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no '${type}' message from pid ${child.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message) => {
      if (message?.type === 'error') {
        cleanup();
        reject(new Error(`child ${child.pid}: ${message.message}`));
      } else if (message?.type === type) {
        cleanup();
        resolve(message);
      }
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${code}) before '${type}'`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** For the child side: read `BENCH_ARGS`, report readiness and errors over IPC. */
export const childArgs = () => JSON.parse(process.env.BENCH_ARGS ?? '{}');

export function reportReady(extra) {
  process.send?.({ type: 'ready', ...extra });
}

export function reportFatal(error) {
  process.send?.({ type: 'error', message: String(error?.stack ?? error) });
  setTimeout(() => process.exit(1), 50);
}

export function exitOnSignal(close) {
  const stop = async () => {
    try {
      await close?.();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}
