/**
 * The conformance case set (docs/design.md §6): one list of requests with the answer every surface must
 * give — core, the Express middleware, the Passport strategies, and the sidecar (proxy and
 * forward-auth). A runner per surface turns each case into a real request.
 *
 * Routes are abstract; every surface mounts them the same way:
 * - `/protected`                 any authenticated M2M principal
 * - `/needs-permission`          requires the permission `reports:export` (nobody holds it)
 * - `/has-permission`            requires `orders:read` (held by the seeded tokens)
 * - `/tenants/{tenantId}/data`   tenant binding: the principal's tenant must equal the path's
 */
import type { ErrorCode, OAuthErrorCode, Requirements } from '@portcullis/core';
import type { ConformanceCredentials } from './env.js';

export interface ConformanceRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
}

export interface ExpectedIdentity {
  readonly subject?: string;
  readonly tenantId?: string;
  readonly userId?: string | null;
  readonly ownerKind?: 'tenant' | 'user' | 'client';
  readonly credential?: 'client_credentials' | 'access_token';
}

export interface ConformanceExpectation {
  readonly status: number;
  /** RFC 6750 error attribute of the Bearer challenge; `null` = a challenge without `error`. */
  readonly challengeError?: OAuthErrorCode | null;
  readonly code?: ErrorCode;
  readonly identity?: ExpectedIdentity;
}

export interface ConformanceCase {
  readonly name: string;
  readonly request: (c: ConformanceCredentials) => ConformanceRequest;
  readonly expect: (c: ConformanceCredentials) => ConformanceExpectation;
}

/** Route requirements by path, for surfaces that configure routes (express guards, sidecar rules). */
export function requirementsFor(path: string): Requirements | undefined {
  if (path === '/needs-permission') return { permissions: ['reports:export'] };
  if (path === '/has-permission') return { permissions: ['orders:read'] };
  const tenant = /^\/tenants\/([^/]+)\/data$/.exec(path);
  if (tenant) return { tenantId: decodeURIComponent(tenant[1]!) };
  return undefined;
}

