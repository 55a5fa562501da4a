import type { EmulatorApp } from './app.js';
import type { User } from './state.js';
import { userView } from './views.js';

/** Deletes a user's personal API and access tokens (in one tenant, or in all). */
export function deletePersonalTokens(app: EmulatorApp, userId: string, tenantId?: string): void {
  const matches = (token: { kind: string; userId?: string; tenantId: string }): boolean =>
    token.kind === 'user' &&
    token.userId === userId &&
    (tenantId === undefined || token.tenantId === tenantId);
  for (const [clientId, token] of Object.entries(app.state.apiTokens)) {
    if (matches(token)) deleteApiTokenRecord(app, clientId);
  }
  for (const [id, token] of Object.entries(app.state.accessTokens)) {
    if (matches(token)) delete app.state.accessTokens[id];
  }
}

/** Removes an API token and every refresh token it was issued. */
export function deleteApiTokenRecord(app: EmulatorApp, clientId: string): void {
  delete app.state.apiTokens[clientId];
  for (const [hash, record] of Object.entries(app.state.refreshTokens)) {
    if (record.clientId === clientId) delete app.state.refreshTokens[hash];
  }
}

/**
 * Deletes a user: their personal tokens go with them; tenant tokens they created live on
 * (Frontegg: personal tokens "are automatically deleted when the associated user is removed").
 */
export function deleteUser(app: EmulatorApp, user: User): void {
  const view = userView(app, user);
  deletePersonalTokens(app, user.id);
  delete app.state.users[user.id];
  app.webhooks.emitFrontegg('frontegg.user.deleted', {
    eventContext: { tenantId: view['tenantId'], userId: user.id },
    user: view,
  });
}

export function removeUserFromTenant(app: EmulatorApp, user: User, tenantId: string): void {
  const view = userView(app, user, tenantId);
  deletePersonalTokens(app, user.id, tenantId);
  delete user.tenants[tenantId];
  app.webhooks.emitFrontegg('frontegg.user.removedFromTenant', {
    eventContext: { tenantId, userId: user.id },
    user: view,
  });
}

/**
 * Deletes a tenant with every token in it and its users (Frontegg: "removes the tenant and all
 * users of that tenant"), their personal tokens going with them. A user who also belongs to
 * another tenant is removed from this one only.
 */
export function deleteTenant(app: EmulatorApp, tenantId: string): void {
  const tenant = app.state.tenants[tenantId];
  if (!tenant) return;
  for (const user of Object.values(app.state.users)) {
    if (!user.tenants[tenantId]) continue;
    if (Object.keys(user.tenants).length === 1) deleteUser(app, user);
    else removeUserFromTenant(app, user, tenantId);
  }
  for (const [clientId, token] of Object.entries(app.state.apiTokens)) {
    if (token.tenantId === tenantId) deleteApiTokenRecord(app, clientId);
  }
  for (const [id, token] of Object.entries(app.state.accessTokens)) {
    if (token.tenantId === tenantId) delete app.state.accessTokens[id];
  }
  delete app.state.tenants[tenantId];
  app.webhooks.emitFrontegg('frontegg.tenant.deleted', {
    eventContext: { tenantId },
    tenant: { tenantId, name: tenant.name },
  });
}
