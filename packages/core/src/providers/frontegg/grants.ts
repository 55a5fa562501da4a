/**
 * Roles and permissions of an API token read from the vendor API, for JWTs that arrive without
 * them: the vendor turned off `addRolesToJwt` / `addPermissionsToJwt`, or a JWT template dropped
 * them (frontegg-api-facts.md "API tokens"). The token list gives `roleIds` / `permissionIds`
 * (`roleIds` override `permissionIds` on Frontegg); roles resolve to their keys and permissions
 * through the roles and permissions routes. A personal token that lists neither has its user's
 * roles in the token's tenant (read at the tenant-free vendor-only user route).
 *
 * The answer is cached with the principal by the authenticator; only the environment-wide role
 * and permission catalog is kept here, for `CATALOG_TTL_MS`.
 */
import { PortcullisError } from '../../errors.js';
import { keysOf } from './principal.js';
import type { VendorTokenClient } from './vendor-token.js';

/** How long the roles → permissions catalog is reused, in ms. */
export const CATALOG_TTL_MS = 30_000;
const MAX_ITEMS = 100_000;

export interface TokenGrants {
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
}

export interface GrantResolverOptions {
  readonly vendor: VendorTokenClient;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

export interface GrantResolver {
  /** The token's grants as the vendor API lists them; ERR_TOKEN_REVOKED when it is not listed. */
  resolve(
    owner: { readonly clientId: string; readonly tenantId: string; readonly userId?: string },
    signal: AbortSignal,
  ): Promise<TokenGrants>;
}

interface Catalog {
  /** Role id → key and permission ids. */
  readonly roles: ReadonlyMap<string, { readonly key: string; readonly permissionIds: string[] }>;
  /** Permission id → key. */
  readonly permissions: ReadonlyMap<string, string>;
  readonly fetchedAt: number;
}

export function createGrantResolver(options: GrantResolverOptions): GrantResolver {
  let catalog: Catalog | undefined;
  let pending: Promise<Catalog> | undefined;

  async function list(path: string, signal: AbortSignal): Promise<unknown[]> {
    const answer = await options.vendor.call({
      operation: 'frontegg-grants',
      method: 'GET',
      path,
      signal,
    });
    if (!Array.isArray(answer.body)) throw invalid(`${path} is not an array`);
    return answer.body.slice(0, MAX_ITEMS);
  }

  async function readCatalog(signal: AbortSignal): Promise<Catalog> {
    if (catalog !== undefined && options.now() - catalog.fetchedAt < CATALOG_TTL_MS) return catalog;
    pending ??= (async () => {
      const [roles, permissions] = await Promise.all([
        list('/identity/resources/roles/v1', signal),
        list('/identity/resources/permissions/v1', signal),
      ]);
      const fresh: Catalog = {
        roles: new Map(
          roles.flatMap((role) => {
            const { id, key, permissions: ids } = (role ?? {}) as Record<string, unknown>;
            return typeof id === 'string' && typeof key === 'string'
              ? [[id, { key, permissionIds: strings(ids) }] as const]
              : [];
          }),
        ),
        permissions: new Map(
          permissions.flatMap((permission) => {
            const { id, key } = (permission ?? {}) as Record<string, unknown>;
            return typeof id === 'string' && typeof key === 'string' ? [[id, key] as const] : [];
          }),
        ),
        fetchedAt: options.now(),
      };
      catalog = fresh;
      return fresh;
    })().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  function grantsOf(
    roleIds: readonly string[],
    permissionIds: readonly string[],
    known: Catalog,
  ): TokenGrants {
    const roles: string[] = [];
    const permissions = new Set<string>();
    for (const roleId of roleIds) {
      const role = known.roles.get(roleId);
      if (role === undefined) continue;
      roles.push(role.key);
      for (const id of role.permissionIds) {
        const key = known.permissions.get(id);
        if (key !== undefined) permissions.add(key);
      }
    }
    for (const id of permissionIds) {
      const key = known.permissions.get(id);
      if (key !== undefined) permissions.add(key);
    }
    return { roles, permissions: [...permissions] };
  }

  async function userRoleIds(
    userId: string,
    tenantId: string,
    signal: AbortSignal,
  ): Promise<string[]> {
    const answer = await options.vendor.call({
      operation: 'frontegg-grants',
      method: 'GET',
      path: `/identity/resources/vendor-only/users/v1/${encodeURIComponent(userId)}`,
      signal,
    });
    const tenants = (answer.body as { tenants?: unknown } | null)?.tenants;
    if (!Array.isArray(tenants)) return [];
    const membership = tenants.find(
      (entry) => (entry as { tenantId?: unknown } | null)?.tenantId === tenantId,
    ) as { roles?: unknown } | undefined;
    if (!Array.isArray(membership?.roles)) return [];
    return membership.roles.flatMap((role) => {
      const id = (role as { id?: unknown } | null)?.id;
      return typeof id === 'string' ? [id] : [];
    });
  }

  return {
    async resolve(owner, signal) {
      const personal = owner.userId !== undefined;
      const answer = await options.vendor.call({
        operation: 'frontegg-grants',
        method: 'GET',
        path: personal
          ? '/identity/resources/users/api-tokens/v1'
          : '/identity/resources/tenants/api-tokens/v1',
        headers: {
          'frontegg-tenant-id': owner.tenantId,
          ...(personal ? { 'frontegg-user-id': owner.userId } : {}),
        },
        signal,
      });
      if (!Array.isArray(answer.body)) throw invalid('the API-token list is not an array');
      const entry = answer.body
        .slice(0, MAX_ITEMS)
        .find((item) => (item as { clientId?: unknown } | null)?.clientId === owner.clientId) as
        Record<string, unknown> | undefined;
      if (entry === undefined) {
        throw new PortcullisError(
          'ERR_TOKEN_REVOKED',
          'the API token is no longer listed at Frontegg',
        );
      }
      let roleIds = strings(entry['roleIds']);
      // roleIds override permissionIds on Frontegg (they are not merged).
      const permissionIds = roleIds.length > 0 ? [] : strings(entry['permissionIds']);
      if (personal && roleIds.length === 0 && permissionIds.length === 0) {
        roleIds = await userRoleIds(owner.userId, owner.tenantId, signal);
      }
      const known = await readCatalog(signal);
      const grants = grantsOf(roleIds, permissionIds, known);
      // Keys given inline (some payloads carry `{key}` objects) are kept as well.
      return {
        roles: [...new Set([...grants.roles, ...keysOf(entry['roles'])])],
        permissions: [...new Set([...grants.permissions, ...keysOf(entry['permissions'])])],
      };
    },
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

function invalid(what: string): PortcullisError {
  return new PortcullisError('ERR_IDP_RESPONSE_INVALID', `Frontegg grants: ${what}`, {
    details: { operation: 'frontegg-grants' },
  });
}
