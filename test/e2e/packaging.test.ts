/**
 * The packages as a user gets them: `scripts/pack.mjs` (what `npm run pack` runs) writes the five
 * tarballs, publint --strict and arethetypeswrong check each, and they are installed with plain
 * `npm install <tarballs...>` into a project under the OS temp directory — outside this
 * repository, so nothing resolves through the workspace links. There an ESM app, a CommonJS app
 * with Passport and a TypeScript app (`nodenext`, no `skipLibCheck`, compiled then run) protect a
 * route against the emulator started from its own tarball's bin; the sidecar tarball's
 * `portcullis --version` answers by name.
 *
 * The install resolves express, passport and the type packages from the registry, at the
 * versions this repository locks (so npm's cache answers when it has them).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorClient } from '../support/emulator-client.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'express', 'redis', 'sidecar', 'emulator'] as const;

const version = (dir: string): string =>
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
/** The version this repository installed, so the temp project asks npm for the same. */
const locked = (name: string): string => `${name}@${version(join(repo, 'node_modules', name))}`;

/** The environment without npm's per-run settings (npm test sets npm_config_* for the repo). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_') && !name.startsWith('PORTCULLIS_')) {
      env[name] = value;
    }
  }
  return { ...env, ...extra };
}

const scratch = mkdtempSync(join(tmpdir(), 'portcullis-packaging-'));
const tarballs = join(scratch, 'tarballs');
const project = join(scratch, 'project');
let emulator: ChildProcess | undefined;
let appEnv: Record<string, string> = {};

beforeAll(async () => {
  await run('npx', ['tsc', '-b', ...PACKAGES.map((name) => `packages/${name}`)], {
    cwd: repo,
    timeout: 180_000,
  });
  await run('node', [join(repo, 'scripts/pack.mjs'), tarballs], { cwd: repo, timeout: 120_000 });

  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'portcullis-consumer', private: true, type: 'module' }, null, 2),
  );
  const files = readdirSync(tarballs).map((file) => join(tarballs, file));
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...files,
      locked('express'),
      locked('passport'),
      locked('@types/express'),
      locked('@types/node'),
    ],
    { cwd: project, env: cleanEnv(), timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
  );

  // The emulator from its own tarball, by its bin name.
  emulator = spawn(
    join(project, 'node_modules/.bin/portcullis-emulator'),
    ['--port', '0', '--vendor-client-id', 'pack-vendor', '--vendor-secret', 'pack-vendor-secret'],
    { cwd: project, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: emulator!.stdout! });
    lines.once('line', resolve);
    emulator!.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
  });
  const url = firstLine.trim();
  const client = new EmulatorClient(url, { clientId: 'pack-vendor', secret: 'pack-vendor-secret' });
  await client.createTenant('acme');
  const reader = await client.createRole('orders-reader', ['orders.read']);
  const token = await client.createTenantApiToken('acme', [reader]);
  appEnv = {
    EMULATOR_URL: url,
    VENDOR_CLIENT_ID: 'pack-vendor',
    VENDOR_SECRET: 'pack-vendor-secret',
    CLIENT_ID: token.clientId,
    CLIENT_SECRET: token.secret,
    BEARER: await client.exchange(token.clientId, token.secret),
  };
}, 600_000);

afterAll(() => {
  emulator?.kill();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs a file of the temp project and returns its one JSON line. */