const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`;

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    name: 'no credential → 401, challenge without error',
    request: () => ({ path: '/protected', headers: {} }),
    expect: () => ({ status: 401, challengeError: null, code: 'ERR_NO_CREDENTIAL' }),
  },
  {
    name: 'client credentials (Basic, tenant token) → 200 with the tenant identity',
    request: (c) => ({
      path: '/protected',
      headers: { authorization: basic(c.tenantApiToken.clientId, c.tenantApiToken.secret) },
    }),
    expect: (c) => ({
      status: 200,
      identity: {
        subject: c.tenantApiToken.clientId,
        tenantId: c.tenantId,
        ownerKind: 'tenant',
        credential: 'client_credentials',
        userId: null,
      },
    }),
  },
  {
    name: 'client credentials (Basic, personal token) → 200 with the user identity',
    request: (c) => ({
      path: '/protected',
      headers: { authorization: basic(c.userApiToken.clientId, c.userApiToken.secret) },
    }),
    expect: (c) => ({
      status: 200,
      identity: {
        subject: c.userApiToken.clientId,
        tenantId: c.tenantId,
        ownerKind: 'user',
        credential: 'client_credentials',
        userId: c.userId,
      },
    }),
  },
  {
    name: 'client-credentials JWT as Bearer → 200',
    request: (c) => ({
      path: '/protected',
      headers: { authorization: `Bearer ${c.tenantApiToken.jwt}` },
    }),
    expect: (c) => ({
      status: 200,
      identity: { subject: c.tenantApiToken.clientId, credential: 'client_credentials' },
    }),
  },
  {
    name: 'scheme is case-insensitive (bearer) → 200',
    request: (c) => ({
      path: '/protected',
      headers: { authorization: `bearer ${c.tenantApiToken.jwt}` },
    }),
    expect: () => ({ status: 200 }),
  },
  {
    name: 'tenant access token as X-API-Key → 200',
    request: (c) => ({ path: '/protected', headers: { 'x-api-key': c.tenantAccessToken } }),
    expect: (c) => ({
      status: 200,
      identity: { tenantId: c.tenantId, ownerKind: 'tenant', credential: 'access_token' },
    }),
  },
  {
    name: 'personal access token as Bearer → 200',
    request: (c) => ({
      path: '/protected',
      headers: { authorization: `Bearer ${c.userAccessToken}` },
    }),
    expect: (c) => ({
      status: 200,
      identity: { ownerKind: 'user', credential: 'access_token', userId: c.userId },
    }),
  },
  {
    name: 'wrong client secret → 401 invalid_token',
    request: (c) => ({
      path: '/protected',
      headers: { authorization: basic(c.tenantApiToken.clientId, 'not-the-secret') },
    }),
    expect: () => ({
      status: 401,
      challengeError: 'invalid_token',
      code: 'ERR_CLIENT_CREDENTIALS_INVALID',
    }),
  },
  {
    name: 'JWT signed by a foreign key → 401 invalid_token',
    request: (c) => ({ path: '/protected', headers: { authorization: `Bearer ${c.foreignJwt}` } }),
    expect: () => ({ status: 401, challengeError: 'invalid_token' }),
  },
  {
    name: 'alg none → 401 invalid_token',
    request: (c) => ({ path: '/protected', headers: { authorization: `Bearer ${c.algNoneJwt}` } }),
    expect: () => ({ status: 401, challengeError: 'invalid_token' }),
  },
  {
    name: 'garbage bearer token → 401 invalid_token',
    request: () => ({ path: '/protected', headers: { authorization: 'Bearer not.a.jwt' } }),
    expect: () => ({ status: 401, challengeError: 'invalid_token' }),
  },
  {
    name: 'Bearer value outside token68 → 400 invalid_request',
    request: () => ({ path: '/protected', headers: { authorization: 'Bearer a b' } }),
    expect: () => ({
      status: 400,
      challengeError: 'invalid_request',
      code: 'ERR_MALFORMED_CREDENTIAL',
    }),
  },
  {
    name: 'unknown scheme → 400 invalid_request',
    request: () => ({ path: '/protected', headers: { authorization: 'Digest abc' } }),
    expect: () => ({
      status: 400,
      challengeError: 'invalid_request',
      code: 'ERR_MALFORMED_CREDENTIAL',
    }),
  },
  {
    name: 'Basic with an empty client id → 400 invalid_request',
    request: () => ({ path: '/protected', headers: { authorization: basic('', 'secret') } }),
    expect: () => ({
      status: 400,
      challengeError: 'invalid_request',
      code: 'ERR_MALFORMED_CREDENTIAL',
    }),
  },
  {
    name: 'Authorization and X-API-Key together → 400 invalid_request',
    request: (c) => ({
      path: '/protected',
      headers: {
        authorization: `Bearer ${c.tenantApiToken.jwt}`,
        'x-api-key': c.tenantAccessToken,
      },
    }),
    expect: () => ({
      status: 400,
      challengeError: 'invalid_request',
      code: 'ERR_MULTIPLE_CREDENTIALS',
    }),
  },
  {
    name: 'access_token in the query string → 400 invalid_request',
    request: (c) => ({
      path: `/protected?access_token=${encodeURIComponent(c.tenantApiToken.jwt)}`,
      headers: {},
    }),
    expect: () => ({ status: 400, challengeError: 'invalid_request', code: 'ERR_TOKEN_IN_QUERY' }),
  },
  {
    name: 'oversized credential → 400 invalid_request',
    request: () => ({
      path: '/protected',
      headers: { authorization: `Bearer ${'a'.repeat(9000)}` },
    }),
    expect: () => ({
      status: 400,
      challengeError: 'invalid_request',
      code: 'ERR_CREDENTIAL_TOO_LARGE',
    }),
  },
  {
    name: 'missing permission → 403 insufficient_scope',
    request: (c) => ({
      path: '/needs-permission',
      headers: { authorization: `Bearer ${c.tenantApiToken.jwt}` },
    }),
    expect: () => ({
      status: 403,
      challengeError: 'insufficient_scope',
      code: 'ERR_INSUFFICIENT_SCOPE',
    }),
  },
  {
    name: 'held permission → 200',
    request: (c) => ({
      path: '/has-permission',
      headers: { authorization: `Bearer ${c.tenantApiToken.jwt}` },
    }),
    expect: () => ({ status: 200 }),
  },
  {
    name: 'own tenant on a tenant-bound route → 200',
    request: (c) => ({
      path: `/tenants/${encodeURIComponent(c.tenantId)}/data`,
      headers: { authorization: `Bearer ${c.tenantApiToken.jwt}` },
    }),
    expect: () => ({ status: 200 }),
  },
  {
    name: 'another tenant on a tenant-bound route → 403 insufficient_scope',
    request: (c) => ({
      path: `/tenants/${encodeURIComponent(c.otherTenantId)}/data`,
      headers: { authorization: `Bearer ${c.tenantApiToken.jwt}` },
    }),
    expect: () => ({
      status: 403,
      challengeError: 'insufficient_scope',
      code: 'ERR_INSUFFICIENT_SCOPE',
    }),
  },
];
