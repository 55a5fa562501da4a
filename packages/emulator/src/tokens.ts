import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { nowSec } from './app.js';
import type { EmulatorApp } from './app.js';
import { lookupHash, newOpaqueToken } from './secrets.js';
import { MAX_REFRESH_TOKENS_PER_API_TOKEN, audienceOf, rolesAndPermissions } from './state.js';
import type { AccessToken, ApiToken, User } from './state.js';

/** Default vendor (environment) token lifetime, seconds: what Frontegg's one recorded answer lived. */
export const VENDOR_TOKEN_TTL_SEC = 1800;

function baseClaims(app: EmulatorApp, lifetimeSec: number | undefined): JWTPayload {
  const iat = nowSec(app);
  return {
    iss: app.url(),
    aud: audienceOf(app.state),
    iat,
    ...(lifetimeSec === undefined ? {} : { exp: iat + lifetimeSec }),
    jti: randomUUID(),
  };
}

export async function issueVendorToken(app: EmulatorApp): Promise<string> {
  return app.keys.sign({
    ...baseClaims(app, app.vendorTokenTtlSec),
    sub: app.state.vendor.clientId,
    type: 'vendor',
    vendorId: app.state.vendor.clientId,
    scopes: [],
  });
}

/** A `userToken` for a user in one tenant (claims per frontegg-wire §1). */
export async function issueUserToken(
  app: EmulatorApp,
  user: User,
  tenantId: string,
): Promise<string> {
  const granted = rolesAndPermissions(app.state, user.tenants[tenantId] ?? []);
  return app.keys.sign({
    ...jwtGrants(app, granted),
    ...baseClaims(app, app.state.configuration.defaultTokenExpiration),
    sub: user.id,
    type: 'userToken',
    tenantId,
    tenantIds: Object.keys(user.tenants),
    metadata: user.metadata,
    name: user.name,
    email: user.email,
    email_verified: true,
    sid: randomUUID(),
  });
}

/**
 * The `roles` / `permissions` claims, each only while the vendor configuration adds it to JWTs
 * (`addRolesToJwt`, `addPermissionsToJwt`; frontegg-api-facts.md "API tokens").
 */
function jwtGrants(
  app: EmulatorApp,
  grants: { roles: string[]; permissions: string[] },
): { roles?: string[]; permissions?: string[] } {
  const { addRolesToJwt, addPermissionsToJwt } = app.state.configuration;
  return {
    ...(addRolesToJwt ? { roles: grants.roles } : {}),
    ...(addPermissionsToJwt ? { permissions: grants.permissions } : {}),
  };
}

/** The roles/permissions an API token grants now (personal tokens without roles inherit the user's). */
export function apiTokenGrants(
  app: EmulatorApp,
  token: Pick<ApiToken, 'kind' | 'tenantId' | 'userId' | 'roleIds' | 'permissionIds'>,
): { roles: string[]; permissions: string[] } {
  if (token.kind === 'user' && token.roleIds.length === 0 && token.permissionIds.length === 0) {
    const user = token.userId === undefined ? undefined : app.state.users[token.userId];
    return rolesAndPermissions(app.state, user?.tenants[token.tenantId] ?? []);
  }
  return rolesAndPermissions(app.state, token.roleIds, token.permissionIds);
}

/** The JWT an API token's client credentials exchange for, and its lifetime (seconds). */
export async function issueApiTokenJwt(
  app: EmulatorApp,
  token: ApiToken,
): Promise<{ jwt: string; expiresIn: number }> {
  let expiresIn = app.state.configuration.defaultTokenExpiration;
  if (token.expires !== undefined) {
    // Never outlive the credentials themselves.
    expiresIn = Math.max(
      1,
      Math.min(expiresIn, Math.floor((Date.parse(token.expires) - app.now()) / 1000)),
    );
  }
  const grants = apiTokenGrants(app, token);
  const claims: JWTPayload = {
    ...baseClaims(app, expiresIn),
    sub: token.clientId,
    type: token.kind === 'tenant' ? 'tenantApiToken' : 'userApiToken',
    tenantId: token.tenantId,
    ...jwtGrants(app, grants),
    metadata: token.metadata,
  };
  if (token.createdByUserId !== undefined) claims['createdByUserId'] = token.createdByUserId;
  if (token.kind === 'user' && token.userId !== undefined) {
    const user = app.state.users[token.userId];
    claims['userId'] = token.userId;
    claims['email'] = user?.email ?? '';
    claims['userMetadata'] = user?.metadata ?? {};
  }
  return { jwt: await app.keys.sign(claims), expiresIn };
}

/** Access-token JWT: `sub` = token id, no roles/permissions (they come from vendor-only routes). */
export async function issueAccessTokenJwt(app: EmulatorApp, token: AccessToken): Promise<string> {
  const lifetimeSec =
    token.expires === undefined
      ? undefined
      : Math.max(1, Math.floor((Date.parse(token.expires) - app.now()) / 1000));
  const claims: JWTPayload = {
    ...baseClaims(app, lifetimeSec),
    sub: token.id,
    type: token.kind === 'tenant' ? 'tenantAccessToken' : 'userAccessToken',
    tenantId: token.tenantId,
  };
  if (token.userId !== undefined) claims['userId'] = token.userId;
  return app.keys.sign(claims);
}

/**
 * A single-use refresh token for an API token. At most 100 live per API token: issuing the
 * 101st drops the oldest (Frontegg's documented rotation limit).
 */
export function issueRefreshToken(app: EmulatorApp, clientId: string): string {
  const refreshToken = newOpaqueToken();
  const records = app.state.refreshTokens;
  records[lookupHash(refreshToken)] = { clientId, createdAt: app.now() };
  const mine = Object.entries(records)
    .filter(([, record]) => record.clientId === clientId)
    .sort(([, a], [, b]) => a.createdAt - b.createdAt);
  for (const [hash] of mine.slice(0, Math.max(0, mine.length - MAX_REFRESH_TOKENS_PER_API_TOKEN))) {
    delete records[hash];
  }
  return refreshToken;
}

/** Consumes a refresh token: returns its client id once, then never again. */
export function consumeRefreshToken(app: EmulatorApp, refreshToken: string): string | undefined {
  const hash = lookupHash(refreshToken);
  const record = app.state.refreshTokens[hash];
  if (!record) return undefined;
  delete app.state.refreshTokens[hash];
  const lifetimeMs = app.state.configuration.defaultRefreshTokenExpiration * 1000;
  return record.createdAt + lifetimeMs > app.now() ? record.clientId : undefined;
}
