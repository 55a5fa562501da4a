/**
 * The BUILT `portcullis` CLI (`packages/sidecar/dist/cli.js`) as a child process: black-box runs
 * for exit codes, signals and what it writes to its logs. `npm test` builds first; alone, run
 * `npx tsc -b packages/core packages/redis packages/sidecar`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const CLI_PATH = fileURLToPath(
  new URL('../../../packages/sidecar/dist/cli.js', import.meta.url),
);

export interface CliRun {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

/** Env without any inherited PORTCULLIS_* variable, plus `env`. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PORTCULLIS_')) base[name] = value;
  }
  return { ...base, ...env };
}

export function runCli(env: Record<string, string>, args: readonly string[] = []): CliRun {
  if (!existsSync(CLI_PATH)) {
    throw new Error(
      `${CLI_PATH} is missing: build the sidecar first (npx tsc -b packages/sidecar)`,
    );
  }
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, output: () => output, exited };
}

/** Waits for the "portcullis listening" log line and returns the bound URLs. */
export async function listeningUrls(run: CliRun): Promise<{ mainUrl: string; adminUrl: string }> {
  let urls: { mainUrl: string; adminUrl: string } | undefined;
  await waitFor(
    'the sidecar to log its addresses',
    () => {
      for (const line of run.output().split('\n')) {
        try {
          const entry = JSON.parse(line) as { msg?: string; mainUrl?: string; adminUrl?: string };
          if (entry.msg === 'portcullis listening' && entry.mainUrl && entry.adminUrl) {
            urls = { mainUrl: entry.mainUrl, adminUrl: entry.adminUrl };
            return true;
          }
        } catch {
          // not a JSON log line
        }
      }
      return run.child.exitCode !== null;
    },
    15_000,
  );
  if (urls === undefined) throw new Error(`the sidecar exited: ${run.output()}`);
  return urls;
}
