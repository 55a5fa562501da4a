import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRole,
  createTenant,
  createTenantApiToken,
  setConfiguration,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('generic OAuth 2.0 over the same API tokens', () => {
  let h: Harness;
  let credentials: { clientId: string; secret: string };
  let tenantId: string;
  beforeAll(async () => {
    h = await startHarness({ vendorClientId: 'ws-oauth' });
    tenantId = await createTenant(h);
    const roleId = await createRole(h, 'oauth-role', ['invoices.read', 'invoices.write']);
    credentials = await createTenantApiToken(h, tenantId, { roleIds: [roleId] });
  });
  afterAll(() => h.emu.close());

  const token = (form: Record<string, string>, authorization?: string) =>
    h.call('POST', '/oauth/token', {
      form,
      ...(authorization ? { headers: { authorization } } : {}),
    });

  it('publishes RFC 8414 metadata (and the same at openid-configuration)', async () => {
    const metadata = await h.call('GET', '/.well-known/oauth-authorization-server');
    expect(metadata.body).toMatchObject({
      issuer: h.emu.url,
      token_endpoint: `${h.emu.url}/oauth/token`,
      introspection_endpoint: `${h.emu.url}/oauth/introspect`,
      revocation_endpoint: `${h.emu.url}/oauth/revoke`,
      jwks_uri: `${h.emu.url}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    });
    expect((await h.call('GET', '/.well-known/openid-configuration')).body.issuer).toBe(h.emu.url);
  });

  it('issues a client_credentials token with client_secret_basic', async () => {
    const answer = await token(
      { grant_type: 'client_credentials' },
      basic(credentials.clientId, credentials.secret),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({
      token_type: 'Bearer',
      scope: 'invoices.read invoices.write',
    });
    const jwks = createLocalJWKSet((await h.call('GET', '/.well-known/jwks.json')).body);
    const { payload } = await jwtVerify(answer.body.access_token, jwks, {
      issuer: h.emu.url,
      audience: 'ws-oauth',
    });
    expect(payload).toMatchObject({ sub: credentials.clientId, type: 'tenantApiToken', tenantId });

    const scoped = await token(
      { grant_type: 'client_credentials', scope: 'invoices.read' },
      basic(credentials.clientId, credentials.secret),
    );
    expect(scoped.status).toBe(200);
    const tooMuch = await token(
      { grant_type: 'client_credentials', scope: 'admin' },
      basic(credentials.clientId, credentials.secret),
    );
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toBe('invalid_scope');
  });

  it('answers RFC 6749 errors: invalid_client (401 + Basic challenge), unsupported_grant_type, invalid_request', async () => {
    const wrong = await token(
      { grant_type: 'client_credentials' },
      basic(credentials.clientId, 'nope'),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await token({ grant_type: 'client_credentials' })).status).toBe(401);
    const grant = await token(
      { grant_type: 'password' },
      basic(credentials.clientId, credentials.secret),
    );
    expect(grant.body.error).toBe('unsupported_grant_type');
    const missing = await token({}, basic(credentials.clientId, credentials.secret));
    expect(missing.body.error).toBe('invalid_request');
  });

  it('introspects (authenticated) and revokes per RFC 7662 / 7009', async () => {
    const issued = await token(
      { grant_type: 'client_credentials' },
      basic(credentials.clientId, credentials.secret),
    );
    const jwt = issued.body.access_token;

    const anonymous = await h.call('POST', '/oauth/introspect', { form: { token: jwt } });
    expect(anonymous.status).toBe(401);

    const byVendor = await h.call('POST', '/oauth/introspect', {
      form: { token: jwt },
      headers: { authorization: basic(h.emu.vendor.clientId, h.emu.vendor.secret) },
    });
    expect(byVendor.body).toMatchObject({
      active: true,
      sub: credentials.clientId,
      client_id: credentials.clientId,
      type: 'tenantApiToken',
      tenantId,
      aud: 'ws-oauth',
      iss: h.emu.url,
    });
    expect(byVendor.body.scope.split(' ').sort()).toEqual(['invoices.read', 'invoices.write']);
    const garbage = await h.call('POST', '/oauth/introspect', {
      token: h.vendorToken,
      form: { token: 'not-a-token' },
    });
    expect(garbage.body).toEqual({ active: false });

    const revoked = await h.call('POST', '/oauth/revoke', {
      form: { token: jwt },
      headers: { authorization: basic(credentials.clientId, credentials.secret) },
    });
    expect(revoked.status).toBe(200);
    const after = await h.call('POST', '/oauth/introspect', {
      token: h.vendorToken,
      form: { token: jwt },
    });
    expect(after.body).toEqual({ active: false });
    const unknown = await h.call('POST', '/oauth/revoke', {
      form: { token: 'whatever' },
      headers: { authorization: basic(credentials.clientId, credentials.secret) },
    });
    expect(unknown.status).toBe(200);
  });

  it('a deleted API token introspects inactive; disabled M2M refuses the token endpoint', async () => {
    const other = await createTenantApiToken(h, tenantId);
    const jwt = (
      await token({ grant_type: 'client_credentials' }, basic(other.clientId, other.secret))
    ).body.access_token;
    await h.vendor('DELETE', `/identity/resources/tenants/api-tokens/v1/${other.clientId}`, {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    const after = await h.call('POST', '/oauth/introspect', {
      token: h.vendorToken,
      form: { token: jwt },
    });
    expect(after.body).toEqual({ active: false });

    await setConfiguration(h, { apiTokensEnabled: false });
    try {
      const refused = await token(
        { grant_type: 'client_credentials' },
        basic(credentials.clientId, credentials.secret),
      );
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({
        error: 'unauthorized_client',
        error_description: 'Api tokens are disabled',
      });
    } finally {
      await setConfiguration(h, { apiTokensEnabled: true });
    }
  });
});
