/**
 * The console in a real browser, signed in as a tenant user: only what the user's `fe.secure.*`
 * permissions allow is rendered, and the server refuses the rest whatever the page shows.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser, signInAsUser, storedToken } from './console-browser.js';
import type { TestBrowser } from './console-browser.js';
import {
  createRole,
  createTenant,
  createTenantApiToken,
  createUser,
  startHarness,
} from './helpers.js';
import type { Harness } from './helpers.js';

const ALL_SIX = ['read', 'write', 'delete'].flatMap((action) => [
  `fe.secure.${action}.tenantApiTokens`,
  `fe.secure.${action}.userApiTokens`,
]);

let h: Harness;
let browser: TestBrowser;
let tenantId: string;
let reader: { id: string; email: string; password: string };
let admin: { id: string; email: string; password: string };
let shared: { clientId: string; secret: string };

beforeAll(async () => {
  h = await startHarness();
  tenantId = await createTenant(h, `acme-${randomUUID().slice(0, 8)}`);
  const readerRole = await createRole(h, 'token-reader', ['fe.secure.read.tenantApiTokens']);
  const adminRole = await createRole(h, 'token-admin', ALL_SIX);
  reader = await createUser(h, tenantId, [readerRole]);
  admin = await createUser(h, tenantId, [adminRole]);
  shared = await createTenantApiToken(h, tenantId, { description: 'shared-ci' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await h?.emu.close();
});

async function sessionToken(page: Page): Promise<string> {
  const token = await storedToken(page);
  if (token === null) throw new Error('no token in sessionStorage');
  return token;
}

describe('console as a user', { timeout: 60_000 }, () => {
  it('shows a read-only user the list but no create or delete controls, and the API refuses them', async () => {
    const { page, errors } = await browser.page();
    await signInAsUser(page, h.emu, reader);
    expect(await page.getByRole('tab').allTextContents()).toEqual(['API Tokens', 'Access tokens']);
    expect(await page.locator('#who').textContent()).toBe(`${reader.email} · tenant ${tenantId}`);

    const tenantTokens = page.getByRole('region', { name: 'Tenant API tokens' });
    await tenantTokens.getByRole('row', { name: /shared-ci/ }).waitFor();
    expect(await tenantTokens.getByRole('button').count()).toBe(0);
    expect(await page.getByRole('button', { name: /create/i }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /delete/i }).count()).toBe(0);
    const personal = page.getByRole('region', { name: 'Personal API tokens' });
    await personal
      .getByText('You may not list personal API tokens (needs fe.secure.read.userApiTokens).')
      .waitFor();
    expect(await personal.getByRole('table').count()).toBe(0);

    await page.getByRole('tab', { name: 'Access tokens' }).click();
    await page
      .getByRole('region', { name: 'Tenant access tokens' })
      .getByText('No tenant access tokens yet.')
      .waitFor();
    expect(await page.getByRole('button', { name: /create|delete/i }).count()).toBe(0);

    // The page hides the controls; the server is what refuses.
    const userToken = await sessionToken(page);
    const deleted = await h.call(
      'DELETE',
      `/identity/resources/tenants/api-tokens/v1/${shared.clientId}`,
      { token: userToken },
    );
    expect(deleted.status).toBe(403);
    expect(deleted.body).toEqual({
      errors: ['Missing permission fe.secure.delete.tenantApiTokens'],
    });
    const created = await h.call('POST', '/identity/resources/tenants/api-tokens/v1', {
      token: userToken,
      body: { description: 'sneaky' },
    });
    expect(created.status).toBe(403);
    const listed = await h.vendor('GET', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    expect(listed.body.map((token: { clientId: string }) => token.clientId)).toEqual([
      shared.clientId,
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets a user with every permission create and delete their own personal token', async () => {
    const { page, errors } = await browser.page();
    await signInAsUser(page, h.emu, admin);
    const tenantTokens = page.getByRole('region', { name: 'Tenant API tokens' });
    await tenantTokens.getByRole('button', { name: 'Delete tenant API token shared-ci' }).waitFor();
    await tenantTokens.getByRole('button', { name: 'Create tenant API token' }).waitFor();

    const personal = page.getByRole('region', { name: 'Personal API tokens' });
    await personal.getByRole('button', { name: 'Create personal API token' }).click();
    await personal.getByLabel('Description').fill('my laptop');
    await personal.getByLabel('Expires in (minutes)').fill('60');
    await personal.getByRole('button', { name: 'Create', exact: true }).click();
    const clientId = (await personal.locator('[data-role=token-id]').textContent()) ?? '';
    const secret = (await personal.locator('[data-role=secret]').textContent()) ?? '';
    const row = personal.getByRole('row', { name: /my laptop/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('inherits the user’s roles');

    // The token is the admin's own (the API took the user from the token), and it exchanges.
    const owned = await h.vendor('GET', '/identity/resources/users/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': tenantId, 'frontegg-user-id': admin.id },
    });
    const token = owned.body.find((item: { clientId: string }) => item.clientId === clientId);
    expect(token).toMatchObject({ description: 'my laptop', userId: admin.id, tenantId });
    expect(Date.parse(token.expires) - Date.parse(token.createdAt)).toBe(60 * 60_000);
    const exchanged = await h.call('POST', '/identity/resources/auth/v1/api-token', {
      body: { clientId, secret },
    });
    expect(exchanged.status).toBe(200);

    await personal.getByRole('button', { name: 'Delete personal API token my laptop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete token' }).click();
    await personal.getByText('No personal API tokens yet.').waitFor();
    const after = await h.call('POST', '/identity/resources/auth/v1/api-token', {
      body: { clientId, secret },
    });
    expect(after.status).toBe(401);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses a wrong password on the sign-in form and stores nothing', async () => {
    const { page, errors } = await browser.page();
    await page.goto(`${h.emu.url}/console`);
    await page.getByLabel('Email').fill(reader.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in as user' }).click();
    await page.getByRole('alert').getByText('Invalid email or password').waitFor();
    expect(await storedToken(page)).toBeNull();
    expect(await page.getByRole('tab').count()).toBe(0);
    // The browser logs the 401 itself; nothing else may go wrong.
    expect(errors.filter((line) => !line.includes('401'))).toEqual([]);
    await page.close();
  });
});
