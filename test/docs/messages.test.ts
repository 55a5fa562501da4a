/**
 * The demo, Getting started and the server say the same thing for the same refusal: every
 * `ERR_M2M_DISABLED` core raises carries one message, and the docs quote it verbatim.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the M2M-disabled message', () => {
  const messages = new Set(
    sources(join(root, 'packages/core/src')).flatMap((file) =>
      [
        ...readFileSync(file, 'utf8').matchAll(
          /new PortcullisError\(\s*'ERR_M2M_DISABLED',\s*'([^']+)'/g,
        ),
      ].map((match) => match[1] as string),
    ),
  );

  it('is one message wherever core raises it', () => {
    expect([...messages]).toEqual(['M2M tokens are disabled by the vendor']);
  });

  it('is quoted verbatim by the demo and Getting started', () => {
    const [message] = [...messages];
    for (const file of ['scripts/demo.mjs', 'docs/getting-started.md']) {
      expect(readFileSync(join(root, file), 'utf8'), file).toContain(`"${message}"`);
    }
  });
});
