import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Package tests import sibling packages by name; during `vitest` those names resolve to the
// sibling's TypeScript source, so one test run needs no rebuild between edits. Black-box tests
// (CLI, CommonJS consumers) start the built `dist/` explicitly.
const pkg = (name: string): string =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@portcullis\/core$/, replacement: pkg('core') },
      { find: /^@portcullis\/redis$/, replacement: pkg('redis') },
      { find: /^@portcullis\/express$/, replacement: pkg('express') },
      {
        find: /^@portcullis\/express\/passport$/,
        replacement: fileURLToPath(
          new URL('./packages/express/src/passport/index.ts', import.meta.url),
        ),
      },
      { find: /^@portcullis\/sidecar$/, replacement: pkg('sidecar') },
      { find: /^@portcullis\/emulator$/, replacement: pkg('emulator') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/bench/**', 'test/soak/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // In CI also a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env['CI']
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
  },
});
