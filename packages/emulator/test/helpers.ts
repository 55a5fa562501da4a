import { randomUUID } from 'node:crypto';
import { startEmulator } from '../src/index.js';
import type { EmulatorOptions, RunningEmulator } from '../src/index.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface Harness {
  emu: RunningEmulator;
  logs: string[];
  vendorToken: string;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** Vendor-token call. */
  vendor(method: string, path: string, options?: Omit<CallOptions, 'token'>): Promise<Answer>;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export async function startHarness(options: EmulatorOptions = {}): Promise<Harness> {
  const logs: string[] = [];
  const emu = await startEmulator({ logger: (line) => logs.push(line), ...options });
  const auth = await call(emu.url, 'POST', '/auth/vendor', {
    body: { clientId: emu.vendor.clientId, secret: emu.vendor.secret },
  });
  if (auth.status !== 200) throw new Error(`vendor auth failed: ${auth.status}`);
  const vendorToken = auth.body.token as string;
  return {
    emu,
    logs,
    vendorToken,
    call: (method, path, callOptions) => call(emu.url, method, path, callOptions),
    vendor: (method, path, callOptions) =>
      call(emu.url, method, path, { ...callOptions, token: vendorToken }),
  };
}

export async function createTenant(h: Harness, tenantId = `t-${randomUUID()}`): Promise<string> {
  const answer = await h.vendor('POST', '/tenants/resources/tenants/v1', {
    body: { tenantId, name: `Tenant ${tenantId}` },
  });
  if (answer.status !== 201)
    throw new Error(`tenant: ${answer.status} ${JSON.stringify(answer.body)}`);
  return tenantId;
}

export async function permissionIds(h: Harness, keys: readonly string[]): Promise<string[]> {
  const answer = await h.vendor('GET', '/identity/resources/permissions/v1');
  return keys.map((key) => {
    const found = (answer.body as Array<{ id: string; key: string }>).find((p) => p.key === key);
    if (!found) throw new Error(`no permission ${key}`);
    return found.id;
  });
}

export async function createRole(
  h: Harness,
  key: string,
  permissionKeys: readonly string[] = [],
): Promise<string> {
  for (const permissionKey of permissionKeys) {
    const existing = await h.vendor('GET', '/identity/resources/permissions/v1');
    if (!(existing.body as Array<{ key: string }>).some((p) => p.key === permissionKey)) {
      await h.vendor('POST', '/identity/resources/permissions/v1', {
        body: { key: permissionKey },
      });
    }
  }
  const created = await h.vendor('POST', '/identity/resources/roles/v1', {
    body: { key, name: key },
  });
  if (created.status !== 201)
    throw new Error(`role: ${created.status} ${JSON.stringify(created.body)}`);
  const roleId = created.body.id as string;
  if (permissionKeys.length > 0) {
    const assigned = await h.vendor('PUT', `/identity/resources/roles/v1/${roleId}/permissions`, {
      body: { permissionIds: await permissionIds(h, permissionKeys) },
    });
    if (assigned.status !== 200) throw new Error(`assign: ${assigned.status}`);
  }
  return roleId;
}

export async function createUser(
  h: Harness,
  tenantId: string,
  roleIds: readonly string[] = [],
  password = 'correct horse battery staple',
): Promise<{ id: string; email: string; password: string }> {
  const email = `u-${randomUUID()}@example.test`;
  const answer = await h.vendor('POST', '/identity/resources/users/v2', {
    headers: { 'frontegg-tenant-id': tenantId },
    body: { email, name: 'Test User', password, roleIds },
  });
  if (answer.status !== 201)
    throw new Error(`user: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { id: answer.body.id as string, email, password };
}

export async function login(
  h: Harness,
  user: { email: string; password: string },
  tenantId?: string,
): Promise<string> {
  const answer = await h.call('POST', '/identity/resources/auth/v1/user', {
    body: { email: user.email, password: user.password },
    ...(tenantId === undefined ? {} : { headers: { 'frontegg-tenant-id': tenantId } }),
  });
  if (answer.status !== 200)
    throw new Error(`login: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.accessToken as string;
}

export async function createTenantApiToken(
  h: Harness,
  tenantId: string,
  body: Record<string, unknown> = {},
): Promise<{ clientId: string; secret: string }> {
  const answer = await h.vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
    headers: { 'frontegg-tenant-id': tenantId },
    body,
  });
  if (answer.status !== 201)
    throw new Error(`api token: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { clientId: answer.body.clientId, secret: answer.body.secret };
}

export async function exchange(
  h: Harness,
  credentials: { clientId: string; secret: string },
): Promise<Answer> {
  return h.call('POST', '/identity/resources/auth/v1/api-token', { body: credentials });
}

export async function setConfiguration(h: Harness, body: Record<string, unknown>): Promise<void> {
  const answer = await h.vendor('POST', '/identity/resources/configurations/v1', { body });
  if (answer.status !== 201)
    throw new Error(`config: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Decodes a JWT payload without verifying (tests verify separately with jose). */
export function claimsOf(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
}
