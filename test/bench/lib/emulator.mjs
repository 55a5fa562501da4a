/**
 * The emulator (in the bench's own process, on the load core) seeded over its public HTTP API,
 * as a vendor would: one tenant, a role, a tenant API token (client credentials), its JWT padded
 * to about 1 KB with metadata, and a tenant access token.
 */
import { startEmulator } from '@portcullis/emulator';

export class EmulatorSeeder {
  constructor(emulator) {
    this.emulator = emulator;
    this.url = emulator.url;
    this.token = undefined;
  }

  async call(method, path, { body, headers = {}, token } = {}) {
    const all = { ...headers };
    if (token) all.authorization = `Bearer ${token}`;
    if (body !== undefined) all['content-type'] = 'application/json';
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: all,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  async vendorToken() {
    if (this.token === undefined) {
      const answer = await this.call('POST', '/auth/vendor', { body: this.emulator.vendor });
      if (answer.status !== 200) throw new Error(`vendor auth → ${answer.status}`);
      this.token = answer.body.token;
    }
    return this.token;
  }

  async asVendor(method, path, options = {}) {
    const answer = await this.call(method, path, { ...options, token: await this.vendorToken() });
    const expected = options.expect ?? (method === 'POST' ? 201 : 200);
    if (answer.status !== expected) {
      throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }

  setStrategy(strategy) {
    return this.asVendor('POST', '/identity/resources/configurations/v1', {
      body: { machineToMachineAuthStrategy: strategy },
    });
  }

  async createTenantApiToken(tenantId, roleIds, metadata = {}) {
    const token = await this.asVendor('POST', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { description: 'bench', roleIds, metadata },
    });
    return { clientId: token.clientId, secret: token.secret };
  }

  async exchange(clientId, secret) {
    const answer = await this.call('POST', '/identity/resources/auth/v2/api-token', {
      body: { clientId, secret },
    });
    if (answer.status !== 200) throw new Error(`exchange → ${answer.status}`);
    return answer.body.access_token;
  }

  setFault(fault) {
    return this.asVendor('POST', '/_emulator/faults', { body: fault, expect: 200 });
  }

  clearFaults() {
    return this.asVendor('DELETE', '/_emulator/faults', { expect: 200 });
  }
}

/** Metadata that brings the API-token JWT to about `targetBytes`. */
async function paddedApiToken(seeder, tenantId, roleIds, targetBytes) {
  const probe = await seeder.createTenantApiToken(tenantId, roleIds, { pad: '' });
  const probeJwt = await seeder.exchange(probe.clientId, probe.secret);
  // base64url grows 4/3: pad the payload by 3/4 of the missing length.
  const missing = Math.max(0, Math.floor(((targetBytes - probeJwt.length) * 3) / 4));
  const credential = await seeder.createTenantApiToken(tenantId, roleIds, {
    pad: 'x'.repeat(missing),
  });
  const jwt = await seeder.exchange(credential.clientId, credential.secret);
  return { ...credential, jwt };
}

/** Start and seed. `provider` holds the `frontegg` preset's options for this emulator. */
export async function startSeededEmulator({ jwtBytes = 1024 } = {}) {
  const emulator = await startEmulator({ logger: () => {} });
  const seeder = new EmulatorSeeder(emulator);
  const tenantId = 'bench-tenant';
  await seeder.asVendor('POST', '/tenants/resources/tenants/v1', {
    body: { tenantId, name: 'Bench tenant' },
  });
  const permission = await seeder.asVendor('POST', '/identity/resources/permissions/v1', {
    body: { key: 'orders:read', name: 'orders:read' },
  });
  const permissionId = Array.isArray(permission) ? permission[0].id : permission.id;
  const role = await seeder.asVendor('POST', '/identity/resources/roles/v1', {
    body: { key: 'reader', name: 'reader' },
  });
  const roleId = Array.isArray(role) ? role[0].id : role.id;
  await seeder.asVendor('PUT', `/identity/resources/roles/v1/${roleId}/permissions`, {
    body: { permissionIds: [permissionId] },
  });

  await seeder.setStrategy('AccessToken');
  const access = await seeder.asVendor('POST', '/identity/resources/tenants/access-tokens/v1', {
    headers: { 'frontegg-tenant-id': tenantId },
    body: { description: 'bench access token', roleIds: [roleId] },
  });
  await seeder.setStrategy('ClientCredentials');
  const apiToken = await paddedApiToken(seeder, tenantId, [roleId], jwtBytes);

  return {
    emulator,
    seeder,
    tenantId,
    roleId,
    apiToken,
    accessToken: access.secret,
    provider: {
      baseUrl: emulator.url,
      clientId: emulator.vendor.clientId,
      apiKey: emulator.vendor.secret,
      appUrl: emulator.appUrl,
    },
    close: () => emulator.close(),
  };
}

export const basicHeader = ({ clientId, secret }) =>
  `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