async function runApp(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await run('node', [file], {
    cwd: project,
    env: cleanEnv(appEnv),
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

// Shared by the three apps: serve, call with no credential, Basic client credentials, a bearer
// JWT, print one JSON line. Written once per module format below.
const PROBE = String.raw`
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = 'http://127.0.0.1:' + server.address().port + '/orders';
  const basic = 'Basic ' + Buffer.from(process.env.CLIENT_ID + ':' + process.env.CLIENT_SECRET).toString('base64');
  const anonymous = await fetch(url);
  const withBasic = await fetch(url, { headers: { authorization: basic } });
  const withBearer = await fetch(url, { headers: { authorization: 'Bearer ' + process.env.BEARER } });
  const bad = await fetch(url, { headers: { authorization: 'Bearer not-a-token' } });
  console.log(JSON.stringify({
    anonymous: anonymous.status,
    challenge: anonymous.headers.get('www-authenticate'),
    basic: { status: withBasic.status, body: await withBasic.json() },
    bearer: { status: withBearer.status, body: await withBearer.json() },
    bad: bad.status,
  }));
  server.close();
  await authenticator.close();
`;

const PROVIDER = String.raw`frontegg({
    baseUrl: process.env.EMULATOR_URL,
    appUrl: process.env.EMULATOR_URL,
    clientId: process.env.VENDOR_CLIENT_ID,
    apiKey: process.env.VENDOR_SECRET,
  })`;

const ESM_APP = String.raw`
import express from 'express';
import { createAuthenticator, frontegg } from '@portcullis/core';
import { m2mAuth, m2mErrorHandler, requirePermissions } from '@portcullis/express';
import { createRedisStore } from '@portcullis/redis';

if (typeof createRedisStore !== 'function') throw new Error('@portcullis/redis did not load');
const authenticator = createAuthenticator({ provider: ${PROVIDER} });
await authenticator.ready();
const app = express();
app.get('/orders', m2mAuth(authenticator), requirePermissions('orders.read'), (req, res) =>
  res.json({ subject: req.auth.subject, tenant: req.auth.tenantId }));
app.use(m2mErrorHandler());
${PROBE}
`;

const CJS_APP = String.raw`
const express = require('express');
const passport = require('passport');
const { createAuthenticator, frontegg } = require('@portcullis/core');
const { m2mErrorHandler, requirePermissions, PortcullisError, ERROR_CODES } = require('@portcullis/express');
const { M2MBearerStrategy, M2MBasicStrategy } = require('@portcullis/express/passport');

(async () => {
  if (typeof PortcullisError !== 'function' || !ERROR_CODES.ERR_TOKEN_INACTIVE) throw new Error('no error surface');
  const authenticator = createAuthenticator({ provider: ${PROVIDER} });
  await authenticator.ready();
  passport.use(new M2MBearerStrategy(authenticator));
  passport.use(new M2MBasicStrategy(authenticator));
  const app = express();
  app.use(passport.initialize());
  app.get('/orders',
    passport.authenticate(['m2m-bearer', 'm2m-basic'], { session: false, failWithError: true }),
    requirePermissions('orders.read'),
    (req, res) => res.json({ subject: req.user.subject, tenant: req.auth.tenantId }));
  app.use(m2mErrorHandler());
  ${PROBE}
})().catch((error) => { console.error(error); process.exit(1); });
`;

const TS_APP = String.raw`
import express from 'express';
import type { Request, Response } from 'express';
import { createAuthenticator, frontegg, isPortcullisError } from '@portcullis/core';
import type { Authenticator, Principal } from '@portcullis/core';
import { m2mAuth, m2mErrorHandler, requirePermissions } from '@portcullis/express';
import { M2MBearerStrategy } from '@portcullis/express/passport';
import { createRedisStore } from '@portcullis/redis';
import type { RedisStoreOptions } from '@portcullis/redis';
import { loadConfig } from '@portcullis/sidecar';
import { startEmulator } from '@portcullis/emulator';

const unused: [typeof M2MBearerStrategy, typeof createRedisStore, RedisStoreOptions | undefined,
  typeof loadConfig, typeof startEmulator, typeof isPortcullisError] =
  [M2MBearerStrategy, createRedisStore, undefined, loadConfig, startEmulator, isPortcullisError];
void unused;

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(name + ' is not set');
  return value;
};
const authenticator: Authenticator = createAuthenticator({
  provider: frontegg({
    baseUrl: env('EMULATOR_URL'),
    appUrl: env('EMULATOR_URL'),
    clientId: env('VENDOR_CLIENT_ID'),
    apiKey: env('VENDOR_SECRET'),
  }),
});
await authenticator.ready();
const app = express();
app.get('/orders', m2mAuth(authenticator), requirePermissions('orders.read'),
  (req: Request, res: Response) => {
    const principal: Principal | undefined = req.auth;
    res.json({ subject: principal?.subject, tenant: principal?.tenantId });
  });
app.use(m2mErrorHandler());
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('no port');
const url = 'http://127.0.0.1:' + address.port + '/orders';
const basic = 'Basic ' + Buffer.from(env('CLIENT_ID') + ':' + env('CLIENT_SECRET')).toString('base64');
const anonymous = await fetch(url);
const withBasic = await fetch(url, { headers: { authorization: basic } });
const withBearer = await fetch(url, { headers: { authorization: 'Bearer ' + env('BEARER') } });
const bad = await fetch(url, { headers: { authorization: 'Bearer not-a-token' } });
console.log(JSON.stringify({
  anonymous: anonymous.status,
  challenge: anonymous.headers.get('www-authenticate'),
  basic: { status: withBasic.status, body: await withBasic.json() },
  bearer: { status: withBearer.status, body: await withBearer.json() },
  bad: bad.status,
}));
server.close();
await authenticator.close();
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    skipLibCheck: false,
    outDir: 'build',
    rootDir: 'src',
  },
  include: ['src'],
};

function expectProtectedRoute(result: Record<string, unknown>): void {
  expect(result).toMatchObject({
    anonymous: 401,
    basic: { status: 200, body: { subject: appEnv.CLIENT_ID, tenant: 'acme' } },
    bearer: { status: 200, body: { subject: appEnv.CLIENT_ID, tenant: 'acme' } },
    bad: 401,
  });
  expect(result.challenge).toContain('Bearer realm="api"');
}

describe('the packed tarballs', () => {
  it('are the five packages, and publint --strict finds nothing', async () => {
    expect(readdirSync(tarballs).sort()).toEqual(
      PACKAGES.map(
        (name) => `portcullis-${name}-${version(join(repo, 'packages', name))}.tgz`,
      ).sort(),
    );
    for (const file of readdirSync(tarballs)) {
      const { stdout } = await run(
        join(repo, 'node_modules/.bin/publint'),
        ['--strict', join(tarballs, file)],
        { cwd: scratch, timeout: 60_000 },
      );
      expect(stdout, file).toContain('All good!');
    }
  }, 120_000);

  it('pass arethetypeswrong for Node 16+ resolution', async () => {
    // Rules ignored: `cjs-resolves-to-esm` — the packages are ESM-only and need Node ≥ 20.19,
    // where require() loads ESM (the CommonJS app below does exactly that). The node16 profile
    // leaves out node10 resolution, which predates `exports` (engines rule it out anyway).
    for (const file of readdirSync(tarballs)) {
      await expect(
        run(
          join(repo, 'node_modules/.bin/attw'),
          [
            join(tarballs, file),
            '--profile',
            'node16',
            '--ignore-rules',
            'cjs-resolves-to-esm',
            '--format',
            'ascii',
          ],
          { cwd: scratch, timeout: 60_000 },
        ),
        file,
      ).resolves.toBeDefined();
    }
  }, 240_000);

  it('hold no build metadata and no source map without its source', async () => {
    for (const name of PACKAGES) {
      const root = join(project, 'node_modules/@portcullis', name);
      const shipped = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
          entry.isDirectory()
            ? shipped(join(dir, entry.name))
            : [relative(root, join(dir, entry.name))],
        );
      const files = new Set(shipped(root));
      expect(files).toContain('LICENSE');
      expect([...files].filter((file) => file.includes('tsbuildinfo'))).toEqual([]);
      for (const map of [...files].filter((file) => file.endsWith('.map'))) {
        const { sources } = JSON.parse(readFileSync(join(root, map), 'utf8')) as {
          sources: string[];
        };
        for (const source of sources) {
          expect(files, `${name}/${map} → ${source}`).toContain(join(map, '..', source));
        }
      }
    }
  });
});

describe('installed outside the repository', () => {
  it('is a real install, not workspace links', () => {
    expect(relative(repo, project).startsWith('..')).toBe(true);
    expect(readFileSync(join(project, 'package.json'), 'utf8')).toContain('file:');
  });

  it('runs an ESM Express app', async () => {
    writeFileSync(join(project, 'esm-app.mjs'), ESM_APP);
    expectProtectedRoute(await runApp('esm-app.mjs'));
  }, 60_000);

  it('runs a CommonJS app with Passport', async () => {
    writeFileSync(join(project, 'cjs-app.cjs'), CJS_APP);
    expectProtectedRoute(await runApp('cjs-app.cjs'));
  }, 60_000);

  it('builds a TypeScript app (nodenext, no skipLibCheck) and runs it', async () => {
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'src/app.ts'), TS_APP);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    await run('node', [join(repo, 'node_modules/typescript/bin/tsc'), '-p', project], {
      cwd: project,
      timeout: 120_000,
    }).catch((error: { stdout: string }) => {
      throw new Error(`tsc failed:\n${error.stdout}`);
    });
    expectProtectedRoute(await runApp('build/app.js'));
  }, 180_000);

  it('links the sidecar’s portcullis bin', async () => {
    const { stdout } = await run(join(project, 'node_modules/.bin/portcullis'), ['--version'], {
      cwd: project,
      env: cleanEnv(),
    });
    expect(stdout.trim()).toBe(version(join(repo, 'packages/sidecar')));
  });
});
