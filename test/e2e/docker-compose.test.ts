/**
 * docker/compose.yaml and the Dockerfiles cannot run here (no Docker engine), so this keeps them
 * consistent with what does run: the sidecars' env names are the sidecar's own and load with its
 * config loader, the emulator, hooks and sidecars agree on credentials and URLs, the files they
 * mount exist, and the hook registration script really registers both hooks on an emulator.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import { ENV_VARIABLES, loadConfig } from '@portcullis/sidecar';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const dockerDir = join(repo, 'docker');

type Doc = Record<string, any>;
const compose = parse(readFileSync(join(dockerDir, 'compose.yaml'), 'utf8')) as Doc;
const services = compose['services'] as Record<string, Doc>;
const sidecars = Object.entries(services).filter(
  ([, service]) => service['build']?.['dockerfile'] === 'docker/sidecar.Dockerfile',
);
const KNOWN_ENV = new Set<string>([
  'PORTCULLIS_CONFIG',
  ...ENV_VARIABLES.map((variable) => variable.name),
  ...ENV_VARIABLES.filter((variable) => variable.fromFile).map(
    (variable) => `${variable.name}_FILE`,
  ),
]);

/** `./x:/y:ro` relative to docker/ → [host path, container path]. */
function mounts(service: Doc): Array<[string, string]> {
  return ((service['volumes'] as string[] | undefined) ?? []).map((volume) => {
    const [host, container] = volume.split(':') as [string, string];
    return [join(dockerDir, host), container];
  });
}

const flag = (args: string[], name: string): string | undefined => args[args.indexOf(name) + 1];

describe('docker/compose.yaml', () => {
  it('says in its header that it is not run here', () => {
    expect(readFileSync(join(dockerDir, 'compose.yaml'), 'utf8')).toMatch(
      /NOT RUN ON THE DEVELOPMENT MACHINE/,
    );
  });

  it('runs Redis, the emulator, an upstream in another language and two sidecar replicas', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['redis', 'emulator', 'upstream', 'register-hooks']),
    );
    expect(sidecars.length).toBe(2);
    expect(services['upstream']!['image']).toMatch(/^python:/);
    const [[appPath]] = mounts(services['upstream']!) as [[string, string]];
    expect(existsSync(join(appPath, 'app.py'))).toBe(true);
  });

  it('gives the sidecars only env names the sidecar knows, and a config its loader accepts', () => {
    for (const [name, service] of sidecars) {
      const env = service['environment'] as Record<string, string>;
      const unknown = Object.keys(env).filter((key) => !KNOWN_ENV.has(key));
      expect(unknown, name).toEqual([]);
      // The mounted YAML is the repo's shared route file.
      const mounted = new Map(mounts(service).map(([host, container]) => [container, host]));
      const config = loadConfig(
        Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)])),
        [],
        {
          readFile: (path) => {
            const host = mounted.get(path);
            if (host === undefined)
              throw Object.assign(new Error('not mounted'), { code: 'ENOENT' });
            return readFileSync(host, 'utf8');
          },
        },
      );
      expect(config.upstream).toBe('http://upstream:8000');
      expect(config.redis?.url).toBe('redis://redis:6379');
      expect(config.routes.rules.length).toBeGreaterThan(0);
    }
  });

  it('wires the emulator, the hooks and the sidecars to the same credentials and URLs', () => {
    const env = sidecars[0]![1]['environment'] as Record<string, string>;
    const emulatorArgs = services['emulator']!['command'] as string[];
    expect(flag(emulatorArgs, '--vendor-client-id')).toBe(env['PORTCULLIS_FRONTEGG_CLIENT_ID']);
    expect(flag(emulatorArgs, '--vendor-secret')).toBe(env['PORTCULLIS_FRONTEGG_API_KEY']);
    // No audience set: the sidecars expect the vendor client ID, which the emulator puts in `aud`.
    expect(env['PORTCULLIS_AUDIENCE']).toBeUndefined();
    expect(emulatorArgs).not.toContain('--app-id');
    expect(env['PORTCULLIS_FRONTEGG_APP_URL']).toBe(env['PORTCULLIS_FRONTEGG_BASE_URL']);
    // Tokens carry iss = http://<--host>:<--port>, which must be the URL the sidecars use.
    expect(`http://${flag(emulatorArgs, '--host')}:${flag(emulatorArgs, '--port')}`).toBe(
      env['PORTCULLIS_FRONTEGG_BASE_URL'],
    );
    const hooks = services['register-hooks']!['environment'] as Record<string, string>;
    expect(hooks['EMULATOR_URL']).toBe(env['PORTCULLIS_FRONTEGG_BASE_URL']);
    expect(hooks['EMULATOR_VENDOR_CLIENT_ID']).toBe(env['PORTCULLIS_FRONTEGG_CLIENT_ID']);
    expect(hooks['FRONTEGG_HOOK_SECRET']).toBe(env['PORTCULLIS_FRONTEGG_WEBHOOK_SECRET']);
    expect(hooks['STANDARD_HOOK_SECRET']).toBe(env['PORTCULLIS_STANDARD_WEBHOOK_SECRET']);
    const sidecarNames = sidecars.map(([name]) => name);
    for (const [key, path] of [
      ['FRONTEGG_HOOK_URL', '/.portcullis/webhooks/frontegg'],
      ['STANDARD_HOOK_URL', '/.portcullis/webhooks/standard'],
    ] as const) {
      const url = new URL(hooks[key] as string);
      expect(sidecarNames).toContain(url.hostname);
      expect(url.pathname).toBe(path);
    }
    const scripts = mounts(services['register-hooks']!);
    const command = services['register-hooks']!['command'] as string[];
    const script = command[1] as string;
    const [host, container] = scripts.find(([, c]) => script.startsWith(`${c}/`)) as [
      string,
      string,
    ];
    expect(existsSync(join(host, script.slice(container.length)))).toBe(true);
  });
});

