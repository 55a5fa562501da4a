import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorApp } from '../app.js';
import { nowIso } from '../app.js';
import { authenticate, personalUserOf, requirePermission, tenantOf } from '../auth.js';
import type { Caller } from '../auth.js';
import { deleteApiTokenRecord } from '../cascade.js';
import { badRequest, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import {
  objectBody,
  optionalHeader,
  optionalInteger,
  optionalMetadata,
  optionalString,
  optionalStringArray,
} from '../http/validate.js';
import type { Json } from '../http/validate.js';
import { assertCanCreate } from '../policy.js';
import { hashSecret, newId } from '../secrets.js';
import type { ApiToken, StateData } from '../state.js';

/** Ten years: the bound on `expiresInMinutes`. */
export const MAX_EXPIRES_IN_MINUTES = 5_256_000;

/** ISO expiry from `expiresInMinutes`, counted from `createdAt` so both name the same instant. */
export function expiresFrom(createdAt: string, input: Json): string | undefined {
  const minutes = optionalInteger(input, 'expiresInMinutes', 0, MAX_EXPIRES_IN_MINUTES);
  return minutes === undefined || minutes === 0
    ? undefined
    : new Date(Date.parse(createdAt) + minutes * 60_000).toISOString();
}

export function validRoleIds(state: StateData, input: Json): string[] {
  const roleIds = optionalStringArray(input, 'roleIds') ?? [];
  for (const id of roleIds) if (!state.roles[id]) throw badRequest(`Unknown role id ${id}`);
  return [...new Set(roleIds)];
}

function validPermissionIds(state: StateData, input: Json): string[] {
  const ids = optionalStringArray(input, 'permissionIds') ?? [];
  for (const id of ids) if (!state.permissions[id]) throw badRequest(`Unknown permission id ${id}`);
  return [...new Set(ids)];
}

/** On Frontegg, `roleIds` OVERRIDE `permissionIds` (they are not merged): with roles, no direct permissions. */
function grantIds(state: StateData, input: Json): { roleIds: string[]; permissionIds: string[] } {
  const roleIds = validRoleIds(state, input);
  const permissionIds = validPermissionIds(state, input);
  return { roleIds, permissionIds: roleIds.length > 0 ? [] : permissionIds };
}

function apiTokenView(token: ApiToken): Record<string, unknown> {
  return {
    clientId: token.clientId,
    tenantId: token.tenantId,
    ...(token.kind === 'user' ? { userId: token.userId } : {}),
    createdByUserId: token.createdByUserId ?? null,
    description: token.description,
    metadata: token.metadata,
    roleIds: [...token.roleIds],
    permissionIds: [...token.permissionIds],
    createdAt: token.createdAt,
    expires: token.expires ?? null,
  };
}

/** Vendor calls may name the creating user with `frontegg-user-id`; it must exist. */
function creatorOf(
  app: EmulatorApp,
  caller: Caller,
  headers: IncomingHttpHeaders,
): string | undefined {
  if (caller.kind === 'user') return caller.user.id;
  const userId = optionalHeader(headers, 'frontegg-user-id');
  if (userId !== undefined && !app.state.users[userId]) throw notFound(`User ${userId} not found`);
  return userId;
}

/**
 * Client-credentials management: tenant tokens (v1; v2 is POST only) and personal (user) tokens
 * (frontegg-api-facts.md "API tokens").
 */
export function registerApiTokenRoutes(router: Router, app: EmulatorApp): void {
  for (const base of [
    '/identity/resources/tenants/api-tokens/v1',
    '/identity/resources/tenants/api-tokens/v2',
  ]) {
    router.add('POST', base, 'identity', async ({ headers, body }) => {
      const caller = await authenticate(app, headers);
      requirePermission(caller, 'write', 'tenant');
      const tenantId = tenantOf(app, caller, headers);
      assertCanCreate(app, 'apiToken');
      const createdByUserId = creatorOf(app, caller, headers);
      return createApiToken(app, objectBody(body), {
        kind: 'tenant',
        tenantId,
        ...(createdByUserId === undefined ? {} : { createdByUserId }),
      });
    });
  }
  const base = '/identity/resources/tenants/api-tokens/v1';
  router.add('GET', base, 'identity', async ({ headers }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'read', 'tenant');
    const tenantId = tenantOf(app, caller, headers);
    const tokens = Object.values(app.state.apiTokens).filter(
      (token) => token.kind === 'tenant' && token.tenantId === tenantId,
    );
    return { status: 200, body: tokens.map(apiTokenView) };
  });

  router.add('PATCH', `${base}/:clientId`, 'identity', async ({ headers, params, body }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'write', 'tenant');
    const tenantId = tenantOf(app, caller, headers);
    const token = app.state.apiTokens[params['clientId'] ?? ''];
    if (!token || token.kind !== 'tenant' || token.tenantId !== tenantId) {
      throw notFound(`API token ${params['clientId']} not found`);
    }
    const input = objectBody(body);
    const description = optionalString(input, 'description');
    const metadata = optionalMetadata(input);
    if (description !== undefined) token.description = description;
    if (metadata !== undefined) token.metadata = metadata;
    if (input['roleIds'] !== undefined || input['permissionIds'] !== undefined) {
      Object.assign(token, grantIds(app.state, input));
    }
    return { status: 200, body: apiTokenView(token) };
  });

  router.add('DELETE', `${base}/:clientId`, 'identity', async ({ headers, params }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'delete', 'tenant');
    const tenantId = tenantOf(app, caller, headers);
    const token = app.state.apiTokens[params['clientId'] ?? ''];
    if (!token || token.kind !== 'tenant' || token.tenantId !== tenantId) {
      throw notFound(`API token ${params['clientId']} not found`);
    }
    deleteApiTokenRecord(app, token.clientId);
    app.webhooks.emitFrontegg('frontegg.tenantApiToken.deleted', {
      eventContext: { tenantId },
      apiToken: {
        clientId: token.clientId,
        tenantId,
        ...(token.createdByUserId === undefined ? {} : { createdByUserId: token.createdByUserId }),
      },
    });
    return { status: 200, body: {} };
  });

  const userBase = '/identity/resources/users/api-tokens/v1';
  router.add('POST', userBase, 'identity', async ({ headers, body }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'write', 'user');
    const tenantId = tenantOf(app, caller, headers);
    const user = personalUserOf(app, caller, headers, tenantId);
    assertCanCreate(app, 'apiToken');
    return createApiToken(app, objectBody(body), {
      kind: 'user',
      tenantId,
      userId: user.id,
      createdByUserId: user.id,
    });
  });

  router.add('GET', userBase, 'identity', async ({ headers }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'read', 'user');
    const tenantId = tenantOf(app, caller, headers);
    const user = personalUserOf(app, caller, headers, tenantId);
    const tokens = Object.values(app.state.apiTokens).filter(
      (token) => token.kind === 'user' && token.userId === user.id && token.tenantId === tenantId,
    );
    return { status: 200, body: tokens.map(apiTokenView) };
  });

  router.add('DELETE', `${userBase}/:clientId`, 'identity', async ({ headers, params }) => {
    const caller = await authenticate(app, headers);
    requirePermission(caller, 'delete', 'user');
    const tenantId = tenantOf(app, caller, headers);
    const user = personalUserOf(app, caller, headers, tenantId);
    const token = app.state.apiTokens[params['clientId'] ?? ''];
    // Another user's token is reported as unknown: a user manages only their own tokens.
    if (
      !token ||
      token.kind !== 'user' ||
      token.userId !== user.id ||
      token.tenantId !== tenantId
    ) {
      throw notFound(`API token ${params['clientId']} not found`);
    }
    deleteApiTokenRecord(app, token.clientId);
    app.webhooks.emitFrontegg('frontegg.userApiToken.deleted', {
      eventContext: { tenantId, userId: user.id },
      apiToken: {
        clientId: token.clientId,
        tenantId,
        userId: user.id,
        createdByUserId: user.id,
      },
    });
    return { status: 200, body: {} };
  });
}

/** Stores a new API token (the secret only as a hash) and answers with the secret, shown once. */
function createApiToken(
  app: EmulatorApp,
  input: Record<string, unknown>,
  owner: Pick<ApiToken, 'kind' | 'tenantId' | 'userId' | 'createdByUserId'>,
): { status: number; body: Record<string, unknown> } {
  const secret = newId();
  const token: ApiToken = {
    clientId: newId(),
    secretHash: hashSecret(secret),
    ...owner,
    description: optionalString(input, 'description') ?? '',
    metadata: optionalMetadata(input) ?? {},
    ...grantIds(app.state, input),
    createdAt: nowIso(app),
  };
  const expires = expiresFrom(token.createdAt, input);
  if (expires !== undefined) token.expires = expires;
  app.state.apiTokens[token.clientId] = token;
  return { status: 201, body: { ...apiTokenView(token), secret } };
}
