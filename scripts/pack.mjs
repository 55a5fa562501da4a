// `npm run pack`: the five publishable packages as npm tarballs, until they are on the registry.
//
//   node scripts/pack.mjs [destination]     (default dist-packages/, emptied first)
//
// Packs from each workspace's built dist/ (`npm run pack` builds first) and prints the tarball
// paths, one a line; install them with `npm install <paths...>` (see docs/getting-started.md).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['core', 'express', 'redis', 'sidecar', 'emulator'];

const destination = resolve(process.argv[2] ?? join(repo, 'dist-packages'));
rmSync(destination, { recursive: true, force: true });
mkdirSync(destination, { recursive: true });

for (const name of PACKAGES) {
  if (!existsSync(join(repo, 'packages', name, 'dist/index.js'))) {
    console.error(`pack: packages/${name}/dist is missing; run npm run build first`);
    process.exit(1);
  }
}
const workspaces = PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`]);
const output = execFileSync(
  'npm',
  ['pack', '--json', '--pack-destination', destination, ...workspaces],
  { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
const packed = JSON.parse(output);
for (const { filename } of packed) {
  console.log(relative(process.cwd(), join(destination, filename)) || filename);
}
