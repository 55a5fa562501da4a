import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isPortcullisError } from '@portcullis/core';
import { normalizeTarget } from '../src/paths/normalize.js';

function rejects(target: string): string {
  try {
    normalizeTarget(target);
  } catch (error) {
    expect(isPortcullisError(error)).toBe(true);
    const e = error as { code: string; status: number };
    expect(e.code).toBe('ERR_INVALID_PATH');
    expect(e.status).toBe(400);
    return e.code;
  }
  throw new Error(`expected ${target} to be refused`);
}

describe('normalizeTarget', () => {
  it.each([
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/b/', '/a/b'],
    ['//admin', '/admin'],
    ['/a//b///c', '/a/b/c'],
    ['/a/./b', '/a/b'],
    ['/public/../admin', '/admin'],
    ['/public/%2e%2e/admin', '/admin'],
    ['/public/.%2E/admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/a%7eb', '/a~b'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/a%20b', '/a%20b'],
    ['/PUBLIC', '/PUBLIC'],
    ['/a/b/..', '/a'],
    ['/a/..', '/'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeTarget(input).path).toBe(expected);
  });

  it('keeps the query unchanged and separate', () => {
    expect(normalizeTarget('/a/../b?x=%2F&y=..')).toEqual({ path: '/b', query: 'x=%2F&y=..' });
  });

  it.each([
    '/public/..%2fadmin',
    '/public/..%2Fadmin',
    '/public/%2e%2e%2fadmin',
    '/public/..%5cadmin',
    '/public\\..\\admin',
    '/public/..;/admin',
    '/public;x=1/a',
    '/public/%3b/a',
    '/..',
    '/a/../../b',
    '/%2e%2e/x',
    'admin',
    '*',
    '/a%zz',
    '/a%2',
    '/a b',
    '/a\tb',
    '/a#frag',
    '/caf\u00e9',
  ])('refuses %j', (input) => {
    rejects(input);
  });

  it('is idempotent and never yields dot or empty segments (property)', () => {
    const segment = fc.constantFrom(
      'a',
      'B',
      '.',
      '..',
      '',
      '%2e',
      '%2E%2e',
      '%41',
      '~',
      '%20',
      'x.y',
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (parts) => {
        let result;
        try {
          result = normalizeTarget(`/${parts.join('/')}`);
        } catch {
          return; // escaping the root is refused, which is fine
        }
        expect(normalizeTarget(result.path).path).toBe(result.path);
        const segments = result.path.split('/').slice(1);
        if (result.path !== '/') {
          for (const s of segments) expect(['', '.', '..']).not.toContain(s);
        }
      }),
    );
  });
});
