/**
 * Contract runner 1: the emulator, strict (its default), on two origins (vendor API and app domain
 * apart, as on Frontegg), driven through every row of the Frontegg contract table. Each answer is
 * checked against the row's status and schema; each required header is left out in turn (400 with
 * Frontegg's `{errors:[...]}` body), and so is the vendor token (401). Every Frontegg route the
 * emulator serves must have a row, and each row is served only on its origin.
 */
import { randomUUID } from 'node:crypto';
import { startEmulator } from '@portcullis/emulator';
import type { RunningEmulator } from '@portcullis/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorClient } from '../../support/emulator-client.js';
import { errorBody } from './schemas.js';
import { FRONTEGG_CONTRACT, fillPath } from './table.js';
import type { ContractRoute, Fixture, Sample } from './table.js';

let emu: RunningEmulator;
let vendorApi: EmulatorClient;
let appDomain: EmulatorClient;
let vendorToken: string;
let fixture: Fixture;

async function send(
  route: ContractRoute,
  sample: Sample,
  options: { omit?: string; noAuth?: boolean; origin?: 'vendor' | 'app' } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(sample.headers ?? {})) {
    if (name !== options.omit) headers[name] = value;
  }
  if (route.auth === 'vendor' && options.noAuth !== true) headers['x-access-token'] = vendorToken;
  const origin = options.origin ?? route.origin;
  const client = origin === 'app' ? appDomain : vendorApi;
  return client.call(route.method, fillPath(route.path, sample.params), {
    headers,
    ...(sample.body === undefined ? {} : { body: sample.body }),
  });
}

async function withStrategy<T>(strategy: Sample['strategy'], run: () => Promise<T>): Promise<T> {
  if (strategy === undefined) return run();
  await vendorApi.setConfiguration({ machineToMachineAuthStrategy: strategy });
  try {
    return await run();
  } finally {
    await vendorApi.setConfiguration({ machineToMachineAuthStrategy: 'ClientCredentials' });
  }
}

beforeAll(async () => {
  emu = await startEmulator({ logger: () => {}, appPort: 0 });
  vendorApi = new EmulatorClient(emu.url, emu.vendor);
  appDomain = new EmulatorClient(emu.appUrl, emu.vendor);
  const auth = await vendorApi.call('POST', '/auth/vendor', { body: emu.vendor });
  vendorToken = auth.body.token as string;
  const tenantId = `contract-${randomUUID()}`;
  await vendorApi.createTenant(tenantId);
  const vendor = (
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) => vendorApi.asVendor(method, path, options);
  fixture = {
    tenantId,
    vendor: emu.vendor,
    async newTenant() {
      const id = `contract-${randomUUID()}`;
      await vendorApi.createTenant(id);
      return id;
    },
    async newUser() {
      return (await this.newLoginUser()).id;
    },
    async newLogin() {
      const { email, password } = await this.newLoginUser();
      return { email, password };
    },
    async newRole() {
      return (
        (await vendor('POST', '/identity/resources/roles/v1', {
          body: { key: `r-${randomUUID()}` },
        })) as { id: string }
      ).id;
    },
    async newPermission() {
      const created = (await vendor('POST', '/identity/resources/permissions/v1', {
        body: { key: `p.${randomUUID()}` },
      })) as { id: string };
      return created.id;
    },
    async newTenantApiToken() {
      const created = await vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
        headers: { 'frontegg-tenant-id': tenantId },
        body: {},
      });
      return { clientId: created.clientId as string, secret: created.secret as string };
    },
    async newUserApiToken(userId) {
      const created = await vendor('POST', '/identity/resources/users/api-tokens/v1', {
        headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': userId },
        body: {},
      });
      return { clientId: created.clientId as string, secret: created.secret as string };
    },
    async newAccessToken(kind, userId) {
      return withStrategy('AccessToken', async () => {
        const created = await vendor('POST', `/identity/resources/${kind}s/access-tokens/v1`, {
          headers: {
            'frontegg-tenant-id': tenantId,
            ...(userId === undefined ? {} : { 'frontegg-user-id': userId }),
          },
          body: {},
        });
        return created.id as string;
      });
    },
    async newWebhook() {
      const created = await vendor('POST', '/webhook/custom', {
        body: {
          displayName: 'contract',
          url: 'http://127.0.0.1:9/hook',
          secret: 'contract-secret',
          eventKeys: ['frontegg.user.created'],
          isActive: false,
        },
      });
      return created._id as string;
    },
    async newRefreshToken(version) {
      const credentials = await this.newTenantApiToken();
      const answer = await appDomain.call('POST', `/identity/resources/auth/${version}/api-token`, {
        body: credentials,
      });
      return (version === 'v1' ? answer.body.refreshToken : answer.body.refresh_token) as string;
    },
    // Not part of Fixture: the user with its password, for newUser and newLogin.
    async newLoginUser() {
      const email = `c-${randomUUID()}@example.test`;
      const password = `pw-${randomUUID()}`;
      const created = await vendor('POST', '/identity/resources/users/v2', {
        headers: { 'frontegg-tenant-id': tenantId },
        body: { email, password },
      });
      return { id: created.id as string, email, password };
    },
  } as Fixture & { newLoginUser(): Promise<{ id: string; email: string; password: string }> };
});

