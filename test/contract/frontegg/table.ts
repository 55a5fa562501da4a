/**
 * The Frontegg contract: every Frontegg route the `frontegg` preset calls or the emulator serves,
 * with its method, path, origin, required headers, statuses and answer shape. Written from
 * `/work/shared/reference/frontegg-api-facts.md` ("facts" below); where the facts file is silent
 * the row says so (`source`) and, when nothing public settles it, `unverified` says what is assumed.
 *
 * Two runners use it: `emulator.test.ts` drives the emulator through every row (answer checked
 * against the schema, each required header left out in turn), and `recording.test.ts` records every
 * request the preset makes during the existing Frontegg tests and checks each against the rows.
 */
import type { z } from 'zod';
import * as shape from './schemas.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What the emulator runner offers a row to build its request: fresh objects on demand. */
export interface Fixture {
  readonly tenantId: string;
  readonly vendor: { readonly clientId: string; readonly secret: string };
  newTenant(): Promise<string>;
  /** A user in `tenantId`. */
  newUser(): Promise<string>;
  newRole(): Promise<string>;
  newPermission(): Promise<string>;
  newTenantApiToken(): Promise<{ clientId: string; secret: string }>;
  /** A personal API token of `userId` in `tenantId`. */
  newUserApiToken(userId: string): Promise<{ clientId: string; secret: string }>;
  /** An access token id (the strategy is switched to `AccessToken` around its creation). */
  newAccessToken(kind: 'tenant' | 'user', userId?: string): Promise<string>;
  newWebhook(): Promise<string>;
  /** A user of `tenantId` with a password. */
  newLogin(): Promise<{ email: string; password: string }>;
  /** A refresh token from the exchange of that version. */
  newRefreshToken(version: 'v1' | 'v2'): Promise<string>;
}

/** One request of the emulator runner. */
export interface Sample {
  readonly params?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Headers besides the vendor token, required ones included. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Creation of this kind needs `machineToMachineAuthStrategy` set so. */
  readonly strategy?: 'AccessToken';
}

export interface ContractRoute {
  /** Frontegg's OpenAPI operationId where known, else a descriptive name. */
  readonly name: string;
  readonly method: Method;
  /** `:name` segments are parameters. */
  readonly path: string;
  /** Frontegg's vendor API gateway, or the environment's app domain (facts "Domains"). */
  readonly origin: 'vendor' | 'app';
  /** `vendor`: the vendor token in `x-access-token` (or `Authorization: Bearer`). */
  readonly auth: 'vendor' | 'none';
  /** Without one of these Frontegg answers 400. */
  readonly requiredHeaders: readonly string[];
  /** Frontegg headers a client may send besides. */
  readonly optionalHeaders?: readonly string[];
  readonly status: number;
  /** Other statuses Frontegg answers on this route (with the `{errors:[...]}` body). */
  readonly errorStatuses: readonly number[];
  readonly response: z.ZodType;
  /** The preset calls this route. */
  readonly preset: boolean;
  /** Where the row comes from. */
  readonly source: string;
  /** What no public source settles (kept configurable / documented in docs/providers/frontegg.md). */
  readonly unverified?: string;
  readonly sample: (fixture: Fixture) => Promise<Sample>;
}

const TENANT = 'frontegg-tenant-id';
const USER = 'frontegg-user-id';
const VENDOR_ONLY_TENANT_NOTE =
  'The OpenAPI marks frontegg-tenant-id as required on vendor-only routes; both official SDKs omit it (facts "Access tokens"). The preset omits it; the emulator does not require it.';

const tenantHeader = (fixture: Fixture): Record<string, string> => ({
  [TENANT]: fixture.tenantId,
});
const personalHeaders = (fixture: Fixture, userId: string): Record<string, string> => ({
  [TENANT]: fixture.tenantId,
  [USER]: userId,
});

const row = (route: ContractRoute): ContractRoute => Object.freeze(route);

