import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRole, createTenant, createUser, setConfiguration, startHarness } from './helpers.js';
import type { Harness } from './helpers.js';

/**
 * Evidence that the emulator speaks Frontegg: Frontegg's own Node SDK (@frontegg/client 5.3.2),
 * pointed at the emulator by base URL only, validates emulator-issued API-token JWTs and access
 * tokens with its own code (public key from configurations/v1, vendor-only access-token routes).
 */
describe('@frontegg/client against the emulator', () => {
  let h: Harness;
  let sdk: any;
  let app: express.Express;
  let tenantId: string;
  let userId: string;

  beforeAll(async () => {
    h = await startHarness({ vendorClientId: 'ws-sdk' });
    // The SDK reads its URLs when first loaded: set them before the dynamic import.
    process.env['FRONTEGG_API_GATEWAY_URL'] = `${h.emu.url}/`;
    process.env['FRONTEGG_AUTHENTICATOR_NUMBER_OF_TRIES'] = '1';
    sdk = await import('@frontegg/client');
    sdk.FronteggContext.init({
      FRONTEGG_CLIENT_ID: h.emu.vendor.clientId,
      FRONTEGG_API_KEY: h.emu.vendor.secret,
    });

    tenantId = await createTenant(h);
    const roleId = await createRole(h, 'sdk-role', ['invoices.read']);
    userId = (await createUser(h, tenantId, [roleId])).id;

    app = express();
    app.get('/any', sdk.withAuthentication(), (req: any, res: Response) => {
      res.json({
        type: req.frontegg.user.type,
        sub: req.frontegg.user.sub,
        id: req.frontegg.user.id,
      });
    });
    app.get(
      '/invoices',
      sdk.withAuthentication({ permissions: ['invoices.read'] }),
      (req: any, res: Response) => {
        res.json({ sub: req.frontegg.user.sub, permissions: req.frontegg.user.permissions });
      },
    );
    app.get(
      '/admin',
      sdk.withAuthentication({ permissions: ['admin.all'] }),
      (_req: Request, res: Response) => {
        res.json({ ok: true });
      },
    );
    // The SDK answers and then also calls next(error) (frontegg/nodejs-sdk#40): swallow that.
    app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return;
      next(error);
    });
  });
  afterAll(() => h.emu.close());

  async function exchangeFor(path: string, headers: Record<string, string>): Promise<string> {
    const created = await h.vendor('POST', path, { headers });
    expect(created.status).toBe(201);
    const answer = await h.call('POST', '/identity/resources/auth/v2/api-token', {
      body: { clientId: created.body.clientId, secret: created.body.secret },
    });
    return answer.body.access_token as string;
  }

  it('withAuthentication accepts a tenant API-token JWT and checks its permissions', async () => {
    const roleId = (await h.vendor('GET', '/identity/resources/roles/v1')).body.find(
      (role: { key: string }) => role.key === 'sdk-role',
    ).id;
    const created = await h.vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
      body: { roleIds: [roleId] },
    });
    const jwt = (
      await h.call('POST', '/identity/resources/auth/v1/api-token', {
        body: { clientId: created.body.clientId, secret: created.body.secret },
      })
    ).body.accessToken;

    const ok = await request(app).get('/invoices').set('authorization', `Bearer ${jwt}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ sub: created.body.clientId, permissions: ['invoices.read'] });

    const forbidden = await request(app).get('/admin').set('authorization', `Bearer ${jwt}`);
    expect(forbidden.status).toBe(403);
    const none = await request(app).get('/any');
    expect(none.status).toBe(401);
    const tampered = await request(app)
      .get('/any')
      .set('authorization', `Bearer ${jwt.slice(0, -4)}AAAA`);
    expect(tampered.status).toBe(401);
  });

  it('withAuthentication accepts a user API-token JWT and maps the user id', async () => {
    const jwt = await exchangeFor('/identity/resources/users/api-tokens/v1', {
      'frontegg-tenant-id': tenantId,
      'frontegg-user-id': userId,
    });
    const answer = await request(app).get('/any').set('authorization', `Bearer ${jwt}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ type: 'userApiToken', id: userId });
  });

  it('withAuthentication checks access tokens (X-API-Key) against the vendor-only routes', async () => {
    await setConfiguration(h, { machineToMachineAuthStrategy: 'AccessToken' });
    const roleId = (await h.vendor('GET', '/identity/resources/roles/v1')).body.find(
      (role: { key: string }) => role.key === 'sdk-role',
    ).id;
    const path = '/identity/resources/tenants/access-tokens/v1';
    const headers = { 'frontegg-tenant-id': tenantId };
    const live = await h.vendor('POST', path, { headers, body: { roleIds: [roleId] } });
    const gone = await h.vendor('POST', path, { headers });
    await h.vendor('DELETE', `${path}/${gone.body.id}`, { headers });

    const ok = await request(app).get('/any').set('x-api-key', live.body.secret);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ type: 'tenantAccessToken', sub: live.body.id });
    // Deleted before the SDK fetched (and cached) the active list: refused.
    const refused = await request(app).get('/any').set('x-api-key', gone.body.secret);
    expect(refused.status).toBe(401);
    // With a permission requirement the SDK reads roles/permissions from vendor-only/{id}.
    const withPermission = await request(app).get('/invoices').set('x-api-key', live.body.secret);
    expect(withPermission.status).toBe(200);
    expect(withPermission.body.permissions).toEqual(['invoices.read']);
  });

  it('IdentityClient.validateIdentityOnToken validates API-token JWTs and access tokens', async () => {
    const identity = sdk.IdentityClient.getInstance();
    await setConfiguration(h, { machineToMachineAuthStrategy: 'ClientCredentials' });
    const jwt = await exchangeFor('/identity/resources/tenants/api-tokens/v1', {
      'frontegg-tenant-id': tenantId,
    });
    const entity = await identity.validateIdentityOnToken(jwt);
    expect(entity).toMatchObject({
      type: 'tenantApiToken',
      tenantId,
      aud: 'ws-sdk',
      iss: h.emu.url,
    });

    await setConfiguration(h, { machineToMachineAuthStrategy: 'AccessToken' });
    const access = await h.vendor('POST', '/identity/resources/users/access-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': userId },
    });
    const resolved = await identity.validateIdentityOnToken(access.body.secret, {
      withRolesAndPermissions: true,
    });
    expect(resolved).toMatchObject({
      type: 'userAccessToken',
      sub: access.body.id,
      userId,
      roles: ['sdk-role'],
      permissions: ['invoices.read'],
    });
    await expect(identity.validateIdentityOnToken('not.a.jwt')).rejects.toBeDefined();
  });

  it('the SDK turns "Api tokens are disabled" into 401 for access tokens', async () => {
    // User access tokens: a kind whose active list the SDK has not cached yet.
    const access = await h.vendor('POST', '/identity/resources/users/access-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': userId },
    });
    await setConfiguration(h, { apiTokensEnabled: false });
    try {
      const refused = await request(app).get('/any').set('x-api-key', access.body.secret);
      expect(refused.status).toBe(401);
    } finally {
      await setConfiguration(h, {
        apiTokensEnabled: true,
        machineToMachineAuthStrategy: 'ClientCredentials',
      });
    }
  });
});
