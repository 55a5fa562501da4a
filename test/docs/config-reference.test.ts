/**
 * docs/configuration.md is generated from the sidecar's configuration contract. This test renders
 * it again from the sidecar's sources and fails when the committed file differs, when a variable
 * is missing from the doc (or the doc names one that does not exist), or when a documented
 * YAML-only setting is no longer accepted.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, loadConfig } from '@portcullis/sidecar';
import {
  DESCRIPTIONS,
  DOC_PATH,
  PROBE_ENV,
  YAML_ONLY,
  renderConfigReference,
  spliceGenerated,
} from '../../scripts/gen-config-docs.mjs';

const REGENERATE = 'docs/configuration.md is out of date: run node scripts/gen-config-docs.mjs';
const docsDir = fileURLToPath(new URL('../../docs/', import.meta.url));
const committed = readFileSync(DOC_PATH, 'utf8');
const known = new Set(ENV_VARIABLES.map((variable) => variable.name));

/** Every `PORTCULLIS_*` name a text mentions (not `X_PORTCULLIS_*` header spellings). */
function mentionedVariables(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/(?<![A-Za-z0-9_])PORTCULLIS_[A-Z0-9_]*[A-Z0-9]/g)].map((m) => m[0]),
  );
}

/** Names a sidecar accepts: each variable, `<NAME>_FILE` where allowed, and `PORTCULLIS_CONFIG`. */
function isSidecarVariable(name: string): boolean {
  if (name === 'PORTCULLIS_CONFIG' || known.has(name)) return true;
  return ENV_VARIABLES.some((variable) => variable.fromFile && `${variable.name}_FILE` === name);
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? markdownFiles(join(dir, entry.name))
      : entry.name.endsWith('.md')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('docs/configuration.md', () => {
  it('is what scripts/gen-config-docs.mjs generates from the sidecar', () => {
    const expected = spliceGenerated(
      committed,
      renderConfigReference({ ENV_VARIABLES, loadConfig }),
    );
    expect(committed === expected, REGENERATE).toBe(true);
  });

  it('has one table row per ENV_VARIABLES entry, and no other variable rows', () => {
    const rows = [...committed.matchAll(/^\| `(PORTCULLIS_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect([...rows].sort(), 'variables documented vs ENV_VARIABLES').toEqual([...known].sort());
    expect(new Set(rows).size, 'each variable documented once').toBe(rows.length);
  });

  it('describes every variable and no variable that does not exist', () => {
    expect(Object.keys(DESCRIPTIONS).sort()).toEqual([...known].sort());
  });

  it('shows the defaults loadConfig applies', () => {
    // Spot checks straight from the loader, independent of the generator's own lookup.
    const config = loadConfig(PROBE_ENV);
    const row = (name: string): string =>
      committed.split('\n').find((line) => line.startsWith(`| \`${name}\` |`)) ?? '';
    expect(row('PORTCULLIS_CACHE_TTL_MS')).toContain(`| \`${config.cache.ttlMs}\` |`);
    expect(row('PORTCULLIS_REVOCATION_TTL_MS')).toContain(`| \`${config.revocationTtlMs}\` |`);
    expect(row('PORTCULLIS_LISTEN')).toContain(
      `| \`${config.listen.host}:${config.listen.port}\` |`,
    );
    expect(row('PORTCULLIS_REDIS_KEY_PREFIX')).toContain(`| \`${config.redis?.keyPrefix}\` |`);
  });

  it('documents only YAML-only settings the sidecar accepts', () => {
    for (const setting of YAML_ONLY) {
      const tree: Record<string, unknown> = {};
      const path = setting.path.split('.');
      let node = tree;
      for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
      node[path.at(-1) as string] = setting.example;
      const yaml = JSON.stringify(tree); // JSON is YAML
      expect(
        () =>
          loadConfig({ ...PROBE_ENV, PORTCULLIS_CONFIG: '/portcullis.yaml' }, [], {
            readFile: () => yaml,
          }),
        setting.path,
      ).not.toThrow();
      // And no env variable sets it (else it belongs in the main table).
      expect(ENV_VARIABLES.some((variable) => variable.path.join('.') === setting.path)).toBe(
        false,
      );
    }
  });

  it('every PORTCULLIS_* variable named anywhere in docs/ exists', () => {
    // reliability.md is a generated report of hostile inputs (it names bad variables on purpose).
    const files = markdownFiles(docsDir).filter((file) => !file.endsWith('reliability.md'));
    const unknown: string[] = [];
    for (const file of files) {
      for (const name of mentionedVariables(readFileSync(file, 'utf8'))) {
        // Other programs' variables (the demo script, the emulator CLI) share the prefix.
        if (/^PORTCULLIS_(DEMO|EMULATOR)(_|$)/.test(name)) continue;
        if (!isSidecarVariable(name)) unknown.push(`${file.slice(docsDir.length)}: ${name}`);
      }
    }
    expect(unknown, 'variables the sidecar does not know').toEqual([]);
  });
});
