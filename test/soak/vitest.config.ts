/**
 * The on-demand soak (kept out of `npm test` by the root config's exclude): the same package
 * aliases as the root config, only `test/soak/**`, long timeouts.
 * Run: `npx vitest run --config test/soak/vitest.config.ts`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = (name: string): string => `${root}packages/${name}/src/index.ts`;

export default defineConfig({
  root,
  resolve: {
    alias: ['core', 'redis', 'express', 'sidecar', 'emulator'].map((name) => ({
      find: new RegExp(`^@portcullis/${name}$`),
      replacement: pkg(name),
    })),
  },
  test: {
    include: ['test/soak/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
