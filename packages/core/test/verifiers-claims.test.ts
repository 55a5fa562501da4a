import { describe, expect, it } from 'vitest';
import { PortcullisError } from '../src/errors.js';
import {
  checkClaimNames,
  credentialKindFromClaims,
  mapClaimsToPrincipal,
} from '../src/principal/claims.js';

describe('mapClaimsToPrincipal', () => {
  it('maps the standard claims of a plain OAuth client', () => {
    const principal = mapClaimsToPrincipal(
      {
        sub: 'machine-1',
        client_id: 'machine-1',
        jti: 'j-1',
        iss: 'https://idp',
        iat: 100,
        exp: 200,
        scope: 'a b  a',
      },
      { credential: 'access_token' },
    );
    expect(principal).toEqual({
      subject: 'machine-1',
      clientId: 'machine-1',
      tokenId: 'j-1',
      ownerKind: 'client',
      credential: 'access_token',
      permissions: [],
      roles: [],
      scopes: ['a', 'b'],
      issuer: 'https://idp',
      issuedAt: 100,
      expiresAt: 200,
      claims: {
        sub: 'machine-1',
        client_id: 'machine-1',
        jti: 'j-1',
        iss: 'https://idp',
        iat: 100,
        exp: 200,
        scope: 'a b  a',
      },
    });
  });

  it('is deeply frozen and detached from the input', () => {
    const input = { sub: 's', nested: { roles: ['x'] } };
    const principal = mapClaimsToPrincipal(input, { credential: 'access_token' });
    expect(Object.isFrozen(principal)).toBe(true);
    expect(Object.isFrozen(principal.scopes)).toBe(true);
    expect(Object.isFrozen((principal.claims['nested'] as { roles: string[] }).roles)).toBe(true);
    input.nested.roles.push('y');
    expect(principal.claims['nested']).toEqual({ roles: ['x'] });
  });

  it('uses configured claim names, scp arrays and derives the owner kind', () => {
    const claims = {
      sub: 'u-9',
      azp: 'app-1',
      'https://example.test/tenant': 'acme',
      uid: 'user-42',
      creator: 'user-1',
      perms: ['orders:read', 'orders:write'],
      groups: 'admin ops',
      scp: ['x', 'y'],
    };
    const names = {
      tenantId: 'https://example.test/tenant',
      userId: 'uid',
      createdByUserId: 'creator',
      permissions: 'perms',
      roles: 'groups',
    };
    const user = mapClaimsToPrincipal(claims, { credential: 'access_token', claimNames: names });
    expect(user).toMatchObject({
      clientId: 'app-1',
      tenantId: 'acme',
      userId: 'user-42',
      createdByUserId: 'user-1',
      ownerKind: 'user',
      permissions: ['orders:read', 'orders:write'],
      roles: ['admin', 'ops'],
      scopes: ['x', 'y'],
    });
    const tenant = mapClaimsToPrincipal(claims, {
      credential: 'access_token',
      claimNames: { tenantId: 'https://example.test/tenant' },
    });
    expect(tenant.ownerKind).toBe('tenant');
    expect(tenant.userId).toBeUndefined();
    const forced = mapClaimsToPrincipal(claims, {
      credential: 'client_credentials',
      ownerKind: (c) => (c['uid'] ? 'tenant' : 'client'),
    });
    expect(forced).toMatchObject({ ownerKind: 'tenant', credential: 'client_credentials' });
  });

  it('falls back to the client id for the subject, and refuses claims with neither', () => {
    expect(mapClaimsToPrincipal({ client_id: 'c-1' }, { credential: 'access_token' }).subject).toBe(
      'c-1',
    );
    expect(
      mapClaimsToPrincipal({}, { credential: 'client_credentials', clientId: 'basic-id' }),
    ).toMatchObject({ subject: 'basic-id', clientId: 'basic-id' });
    expect(() => mapClaimsToPrincipal({ scope: 'a' }, { credential: 'access_token' })).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_CLAIM_INVALID', details: { claim: 'sub' } }),
    );
  });

  it('refuses an id claim that is not a string', () => {
    const error = (() => {
      try {
        mapClaimsToPrincipal({ sub: { id: 1 } }, { credential: 'access_token' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PortcullisError);
    expect(error).toMatchObject({ code: 'ERR_TOKEN_CLAIM_INVALID', details: { claim: 'sub' } });
  });
});

describe('credentialKindFromClaims', () => {
  it('says client_credentials only when the grant claim does', () => {
    expect(credentialKindFromClaims({ grant_type: 'client_credentials' })).toBe(
      'client_credentials',
    );
    expect(credentialKindFromClaims({ gty: 'client-credentials' })).toBe('client_credentials');
    expect(credentialKindFromClaims({ gty: 'password' })).toBe('access_token');
    expect(credentialKindFromClaims({})).toBe('access_token');
  });
});

describe('checkClaimNames', () => {
  it('names the bad field', () => {
    expect(() => checkClaimNames('claimNames', { roles: 3 })).toThrow(
      expect.objectContaining({ details: { option: 'claimNames.roles' } }),
    );
    expect(() => checkClaimNames('claimNames', { permissions: ['a'] })).toThrow(
      expect.objectContaining({ details: { option: 'claimNames.permissions' } }),
    );
    expect(checkClaimNames('claimNames', { clientId: ['cid', 'azp'], scope: 'scp' })).toEqual({
      clientId: ['cid', 'azp'],
      scope: 'scp',
    });
  });
});