export const FRONTEGG_CONTRACT: readonly ContractRoute[] = Object.freeze([
  // ---------------------------------------------------------------- vendor token, settings, keys
  row({
    name: 'authenticate vendor',
    method: 'POST',
    path: '/auth/vendor',
    origin: 'vendor',
    auth: 'none',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [400, 401],
    response: shape.vendorToken,
    preset: true,
    source: 'facts "Vendor token"',
    unverified: 'Lifetime 1800 s from one recorded answer; its JWT had no kid.',
    sample: async (f) => ({ body: { clientId: f.vendor.clientId, secret: f.vendor.secret } }),
  }),
  row({
    name: 'VendorConfigurationsController_getConfigurations',
    method: 'GET',
    path: '/identity/resources/configurations/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401],
    response: shape.configurations,
    preset: true,
    source: 'facts "Vendor settings"',
    sample: async () => ({}),
  }),
  row({
    name: 'VendorConfigurationsController_createOrUpdateConfigurations',
    method: 'POST',
    path: '/identity/resources/configurations/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 201,
    errorStatuses: [400, 401],
    response: shape.configurations,
    preset: false,
    source: 'facts "Vendor settings" (POST answers 201)',
    sample: async () => ({ body: { apiTokensEnabled: true } }),
  }),
  row({
    name: 'JWKS',
    method: 'GET',
    path: '/.well-known/jwks.json',
    origin: 'app',
    auth: 'none',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [],
    response: shape.jwks,
    preset: true,
    source: 'facts "Domains" (the JWKS is served on the app domain)',
    sample: async () => ({}),
  }),
  // ---------------------------------------------------------------- API-token exchange (app domain)
  row({
    name: 'AuthenticationApiTokenControllerV2_authApiToken',
    method: 'POST',
    path: '/identity/resources/auth/v2/api-token',
    origin: 'app',
    auth: 'none',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [400, 401, 403],
    response: shape.exchangeV2,
    preset: true,
    source: 'facts "API tokens" (Exchange)',
    sample: async (f) => ({ body: await f.newTenantApiToken() }),
  }),
  row({
    name: 'AuthenticationApiTokenControllerV2_refreshToken',
    method: 'POST',
    path: '/identity/resources/auth/v2/api-token/token/refresh',
    origin: 'app',
    auth: 'none',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [400, 401, 403],
    response: shape.exchangeV2,
    preset: false,
    source: 'facts "API tokens" (refresh tokens rotate; 100 per API token)',
    sample: async (f) => ({ body: { refreshToken: await f.newRefreshToken('v2') } }),
  }),
  row({
    name: 'AuthenticationApiTokenControllerV1_authApiToken',
    method: 'POST',
    path: '/identity/resources/auth/v1/api-token',
    origin: 'app',
    auth: 'none',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [400, 401, 403],
    response: shape.exchangeV1,
    preset: false,
    source: 'Frontegg OpenAPI (deprecated v1 exchange; not in the facts file)',
    sample: async (f) => ({ body: await f.newTenantApiToken() }),
  }),
  row({
    name: 'AuthenticationApiTokenControllerV1_refreshToken',
    method: 'POST',
    path: '/identity/resources/auth/v1/api-token/token/refresh',
    origin: 'app',
    auth: 'none',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [400, 401, 403],
    response: shape.exchangeV1,
    preset: false,
    source: 'Frontegg OpenAPI (deprecated v1 refresh; not in the facts file)',
    sample: async (f) => ({ body: { refreshToken: await f.newRefreshToken('v1') } }),
  }),
  // ---------------------------------------------------------------- tenant API tokens
  row({
    name: 'TenantApiTokensV1Controller_createTenantApiToken',
    method: 'POST',
    path: '/identity/resources/tenants/api-tokens/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT],
    optionalHeaders: [USER],
    status: 201,
    errorStatuses: [400, 401, 403],
    response: shape.createdApiToken,
    preset: false,
    source: 'facts "API tokens" (deprecated v1; roleIds override permissionIds)',
    sample: async (f) => ({ headers: tenantHeader(f), body: { description: 'contract' } }),
  }),
  row({
    name: 'TenantApiTokensV2Controller_createTenantApiToken',
    method: 'POST',
    path: '/identity/resources/tenants/api-tokens/v2',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT],
    optionalHeaders: [USER],
    status: 201,
    errorStatuses: [400, 401, 403],
    response: shape.createdApiToken,
    preset: false,
    source: 'facts "API tokens" (v2 is POST only)',
    sample: async (f) => ({ headers: tenantHeader(f), body: { description: 'contract v2' } }),
  }),
  row({
    name: 'TenantApiTokensV1Controller_getTenantsApiTokens',
    method: 'GET',
    path: '/identity/resources/tenants/api-tokens/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT],
    status: 200,
    errorStatuses: [400, 401],
    response: shape.apiTokenList,
    preset: true,
    source: 'facts "API tokens" (a bare array)',
    sample: async (f) => ({ headers: tenantHeader(f) }),
  }),
  row({
    name: 'TenantApiTokensV1Controller_updateTenantApiToken',
    method: 'PATCH',
    path: '/identity/resources/tenants/api-tokens/v1/:clientId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.apiToken,
    preset: false,
    source: 'facts "API tokens" (PATCH)',
    sample: async (f) => ({
      params: { clientId: (await f.newTenantApiToken()).clientId },
      headers: tenantHeader(f),
      body: { description: 'renamed' },
    }),
  }),
  row({
    name: 'TenantApiTokensV1Controller_deleteTenantApiToken',
    method: 'DELETE',
    path: '/identity/resources/tenants/api-tokens/v1/:clientId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.anyBody,
    preset: false,
    source: 'facts "API tokens" (DELETE)',
    sample: async (f) => ({
      params: { clientId: (await f.newTenantApiToken()).clientId },
      headers: tenantHeader(f),
    }),
  }),
  // ---------------------------------------------------------------- personal API tokens
  row({
    name: 'UserApiTokensV1Controller_createTenantApiToken',
    method: 'POST',
    path: '/identity/resources/users/api-tokens/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT, USER],
    status: 201,
    errorStatuses: [400, 401, 403, 404],
    response: shape.createdApiToken,
    preset: false,
    source: 'facts "API tokens" (personal tokens need both headers)',
    sample: async (f) => ({
      headers: personalHeaders(f, await f.newUser()),
      body: { description: 'personal' },
    }),
  }),
  row({
    name: 'UserApiTokensV1Controller_getApiTokens',
    method: 'GET',
    path: '/identity/resources/users/api-tokens/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT, USER],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.apiTokenList,
    preset: true,
    source: 'facts "API tokens"',
    sample: async (f) => ({ headers: personalHeaders(f, await f.newUser()) }),
  }),
  row({
    name: 'UserApiTokensV1Controller_deleteApiToken',
    method: 'DELETE',
    path: '/identity/resources/users/api-tokens/v1/:clientId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT, USER],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.anyBody,
    preset: false,
    source: 'facts "API tokens"',
    sample: async (f) => {
      const userId = await f.newUser();
      const token = await f.newUserApiToken(userId);
      return { params: { clientId: token.clientId }, headers: personalHeaders(f, userId) };
    },
  }),
  // ---------------------------------------------------------------- access tokens
  ...(['tenant', 'user'] as const).flatMap((kind) => {
    const base = `/identity/resources/${kind}s/access-tokens/v1`;
    const vendorOnly = `/identity/resources/vendor-only/${kind}s/access-tokens/v1`;
    const Kind = kind === 'tenant' ? 'Tenant' : 'User';
    const headers = async (f: Fixture, userId?: string): Promise<Record<string, string>> =>
      kind === 'tenant' ? tenantHeader(f) : personalHeaders(f, userId ?? (await f.newUser()));
    const managementNote =
      kind === 'tenant'
        ? 'The facts file lists the route, not its headers; frontegg-tenant-id is required as on the API-token routes.'
        : 'The facts file lists the route, not its headers; both headers are required as on the personal API-token routes.';
    return [
      row({
        name: `${Kind}AccessTokensV1Controller_createAccessToken`,
        method: 'POST',
        path: base,
        origin: 'vendor',
        auth: 'vendor',
        requiredHeaders: kind === 'tenant' ? [TENANT] : [TENANT, USER],
        status: 201,
        errorStatuses: [400, 401, 403, 404],
        response: shape.createdAccessToken,
        preset: false,
        source: 'facts "Access tokens" (Management; tenant bodies may carry roleIds)',
        unverified: managementNote,
        sample: async (f) => ({
          headers: await headers(f),
          body: { description: 'contract' },
          strategy: 'AccessToken',
        }),
      }),
      row({
        name: `${Kind}AccessTokensV1Controller_getAccessTokens`,
        method: 'GET',
        path: base,
        origin: 'vendor',
        auth: 'vendor',
        requiredHeaders: kind === 'tenant' ? [TENANT] : [TENANT, USER],
        status: 200,
        errorStatuses: [400, 401, 404],
        response: shape.accessTokenList,
        preset: false,
        source: 'facts "Access tokens" (GET answers {accessTokens: [...]})',
        unverified: managementNote,
        sample: async (f) => ({ headers: await headers(f) }),
      }),
      row({
        name: `${Kind}AccessTokensV1Controller_deleteAccessToken`,
        method: 'DELETE',
        path: `${base}/:id`,
        origin: 'vendor',
        auth: 'vendor',
        requiredHeaders: kind === 'tenant' ? [TENANT] : [TENANT, USER],
        status: 200,
        errorStatuses: [400, 401, 404],
        response: shape.anyBody,
        preset: false,
        source: 'facts "Access tokens" (Management)',
        unverified: managementNote,
        sample: async (f) => {
          const userId = kind === 'user' ? await f.newUser() : undefined;
          const id = await f.newAccessToken(kind, userId);
          return { params: { id }, headers: await headers(f, userId) };
        },
      }),
      row({
        name: `VendorOnly${Kind}AccessTokensV1Controller_getActiveAccessTokens`,
        method: 'GET',
        path: `${vendorOnly}/active`,
        origin: 'vendor',
        auth: 'vendor',
        requiredHeaders: [],
        optionalHeaders: [TENANT],
        status: 200,
        errorStatuses: [401, 403],
        response: shape.activeIds,
        preset: true,
        source: 'facts "Access tokens" (what @frontegg/client calls; an array of ids)',
        unverified: VENDOR_ONLY_TENANT_NOTE,
        sample: async () => ({}),
      }),
      row({
        name: `VendorOnly${Kind}AccessTokensV1Controller_getAccessToken`,
        method: 'GET',
        path: `${vendorOnly}/:id`,
        origin: 'vendor',
        auth: 'vendor',
        requiredHeaders: [],
        optionalHeaders: [TENANT],
        status: 200,
        errorStatuses: [401, 403, 404],
        response: shape.accessTokenEntity,
        preset: true,
        source: 'facts "Access tokens" ({id, tenantId, permissions[], roles[], expires?} + userId)',
        unverified: VENDOR_ONLY_TENANT_NOTE,
        sample: async (f) => ({
          params: {
            id: await f.newAccessToken(kind, kind === 'user' ? await f.newUser() : undefined),
          },
        }),
      }),
    ];
  }),
  // ---------------------------------------------------------------- users
  row({
    name: 'VendorOnlyUsers_getUserById',
    method: 'GET',
    path: '/identity/resources/vendor-only/users/v1/:userId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401, 404],
    response: shape.user,
    preset: true,
    source: 'facts "Users" (the tenant-independent read; confirms lock state)',
    sample: async (f) => ({ params: { userId: await f.newUser() } }),
  }),
  row({
    name: 'UsersControllerV1_getUserById',
    method: 'GET',
    path: '/identity/resources/users/v1/:userId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.user,
    preset: false,
    source: 'facts "Users" (REQUIRES frontegg-tenant-id)',
    sample: async (f) => ({ params: { userId: await f.newUser() }, headers: tenantHeader(f) }),
  }),
  row({
    name: 'UsersControllerV1_updateUser',
    method: 'PUT',
    path: '/identity/resources/users/v1/:userId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    optionalHeaders: [TENANT],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.user,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    unverified: 'Whether Frontegg requires frontegg-tenant-id here; the emulator does not.',
    sample: async (f) => ({ params: { userId: await f.newUser() }, body: { name: 'Renamed' } }),
  }),
  row({
    name: 'UsersControllerV1_removeUserFromTenant',
    method: 'DELETE',
    path: '/identity/resources/users/v1/:userId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    optionalHeaders: [TENANT],
    status: 200,
    errorStatuses: [401, 404],
    response: shape.anyBody,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    unverified:
      'With frontegg-tenant-id the user leaves that tenant; without it the emulator deletes the user.',
    sample: async (f) => ({ params: { userId: await f.newUser() } }),
  }),
  ...(['lock', 'unlock'] as const).map((action) =>
    row({
      name: `UsersControllerV1_${action}User`,
      method: 'POST',
      path: `/identity/resources/users/v1/:userId/${action}`,
      origin: 'vendor',
      auth: 'vendor',
      requiredHeaders: [],
      status: 200,
      errorStatuses: [401, 404],
      response: shape.anyBody,
      preset: false,
      source: 'facts "Users" (lock and unlock)',
      unverified: 'Whether they emit frontegg.user.updated; the emulator does.',
      sample: async (f) => ({ params: { userId: await f.newUser() } }),
    }),
  ),
  row({
    name: 'UsersControllerV1_addUserToTenant',
    method: 'POST',
    path: '/identity/resources/users/v1/:userId/tenant',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 201,
    errorStatuses: [400, 401, 404],
    response: shape.user,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async (f) => ({
      params: { userId: await f.newUser() },
      body: { tenantId: await f.newTenant() },
    }),
  }),
  row({
    name: 'UsersControllerV1_updateUserRoles',
    method: 'PUT',
    path: '/identity/resources/users/v1/:userId/roles',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.user,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async (f) => ({
      params: { userId: await f.newUser() },
      headers: tenantHeader(f),
      body: { roleIds: [await f.newRole()] },
    }),
  }),
  row({
    name: 'UsersControllerV2_createUser',
    method: 'POST',
    path: '/identity/resources/users/v2',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [TENANT],
    status: 201,
    errorStatuses: [400, 401, 404, 409],
    response: shape.user,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async (f) => ({
      headers: tenantHeader(f),
      body: { email: `c-${Math.random().toString(36).slice(2)}@example.test` },
    }),
  }),
  row({
    name: 'UsersControllerV2_getUsers',
    method: 'GET',
    path: '/identity/resources/users/v2',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    optionalHeaders: [TENANT],
    status: 200,
    errorStatuses: [401],
    response: shape.userPage,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async () => ({}),
  }),
  row({
    name: 'user login',
    method: 'POST',
    path: '/identity/resources/auth/v1/user',
    origin: 'app',
    auth: 'none',
    requiredHeaders: [],
    optionalHeaders: [TENANT],
    status: 200,
    errorStatuses: [400, 401, 403],
    response: shape.anyBody,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file; the console signs users in with it)',
    sample: async (f) => ({ body: await f.newLogin() }),
  }),
  // ---------------------------------------------------------------- tenants
  row({
    name: 'TenantControllerV1_createTenant',
    method: 'POST',
    path: '/tenants/resources/tenants/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 201,
    errorStatuses: [400, 401, 409],
    response: shape.tenant,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async () => ({ body: { name: 'Contract tenant' } }),
  }),
  row({
    name: 'TenantControllerV1_getTenants',
    method: 'GET',
    path: '/tenants/resources/tenants/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401],
    response: shape.tenantArray,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async () => ({}),
  }),
  row({
    name: 'TenantControllerV1_getTenant',
    method: 'GET',
    path: '/tenants/resources/tenants/v1/:tenantId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401],
    response: shape.tenantArray,
    preset: false,
    source: 'facts "Users" (an unknown tenant answers an empty array, not 404)',
    sample: async () => ({ params: { tenantId: 'no-such-tenant' } }),
  }),
  row({
    name: 'TenantControllerV1_deleteTenant',
    method: 'DELETE',
    path: '/tenants/resources/tenants/v1/:tenantId',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401, 404],
    response: shape.anyBody,
    preset: false,
    source: 'facts "Users" (deleting a tenant removes it and all its users)',
    sample: async (f) => ({ params: { tenantId: await f.newTenant() } }),
  }),
  // ---------------------------------------------------------------- roles and permissions
  row({
    name: 'PermissionsControllerV1_getAllPermissions',
    method: 'GET',
    path: '/identity/resources/permissions/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401],
    response: shape.oneOrMany(shape.permission),
    preset: true,
    source:
      'Frontegg OpenAPI (not in the facts file); the preset reads it when JWTs carry no roles/permissions (facts "API tokens")',
    sample: async () => ({}),
  }),
  row({
    name: 'PermissionsControllerV1_createPermission',
    method: 'POST',
    path: '/identity/resources/permissions/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 201,
    errorStatuses: [400, 401, 409],
    response: shape.oneOrMany(shape.permission),
    preset: false,
    source: 'Frontegg OpenAPI; Terraform sends arrays (not in the facts file)',
    sample: async () => ({ body: [{ key: `contract.${Math.random().toString(36).slice(2)}` }] }),
  }),
  row({
    name: 'PermissionsControllerV1_deletePermission',
    method: 'DELETE',
    path: '/identity/resources/permissions/v1/:id',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401, 404],
    response: shape.anyBody,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async (f) => ({ params: { id: await f.newPermission() } }),
  }),
  row({
    name: 'RolesControllerV1_getAllRoles',
    method: 'GET',
    path: '/identity/resources/roles/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401],
    response: shape.oneOrMany(shape.role),
    preset: true,
    source:
      'Frontegg OpenAPI (not in the facts file); the preset reads it when JWTs carry no roles/permissions (facts "API tokens")',
    sample: async () => ({}),
  }),
  row({
    name: 'RolesControllerV1_addRoles',
    method: 'POST',
    path: '/identity/resources/roles/v1',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 201,
    errorStatuses: [400, 401, 409],
    response: shape.oneOrMany(shape.role),
    preset: false,
    source: 'Frontegg OpenAPI; Terraform sends arrays (not in the facts file)',
    sample: async () => ({ body: { key: `contract-${Math.random().toString(36).slice(2)}` } }),
  }),
  row({
    name: 'RolesControllerV1_getRole',
    method: 'GET',
    path: '/identity/resources/roles/v1/:id',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401, 404],
    response: shape.role,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async (f) => ({ params: { id: await f.newRole() } }),
  }),
  row({
    name: 'RolesControllerV1_deleteRole',
    method: 'DELETE',
    path: '/identity/resources/roles/v1/:id',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401, 404],
    response: shape.anyBody,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async (f) => ({ params: { id: await f.newRole() } }),
  }),
  row({
    name: 'RolesControllerV1_setPermissionsToRole',
    method: 'PUT',
    path: '/identity/resources/roles/v1/:id/permissions',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.role,
    preset: false,
    source: 'Frontegg OpenAPI (not in the facts file)',
    sample: async (f) => ({
      params: { id: await f.newRole() },
      body: { permissionIds: [await f.newPermission()] },
    }),
  }),
  // ---------------------------------------------------------------- webhooks (portal routes)
  row({
    name: 'create webhook',
    method: 'POST',
    path: '/webhook/custom',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 201,
    errorStatuses: [400, 401],
    response: shape.webhook,
    preset: false,
    source: 'facts "Webhooks" (event keys are open: any frontegg.*)',
    sample: async () => ({
      body: {
        displayName: 'contract',
        url: 'http://127.0.0.1:9/hook',
        secret: 'contract-hook-secret',
        eventKeys: ['frontegg.user.created', 'frontegg.tenant.sso.updated'],
      },
    }),
  }),
  row({
    name: 'update webhook',
    method: 'PATCH',
    path: '/webhook/:id',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [400, 401, 404],
    response: shape.webhook,
    preset: false,
    source: "Frontegg portal's webhook routes (not in the facts file)",
    sample: async (f) => ({ params: { id: await f.newWebhook() }, body: { isActive: false } }),
  }),
  row({
    name: 'list webhooks',
    method: 'GET',
    path: '/webhook',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401],
    response: shape.oneOrMany(shape.webhook),
    preset: false,
    source: "Frontegg portal's webhook routes (not in the facts file)",
    sample: async () => ({}),
  }),
  row({
    name: 'delete webhook',
    method: 'DELETE',
    path: '/webhook/:id',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401, 404],
    response: shape.anyBody,
    preset: false,
    source: "Frontegg portal's webhook routes (not in the facts file)",
    sample: async (f) => ({ params: { id: await f.newWebhook() } }),
  }),
  row({
    name: 'webhook logs',
    method: 'GET',
    path: '/webhook/:id/logs',
    origin: 'vendor',
    auth: 'vendor',
    requiredHeaders: [],
    status: 200,
    errorStatuses: [401, 404],
    response: shape.webhookLogs,
    preset: false,
    source: "Frontegg portal's webhook routes (not in the facts file)",
    sample: async (f) => ({ params: { id: await f.newWebhook() } }),
  }),
]);

/** The row for a method and a concrete path, or undefined. */
export function routeFor(method: string, path: string): ContractRoute | undefined {
  const actual = path.split('/').filter((segment) => segment !== '');
  return FRONTEGG_CONTRACT.find((route) => {
    if (route.method !== method) return false;
    const pattern = route.path.split('/').filter((segment) => segment !== '');
    return (
      pattern.length === actual.length &&
      pattern.every((segment, index) => segment.startsWith(':') || segment === actual[index])
    );
  });
}

/** `:name` segments filled from `params` (URL-encoded). */
export function fillPath(path: string, params: Readonly<Record<string, string>> = {}): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${path}`);
    return encodeURIComponent(value);
  });
}
