import type { EmulatorApp } from './app.js';
import type { Role, Tenant, User, Webhook } from './state.js';

/** Wire shapes: what the management routes and the webhook payloads show. */
export function tenantView(tenant: Tenant): Record<string, unknown> {
  return {
    id: tenant.tenantId,
    tenantId: tenant.tenantId,
    name: tenant.name,
    metadata: JSON.stringify(tenant.metadata),
    createdAt: tenant.createdAt,
  };
}

export function roleView(role: Role): Record<string, unknown> {
  return {
    id: role.id,
    key: role.key,
    name: role.name,
    description: role.description,
    isDefault: role.isDefault,
    permissions: [...role.permissionIds],
    createdAt: role.createdAt,
  };
}

function roleRefs(app: EmulatorApp, roleIds: readonly string[]): Record<string, unknown>[] {
  return roleIds.flatMap((roleId) => {
    const role = app.state.roles[roleId];
    return role ? [{ id: role.id, key: role.key, name: role.name }] : [];
  });
}

/**
 * A user as Frontegg's webhook documentation shows it (`metadata` is a JSON string, roles are
 * objects). `tenantId` is the tenant in context, else the user's first tenant.
 */
export function userView(app: EmulatorApp, user: User, tenantId?: string): Record<string, unknown> {
  const tenantIds = Object.keys(user.tenants);
  const current = tenantId ?? tenantIds[0];
  const roleIds = current === undefined ? [] : (user.tenants[current] ?? []);
  const permissions = new Map<string, { id: string; key: string }>();
  for (const roleId of roleIds) {
    for (const permissionId of app.state.roles[roleId]?.permissionIds ?? []) {
      const permission = app.state.permissions[permissionId];
      if (permission) permissions.set(permission.id, { id: permission.id, key: permission.key });
    }
  }
  return {
    id: user.id,
    sub: user.id,
    email: user.email,
    name: user.name,
    verified: true,
    provider: 'local',
    mfaEnrolled: false,
    metadata: JSON.stringify(user.metadata),
    isLocked: user.isLocked,
    createdAt: user.createdAt,
    tenantId: current,
    tenantIds,
    roles: roleRefs(app, roleIds),
    permissions: [...permissions.values()],
    tenants: tenantIds.map((id) => ({
      tenantId: id,
      roles: roleRefs(app, user.tenants[id] ?? []),
    })),
  };
}

/** Hooks are listed without their secrets. */
export function webhookView(hook: Webhook): Record<string, unknown> {
  return {
    _id: hook._id,
    id: hook._id,
    displayName: hook.displayName,
    description: hook.description,
    url: hook.url,
    eventKeys: [...hook.eventKeys],
    isActive: hook.isActive,
    hasStandardWebhooksSecret: hook.standardWebhooksSecret !== undefined,
    createdAt: hook.createdAt,
  };
}
