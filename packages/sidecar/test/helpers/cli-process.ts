/** Start the BUILT `portcullis` CLI as a child process and read its bound addresses from the log. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface RunningCli {
  readonly child: ChildProcess;
  readonly mainUrl: string;
  readonly adminUrl: string;
  /** Every stdout line so far (JSON log lines). */
  readonly lines: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Env without any inherited PORTCULLIS_* variable, plus `env`. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PORTCULLIS_')) base[name] = value;
  }
  return { ...base, ...env };
}

export async function startCli(
  env: Record<string, string>,
  args: string[] = [],
): Promise<RunningCli> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: cliEnv({
      PORTCULLIS_LISTEN: '127.0.0.1:0',
      PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<{ mainUrl: string; adminUrl: string }>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let at;
      while ((at = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        lines.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; mainUrl?: string; adminUrl?: string };
          if (entry.msg === 'portcullis listening' && entry.mainUrl && entry.adminUrl) {
            resolve({ mainUrl: entry.mainUrl, adminUrl: entry.adminUrl });
          }
        } catch {
          // not a JSON line
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    void exited.then((code) =>
      reject(
        new Error(
          `portcullis exited (${String(code)}) before listening:\n${stderr}\n${lines.join('\n')}`,
        ),
      ),
    );
  });
  const { mainUrl, adminUrl } = await started;
  return {
    child,
    mainUrl,
    adminUrl,
    lines,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
