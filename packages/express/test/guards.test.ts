import express from 'express';
import type { Request, Response } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Authenticator } from '@portcullis/core';
import {
  m2mAuth,
  m2mErrorHandler,
  requireOwnerKind,
  requirePermissions,
  requireRoles,
  requireScopes,
  requireTenant,
} from '../src/index.js';
import { authenticatorFor, serve } from './support/harness.js';
import type { Served } from './support/harness.js';
import { startTestIdp } from './support/test-idp.js';
import type { TestIdp } from './support/test-idp.js';

let idp: TestIdp;
let authenticator: Authenticator;
let served: Served;
let passing: Served;

const ok = (_req: Request, res: Response): void => void res.json({ ok: true });

beforeAll(async () => {
  idp = await startTestIdp();
  authenticator = await authenticatorFor(idp);
  const app = express();
  app.use('/api', m2mAuth(authenticator));
  app.get('/api/all', requirePermissions('orders:read', 'orders:write'), ok);
  app.get('/api/any', requirePermissions({ any: ['orders:read', 'orders:admin'] }), ok);
  app.get('/api/roles', requireRoles('admin'), ok);
  app.get('/api/roles-any', requireRoles({ any: ['admin', 'auditor'] }), ok);
  app.get('/api/scopes', requireScopes('orders.read', 'orders.write'), ok);
  app.get('/api/tenant-owned', requireOwnerKind('tenant'), ok);
  app.get('/api/personal-or-tenant', requireOwnerKind('user', 'tenant'), ok);
  app.get(
    '/api/tenants/:tenantId',
    requireTenant((req) => req.params['tenantId']),
    ok,
  );
  app.get(
    '/api/header-tenant',
    requireTenant((req) => req.get('x-tenant-id')),
    ok,
  );
  app.get('/unprotected', requirePermissions('orders:read'), ok);
  served = await serve(app);

  const passingApp = express();
  passingApp.use(m2mAuth(authenticator, { passErrors: true }));
  passingApp.get('/p', requirePermissions('orders:write'), ok);
  passingApp.use(m2mErrorHandler());
  passing = await serve(passingApp);
});

afterAll(async () => {
  await served.close();
  await passing.close();
  await authenticator.close();
  await idp.close();
});

async function call(path: string, claims: Parameters<TestIdp['mint']>[0], headers = {}) {
  const token = await idp.mint(claims);
  return request(served.server)
    .get(path)
    .set({ Authorization: `Bearer ${token}`, ...headers });
}

describe('requirePermissions', () => {
  it('needs every listed permission by default and names the missing one', async () => {
    expect((await call('/api/all', { permissions: ['orders:read', 'orders:write'] })).status).toBe(
      200,
    );
    const res = await call('/api/all', { permissions: ['orders:read'] });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'insufficient_scope', code: 'ERR_INSUFFICIENT_SCOPE' });
    expect(res.body.error_description).toContain('orders:write');
    expect(res.body.error_description).not.toContain('orders:read,');
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="insufficient_scope", error_description="[^"]*orders:write[^"]*"$/,
    );
  });

  it('with { any } needs one of them', async () => {
    expect((await call('/api/any', { permissions: ['orders:admin'] })).status).toBe(200);
    const res = await call('/api/any', { permissions: ['billing:read'] });
    expect(res.status).toBe(403);
    expect(res.body.error_description).toContain('orders:read');
    expect(res.body.error_description).toContain('orders:admin');
  });

  it.each([
    [[], 'requirePermissions'],
    [[''], 'requirePermissions[0]'],
    [[{ any: [] }], 'requirePermissions.any'],
    [[{ any: ['a'], all: ['b'] }], 'requirePermissions'],
    [[{ some: ['a'] }], 'requirePermissions'],
  ])('refuses %j at construction', (args, option) => {
    expect(() => requirePermissions(...(args as never[]))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', details: { option } }),
    );
  });
});

describe('requireRoles and requireScopes', () => {
  it('checks roles (all by default, or any)', async () => {
    expect((await call('/api/roles', { roles: ['admin'] })).status).toBe(200);
    expect((await call('/api/roles', { roles: ['auditor'] })).status).toBe(403);
    expect((await call('/api/roles-any', { roles: ['auditor'] })).status).toBe(200);
  });

  it('needs every scope and puts the required scopes in the challenge', async () => {
    expect((await call('/api/scopes', { scope: 'orders.read orders.write' })).status).toBe(200);
    const res = await call('/api/scopes', { scope: 'orders.read' });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('scope="orders.read orders.write"');
    expect(res.body.error_description).toContain('orders.write');
  });
});

describe('requireOwnerKind', () => {
  it('accepts only the listed owner kinds', async () => {
    expect((await call('/api/tenant-owned', { tenantId: 't1' })).status).toBe(200);
    const personal = await call('/api/tenant-owned', { tenantId: 't1', userId: 'u1' });
    expect(personal.status).toBe(403);
    expect(personal.body.error_description).toContain('tenant');
    expect((await call('/api/personal-or-tenant', { tenantId: 't1', userId: 'u1' })).status).toBe(
      200,
    );
    expect((await call('/api/personal-or-tenant', {})).status).toBe(403);
  });

  it('refuses an unknown kind at construction', () => {
    expect(() => requireOwnerKind('robot' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describe('requireTenant', () => {
  it('requires the caller tenant to equal the one the route names', async () => {
    expect((await call('/api/tenants/t1', { tenantId: 't1' })).status).toBe(200);
    expect((await call('/api/tenants/t2', { tenantId: 't1' })).status).toBe(403);
  });

  it('denies when either side has no tenant', async () => {
    const noTenantOnToken = await call('/api/tenants/t1', {});
    expect(noTenantOnToken.status).toBe(403);
    const noTenantOnRoute = await call('/api/header-tenant', { tenantId: 't1' });
    expect(noTenantOnRoute.status).toBe(403);
    expect(noTenantOnRoute.body.error_description).toMatch(/tenant/);
    const both = await call('/api/header-tenant', { tenantId: 't1' }, { 'x-tenant-id': 't1' });
    expect(both.status).toBe(200);
  });
});

describe('a guard without authentication in front of it', () => {
  it('denies with 401, says how to fix the mounting, and logs it once', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const first = await request(served.server).get('/unprotected');
      const second = await request(served.server).get('/unprotected');
      expect(first.status).toBe(401);
      expect(second.status).toBe(401);
      expect(first.body.code).toBe('ERR_NO_CREDENTIAL');
      expect(first.body.error_description).toMatch(/mount m2mAuth\(\)/);
      expect(log).toHaveBeenCalledTimes(1);
      expect(String(log.mock.calls[0]?.[0])).toContain('requirePermissions()');
    } finally {
      log.mockRestore();
    }
  });
});

describe('guards after m2mAuth({ passErrors: true })', () => {
  it('hand the failure to the error handler, which renders the 403', async () => {
    const token = await idp.mint({ permissions: ['orders:read'] });
    const res = await request(passing.server).get('/p').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ERR_INSUFFICIENT_SCOPE');
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });
});
