/**
 * A small client for the emulator's public HTTP API (the Frontegg routes), used by cross-package
 * tests to seed tenants, users, roles and tokens exactly as a vendor would.
 */
export interface Answer {
  readonly status: number;
  readonly body: any;
}

export class EmulatorClient {
  private vendorToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly vendor: { readonly clientId: string; readonly secret: string },
  ) {}

  async call(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; token?: string } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  }

  /** A call with the vendor token; throws unless the status is the expected one. */
  async asVendor(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; expect?: number } = {},
  ): Promise<any> {
    this.vendorToken ??= await this.authenticateVendor();
    const answer = await this.call(method, path, { ...options, token: this.vendorToken });
    const expected = options.expect ?? (method === 'POST' ? 201 : 200);
    if (answer.status !== expected) {
      throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }

  private async authenticateVendor(): Promise<string> {
    const answer = await this.call('POST', '/auth/vendor', { body: this.vendor });
    if (answer.status !== 200) throw new Error(`vendor auth → ${answer.status}`);
    return answer.body.token as string;
  }

  async setConfiguration(settings: Record<string, unknown>): Promise<void> {
    await this.asVendor('POST', '/identity/resources/configurations/v1', { body: settings });
  }

  async createTenant(tenantId: string): Promise<void> {
    await this.asVendor('POST', '/tenants/resources/tenants/v1', {
      body: { tenantId, name: `Tenant ${tenantId}` },
    });
  }

  /** Creates the permissions that do not exist yet and a role holding them; returns the role id. */
  async createRole(key: string, permissionKeys: readonly string[]): Promise<string> {
    const existing = (await this.asVendor('GET', '/identity/resources/permissions/v1')) as Array<{
      id: string;
      key: string;
    }>;
    const ids: string[] = [];
    for (const permissionKey of permissionKeys) {
      const found = existing.find((p) => p.key === permissionKey);
      if (found) ids.push(found.id);
      else {
        const created = await this.asVendor('POST', '/identity/resources/permissions/v1', {
          body: { key: permissionKey, name: permissionKey },
        });
        ids.push(created.id as string);
      }
    }
    const role = await this.asVendor('POST', '/identity/resources/roles/v1', {
      body: { key, name: key },
    });
    await this.asVendor('PUT', `/identity/resources/roles/v1/${role.id}/permissions`, {
      body: { permissionIds: ids },
    });
    return role.id as string;
  }

  async createUser(tenantId: string, email: string, roleIds: readonly string[]): Promise<string> {
    const user = await this.asVendor('POST', '/identity/resources/users/v2', {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { email, name: email, password: 'correct horse battery staple', roleIds },
    });
    return user.id as string;
  }

  async createTenantApiToken(
    tenantId: string,
    roleIds: readonly string[],
  ): Promise<{ clientId: string; secret: string }> {
    const token = await this.asVendor('POST', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { description: 'conformance tenant token', roleIds },
    });
    return { clientId: token.clientId as string, secret: token.secret as string };
  }

  async createUserApiToken(
    tenantId: string,
    userId: string,
  ): Promise<{ clientId: string; secret: string }> {
    const token = await this.asVendor('POST', '/identity/resources/users/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': userId },
      body: { description: 'conformance personal token' },
    });
    return { clientId: token.clientId as string, secret: token.secret as string };
  }

  async createAccessToken(
    kind: 'tenant' | 'user',
    tenantId: string,
    options: { userId?: string; roleIds?: readonly string[] } = {},
  ): Promise<{ id: string; secret: string }> {
    const headers: Record<string, string> = { 'frontegg-tenant-id': tenantId };
    if (options.userId !== undefined) headers['frontegg-user-id'] = options.userId;
    const token = await this.asVendor('POST', `/identity/resources/${kind}s/access-tokens/v1`, {
      headers,
      body: { description: `conformance ${kind} access token`, roleIds: options.roleIds ?? [] },
    });
    return { id: token.id as string, secret: token.secret as string };
  }

  /** Client credentials → JWT through the v2 exchange. */
  async exchange(clientId: string, secret: string): Promise<string> {
    const answer = await this.call('POST', '/identity/resources/auth/v2/api-token', {
      body: { clientId, secret },
    });
    if (answer.status !== 200) throw new Error(`exchange → ${answer.status}`);
    return answer.body.access_token as string;
  }
}
