import { describe, expect, it } from 'vitest';
import { authorize } from '../src/authorization.js';
import { PortcullisError } from '../src/errors.js';
import type { Principal, Requirements } from '../src/types.js';

const principal: Principal = Object.freeze({
  subject: 'client-1',
  clientId: 'client-1',
  tenantId: 'tenant-a',
  ownerKind: 'tenant',
  credential: 'access_token',
  permissions: ['orders:read', 'orders:list'],
  roles: ['reader'],
  scopes: ['api:read'],
  claims: {},
});

function denial(p: Principal, requirements: Requirements): PortcullisError {
  try {
    authorize(p, requirements);
  } catch (error) {
    expect(error).toBeInstanceOf(PortcullisError);
    return error as PortcullisError;
  }
  throw new Error('expected authorize to deny');
}

describe('authorize', () => {
  it('allows when there are no requirements or they are met', () => {
    expect(() => authorize(principal, {})).not.toThrow();
    expect(() =>
      authorize(principal, {
        permissions: ['orders:read'],
        roles: ['reader'],
        scopes: ['api:read'],
        ownerKind: 'tenant',
        tenantId: 'tenant-a',
      }),
    ).not.toThrow();
    expect(() => authorize(principal, { permissions: [], roles: [], scopes: [] })).not.toThrow();
  });

  it('requires all permissions by default and names the missing ones', () => {
    const error = denial(principal, {
      permissions: ['orders:read', 'orders:write', 'orders:delete'],
    });
    expect(error.code).toBe('ERR_INSUFFICIENT_SCOPE');
    expect(error.status).toBe(403);
    expect(error.oauthError).toBe('insufficient_scope');
    expect(error.message).toBe('missing permission(s): orders:write, orders:delete');
    expect(error.details).toEqual({ missing: { permissions: ['orders:write', 'orders:delete'] } });
  });

  it('permissionsMode any: one held permission is enough, none denies naming all', () => {
    expect(() =>
      authorize(principal, {
        permissions: ['orders:write', 'orders:read'],
        permissionsMode: 'any',
      }),
    ).not.toThrow();
    const error = denial(principal, {
      permissions: ['orders:write', 'orders:delete'],
      permissionsMode: 'any',
    });
    expect(error.message).toBe('missing any of permission(s): orders:write, orders:delete');
    expect(error.details?.['missing']).toEqual({ permissions: ['orders:write', 'orders:delete'] });
  });

  it('roles: all by default, any on request', () => {
    expect(denial(principal, { roles: ['reader', 'admin'] }).message).toBe(
      'missing role(s): admin',
    );
    expect(() =>
      authorize(principal, { roles: ['reader', 'admin'], rolesMode: 'any' }),
    ).not.toThrow();
    expect(denial(principal, { roles: ['admin', 'owner'], rolesMode: 'any' }).details).toEqual({
      missing: { roles: ['admin', 'owner'] },
    });
  });

  it('scopes: all required; the full required list is kept for the challenge', () => {
    const error = denial(principal, { scopes: ['api:read', 'api:write'] });
    expect(error.message).toBe('missing scope(s): api:write');
    expect(error.details).toEqual({
      missing: { scopes: ['api:write'] },
      requiredScopes: ['api:read', 'api:write'],
    });
  });

  it('ownerKind: one kind or a list', () => {
    expect(() => authorize(principal, { ownerKind: ['user', 'tenant'] })).not.toThrow();
    const error = denial(principal, { ownerKind: 'user' });
    expect(error.message).toBe('owner kind must be user');
    expect(error.details).toEqual({ missing: { ownerKind: ['user'] } });
  });

  it('tenant binding: equal tenant passes, another tenant denies', () => {
    expect(() => authorize(principal, { tenantId: 'tenant-a' })).not.toThrow();
    const error = denial(principal, { tenantId: 'tenant-b' });
    expect(error.message).toBe('the credential belongs to another tenant');
    expect(error.details).toEqual({ missing: { tenantId: 'tenant-b' } });
  });

  it.each([
    ['route tenant null', { tenantId: null }],
    ['route tenant empty', { tenantId: '' }],
    ['tenantRequired without a tenant', { tenantRequired: true }],
  ] as const)('denies when the %s', (_name, requirements) => {
    const error = denial(principal, requirements);
    expect(error.message).toBe('the route requires a tenant but none was given');
    expect(error.details).toEqual({ missing: { tenantId: null } });
  });

  it('denies a principal without a tenant when the route binds one', () => {
    const { tenantId: _dropped, ...withoutTenant } = principal;
    const error = denial(withoutTenant, { tenantId: 'tenant-a' });
    expect(error.message).toBe('the credential is not bound to a tenant');
  });

  it('reports every missing requirement at once', () => {
    const error = denial(principal, {
      permissions: ['orders:write'],
      roles: ['admin'],
      scopes: ['api:write'],
      ownerKind: 'client',
      tenantId: 'tenant-b',
    });
    expect(error.message).toBe(
      'missing permission(s): orders:write; missing role(s): admin; missing scope(s): api:write; ' +
        'owner kind must be client; the credential belongs to another tenant',
    );
    expect(error.details?.['missing']).toEqual({
      permissions: ['orders:write'],
      roles: ['admin'],
      scopes: ['api:write'],
      ownerKind: ['client'],
      tenantId: 'tenant-b',
    });
  });

  it('never mentions the principal in the message (no ids, no claims)', () => {
    const error = denial({ ...principal, claims: { secret: 'hunter2' } }, { permissions: ['x'] });
    expect(error.message).not.toContain('client-1');
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses malformed requirements as a configuration error', () => {
    expect(denial(principal, { permissionsMode: 'some' as never }).code).toBe('ERR_INVALID_OPTION');
    expect(denial(principal, { ownerKind: 'robot' as never }).code).toBe('ERR_INVALID_OPTION');
    expect(denial(principal, { ownerKind: [] }).code).toBe('ERR_INVALID_OPTION');
  });
});
