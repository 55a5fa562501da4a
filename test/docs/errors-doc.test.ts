import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@portcullis/core';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
// A documented code is a table row that starts with the code in backticks.
const documented = new Map(
  [...doc.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]),
);

describe('docs/errors.md', () => {
  it('documents every error code with its HTTP status', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !documented.has(code));
    expect(missing, 'codes missing from docs/errors.md').toEqual([]);
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(documented.get(code), `status of ${code}`).toBe(info.status);
    }
  });

  it('documents no code that no longer exists', () => {
    const gone = [...documented.keys()].filter((code) => !Object.hasOwn(ERROR_CODES, code));
    expect(gone, 'documented but not in ERROR_CODES').toEqual([]);
  });
});
