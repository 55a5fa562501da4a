/**
 * docker/build.sh is what both Dockerfiles run (`RUN ./docker/build.sh <target> /app`). This
 * machine has no Docker engine, so the test runs the same script into a temporary directory and
 * checks that what it lays out is a working, production-only `/app`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { EmulatorOptions, RunningEmulator } from '@portcullis/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const hasSidecarCli = existsSync(join(repo, 'packages/sidecar/src/cli.ts'));

interface Manifest {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

/** Every package name installed under `dir/node_modules`, nested trees included. */
function installedPackages(dir: string, found = new Set<string>()): Set<string> {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return found;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@')
      ? readdirSync(join(modules, entry)).map((scoped) => `${entry}/${scoped}`)
      : [entry];
    for (const name of names) {
      found.add(name);
      installedPackages(join(modules, name), found);
    }
  }
  return found;
}

/** Env without any PORTCULLIS_* of the developer's shell (the sidecar rejects unknown ones). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PORTCULLIS_')) env[name] = value;
  }
  return { ...env, ...extra };
}

const devDependencyNames = (): Set<string> => {
  const names = new Set<string>();
  for (const path of ['package.json', 'test/package.json', 'packages/express/package.json']) {
    for (const name of Object.keys(manifest(join(repo, path)).devDependencies ?? {})) {
      if (!name.startsWith('@portcullis/')) names.add(name);
    }
  }
  for (const name of ['vitest', 'typescript', 'vite', 'eslint', 'prettier', 'turbo']) {
    names.add(name);
  }
  // A test-only devDependency that a shipped package also needs at run time is not a leak.
  for (const pkg of ['core', 'redis', 'sidecar', 'emulator']) {
    const deps = manifest(join(repo, `packages/${pkg}/package.json`)).dependencies ?? {};
    for (const name of Object.keys(deps)) names.delete(name);
  }
  return names;
};

/** One build.sh run for several target/output pairs (one scratch tree, one `npm ci`). */
async function build(pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
  await run(join(repo, 'docker/build.sh'), pairs.flat(), {
    cwd: repo,
    env: cleanEnv({ BUILD_NPM_FLAGS: '--prefer-offline' }),
    maxBuffer: 16 * 1024 * 1024,
    timeout: 540_000,
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'portcullis-image-'));
// Both images from one build.sh run: they share the scratch tree, its `npm ci` (most of the ~1
// min) and the compile; only each image's production `npm ci` is its own.
const out = join(scratch, 'sidecar');
const emulatorOut = join(scratch, 'emulator');
const target = hasSidecarCli ? 'sidecar' : 'emulator';

beforeAll(
  () =>
    build(
      hasSidecarCli
        ? [
            ['sidecar', out],
            ['emulator', emulatorOut],
          ]
        : [['emulator', emulatorOut]],
    ),
  600_000,
);

/** The image's PATH: `ENV PATH=/app/node_modules/.bin:$PATH` in both Dockerfiles. */
const imagePath = (app: string): string =>
  `${join(app, 'node_modules/.bin')}:${process.env['PATH'] ?? ''}`;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.runIf(hasSidecarCli)('docker/build.sh sidecar', () => {
  const cli = join(out, 'packages/sidecar/dist/cli.js');

  it('lays out a runnable CLI that reports the package version', async () => {
    const { stdout } = await run('node', [cli, '--version'], { env: cleanEnv() });
    expect(stdout.trim()).toBe(manifest(join(repo, 'packages/sidecar/package.json')).version);
  });

  it('puts portcullis on PATH: the command answers by name', async () => {
    const { stdout } = await run('portcullis', ['--version'], {
      cwd: tmpdir(),
      env: cleanEnv({ PATH: imagePath(out) }),
    });
    expect(stdout.trim()).toBe(manifest(join(repo, 'packages/sidecar/package.json')).version);
  });

  it('prints help naming the environment contract', async () => {
    const { stdout } = await run('node', [cli, '--help'], { env: cleanEnv() });
    expect(stdout).toContain('portcullis healthcheck');
    expect(stdout).toContain('PORTCULLIS_UPSTREAM');
    expect(stdout).toContain('PORTCULLIS_FRONTEGG_API_KEY (or PORTCULLIS_FRONTEGG_API_KEY_FILE)');
  });

  it('validates a configuration with only the production dependencies', async () => {
    const env = cleanEnv({
      PORTCULLIS_PROVIDER: 'frontegg',
      PORTCULLIS_FRONTEGG_BASE_URL: 'http://127.0.0.1:4000',
      PORTCULLIS_FRONTEGG_APP_URL: 'http://127.0.0.1:4000',
      PORTCULLIS_FRONTEGG_CLIENT_ID: 'vendor-client',
      PORTCULLIS_FRONTEGG_API_KEY: 'vendor-secret',
      PORTCULLIS_UPSTREAM: 'http://127.0.0.1:3000',
    });
    const { stdout } = await run('node', [cli, 'check-config'], { env });
    expect(stdout).toContain('configuration OK (proxy mode, provider frontegg)');
    // A bad value still exits 2 from the image, naming the variable.
    const bad = await run('node', [cli, 'check-config'], {
      env: { ...env, PORTCULLIS_CACHE_TTL_MS: 'soon' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain('PORTCULLIS_CACHE_TTL_MS');
  });

  it('holds no devDependency and no other workspace’s dependency', () => {
    const installed = installedPackages(out);
    const leaked = [...devDependencyNames()].filter((name) => installed.has(name));
    expect(leaked).toEqual([]);
    // Express's Passport deps belong to another workspace: not in the sidecar image.
    expect(installed.has('passport')).toBe(false);
    expect(installed.has('@portcullis/express')).toBe(false);
    expect(installed.has('@portcullis/emulator')).toBe(false);
  });

  it('holds every runtime dependency of the sidecar, core and redis', () => {
    const installed = installedPackages(out);
    for (const pkg of ['sidecar', 'core', 'redis']) {
      const deps = Object.keys(
        manifest(join(repo, `packages/${pkg}/package.json`)).dependencies ?? {},
      );
      for (const dep of deps) expect(installed, `${pkg} needs ${dep}`).toContain(dep);
      expect(existsSync(join(out, `packages/${pkg}/dist/index.js`))).toBe(true);
    }
    // Sources and build metadata stay in the build stage.
    expect(existsSync(join(out, 'packages/sidecar/src'))).toBe(false);
    expect(existsSync(join(out, 'packages/sidecar/dist/.tsbuildinfo'))).toBe(false);
  });
});

describe('docker/build.sh emulator', () => {
  it('lays out a runnable emulator CLI, on PATH, with only its own dependencies', async () => {
    const { stdout } = await run('portcullis-emulator', ['--help'], {
      cwd: tmpdir(),
      env: cleanEnv({ PATH: imagePath(emulatorOut) }),
    });
    expect(stdout).toContain('portcullis-emulator');
    const installed = installedPackages(emulatorOut);
    expect([...devDependencyNames()].filter((name) => installed.has(name))).toEqual([]);
    expect(installed.has('jose')).toBe(true);
  });

  it('serves every console asset from the image (GET /console and each file it lists)', async () => {
    const { CONSOLE_FILES } = (await import(
      pathToFileURL(join(emulatorOut, 'packages/emulator/dist/console/assets.js')).href
    )) as { CONSOLE_FILES: Record<string, string> };
    const { startEmulator } = (await import(
      pathToFileURL(join(emulatorOut, 'packages/emulator/dist/index.js')).href
    )) as {
      startEmulator: (options: EmulatorOptions) => Promise<RunningEmulator>;
    };
    expect(Object.keys(CONSOLE_FILES).length).toBeGreaterThan(0);
    const emulator = await startEmulator({ logger: () => {} });
    try {
      for (const path of ['/console', ...Object.keys(CONSOLE_FILES).map((f) => `/console/${f}`)]) {
        const answer = await fetch(`${emulator.url}${path}`);
        expect(answer.status, path).toBe(200);
        expect((await answer.text()).length, path).toBeGreaterThan(0);
      }
    } finally {
      await emulator.close();
    }
  });
});

describe('docker/build.sh usage', () => {
  it('refuses an unknown target and a non-empty output directory', async () => {
    const fail = (args: string[]) =>
      run(join(repo, 'docker/build.sh'), args).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
    expect(await fail(['express', join(scratch, 'x')])).toMatchObject({ code: 2 });
    expect(await fail(['sidecar', join(scratch, 'y'), 'emulator'])).toMatchObject({ code: 2 });
    const busy = await fail([target, target === 'sidecar' ? out : emulatorOut]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain('not empty');
  });
});
