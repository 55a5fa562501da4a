/**
 * Seeds the emulator for the demo over its HTTP API (Frontegg's management routes, vendor token):
 * two permissions, two roles, a tenant, a user, and one token of each M2M kind — tenant API token,
 * personal API token (client credentials), tenant access token, personal access token.
 *
 * The emulator's `machineToMachineAuthStrategy` limits which kind can be *created*, so the seed
 * creates the API tokens under `ClientCredentials`, switches to `AccessToken` for the access
 * tokens, and switches back. The sidecar pins the credentials it accepts
 * (PORTCULLIS_POLICY_CREDENTIALS) so both kinds work whatever the strategy says afterwards.
 */
import { emulatorCall } from './emulator-api.mjs';

export const DEMO_TENANT_ID = 'acme';
export const DEMO_USER_EMAIL = 'dev@acme.example';
/** The demo user's console password (printed by the demo; local emulator only). */
export const DEMO_USER_PASSWORD = 'demo-password-1';

/**
 * @param {string} baseUrl emulator origin
 * @param {string} token vendor token
 * @returns {Promise<DemoSeed>}
 *
 * @typedef {{ clientId: string, secret: string }} ApiToken
 * @typedef {{ id: string, secret: string }} AccessToken
 * @typedef {{ tenantId: string, userId: string, userEmail: string, userPassword: string,
 *   tenantApiToken: ApiToken, personalApiToken: ApiToken,
 *   tenantAccessToken: AccessToken, personalAccessToken: AccessToken }} DemoSeed
 */
export async function seedDemo(baseUrl, token) {
  const call = (path, body, extra = {}) =>
    emulatorCall(baseUrl, { method: 'POST', path, token, body, ...extra });

  const permissions = await call('/identity/resources/permissions/v1', [
    { key: 'orders.read', name: 'Read orders' },
    { key: 'orders.write', name: 'Write orders' },
  ]);
  const permissionId = (key) => permissions.find((permission) => permission.key === key).id;
  const roles = await call('/identity/resources/roles/v1', [
    { key: 'orders-reader', name: 'Orders reader', permissionIds: [permissionId('orders.read')] },
    {
      key: 'orders-admin',
      name: 'Orders admin',
      permissionIds: [permissionId('orders.read'), permissionId('orders.write')],
    },
  ]);
  const roleId = (key) => roles.find((role) => role.key === key).id;
  // The six fe.secure.* permissions every Frontegg environment has: a user signed in to the
  // console sees and manages tokens only with them.
  const existing = await emulatorCall(baseUrl, {
    method: 'GET',
    path: '/identity/resources/permissions/v1',
    token,
  });
  const secure = existing.filter((permission) => permission.key.startsWith('fe.secure.'));
  const [tokenManager] = await call('/identity/resources/roles/v1', [
    {
      key: 'api-token-manager',
      name: 'API token manager',
      permissionIds: secure.map((permission) => permission.id),
    },
  ]);

  const tenantId = DEMO_TENANT_ID;
  await call('/tenants/resources/tenants/v1', { tenantId, name: 'Acme Corp' });
  const user = await call(
    '/identity/resources/users/v2',
    {
      email: DEMO_USER_EMAIL,
      name: 'Acme developer',
      password: DEMO_USER_PASSWORD,
      roleIds: [roleId('orders-admin'), tokenManager.id],
    },
    { tenantId },
  );
  const userId = user.id;

  const setStrategy = (machineToMachineAuthStrategy) =>
    call('/identity/resources/configurations/v1', { machineToMachineAuthStrategy });

  await setStrategy('ClientCredentials');
  const tenantApiToken = await call(
    '/identity/resources/tenants/api-tokens/v1',
    { description: 'demo tenant API token (orders admin)', roleIds: [roleId('orders-admin')] },
    { tenantId },
  );
  const personalApiToken = await call(
    '/identity/resources/users/api-tokens/v1',
    { description: 'demo personal API token (orders reader)', roleIds: [roleId('orders-reader')] },
    { tenantId, userId },
  );

  await setStrategy('AccessToken');
  const tenantAccessToken = await call(
    '/identity/resources/tenants/access-tokens/v1',
    { description: 'demo tenant access token (orders reader)', roleIds: [roleId('orders-reader')] },
    { tenantId },
  );
  // No roles: a personal access token then carries its user's roles (orders admin).
  const personalAccessToken = await call(
    '/identity/resources/users/access-tokens/v1',
    { description: 'demo personal access token' },
    { tenantId, userId },
  );
  await setStrategy('ClientCredentials');

  return {
    tenantId,
    userId,
    userEmail: DEMO_USER_EMAIL,
    userPassword: DEMO_USER_PASSWORD,
    tenantApiToken: { clientId: tenantApiToken.clientId, secret: tenantApiToken.secret },
    personalApiToken: { clientId: personalApiToken.clientId, secret: personalApiToken.secret },
    tenantAccessToken: { id: tenantAccessToken.id, secret: tenantAccessToken.secret },
    personalAccessToken: { id: personalAccessToken.id, secret: personalAccessToken.secret },
  };
}
