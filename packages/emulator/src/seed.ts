import type { Configuration, M2MStrategy, StateData } from './state.js';
import { hashSecret, newId } from './secrets.js';

/**
 * Initial data for a fresh emulator (ignored when a state file already exists). Roles and
 * permissions are referenced by key; API tokens may carry fixed credentials so scripts know them.
 */
export interface SeedFile {
  vendor?: { clientId?: string; secret?: string };
  /** The environment's app ID, used as `aud` instead of the vendor client ID. */
  appId?: string;
  configuration?: Partial<
    Pick<
      Configuration,
      'apiTokensEnabled' | 'defaultTokenExpiration' | 'addRolesToJwt' | 'addPermissionsToJwt'
    >
  > & {
    machineToMachineAuthStrategy?: M2MStrategy;
  };
  permissions?: Array<{ key: string; name?: string; description?: string }>;
  roles?: Array<{ key: string; name?: string; description?: string; permissionKeys?: string[] }>;
  tenants?: Array<{ tenantId: string; name?: string }>;
  users?: Array<{
    id?: string;
    email: string;
    name?: string;
    password?: string;
    tenants: Array<{ tenantId: string; roleKeys?: string[] }>;
  }>;
  apiTokens?: Array<{
    kind: 'tenant' | 'user';
    tenantId: string;
    /** Owner of a personal token (by email). */
    userEmail?: string;
    clientId?: string;
    secret: string;
    description?: string;
    roleKeys?: string[];
    permissionKeys?: string[];
    metadata?: Record<string, unknown>;
  }>;
  webhooks?: Array<{
    displayName: string;
    url: string;
    secret: string;
    eventKeys: string[];
    isActive?: boolean;
    standardWebhooksSecret?: string;
  }>;
}

function fail(path: string, problem: string): never {
  throw new TypeError(`seed.${path} ${problem}`);
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') fail(path, 'must be a non-empty string');
  return value;
}

/** Applies a seed to fresh state; throws TypeError naming the bad seed path. */
export function applySeed(state: StateData, seed: SeedFile, nowIso: string): void {
  if (typeof seed !== 'object' || seed === null) fail('', 'must be an object');
  if (seed.configuration) Object.assign(state.configuration, seed.configuration);

  const permissionIdByKey = new Map(Object.values(state.permissions).map((p) => [p.key, p.id]));
  (seed.permissions ?? []).forEach((permission, index) => {
    const key = requireString(permission.key, `permissions[${index}].key`);
    if (permissionIdByKey.has(key)) return;
    const id = newId();
    state.permissions[id] = {
      id,
      key,
      name: permission.name ?? key,
      description: permission.description ?? '',
      createdAt: nowIso,
    };
    permissionIdByKey.set(key, id);
  });

  const roleIdByKey = new Map<string, string>();
  (seed.roles ?? []).forEach((role, index) => {
    const key = requireString(role.key, `roles[${index}].key`);
    const id = newId();
    const permissionIds = (role.permissionKeys ?? []).map(
      (permissionKey) =>
        permissionIdByKey.get(permissionKey) ??
        fail(`roles[${index}].permissionKeys`, `names unknown permission ${permissionKey}`),
    );
    state.roles[id] = {
      id,
      key,
      name: role.name ?? key,
      description: role.description ?? '',
      isDefault: false,
      permissionIds,
      createdAt: nowIso,
    };
    roleIdByKey.set(key, id);
  });
  const roleIds = (keys: string[] | undefined, path: string): string[] =>
    (keys ?? []).map((key) => roleIdByKey.get(key) ?? fail(path, `names unknown role ${key}`));

  (seed.tenants ?? []).forEach((tenant, index) => {
    const tenantId = requireString(tenant.tenantId, `tenants[${index}].tenantId`);
    state.tenants[tenantId] = {
      tenantId,
      name: tenant.name ?? tenantId,
      metadata: {},
      createdAt: nowIso,
    };
  });

  (seed.users ?? []).forEach((user, index) => {
    const email = requireString(user.email, `users[${index}].email`).toLowerCase();
    const id = user.id ?? newId();
    const tenants: Record<string, string[]> = {};
    (user.tenants ?? []).forEach((membership, position) => {
      const path = `users[${index}].tenants[${position}]`;
      if (!state.tenants[membership.tenantId])
        fail(path, `names unknown tenant ${membership.tenantId}`);
      tenants[membership.tenantId] = roleIds(membership.roleKeys, `${path}.roleKeys`);
    });
    state.users[id] = {
      id,
      email,
      name: user.name ?? email,
      ...(user.password === undefined ? {} : { passwordHash: hashSecret(user.password) }),
      metadata: {},
      isLocked: false,
      createdAt: nowIso,
      tenants,
    };
  });

  (seed.apiTokens ?? []).forEach((token, index) => {
    const path = `apiTokens[${index}]`;
    if (!state.tenants[token.tenantId])
      fail(`${path}.tenantId`, `names unknown tenant ${token.tenantId}`);
    let userId: string | undefined;
    if (token.kind === 'user') {
      const email = requireString(token.userEmail, `${path}.userEmail`).toLowerCase();
      userId = Object.values(state.users).find((user) => user.email === email)?.id;
      if (userId === undefined) fail(`${path}.userEmail`, `names unknown user ${email}`);
    } else if (token.kind !== 'tenant') {
      fail(`${path}.kind`, "must be 'tenant' or 'user'");
    }
    const clientId = token.clientId ?? newId();
    state.apiTokens[clientId] = {
      clientId,
      secretHash: hashSecret(requireString(token.secret, `${path}.secret`)),
      kind: token.kind,
      tenantId: token.tenantId,
      ...(userId === undefined ? {} : { userId, createdByUserId: userId }),
      description: token.description ?? '',
      metadata: token.metadata ?? {},
      roleIds: roleIds(token.roleKeys, `${path}.roleKeys`),
      permissionIds: (token.permissionKeys ?? []).map(
        (key) =>
          permissionIdByKey.get(key) ??
          fail(`${path}.permissionKeys`, `names unknown permission ${key}`),
      ),
      createdAt: nowIso,
    };
  });

  (seed.webhooks ?? []).forEach((hook, index) => {
    const id = newId();
    state.webhooks[id] = {
      _id: id,
      displayName: requireString(hook.displayName, `webhooks[${index}].displayName`),
      description: '',
      url: requireString(hook.url, `webhooks[${index}].url`),
      secret: requireString(hook.secret, `webhooks[${index}].secret`),
      eventKeys: hook.eventKeys,
      isActive: hook.isActive ?? true,
      ...(hook.standardWebhooksSecret === undefined
        ? {}
        : { standardWebhooksSecret: hook.standardWebhooksSecret }),
      createdAt: nowIso,
    };
  });
}
