import type { EmulatorApp } from '../app.js';
import { nowIso } from '../app.js';
import { requireVendor } from '../auth.js';
import { deleteUser, removeUserFromTenant } from '../cascade.js';
import { HttpError, badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import {
  objectBody,
  optionalBoolean,
  optionalHeader,
  optionalMetadata,
  optionalString,
  optionalStringArray,
  requiredHeader,
  requiredString,
} from '../http/validate.js';
import { hashSecret, newId, newOpaqueToken, verifySecret } from '../secrets.js';
import type { User } from '../state.js';
import { issueUserToken } from '../tokens.js';
import { userView } from '../views.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function knownRoleIds(app: EmulatorApp, roleIds: readonly string[] | undefined): string[] {
  for (const roleId of roleIds ?? []) {
    if (!app.state.roles[roleId]) throw badRequest(`Unknown role id ${roleId}`);
  }
  return [...new Set(roleIds ?? [])];
}

function findUser(app: EmulatorApp, userId: string | undefined): User {
  const user = userId === undefined ? undefined : app.state.users[userId];
  if (!user) throw notFound(`User ${userId} not found`);
  return user;
}

function requireTenant(app: EmulatorApp, tenantId: string): void {
  if (!app.state.tenants[tenantId]) throw notFound(`Tenant ${tenantId} not found`);
}

/** Users (management routes, vendor token) and user login (`userToken`). */
export function registerUserRoutes(router: Router, app: EmulatorApp): void {
  registerUsers(router, app);
  router.add(
    'POST',
    '/identity/resources/auth/v1/user',
    'identity',
    async ({ headers, body }) => {
      const input = objectBody(body);
      const email = requiredString(input, 'email').toLowerCase();
      const password = requiredString(input, 'password');
      const user = Object.values(app.state.users).find((candidate) => candidate.email === email);
      if (!user || !verifySecret(password, user.passwordHash)) {
        throw new HttpError(401, 'Invalid email or password');
      }
      if (user.isLocked) throw forbidden('User is locked');
      const tenantId =
        optionalHeader(headers, 'frontegg-tenant-id') ?? Object.keys(user.tenants)[0];
      if (tenantId === undefined || !user.tenants[tenantId]) {
        throw forbidden('User is not a member of the requested tenant');
      }
      const expiresIn = app.state.configuration.defaultTokenExpiration;
      return {
        status: 200,
        body: {
          accessToken: await issueUserToken(app, user, tenantId),
          // Issued for shape compatibility; the emulator has no user-token refresh route.
          refreshToken: newOpaqueToken(),
          expiresIn,
          expires: new Date(app.now() + expiresIn * 1000).toISOString(),
        },
      };
    },
    'both',
  );
}

