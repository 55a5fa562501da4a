/**
 * The console in a real browser, signed in as the vendor: keyboard access, a tenant token's whole
 * life (created in the console, accepted by a real Portcullis authenticator, deleted in the
 * console, then refused), the M2M switch, tenants and users, and the 390 px layout.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, frontegg, isPortcullisError } from '@portcullis/core';
import type { Authenticator, RequestLike } from '@portcullis/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index.js';
import type { RunningEmulator } from '../src/index.js';
import {
  focused,
  launchBrowser,
  scrollWidth,
  signInAsVendor,
  storedToken,
} from './console-browser.js';
import type { TestBrowser } from './console-browser.js';
import { call } from './helpers.js';

const HOOK_SECRET = `hook-${randomUUID()}`;
const TENANT_ID = `acme-${randomUUID().slice(0, 8)}`;

let emu: RunningEmulator;
let vendorToken: string;
let authenticator: Authenticator;
let sink: Server;
let browser: TestBrowser;

const vendor = (
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
) => call(emu.url, method, path, { ...options, token: vendorToken });

const basic = (clientId: string, secret: string): RequestLike => ({
  headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
});

async function refusal(request: RequestLike): Promise<{ code: string; status: number }> {
  const outcome = await authenticator.authenticate(request).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isPortcullisError(outcome)) throw new Error('expected the authenticator to refuse');
  return { code: outcome.code, status: outcome.status };
}

async function tenantTokenIds(): Promise<string[]> {
  const answer = await vendor('GET', '/identity/resources/tenants/api-tokens/v1', {
    headers: { 'frontegg-tenant-id': TENANT_ID },
  });
  expect(answer.status).toBe(200);
  return (answer.body as Array<{ clientId: string }>).map((token) => token.clientId);
}

beforeAll(async () => {
  emu = await startEmulator({
    logger: () => {},
    webhooks: { retryBaseDelayMs: 20, maxAttempts: 3 },
  });
  const auth = await call(emu.url, 'POST', '/auth/vendor', {
    body: { clientId: emu.vendor.clientId, secret: emu.vendor.secret },
  });
  vendorToken = auth.body.token as string;

  // A long cache TTL: a deleted token is refused only because the deletion webhook arrived.
  authenticator = createAuthenticator({
    provider: frontegg({
      baseUrl: emu.url,
      clientId: emu.vendor.clientId,
      apiKey: emu.vendor.secret,
      appUrl: emu.appUrl,
      webhookSecrets: [HOOK_SECRET],
    }),
    cache: { ttlMs: 3_600_000 },
    policy: { syncIntervalMs: 3_600_000 },
  });
  await authenticator.ready();
  sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void authenticator.webhooks['frontegg']!.handle({
        headers: req.headers,
        body: Buffer.concat(chunks),
        remoteAddress: req.socket.remoteAddress,
      }).then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const hook = await vendor('POST', '/webhook/custom', {
    body: {
      displayName: 'portcullis-test',
      url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/webhooks/frontegg`,
      secret: HOOK_SECRET,
      eventKeys: ['frontegg.tenantApiToken.deleted'],
    },
  });
  expect(hook.status).toBe(201);
  const tenant = await vendor('POST', '/tenants/resources/tenants/v1', {
    body: { tenantId: TENANT_ID, name: 'Acme' },
  });
  expect(tenant.status).toBe(201);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await authenticator?.close();
  await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
  await emu?.close();
});

async function focusedId(page: Page): Promise<string> {
  return (await focused(page)).id;
}

describe('console as the vendor', { timeout: 60_000 }, () => {
  it('is reachable by keyboard: Tab reaches the sign-in form, arrows move between tabs', async () => {
    const { page, errors } = await browser.page();
    await page.goto(`${emu.url}/console`);
    let reached = false;
    for (let presses = 0; presses < 6 && !reached; presses++) {
      await page.keyboard.press('Tab');
      reached = (await focusedId(page)) === 'vendor-client-id';
    }
    expect(reached).toBe(true);
    await page.keyboard.type(emu.vendor.clientId);
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('vendor-secret');
    await page.keyboard.type(emu.vendor.secret);
    await page.keyboard.press('Enter');

    const tabs = page.getByRole('tab');
    await expect
      .poll(() => tabs.allTextContents())
      .toEqual(['API Tokens', 'Access tokens', 'M2M settings', 'Webhooks', 'Tenants & users']);
    const stored = await storedToken(page);
    expect(JSON.parse(Buffer.from(stored!.split('.')[1]!, 'base64url').toString()).type).toBe(
      'vendor',
    );

    const apiTab = page.getByRole('tab', { name: 'API Tokens' });
    await expect.poll(() => apiTab.getAttribute('aria-selected')).toBe('true');
    await apiTab.focus();
    await page.keyboard.press('ArrowRight');
    expect(await focusedId(page)).toBe('tab-access-tokens');
    expect(
      await page.getByRole('tab', { name: 'Access tokens' }).getAttribute('aria-selected'),
    ).toBe('true');
    expect(await apiTab.getAttribute('aria-selected')).toBe('false');
    expect(await apiTab.getAttribute('tabindex')).toBe('-1');
    expect(await page.locator('#panel-access-tokens').isVisible()).toBe(true);
    expect(await page.locator('#panel-api-tokens').isVisible()).toBe(false);
    await page.keyboard.press('End');
    expect(await focusedId(page)).toBe('tab-tenants');
    await page.keyboard.press('ArrowRight');
    expect(await focusedId(page)).toBe('tab-api-tokens');
    await page.keyboard.press('ArrowLeft');
    expect(await focusedId(page)).toBe('tab-tenants');
    await page.keyboard.press('Home');
    expect(await focusedId(page)).toBe('tab-api-tokens');

    // The session survives a reload (sessionStorage) and is gone after signing out.
    await page.reload();
    await page.getByRole('tab', { name: 'API Tokens' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in as vendor' }).waitFor();
    expect(await storedToken(page)).toBeNull();
    expect(await page.getByRole('tab').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('creates a tenant token that works, deletes it after a confirmation, and the same call then fails', async () => {
    const { page, errors } = await browser.page();
    await signInAsVendor(page, emu);
    const sidecar = page.getByLabel('Demo sidecar URL');
    await sidecar.fill('http://127.0.0.1:18080');
    await sidecar.press('Enter');
    await sidecar.blur();

    const section = page.getByRole('region', { name: 'Tenant API tokens' });
    await section.getByRole('button', { name: 'Create tenant API token' }).click();
    await section.getByLabel('Description').fill('console-ci');
    await section.getByRole('button', { name: 'Create', exact: true }).click();
    const secret = (await section.locator('[data-role=secret]').textContent()) ?? '';
    const clientId = (await section.locator('[data-role=token-id]').textContent()) ?? '';
    expect(secret).toMatch(/^[0-9a-f-]{36}$/);
    expect(await tenantTokenIds()).toContain(clientId);
    expect(await section.locator('[data-role=curl]').textContent()).toBe(
      `curl -i -u '${clientId}:${secret}' 'http://127.0.0.1:18080/'`,
    );
    await section.getByRole('row', { name: /console-ci/ }).waitFor();

    // The secret from the console authenticates through Portcullis.
    const principal = await authenticator.authenticate(basic(clientId, secret));
    expect(principal).toMatchObject({
      clientId,
      tenantId: TENANT_ID,
      ownerKind: 'tenant',
      credential: 'client_credentials',
    });

    // Escape closes the confirmation and deletes nothing.
    const deleteButton = section.getByRole('button', {
      name: 'Delete tenant API token console-ci',
    });
    await deleteButton.click();
    const dialog = page.getByRole('dialog', { name: 'Delete tenant API token?' });
    await dialog.waitFor();
    expect(await focusedId(page)).toBe('');
    expect((await focused(page)).text).toBe('Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await focused(page)).label).toBe('Delete tenant API token console-ci');
    expect(await tenantTokenIds()).toContain(clientId);

    // Focus stays inside the dialog: Tab from the last button wraps to the first.
    await deleteButton.click();
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    expect((await focused(page)).text).toBe('Delete token');
    await page.keyboard.press('Tab');
    expect((await focused(page)).text).toBe('Cancel');
    await page.keyboard.press('Shift+Tab');
    expect((await focused(page)).text).toBe('Delete token');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await section.getByText('No tenant API tokens yet.').waitFor();
    expect(await tenantTokenIds()).not.toContain(clientId);

    // The deletion webhook reaches the authenticator: the same call is now refused.
    expect((await vendor('POST', '/_emulator/webhooks/flush')).status).toBe(200);
    const refused = await refusal(basic(clientId, secret));
    expect(refused.status).toBe(401);

    // The delivery shows in the Webhooks tab's log.
    await page.getByRole('tab', { name: 'Webhooks' }).click();
    const log = page.getByRole('region', { name: 'Delivery log' });
    const delivery = log.getByRole('row', { name: /frontegg\.tenantApiToken\.deleted/ });
    await delivery.waitFor();
    expect(await delivery.textContent()).toContain('delivered');
    expect(await delivery.textContent()).toContain('HTTP 200');
    expect(
      await page
        .getByRole('region', { name: 'Registered hooks' })
        .getByRole('row', { name: /portcullis-test/ })
        .count(),
    ).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('M2M disabled in the console makes the authenticator refuse; enabled restores', async () => {
    const created = await vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
      headers: { 'frontegg-tenant-id': TENANT_ID },
      body: { description: 'm2m-switch' },
    });
    expect(created.status).toBe(201);
    const credentials = basic(created.body.clientId, created.body.secret);
    expect(await authenticator.authenticate(credentials)).toMatchObject({ tenantId: TENANT_ID });

    const { page, errors } = await browser.page();
    await signInAsVendor(page, emu);
    await page.getByRole('tab', { name: 'M2M settings' }).click();
    const enabled = page.getByLabel('M2M tokens enabled (apiTokensEnabled)');
    expect(await enabled.isChecked()).toBe(true);
    await enabled.uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^M2M tokens are disabled/).waitFor();
    const disabled = await vendor('GET', '/identity/resources/configurations/v1');
    expect(disabled.body.apiTokensEnabled).toBe(false);

    await authenticator.policy.refresh();
    expect((await refusal(credentials)).code).toBe('ERR_M2M_DISABLED');

    await enabled.check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^M2M tokens are enabled/).waitFor();
    await authenticator.policy.refresh();
    expect(await authenticator.authenticate(credentials)).toMatchObject({ tenantId: TENANT_ID });

    // Strategy and lifetime go through the same public route.
    await page.getByRole('radio', { name: 'Access tokens' }).check();
    await page.getByLabel('Default token expiration (seconds)').fill('7200');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // The summary paragraph, not the status line ("Saved. M2M tokens …") that repeats it.
    await page
      .locator('[data-role="m2m-summary"]', { hasText: /strategy AccessToken; tokens live 7200 s/ })
      .waitFor();
    const saved = await vendor('GET', '/identity/resources/configurations/v1');
    expect(saved.body).toMatchObject({
      apiTokensEnabled: true,
      machineToMachineAuthStrategy: 'AccessToken',
      defaultTokenExpiration: 7200,
    });
    await vendor('POST', '/identity/resources/configurations/v1', {
      body: { machineToMachineAuthStrategy: 'ClientCredentials', defaultTokenExpiration: 86_400 },
    });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('creates an access token with an X-API-Key curl line, accepted until deleted in the console', async () => {
    await vendor('POST', '/identity/resources/configurations/v1', {
      body: { machineToMachineAuthStrategy: 'AccessToken' },
    });
    await authenticator.policy.refresh();
    try {
      const { page, errors } = await browser.page();
      await signInAsVendor(page, emu);
      await page.getByRole('tab', { name: 'Access tokens' }).click();
      const section = page.getByRole('region', { name: 'Tenant access tokens' });
      await section.getByRole('button', { name: 'Create tenant access token' }).click();
      await section.getByLabel('Description').fill('reporting job');
      await section.getByRole('button', { name: 'Create', exact: true }).click();
      const id = (await section.locator('[data-role=token-id]').textContent()) ?? '';
      const jwt = (await section.locator('[data-role=secret]').textContent()) ?? '';
      expect(await section.locator('[data-role=curl]').textContent()).toBe(
        `curl -i -H 'X-API-Key: ${jwt}' 'http://127.0.0.1:8080/'`,
      );
      expect(await authenticator.authenticate({ headers: { 'x-api-key': jwt } })).toMatchObject({
        tenantId: TENANT_ID,
        credential: 'access_token',
        tokenId: id,
      });

      await section
        .getByRole('button', { name: 'Delete tenant access token reporting job' })
        .click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete token' }).click();
      await section.getByText('No tenant access tokens yet.').waitFor();
      // What Portcullis asks the IdP for an access token now answers 404: the token is gone.
      const active = await vendor(
        'GET',
        `/identity/resources/vendor-only/tenants/access-tokens/v1/${id}`,
      );
      expect(active.status).toBe(404);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await vendor('POST', '/identity/resources/configurations/v1', {
        body: { machineToMachineAuthStrategy: 'ClientCredentials' },
      });
      await authenticator.policy.refresh();
    }
  });

  it('creates and deletes tenants and users and assigns roles', async () => {
    const role = await vendor('POST', '/identity/resources/roles/v1', {
      body: { key: 'billing-reader', name: 'Billing reader' },
    });
    expect(role.status).toBe(201);
    const { page, errors } = await browser.page();
    await signInAsVendor(page, emu);
    await page.getByRole('tab', { name: 'Tenants & users' }).click();
    const tenants = page.getByRole('region', { name: 'Tenants' });
    const tenantId = `globex-${randomUUID().slice(0, 8)}`;
    await tenants.getByLabel('Tenant name').fill('Globex');
    await tenants.getByLabel('Tenant ID (optional)').fill(tenantId);
    await tenants.getByRole('button', { name: 'Create tenant' }).click();
    const users = page.getByRole('region', { name: 'Users in Globex' });
    await users.waitFor();
    expect((await vendor('GET', `/tenants/resources/tenants/v1/${tenantId}`)).status).toBe(200);

    await users.getByRole('button', { name: 'Create a user' }).click();
    await users.getByLabel('Email').fill('ops@globex.test');
    await users.getByLabel('Password').fill('pw-0123456789');
    await users.getByRole('button', { name: 'Create user' }).click();
    const row = users.getByRole('row', { name: /ops@globex\.test/ });
    await row.waitFor();

    await users.getByRole('button', { name: 'Edit roles of ops@globex.test' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roles of ops@globex.test' });
    await dialog.getByLabel('billing-reader').check();
    await dialog.getByRole('button', { name: 'Save roles' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => row.textContent()).toContain('billing-reader');
    const listed = await vendor('GET', '/identity/resources/users/v2', {
      headers: { 'frontegg-tenant-id': tenantId },
    });
    const user = listed.body.items.find(
      (item: { email: string }) => item.email === 'ops@globex.test',
    );
    expect(user.roles.map((r: { key: string }) => r.key)).toEqual(['billing-reader']);

    await users.getByRole('button', { name: 'Delete user ops@globex.test' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete user' }).click();
    await users.getByText('No users in this tenant.').waitFor();
    expect(
      (await vendor('GET', `/identity/resources/vendor-only/users/v1/${user.id}`)).status,
    ).toBe(404);

    await tenants.getByRole('button', { name: 'Delete tenant Globex' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete tenant' }).click();
    await tenants.getByRole('row', { name: /Globex/ }).waitFor({ state: 'detached' });
    // Frontegg reads an unknown tenant as an empty array.
    const gone = await vendor('GET', `/tenants/resources/tenants/v1/${tenantId}`);
    expect([gone.status, gone.body]).toEqual([200, []]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('has no horizontal scroll at 390 px on the sign-in page and on every tab', async () => {
    const { page, errors } = await browser.page({ width: 390, height: 844 });
    await page.goto(`${emu.url}/console`);
    await page.getByRole('button', { name: 'Sign in as vendor' }).waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(390);
    await signInAsVendor(page, emu);

    // A long secret and curl line on screen too.
    const section = page.getByRole('region', { name: 'Tenant API tokens' });
    await section.getByRole('button', { name: 'Create tenant API token' }).click();
    await section.getByRole('button', { name: 'Create', exact: true }).click();
    await section.locator('[data-role=curl]').waitFor();
    await section.getByRole('table').waitFor();
    expect(await scrollWidth(page)).toBeLessThanOrEqual(390);

    const loaded: Record<string, () => Promise<void>> = {
      'Access tokens': () => page.getByRole('region', { name: 'Tenant access tokens' }).waitFor(),
      'M2M settings': () => page.getByRole('button', { name: 'Save settings' }).waitFor(),
      Webhooks: () => page.getByRole('region', { name: 'Delivery log' }).waitFor(),
      'Tenants & users': () =>
        page.getByRole('region', { name: 'Tenants' }).getByRole('table').waitFor(),
    };
    for (const [tab, ready] of Object.entries(loaded)) {
      await page.getByRole('tab', { name: tab }).click();
      await ready();
      expect(await scrollWidth(page), tab).toBeLessThanOrEqual(390);
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
