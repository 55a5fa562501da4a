import type { EmulatorApp } from '../app.js';
import { nowIso } from '../app.js';
import {
  authenticate,
  personalUserOf,
  requirePermission,
  requireVendor,
  tenantOf,
} from '../auth.js';
import { notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { objectBody, optionalString } from '../http/validate.js';
import { assertCanCreate, assertEnabled } from '../policy.js';
import { newId } from '../secrets.js';
import { isExpired, rolesAndPermissions } from '../state.js';
import type { AccessToken, OwnerKind } from '../state.js';
import { issueAccessTokenJwt } from '../tokens.js';
import { expiresFrom, validRoleIds } from './api-tokens.js';

function accessTokenView(token: AccessToken): Record<string, unknown> {
  return {
    id: token.id,
    tenantId: token.tenantId,
    ...(token.userId === undefined ? {} : { userId: token.userId }),
    description: token.description,
    roleIds: [...token.roleIds],
    createdByUserId: token.createdByUserId ?? null,
    createdAt: token.createdAt,
    expires: token.expires ?? null,
  };
}

/** Roles and permissions an access token grants now (personal tokens without roles inherit the user's). */
export function accessTokenGrants(
  app: EmulatorApp,
  token: AccessToken,
): { roles: string[]; permissions: string[] } {
  if (token.kind === 'user' && token.roleIds.length === 0) {
    const user = token.userId === undefined ? undefined : app.state.users[token.userId];
    return rolesAndPermissions(app.state, user?.tenants[token.tenantId] ?? []);
  }
  return rolesAndPermissions(app.state, token.roleIds);
}

/** Active = exists, not expired, tenant exists, and (personal) the user is unlocked. */
export function isActiveAccessToken(app: EmulatorApp, token: AccessToken): boolean {
  if (isExpired(token.expires, app.now()) || !app.state.tenants[token.tenantId]) return false;
  if (token.kind === 'user') {
    const user = token.userId === undefined ? undefined : app.state.users[token.userId];
    return user !== undefined && !user.isLocked;
  }
  return true;
}

/** Access tokens (management and vendor-only routes), tenant and personal. */
export function registerAccessTokenRoutes(router: Router, app: EmulatorApp): void {
  for (const kind of ['tenant', 'user'] as const) {
    registerManagement(router, app, kind);
    registerVendorOnly(router, app, kind);
  }
}

function registerManagement(router: Router, app: EmulatorApp, kind: OwnerKind): void {
  const base = `/identity/resources/${kind}s/access-tokens/v1`;
  router.add('POST', base, 'identity', async ({ headers, body }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'write', kind);
    const tenantId = tenantOf(app, caller, headers);
    const user = kind === 'user' ? personalUserOf(app, caller, headers, tenantId) : undefined;
    assertCanCreate(app, 'accessToken');
    const input = objectBody(body);
    const createdByUserId = caller.kind === 'user' ? caller.user.id : user?.id;
    const token: AccessToken = {
      id: newId(),
      kind,
      tenantId,
      ...(user === undefined ? {} : { userId: user.id }),
      ...(createdByUserId === undefined ? {} : { createdByUserId }),
      description: optionalString(input, 'description') ?? '',
      roleIds: validRoleIds(app.state, input),
      createdAt: nowIso(app),
    };
    const expires = expiresFrom(token.createdAt, input);
    if (expires !== undefined) token.expires = expires;
    app.state.accessTokens[token.id] = token;
    const secret = await issueAccessTokenJwt(app, token);
    return { status: 201, body: { ...accessTokenView(token), secret } };
  });

  router.add('GET', base, 'identity', async ({ headers }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'read', kind);
    const tenantId = tenantOf(app, caller, headers);
    const user = kind === 'user' ? personalUserOf(app, caller, headers, tenantId) : undefined;
    const tokens = Object.values(app.state.accessTokens).filter(
      (token) =>
        token.kind === kind && token.tenantId === tenantId && (!user || token.userId === user.id),
    );
    return { status: 200, body: { accessTokens: tokens.map(accessTokenView) } };
  });

  router.add('DELETE', `${base}/:id`, 'identity', async ({ headers, params }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'delete', kind);
    const tenantId = tenantOf(app, caller, headers);
    const user = kind === 'user' ? personalUserOf(app, caller, headers, tenantId) : undefined;
    const token = app.state.accessTokens[params['id'] ?? ''];
    if (
      !token ||
      token.kind !== kind ||
      token.tenantId !== tenantId ||
      (user !== undefined && token.userId !== user.id)
    ) {
      throw notFound(`Access token ${params['id']} not found`);
    }
    delete app.state.accessTokens[token.id];
    // Frontegg sends no webhook for this; Portcullis's own key carries it (Standard Webhooks).
    app.webhooks.emitPortcullis('token.revoked', {
      tokenId: token.id,
      tenantId: token.tenantId,
      ...(token.userId === undefined ? {} : { userId: token.userId }),
    });
    return { status: 200, body: {} };
  });
}

function registerVendorOnly(router: Router, app: EmulatorApp, kind: OwnerKind): void {
  const base = `/identity/resources/vendor-only/${kind}s/access-tokens/v1`;
  // `active` is registered before `/:id` so it is not taken for an id.
  router.add('GET', `${base}/active`, 'vendor-only', async ({ headers }) => {
    await requireVendor(app, headers);
    assertEnabled(app);
    const ids = Object.values(app.state.accessTokens)
      .filter((token) => token.kind === kind && isActiveAccessToken(app, token))
      .map((token) => token.id);
    // A bare array of ids: what @frontegg/client 5.3.2 reads (`data.some(id => id === sub)`).
    return { status: 200, body: ids };
  });

  router.add('GET', `${base}/:id`, 'vendor-only', async ({ headers, params }) => {
    await requireVendor(app, headers);
    assertEnabled(app);
    const token = app.state.accessTokens[params['id'] ?? ''];
    if (!token || token.kind !== kind || !isActiveAccessToken(app, token)) {
      throw notFound(`Access token ${params['id']} not found`);
    }
    const grants = accessTokenGrants(app, token);
    const entity: Record<string, unknown> = {
      ...accessTokenView(token),
      roles: grants.roles,
      permissions: grants.permissions,
    };
    if (token.expires === undefined) delete entity['expires'];
    return { status: 200, body: entity };
  });
}
