/** The core README's runnable example keeps running: built packages, a real emulator, a revocation. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(async () => {
  await run('npx', ['tsc', '-b', 'packages/core', 'packages/emulator'], { cwd: root });
}, 120_000);

describe('packages/core/examples/frontegg-emulator.mjs', () => {
  it('authenticates a client credential, then rejects it after revoke()', async () => {
    const { stdout } = await run('node', ['packages/core/examples/frontegg-emulator.mjs'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^authenticated: \S+ acme tenant client_credentials$/m);
    expect(stdout).toMatch(/^after revoke: 401 ERR_TOKEN_REVOKED$/m);
  });
});