function registerUsers(router: Router, app: EmulatorApp): void {
  router.add('POST', '/identity/resources/users/v2', 'identity', async ({ headers, body }) => {
    await requireVendor(app, headers);
    const tenantId = requiredHeader(headers, 'frontegg-tenant-id');
    requireTenant(app, tenantId);
    const input = objectBody(body);
    const email = requiredString(input, 'email', 320).toLowerCase();
    if (!EMAIL.test(email)) throw badRequest('email must be an email address');
    const password = optionalString(input, 'password', 256);
    const roleIds = knownRoleIds(app, optionalStringArray(input, 'roleIds'));
    if (Object.values(app.state.users).some((user) => user.email === email)) {
      throw conflict(`User with email ${email} already exists`);
    }
    const user: User = {
      id: newId(),
      email,
      name: optionalString(input, 'name', 256) ?? email,
      ...(password === undefined ? {} : { passwordHash: hashSecret(password) }),
      metadata: optionalMetadata(input) ?? {},
      isLocked: false,
      createdAt: nowIso(app),
      tenants: { [tenantId]: roleIds },
    };
    app.state.users[user.id] = user;
    return { status: 201, body: userView(app, user, tenantId) };
  });

  router.add('GET', '/identity/resources/users/v2', 'identity', async ({ headers }) => {
    await requireVendor(app, headers);
    const tenantId = optionalHeader(headers, 'frontegg-tenant-id');
    const users = Object.values(app.state.users).filter(
      (user) => tenantId === undefined || user.tenants[tenantId],
    );
    return {
      status: 200,
      body: {
        items: users.map((user) => userView(app, user, tenantId)),
        _metadata: { totalItems: users.length, totalPages: 1 },
      },
    };
  });

  // Get user in a tenant: Frontegg requires frontegg-tenant-id (frontegg-api-facts.md "Users").
  router.add(
    'GET',
    '/identity/resources/users/v1/:userId',
    'identity',
    async ({ headers, params }) => {
      await requireVendor(app, headers);
      const tenantId = app.strict
        ? requiredHeader(headers, 'frontegg-tenant-id')
        : optionalHeader(headers, 'frontegg-tenant-id');
      const user = findUser(app, params['userId']);
      if (tenantId !== undefined && !user.tenants[tenantId]) {
        throw notFound(`User ${user.id} not found in tenant ${tenantId}`);
      }
      return { status: 200, body: userView(app, user, tenantId) };
    },
  );

  // The tenant-independent read (VendorOnlyUsers_getUserById): no tenant header.
  router.add(
    'GET',
    '/identity/resources/vendor-only/users/v1/:userId',
    'vendor-only',
    async ({ headers, params }) => {
      await requireVendor(app, headers);
      return { status: 200, body: userView(app, findUser(app, params['userId'])) };
    },
  );

  // Lock and unlock. Whether Frontegg emits frontegg.user.updated for them is unverified; the
  // emulator does, as for PUT (docs/providers/frontegg.md "assumed").
  for (const [action, isLocked] of [
    ['lock', true],
    ['unlock', false],
  ] as const) {
    router.add(
      'POST',
      `/identity/resources/users/v1/:userId/${action}`,
      'identity',
      async ({ headers, params }) => {
        await requireVendor(app, headers);
        const user = findUser(app, params['userId']);
        user.isLocked = isLocked;
        const view = userView(app, user);
        app.webhooks.emitFrontegg('frontegg.user.updated', {
          eventContext: { tenantId: view['tenantId'], userId: user.id },
          user: view,
        });
        return { status: 200, body: view };
      },
    );
  }

  router.add(
    'PUT',
    '/identity/resources/users/v1/:userId',
    'identity',
    async ({ headers, params, body }) => {
      await requireVendor(app, headers);
      const user = findUser(app, params['userId']);
      const input = objectBody(body);
      const name = optionalString(input, 'name', 256);
      const metadata = optionalMetadata(input);
      const isLocked = optionalBoolean(input, 'isLocked');
      const password = optionalString(input, 'password', 256);
      if (name !== undefined) user.name = name;
      if (metadata !== undefined) user.metadata = metadata;
      if (isLocked !== undefined) user.isLocked = isLocked;
      if (password !== undefined) user.passwordHash = hashSecret(password);
      const tenantId = optionalHeader(headers, 'frontegg-tenant-id');
      const view = userView(app, user, tenantId);
      app.webhooks.emitFrontegg('frontegg.user.updated', {
        eventContext: { tenantId: view['tenantId'], userId: user.id },
        user: view,
      });
      return { status: 200, body: view };
    },
  );

  router.add(
    'DELETE',
    '/identity/resources/users/v1/:userId',
    'identity',
    async ({ headers, params }) => {
      await requireVendor(app, headers);
      const user = findUser(app, params['userId']);
      const tenantId = optionalHeader(headers, 'frontegg-tenant-id');
      if (tenantId === undefined) {
        deleteUser(app, user);
      } else {
        if (!user.tenants[tenantId]) throw notFound(`User ${user.id} is not in tenant ${tenantId}`);
        removeUserFromTenant(app, user, tenantId);
      }
      return { status: 200, body: {} };
    },
  );

  router.add(
    'POST',
    '/identity/resources/users/v1/:userId/tenant',
    'identity',
    async ({ headers, params, body }) => {
      await requireVendor(app, headers);
      const user = findUser(app, params['userId']);
      const input = objectBody(body);
      const tenantId = requiredString(input, 'tenantId', 256);
      requireTenant(app, tenantId);
      user.tenants[tenantId] = knownRoleIds(app, optionalStringArray(input, 'roleIds'));
      return { status: 201, body: userView(app, user, tenantId) };
    },
  );

  router.add(
    'PUT',
    '/identity/resources/users/v1/:userId/roles',
    'identity',
    async ({ headers, params, body }) => {
      await requireVendor(app, headers);
      const user = findUser(app, params['userId']);
      const tenantId = requiredHeader(headers, 'frontegg-tenant-id');
      if (!user.tenants[tenantId]) throw notFound(`User ${user.id} is not in tenant ${tenantId}`);
      const input = objectBody(body);
      const roleIds = optionalStringArray(input, 'roleIds');
      if (roleIds === undefined) throw badRequest('roleIds is required');
      user.tenants[tenantId] = knownRoleIds(app, roleIds);
      app.webhooks.emitPortcullis('roles.updated', { tenantId, userId: user.id });
      return { status: 200, body: userView(app, user, tenantId) };
    },
  );
}