afterAll(async () => {
  await emu?.close();
});

describe('Frontegg contract: the emulator (strict, vendor API and app domain on two origins)', () => {
  it('has a row for every Frontegg route it serves, and serves every row', () => {
    // Parameter names differ between the two; compare the shapes.
    const key = (method: string, path: string): string =>
      `${method} ${path.replace(/:[A-Za-z]+/g, ':param')}`;
    const rows = new Set(FRONTEGG_CONTRACT.map((route) => key(route.method, route.path)));
    // The emulator's own routes are not Frontegg's: generic OAuth 2.0 and its test controls.
    const served = new Set(
      emu.routes
        .filter((route) => route.group !== 'oauth' && route.group !== 'admin')
        .map((route) => key(route.method, route.path)),
    );
    expect([...served].filter((route) => !rows.has(route))).toEqual([]);
    expect([...rows].filter((route) => !served.has(route))).toEqual([]);
  });

  for (const route of FRONTEGG_CONTRACT) {
    describe(`${route.method} ${route.path}`, () => {
      it(`answers ${route.status} with the documented shape`, async () => {
        const sample = await route.sample(fixture);
        const answer = await withStrategy(sample.strategy, () => send(route, sample));
        expect(answer.status, JSON.stringify(answer.body)).toBe(route.status);
        const parsed = route.response.safeParse(answer.body);
        expect(parsed.success, parsed.error?.message).toBe(true);
      });

      for (const header of route.requiredHeaders) {
        it(`answers 400 with Frontegg's error body without ${header}`, async () => {
          const sample = await route.sample(fixture);
          const answer = await withStrategy(sample.strategy, () =>
            send(route, sample, { omit: header }),
          );
          expect(answer.status, JSON.stringify(answer.body)).toBe(400);
          expect(errorBody.safeParse(answer.body).success, JSON.stringify(answer.body)).toBe(true);
          expect(route.errorStatuses).toContain(400);
        });
      }

      if (route.auth === 'vendor') {
        it('answers 401 without the vendor token', async () => {
          const sample = await route.sample(fixture);
          const answer = await send(route, sample, { noAuth: true });
          expect(answer.status).toBe(401);
          expect(errorBody.safeParse(answer.body).success, JSON.stringify(answer.body)).toBe(true);
          expect(route.errorStatuses).toContain(401);
        });
      }

      it(`is not served on the ${route.origin === 'app' ? 'vendor API' : 'app domain'}`, async () => {
        // user login is served on both: the console signs users in on the vendor origin.
        if (route.name === 'user login') return;
        const sample = await route.sample(fixture);
        const answer = await send(route, sample, {
          origin: route.origin === 'app' ? 'vendor' : 'app',
        });
        expect(answer.status).toBe(404);
      });
    });
  }
});

describe('the emulator --lenient', () => {
  let lenient: RunningEmulator;
  beforeAll(async () => {
    lenient = await startEmulator({ logger: () => {}, lenient: true });
  });
  afterAll(async () => {
    await lenient?.close();
  });

  it('tolerates the tenant header left out of users/v1/{id}, as before', async () => {
    const client = new EmulatorClient(lenient.url, lenient.vendor);
    await client.createTenant('lenient');
    const user = await client.asVendor('POST', '/identity/resources/users/v2', {
      headers: { 'frontegg-tenant-id': 'lenient' },
      body: { email: 'lenient@example.test' },
    });
    const read = await client.asVendor('GET', `/identity/resources/users/v1/${user.id}`);
    expect(read.id).toBe(user.id);
  });
});
