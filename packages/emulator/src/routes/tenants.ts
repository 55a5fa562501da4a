import type { EmulatorApp } from '../app.js';
import { nowIso } from '../app.js';
import { requireVendor } from '../auth.js';
import { deleteTenant } from '../cascade.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { objectBody, optionalMetadata, optionalString } from '../http/validate.js';
import { newId } from '../secrets.js';
import { tenantView } from '../views.js';

/** Tenants (`/tenants/resources/tenants/v1`), vendor token only. */
export function registerTenantRoutes(router: Router, app: EmulatorApp): void {
  const base = '/tenants/resources/tenants/v1';
  router.add('POST', base, 'identity', async ({ headers, body }) => {
    await requireVendor(app, headers);
    const input = objectBody(body);
    const tenantId = optionalString(input, 'tenantId', 256) ?? newId();
    if (tenantId.trim() === '') throw badRequest('tenantId must be a non-empty string');
    const name = optionalString(input, 'name', 256) ?? tenantId;
    if (app.state.tenants[tenantId]) throw conflict(`Tenant ${tenantId} already exists`);
    const tenant = {
      tenantId,
      name,
      metadata: optionalMetadata(input) ?? {},
      createdAt: nowIso(app),
    };
    app.state.tenants[tenantId] = tenant;
    return { status: 201, body: tenantView(tenant) };
  });
  router.add('GET', base, 'identity', async ({ headers }) => {
    await requireVendor(app, headers);
    return { status: 200, body: Object.values(app.state.tenants).map(tenantView) };
  });
  router.add('GET', `${base}/:tenantId`, 'identity', async ({ headers, params }) => {
    await requireVendor(app, headers);
    const tenant = app.state.tenants[params['tenantId'] ?? ''];
    // Frontegg answers an unknown tenant with an empty array, not 404 (frontegg-api-facts.md).
    return { status: 200, body: tenant === undefined ? [] : [tenantView(tenant)] };
  });
  router.add('DELETE', `${base}/:tenantId`, 'identity', async ({ headers, params }) => {
    await requireVendor(app, headers);
    const tenantId = params['tenantId'] ?? '';
    if (!app.state.tenants[tenantId]) throw notFound(`Tenant ${tenantId} not found`);
    deleteTenant(app, tenantId);
    return { status: 200, body: {} };
  });
}
