import type { EmulatorApp } from '../app.js';
import { nowIso } from '../app.js';
import { authenticate, requireVendor } from '../auth.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import {
  objectBody,
  optionalBoolean,
  optionalString,
  optionalStringArray,
  requiredString,
} from '../http/validate.js';
import type { Json } from '../http/validate.js';
import { newId } from '../secrets.js';
import type { Permission, Role } from '../state.js';
import { roleView } from '../views.js';

/** POST bodies may be one object or an array of them (Frontegg's Terraform provider sends arrays). */
function eachItem<T>(body: unknown, create: (item: Json) => T): { status: number; body: unknown } {
  if (Array.isArray(body)) {
    if (body.length === 0 || body.length > 100) throw badRequest('body must hold 1 to 100 items');
    return { status: 201, body: body.map((item) => create(objectBody(item, 'each item'))) };
  }
  return { status: 201, body: create(objectBody(body)) };
}

/** Roles and permissions, vendor token only (reading one role also with a user token). */
export function registerRoleRoutes(router: Router, app: EmulatorApp): void {
  const permissions = '/identity/resources/permissions/v1';
  router.add('GET', permissions, 'identity', async ({ headers }) => {
    await requireVendor(app, headers);
    return { status: 200, body: Object.values(app.state.permissions) };
  });
  router.add('POST', permissions, 'identity', async ({ headers, body }) => {
    await requireVendor(app, headers);
    return eachItem(body, (input) => {
      const key = requiredString(input, 'key', 256);
      if (Object.values(app.state.permissions).some((p) => p.key === key)) {
        throw conflict(`Permission ${key} already exists`);
      }
      const categoryId = optionalString(input, 'categoryId', 256);
      const permission: Permission = {
        id: newId(),
        key,
        name: optionalString(input, 'name', 256) ?? key,
        description: optionalString(input, 'description') ?? '',
        ...(categoryId === undefined ? {} : { categoryId }),
        createdAt: nowIso(app),
      };
      app.state.permissions[permission.id] = permission;
      return permission;
    });
  });
  router.add('DELETE', `${permissions}/:id`, 'identity', async ({ headers, params }) => {
    await requireVendor(app, headers);
    const id = params['id'] ?? '';
    if (!app.state.permissions[id]) throw notFound(`Permission ${id} not found`);
    delete app.state.permissions[id];
    for (const role of Object.values(app.state.roles)) {
      role.permissionIds = role.permissionIds.filter((permissionId) => permissionId !== id);
    }
    return { status: 200, body: {} };
  });

  const roles = '/identity/resources/roles/v1';
  router.add('GET', roles, 'identity', async ({ headers }) => {
    await requireVendor(app, headers);
    return { status: 200, body: Object.values(app.state.roles).map(roleView) };
  });
  router.add('POST', roles, 'identity', async ({ headers, body }) => {
    await requireVendor(app, headers);
    return eachItem(body, (input) => {
      const key = requiredString(input, 'key', 256);
      if (Object.values(app.state.roles).some((r) => r.key === key)) {
        throw conflict(`Role ${key} already exists`);
      }
      const role: Role = {
        id: newId(),
        key,
        name: optionalString(input, 'name', 256) ?? key,
        description: optionalString(input, 'description') ?? '',
        isDefault: optionalBoolean(input, 'isDefault') ?? false,
        permissionIds: knownPermissionIds(app, optionalStringArray(input, 'permissionIds')),
        createdAt: nowIso(app),
      };
      app.state.roles[role.id] = role;
      return roleView(role);
    });
  });
  router.add('DELETE', `${roles}/:id`, 'identity', async ({ headers, params }) => {
    await requireVendor(app, headers);
    const id = params['id'] ?? '';
    if (!app.state.roles[id]) throw notFound(`Role ${id} not found`);
    delete app.state.roles[id];
    app.webhooks.emitPortcullis('roles.updated', {});
    return { status: 200, body: {} };
  });
  router.add('PUT', `${roles}/:id/permissions`, 'identity', async ({ headers, params, body }) => {
    await requireVendor(app, headers);
    const role = app.state.roles[params['id'] ?? ''];
    if (!role) throw notFound(`Role ${params['id']} not found`);
    const permissionIds = optionalStringArray(objectBody(body), 'permissionIds', 500);
    if (permissionIds === undefined) throw badRequest('permissionIds is required');
    role.permissionIds = knownPermissionIds(app, permissionIds);
    app.webhooks.emitPortcullis('roles.updated', { roleId: role.id });
    return { status: 200, body: roleView(role) };
  });

  // Callers with a user token may read roles too (the admin portal does); anything else is vendor-only.
  router.add('GET', `${roles}/:id`, 'identity', async ({ headers, params }) => {
    await authenticate(app, headers);
    const role = app.state.roles[params['id'] ?? ''];
    if (!role) throw notFound(`Role ${params['id']} not found`);
    return { status: 200, body: roleView(role) };
  });
}

function knownPermissionIds(app: EmulatorApp, ids: readonly string[] | undefined): string[] {
  for (const id of ids ?? []) {
    if (!app.state.permissions[id]) throw badRequest(`Unknown permission id ${id}`);
  }
  return [...new Set(ids ?? [])];
}
