import { describe, expect, it } from 'vitest';
import { compilePattern, PatternError } from '../src/rules/pattern.js';
import { decideRoute, ruleName } from '../src/rules/route-rules.js';
import type { CompiledRule } from '../src/rules/route-rules.js';
import { normalizeTarget } from '../src/paths/normalize.js';

const noHeaders = (): readonly string[] => [];

function rule(path: string, extra: Partial<CompiledRule> = {}, ci = false): CompiledRule {
  return {
    name: ruleName(extra.methods, path),
    methods: undefined,
    pattern: compilePattern(path, ci),
    action: 'authenticate',
    requirements: {},
    ...extra,
  };
}

describe('compilePattern', () => {
  it('matches whole segments', () => {
    const p = compilePattern('/public/*', false);
    expect(p.match('/public/a')).toEqual({});
    expect(p.match('/public')).toBeUndefined();
    expect(p.match('/public/a/b')).toBeUndefined();
    expect(p.match('/publicx/a')).toBeUndefined();
  });

  it('** matches any number of segments, zero included', () => {
    const p = compilePattern('/public/**', false);
    expect(p.match('/public')).toEqual({});
    expect(p.match('/public/a/b/c')).toEqual({});
    expect(p.match('/publicity')).toBeUndefined();
    expect(compilePattern('/**/x', false).match('/a/b/x')).toEqual({});
    expect(compilePattern('/**', false).match('/')).toEqual({});
  });

  it('captures {params}', () => {
    const p = compilePattern('/tenants/{tenantId}/orders/**', false);
    expect(p.params).toEqual(['tenantId']);
    expect(p.match('/tenants/t-1/orders/9')).toEqual({ tenantId: 't-1' });
  });

  it('is case-sensitive unless asked', () => {
    expect(compilePattern('/public/**', false).match('/PUBLIC/x')).toBeUndefined();
    expect(compilePattern('/public/**', true).match('/PUBLIC/x')).toEqual({});
  });

  it.each(['public', '/a//b', '/a/../b', '/a/b*', '/{x}/{x}', '/**/**', '/a/./b'])(
    'refuses pattern %j',
    (source) => {
      expect(() => compilePattern(source, false)).toThrow(PatternError);
    },
  );
});

describe('decideRoute', () => {
  const rules: CompiledRule[] = [
    rule('/public/**', { action: 'public', methods: new Set(['GET']) }),
    rule('/blocked/**', { action: 'deny' }),
    rule('/admin/**', { requirements: { permissions: ['admin'] } }),
    rule('/tenants/{tenantId}/**', { requirements: { tenant: { pathParam: 'tenantId' } } }),
    rule('/by-header/**', { requirements: { tenant: { header: 'x-tenant' } } }),
  ];
  const decide = (method: string, target: string, headers: Record<string, string[]> = {}) =>
    decideRoute(
      rules,
      'authenticated',
      method,
      normalizeTarget(target).path,
      (name) => headers[name] ?? [],
    );

  it('first match wins; method filters', () => {
    expect(decide('GET', '/public/x').action).toBe('public');
    expect(decide('POST', '/public/x')).toMatchObject({ action: 'authenticate', rule: 'default' });
    expect(decide('GET', '/blocked/x').action).toBe('deny');
  });

  it('normalised bypass attempts land on the protected rule, never on /public', () => {
    for (const target of [
      '/public/../admin',
      '/public/%2e%2e/admin/x',
      '//admin',
      '/public/./../admin',
    ]) {
      expect(decide('GET', target)).toMatchObject({
        action: 'authenticate',
        requirements: { permissions: ['admin'] },
      });
    }
    // Case differs: not the public rule (case-sensitive), so the authenticated default applies.
    expect(decide('GET', '/PUBLIC/x')).toMatchObject({ action: 'authenticate', rule: 'default' });
  });

  it('binds the tenant from a path segment', () => {
    expect(decide('GET', '/tenants/acme/orders')).toMatchObject({
      requirements: { tenantId: 'acme' },
    });
    expect(decide('GET', '/tenants/a%20b/x')).toMatchObject({ requirements: { tenantId: 'a b' } });
  });

  it('binds the tenant from a header; absent or duplicated → tenantRequired', () => {
    expect(decide('GET', '/by-header/x', { 'x-tenant': ['t1'] })).toMatchObject({
      requirements: { tenantId: 't1' },
    });
    expect(decide('GET', '/by-header/x')).toMatchObject({ requirements: { tenantRequired: true } });
    expect(decide('GET', '/by-header/x', { 'x-tenant': ['a', 'b'] })).toMatchObject({
      requirements: { tenantRequired: true },
    });
  });

  it('default public / deny', () => {
    expect(decideRoute([], 'public', 'GET', '/x', noHeaders).action).toBe('public');
    expect(decideRoute([], 'deny', 'GET', '/x', noHeaders).action).toBe('deny');
  });
});