describe('Dockerfiles', () => {
  for (const target of ['sidecar', 'emulator']) {
    const text = readFileSync(join(dockerDir, `${target}.Dockerfile`), 'utf8');
    it(`${target}: two stages, docker/build.sh, non-root, exec-form HEALTHCHECK`, () => {
      expect(text.match(/^FROM /gm)).toHaveLength(2);
      expect(text).toContain(`RUN ./docker/build.sh ${target} /app`);
      expect(text).toMatch(/^USER node$/m);
      const healthcheck = /^HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*\])$/m.exec(text);
      expect(healthcheck).not.toBeNull();
      const command = JSON.parse(healthcheck![1] as string) as string[];
      expect(command[0]).toBe('node');
      if (target === 'sidecar') expect(command).toEqual(['node', 'dist/cli.js', 'healthcheck']);
      // Every path the build stage copies exists.
      for (const match of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
        for (const source of (match[1] as string).split(' ')) {
          expect(existsSync(join(repo, source)), source).toBe(true);
        }
      }
    });
  }
});

describe('scripts/register-hooks.mjs (the compose step)', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ logger: () => {} });
  });
  afterAll(() => emulator?.close());

  it('registers the Frontegg hook and the Standard Webhooks hook', async () => {
    const env = Object.fromEntries(
      Object.entries(services['register-hooks']!['environment'] as Record<string, string>),
    );
    const { stdout } = await run(process.execPath, [join(repo, 'scripts/register-hooks.mjs')], {
      env: {
        PATH: process.env['PATH'] ?? '',
        ...env,
        EMULATOR_URL: emulator.url,
        EMULATOR_VENDOR_CLIENT_ID: emulator.vendor.clientId,
        EMULATOR_VENDOR_SECRET: emulator.vendor.secret,
      },
    });
    expect(stdout).toContain('/.portcullis/webhooks/frontegg');
    const token = (await (
      await fetch(`${emulator.url}/auth/vendor`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(emulator.vendor),
      })
    ).json()) as { token: string };
    const hooks = (await (
      await fetch(`${emulator.url}/webhook`, {
        headers: { authorization: `Bearer ${token.token}` },
      })
    ).json()) as Array<{ url: string; eventKeys: string[] }>;
    const byUrl = new Map(hooks.map((hook) => [hook.url, hook.eventKeys]));
    expect(byUrl.get(env['FRONTEGG_HOOK_URL'] as string)).toContain(
      'frontegg.tenantApiToken.deleted',
    );
    expect(byUrl.get(env['STANDARD_HOOK_URL'] as string)).toEqual(
      expect.arrayContaining(['m2m.disabled', 'm2m.enabled', 'token.revoked']),
    );
  });

  it('exits 2 naming a missing variable', async () => {
    const failure = await run(process.execPath, [join(repo, 'scripts/register-hooks.mjs')], {
      env: { PATH: process.env['PATH'] ?? '' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('EMULATOR_URL');
  });
});
