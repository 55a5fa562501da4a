/**
 * `npx portcullis` works after the first `npm install` of a fresh checkout: npm links a bin only
 * when its target exists at install time, and dist/ does not exist before the first build. So
 * every bin points at a committed wrapper that imports dist/cli.js, and says what to do when
 * dist is not built yet.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));

const bins = ['sidecar', 'emulator'].flatMap((pkg) => {
  const manifest = JSON.parse(
    readFileSync(join(repo, 'packages', pkg, 'package.json'), 'utf8'),
  ) as {
    bin?: Record<string, string>;
  };
  return Object.entries(manifest.bin ?? {}).map(([name, target]) => ({ pkg, name, target }));
});

describe('workspace bins', () => {
  it('are the two commands', () => {
    expect(bins.map((bin) => bin.name).sort()).toEqual(['portcullis', 'portcullis-emulator']);
  });

  it.each(bins)(
    '$name points at a committed, executable file (not a build output)',
    async (bin) => {
      const path = join('packages', bin.pkg, bin.target);
      expect(bin.target).not.toMatch(/^\.?\/?dist\//);
      const { stdout } = await run('git', ['ls-files', '--error-unmatch', path], { cwd: repo });
      expect(stdout.trim()).toBe(path);
      expect(statSync(join(repo, path)).mode & 0o111).not.toBe(0);
      // npm linked it in this checkout.
      expect(realpathSync(join(repo, 'node_modules/.bin', bin.name))).toBe(
        realpathSync(join(repo, path)),
      );
    },
  );

  it.each(bins)('$name says to build first when dist/ is missing', async (bin) => {
    const scratch = mkdtempSync(join(tmpdir(), 'portcullis-bin-'));
    try {
      const copy = join(scratch, bin.target);
      mkdirSync(join(copy, '..'), { recursive: true });
      copyFileSync(join(repo, 'packages', bin.pkg, bin.target), copy);
      const failed = await run('node', [copy, '--version']).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stderr: string }).stderr).toContain(
        `${bin.name}: not built yet; run \`npm run build\``,
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
