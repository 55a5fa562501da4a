import type { JWK } from 'jose';

/** `machineToMachineAuthStrategy` values (Frontegg configurations route). */
export type M2MStrategy = 'ClientCredentials' | 'AccessToken';

export interface Configuration {
  apiTokensEnabled: boolean;
  machineToMachineAuthStrategy: M2MStrategy;
  /** JWT lifetime in seconds for every token the emulator issues (Frontegg semantics). */
  defaultTokenExpiration: number;
  /** Refresh-token lifetime in seconds. */
  defaultRefreshTokenExpiration: number;
  /** Put `roles` in the JWTs of API tokens and user tokens (Frontegg default true). */
  addRolesToJwt: boolean;
  /** Put `permissions` in the JWTs of API tokens and user tokens (Frontegg default true). */
  addPermissionsToJwt: boolean;
}

export interface Tenant {
  tenantId: string;
  name: string;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface Permission {
  id: string;
  key: string;
  name: string;
  description: string;
  categoryId?: string;
  createdAt: string;
}

export interface Role {
  id: string;
  key: string;
  name: string;
  description: string;
  isDefault: boolean;
  permissionIds: string[];
  createdAt: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
  /** `sha256$salt$digest`, absent when the user has no password. */
  passwordHash?: string;
  metadata: Record<string, unknown>;
  isLocked: boolean;
  createdAt: string;
  /** Memberships: tenant id → role ids in that tenant. */
  tenants: Record<string, string[]>;
}

export type OwnerKind = 'tenant' | 'user';

/** A client-credentials API token (clientId + hashed secret). */
export interface ApiToken {
  clientId: string;
  secretHash: string;
  kind: OwnerKind;
  tenantId: string;
  userId?: string;
  createdByUserId?: string;
  description: string;
  metadata: Record<string, unknown>;
  roleIds: string[];
  permissionIds: string[];
  createdAt: string;
  /** ISO time after which the credentials no longer exchange. */
  expires?: string;
}

export interface RefreshTokenRecord {
  clientId: string;
  createdAt: number;
}

/** An access token: its JWT is handed out once; this record is what "active" means. */
export interface AccessToken {
  id: string;
  kind: OwnerKind;
  tenantId: string;
  userId?: string;
  createdByUserId?: string;
  description: string;
  roleIds: string[];
  createdAt: string;
  expires?: string;
}

export interface Webhook {
  _id: string;
  displayName: string;
  description: string;
  url: string;
  secret: string;
  eventKeys: string[];
  isActive: boolean;
  standardWebhooksSecret?: string;
  createdAt: string;
}

export interface SigningKeyRecord {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
  /** Epoch ms when a rotation retired this key; published until `retiredAt + graceMs`. */
  retiredAt?: number;
  graceMs?: number;
}

/** Everything the emulator knows; plain data so it serialises to the state file as is. */
export interface StateData {
  version: 1;
  vendor: { clientId: string; secret: string };
  /** The environment's app ID; when set it is the `aud` of every token instead of the vendor client ID. */
  appId?: string;
  configuration: Configuration;
  keys: SigningKeyRecord[];
  tenants: Record<string, Tenant>;
  permissions: Record<string, Permission>;
  roles: Record<string, Role>;
  users: Record<string, User>;
  apiTokens: Record<string, ApiToken>;
  /** sha256(refresh token) → record. */
  refreshTokens: Record<string, RefreshTokenRecord>;
  accessTokens: Record<string, AccessToken>;
  webhooks: Record<string, Webhook>;
  /** jti values revoked through RFC 7009, with the token's exp (epoch s) for pruning. */
  revokedJtis: Record<string, number>;
}

/** The six token-management permissions every Frontegg environment has. */
export const SECURE_PERMISSION_KEYS = [
  'fe.secure.read.tenantApiTokens',
  'fe.secure.write.tenantApiTokens',
  'fe.secure.delete.tenantApiTokens',
  'fe.secure.read.userApiTokens',
  'fe.secure.write.userApiTokens',
  'fe.secure.delete.userApiTokens',
] as const;

export const MAX_REFRESH_TOKENS_PER_API_TOKEN = 100;

/** Keys of the roles, and of the permissions granted by the roles and given directly. */
export function rolesAndPermissions(
  state: StateData,
  roleIds: readonly string[],
  permissionIds: readonly string[] = [],
): { roles: string[]; permissions: string[] } {
  const roles: string[] = [];
  const permissionSet = new Set<string>();
  for (const roleId of roleIds) {
    const role = state.roles[roleId];
    if (!role) continue;
    roles.push(role.key);
    for (const permissionId of role.permissionIds) {
      const permission = state.permissions[permissionId];
      if (permission) permissionSet.add(permission.key);
    }
  }
  for (const permissionId of permissionIds) {
    const permission = state.permissions[permissionId];
    if (permission) permissionSet.add(permission.key);
  }
  return { roles, permissions: [...permissionSet] };
}

/**
 * The `aud` of every token: Frontegg documents it as the environment's client ID or its app ID
 * (frontegg-api-facts.md "Audience").
 */
export function audienceOf(state: StateData): string {
  return state.appId ?? state.vendor.clientId;
}

export function isExpired(expires: string | undefined, nowMs: number): boolean {
  return expires !== undefined && Date.parse(expires) <= nowMs;
}
