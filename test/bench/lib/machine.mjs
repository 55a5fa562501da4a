/** Machine, Node and package versions recorded with every result. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);

function versionOf(name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    // Packages whose `exports` hide package.json: walk up from the entry point.
    try {
      let dir = require.resolve(name);
      for (let i = 0; i < 6; i++) {
        dir = dir.slice(0, dir.lastIndexOf('/'));
        try {
          const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
          if (pkg.name === name) return pkg.version;
        } catch {
          // keep walking
        }
      }
    } catch {
      // not installed
    }
    return null;
  }
}

function nginxVersion() {
  // `nginx -v` prints to stderr.
  const run = spawnSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8' });
  const text = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  return run.status === 0 && text !== '' ? text.replace('nginx version: ', '') : null;
}

function apacheVersion() {
  const run = spawnSync('/usr/sbin/apache2', ['-v'], { encoding: 'utf8' });
  const match = /Apache\/(\S+)/.exec(run.stdout ?? '');
  if (run.status !== 0 || match === null) return null;
  const mod = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'libapache2-mod-oauth2'], {
    encoding: 'utf8',
  });
  return `${match[1]}, mod_oauth2 ${mod.status === 0 ? mod.stdout.trim() : 'unknown'}`;
}

/** Load average and what else ran, so a reader can judge how noisy the run was. */
function load() {
  const [one, five, fifteen] = os.loadavg();
  return { loadavg: [one, five, fifteen].map((v) => Number(v.toFixed(2))) };
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    packages: Object.fromEntries(
      [
        '@portcullis/core',
        '@portcullis/express',
        '@portcullis/sidecar',
        '@portcullis/redis',
        '@portcullis/emulator',
        'express',
        'express-oauth2-jwt-bearer',
        '@frontegg/client',
        'passport',
        'passport-http-bearer',
        'jose',
        'http-proxy',
        'undici',
        'autocannon',
        'ioredis',
      ].map((name) => [name, versionOf(name)]),
    ),
    nginx: nginxVersion(),
    apache: apacheVersion(),
    ...load(),
  };
}
