/**
 * Role and permission names for display. The vendor reads the full lists; a user may read single
 * roles (`GET /identity/resources/roles/v1/{id}`) but not the permission list, so a user sees
 * permission counts instead of keys. Loaded on demand and reloaded when a tab is re-rendered.
 */
export function createCatalog(ctx) {
  let lists;
  const userRoles = new Map();

  async function vendorLists() {
    lists ??= Promise.all([
      ctx.call('GET', '/identity/resources/roles/v1'),
      ctx.call('GET', '/identity/resources/permissions/v1'),
    ]).then(([roles, permissions]) => ({ roles, permissions }));
    return lists;
  }

  async function roleKey(id) {
    if (!userRoles.has(id)) {
      userRoles.set(
        id,
        ctx.call('GET', `/identity/resources/roles/v1/${encodeURIComponent(id)}`).then(
          (role) => role.key,
          () => id,
        ),
      );
    }
    return userRoles.get(id);
  }

  return {
    /** Drops cached lists (after roles or permissions may have changed). */
    reset() {
      lists = undefined;
      userRoles.clear();
    },
    /** `{ roles: [{id,key,name}], permissions: [{id,key}] }`; vendor only (empty for a user). */
    async all() {
      return ctx.isVendor ? vendorLists() : { roles: [], permissions: [] };
    },
    /** A readable line for a token's grants. */
    async describe(roleIds = [], permissionIds = []) {
      if (roleIds.length === 0 && permissionIds.length === 0) return '—';
      let roles;
      let permissions;
      if (ctx.isVendor) {
        const all = await vendorLists();
        const keyOf = (items, id) => items.find((item) => item.id === id)?.key ?? id;
        roles = roleIds.map((id) => keyOf(all.roles, id));
        permissions = permissionIds.map((id) => keyOf(all.permissions, id));
      } else {
        roles = await Promise.all(roleIds.map(roleKey));
        permissions =
          permissionIds.length === 0
            ? []
            : [`${permissionIds.length} permission${permissionIds.length === 1 ? '' : 's'}`];
      }
      return [
        roles.length === 0 ? undefined : `Roles: ${roles.join(', ')}`,
        permissions.length === 0 ? undefined : `Permissions: ${permissions.join(', ')}`,
      ]
        .filter(Boolean)
        .join(' · ');
    },
  };
}
