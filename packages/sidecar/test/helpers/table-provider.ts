/**
 * An IdP stand-in for in-process pipeline tests: a fixed table of credentials → principals behind
 * core's real `Provider` contract (the authenticator, extraction, policy, authorization and error
 * mapping under it are core's real code). Black-box tests use a real oidc-provider instead.
 */
import { PortcullisError } from '@portcullis/core';
import type { ExtractedCredential, Principal, Provider } from '@portcullis/core';

export function principal(fields: Partial<Principal> & { subject: string }): Principal {
  return Object.freeze({
    ownerKind: 'tenant',
    credential: 'access_token',
    permissions: [],
    roles: [],
    scopes: [],
    claims: {},
    ...fields,
  }) as Principal;
}

export const PRINCIPALS = {
  reader: principal({
    subject: 'svc-reader',
    clientId: 'svc-reader',
    tenantId: 'acme',
    permissions: ['orders:read'],
    tokenId: 'tok-reader',
  }),
  admin: principal({
    subject: 'svc-admin',
    clientId: 'svc-admin',
    tenantId: 'acme',
    permissions: ['orders:read', 'admin'],
    tokenId: 'tok-admin',
  }),
  basic: principal({
    subject: 'svc-basic',
    clientId: 'svc-basic',
    tenantId: 'globex',
    credential: 'client_credentials',
    ownerKind: 'client',
    scopes: ['a b', 'c,d'],
  }),
};

export const TOKENS: Readonly<Record<string, Principal>> = {
  'reader-token': PRINCIPALS.reader,
  'admin-token': PRINCIPALS.admin,
};

export interface TableProvider extends Provider {
  readonly verifyCalls: number;
}

export function tableProvider(): TableProvider {
  let verifyCalls = 0;
  return {
    name: 'table',
    get verifyCalls() {
      return verifyCalls;
    },
    async verify(credential: ExtractedCredential) {
      verifyCalls += 1;
      if (credential.form === 'basic') {
        if (credential.clientId === 'svc-basic' && credential.secret === 'basic-secret') {
          return { principal: PRINCIPALS.basic, checkedOnline: true };
        }
        throw new PortcullisError(
          'ERR_CLIENT_CREDENTIALS_INVALID',
          'client credentials are invalid',
        );
      }
      const found = TOKENS[credential.token];
      if (found === undefined)
        throw new PortcullisError('ERR_TOKEN_INACTIVE', 'token is not active');
      return { principal: found, checkedOnline: true };
    },
  };
}
