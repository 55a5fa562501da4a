import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorApp } from './app.js';
import { badRequest, forbidden, notFound, unauthorized } from './http/errors.js';
import { optionalHeader } from './http/validate.js';
import { audienceOf, rolesAndPermissions } from './state.js';
import type { OwnerKind, User } from './state.js';

export type Caller =
  | { readonly kind: 'vendor' }
  | {
      readonly kind: 'user';
      readonly user: User;
      readonly tenantId: string;
      readonly permissions: ReadonlySet<string>;
    };

/** The bearer credential: `x-access-token` (Frontegg SDKs) or `Authorization: Bearer` (Terraform). */
export function bearerOf(headers: IncomingHttpHeaders): string | undefined {
  const direct = optionalHeader(headers, 'x-access-token');
  if (direct !== undefined) return direct;
  const authorization = optionalHeader(headers, 'authorization');
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)$/i.exec(authorization);
  return match?.[1];
}

/**
 * Who is calling: the vendor token, or a user token (its user must still exist, be unlocked and
 * belong to the token's tenant; permissions are read live from the user's roles).
 */
export async function authenticate(
  app: EmulatorApp,
  headers: IncomingHttpHeaders,
): Promise<Caller> {
  const token = bearerOf(headers);
  if (token === undefined) throw unauthorized('Missing access token');
  const claims = await app.keys.verify(token, app.url(), audienceOf(app.state));
  if (claims?.['type'] === 'vendor') return { kind: 'vendor' };
  if (claims?.['type'] === 'userToken' && typeof claims.sub === 'string') {
    const user = app.state.users[claims.sub];
    const tenantId = claims['tenantId'];
    if (user && !user.isLocked && typeof tenantId === 'string' && user.tenants[tenantId]) {
      const { permissions } = rolesAndPermissions(app.state, user.tenants[tenantId] ?? []);
      return { kind: 'user', user, tenantId, permissions: new Set(permissions) };
    }
  }
  throw unauthorized('Invalid or expired access token');
}

export async function requireVendor(app: EmulatorApp, headers: IncomingHttpHeaders): Promise<void> {
  const caller = await authenticate(app, headers);
  if (caller.kind !== 'vendor') throw forbidden('This route requires the vendor token');
}

export type TokenAction = 'read' | 'write' | 'delete';

/** `fe.secure.{action}.{tenant|user}ApiTokens`; access-token routes use the same six keys. */
export function securePermission(action: TokenAction, kind: OwnerKind): string {
  return `fe.secure.${action}.${kind}ApiTokens`;
}

/** True when the set grants `key` itself or through a wildcard (`fe.secure.*`, `fe.secure.read.*`). */
export function grants(permissions: ReadonlySet<string>, key: string): boolean {
  if (permissions.has(key)) return true;
  const parts = key.split('.');
  for (let length = parts.length - 1; length >= 1; length--) {
    if (permissions.has(`${parts.slice(0, length).join('.')}.*`)) return true;
  }
  return false;
}

/** Throws 403 unless the caller is the vendor or holds the permission (wildcards honoured). */
export function requirePermission(caller: Caller, action: TokenAction, kind: OwnerKind): void {
  if (caller.kind === 'vendor') return;
  const permission = securePermission(action, kind);
  if (!grants(caller.permissions, permission)) {
    throw forbidden(`Missing permission ${permission}`);
  }
}

/** The tenant a token-management call acts on: the user token's tenant, or the header for the vendor. */
export function tenantOf(app: EmulatorApp, caller: Caller, headers: IncomingHttpHeaders): string {
  if (caller.kind === 'user') {
    const header = optionalHeader(headers, 'frontegg-tenant-id');
    if (header !== undefined && header !== caller.tenantId) {
      throw forbidden('frontegg-tenant-id does not match the user token tenant');
    }
    return caller.tenantId;
  }
  const tenantId = optionalHeader(headers, 'frontegg-tenant-id');
  if (tenantId === undefined) throw badRequest('header frontegg-tenant-id is required');
  if (!app.state.tenants[tenantId]) throw notFound(`Tenant ${tenantId} not found`);
  return tenantId;
}

/** The user whose personal tokens are managed: the user token's subject, or `frontegg-user-id`. */
export function personalUserOf(
  app: EmulatorApp,
  caller: Caller,
  headers: IncomingHttpHeaders,
  tenantId: string,
): User {
  if (caller.kind === 'user') return caller.user;
  const userId = optionalHeader(headers, 'frontegg-user-id');
  if (userId === undefined) throw badRequest('header frontegg-user-id is required');
  const user = app.state.users[userId];
  if (!user || !user.tenants[tenantId]) {
    throw notFound(`User ${userId} not found in tenant ${tenantId}`);
  }
  return user;
}
