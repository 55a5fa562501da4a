#!/usr/bin/env node
/**
 * Screenshots of the emulator console for the docs (not a test): starts the built emulator with a
 * little demo data, signs in as the vendor in headless Chromium and saves each tab to
 * docs/images/console-<tab>.png (1280 px wide), plus the sign-in page and a 390 px phone view.
 *
 *   npx tsc -b packages/emulator && node scripts/docs-screenshots.mjs
 *
 * Environment: CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'packages/emulator/dist/index.js');
if (!existsSync(dist)) {
  process.stderr.write(
    'docs-screenshots: build the emulator first: npx tsc -b packages/emulator\n',
  );
  process.exit(2);
}
const { startEmulator } = await import(dist);
const outDir = join(root, 'docs/images');
mkdirSync(outDir, { recursive: true });

const TENANT = 'acme';
const seed = {
  vendor: { clientId: 'demo-vendor', secret: 'demo-vendor-secret' },
  appId: 'demo-app',
  permissions: [{ key: 'orders.read' }, { key: 'orders.write' }],
  roles: [
    { key: 'orders-reader', permissionKeys: ['orders.read'] },
    { key: 'orders-admin', permissionKeys: ['orders.read', 'orders.write'] },
    {
      key: 'token-admin',
      permissionKeys: ['read', 'write', 'delete'].flatMap((action) => [
        `fe.secure.${action}.tenantApiTokens`,
        `fe.secure.${action}.userApiTokens`,
      ]),
    },
  ],
  tenants: [
    { tenantId: TENANT, name: 'Acme' },
    { tenantId: 'globex', name: 'Globex' },
  ],
  users: [
    {
      email: 'dev@acme.test',
      name: 'Dana Dev',
      password: 'demo-password',
      tenants: [{ tenantId: TENANT, roleKeys: ['token-admin', 'orders-reader'] }],
    },
    {
      email: 'ops@acme.test',
      name: 'Omar Ops',
      password: 'demo-password',
      tenants: [{ tenantId: TENANT, roleKeys: ['orders-admin'] }],
    },
  ],
  apiTokens: [
    {
      kind: 'tenant',
      tenantId: TENANT,
      clientId: 'acme-ci',
      secret: 'acme-ci-secret',
      description: 'CI pipeline',
      roleKeys: ['orders-reader'],
    },
    {
      kind: 'tenant',
      tenantId: TENANT,
      clientId: 'acme-billing',
      secret: 'acme-billing-secret',
      description: 'billing service',
      roleKeys: ['orders-admin'],
    },
    {
      kind: 'user',
      tenantId: TENANT,
      userEmail: 'dev@acme.test',
      secret: 'dana-personal-secret',
      description: 'Dana’s laptop',
    },
  ],
};

/** Receives the demo webhooks: one hook succeeds, one keeps failing (to show retries). */
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(req.url === '/ok' ? 204 : 500).end());
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}`;

const emu = await startEmulator({
  seed,
  logger: () => {},
  webhooks: { retryBaseDelayMs: 20, maxAttempts: 3 },
});

async function api(method, path, { token, body, headers } = {}) {
  const response = await fetch(`${emu.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

const profile = mkdtempSync(join(tmpdir(), 'portcullis-shots-'));
let context;
try {
  const { token } = await api('POST', '/auth/vendor', { body: seed.vendor });
  const vendor = (method, path, options = {}) => api(method, path, { ...options, token });
  const inAcme = { 'frontegg-tenant-id': TENANT };
  const { items: users } = await vendor('GET', '/identity/resources/users/v2', { headers: inAcme });
  const dana = users.find((user) => user.email === 'dev@acme.test');

  // Access tokens can only be created under the AccessToken strategy.
  await vendor('POST', '/identity/resources/configurations/v1', {
    body: { machineToMachineAuthStrategy: 'AccessToken' },
  });
  await vendor('POST', '/identity/resources/tenants/access-tokens/v1', {
    headers: inAcme,
    body: { description: 'reporting job', expiresInMinutes: 43_200 },
  });
  await vendor('POST', '/identity/resources/users/access-tokens/v1', {
    headers: { ...inAcme, 'frontegg-user-id': dana.id },
    body: { description: 'Dana’s CLI' },
  });
  await vendor('POST', '/identity/resources/configurations/v1', {
    body: { machineToMachineAuthStrategy: 'ClientCredentials' },
  });

  // Two hooks, then a deletion so the delivery log has a success and a retried failure.
  await vendor('POST', '/webhook/custom', {
    body: {
      displayName: 'demo sidecar',
      url: `${receiverUrl}/ok`,
      secret: 'demo-hook-secret',
      eventKeys: ['frontegg.tenantApiToken.deleted', 'frontegg.userApiToken.deleted'],
    },
  });
  await vendor('POST', '/webhook/custom', {
    body: {
      displayName: 'flaky receiver',
      url: `${receiverUrl}/fail`,
      secret: 'demo-hook-secret-2',
      eventKeys: ['frontegg.tenantApiToken.deleted'],
    },
  });
  const old = await vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
    headers: inAcme,
    body: { description: 'old deploy key' },
  });
  await vendor('DELETE', `/identity/resources/tenants/api-tokens/v1/${old.clientId}`, {
    headers: inAcme,
  });
  await vendor('POST', '/_emulator/webhooks/flush');

  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await context.newPage();
  const shot = async (name) => {
    const path = join(outDir, `console-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    process.stdout.write(`${path}\n`);
  };

  await page.goto(`${emu.url}/console`);
  await page.getByRole('button', { name: 'Sign in as vendor' }).waitFor();
  await shot('sign-in');
  await page.getByLabel('Client ID').fill(seed.vendor.clientId);
  await page.getByLabel('Secret', { exact: true }).fill(seed.vendor.secret);
  await page.getByRole('button', { name: 'Sign in as vendor' }).click();

  // API Tokens, with a freshly created token's one-time secret on screen.
  const tenantTokens = page.getByRole('region', { name: 'Tenant API tokens' });
  await tenantTokens.getByRole('button', { name: 'Create tenant API token' }).click();
  await tenantTokens.getByLabel('Description').fill('nightly export');
  await tenantTokens.getByRole('checkbox', { name: 'orders-reader' }).check();
  await tenantTokens.getByRole('button', { name: 'Create', exact: true }).click();
  await tenantTokens.locator('[data-role=curl]').waitFor();
  await tenantTokens.getByRole('row', { name: /nightly export/ }).waitFor();
  await page.getByRole('region', { name: 'Personal API tokens' }).getByRole('table').waitFor();
  await shot('api-tokens');

  const tabs = [
    [
      'access-tokens',
      'Access tokens',
      () => page.getByRole('region', { name: 'Tenant access tokens' }).getByRole('table').waitFor(),
    ],
    ['m2m', 'M2M settings', () => page.getByRole('button', { name: 'Save settings' }).waitFor()],
    [
      'webhooks',
      'Webhooks',
      () => page.getByRole('region', { name: 'Delivery log' }).getByRole('table').waitFor(),
    ],
    [
      'tenants',
      'Tenants & users',
      () => page.getByRole('region', { name: 'Users in Acme' }).getByRole('table').waitFor(),
    ],
  ];
  for (const [name, label, ready] of tabs) {
    await page.getByRole('tab', { name: label }).click();
    await ready();
    await page.mouse.move(0, 0);
    await shot(name);
  }

  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('tab', { name: 'API Tokens' }).click();
  await page.getByRole('region', { name: 'Tenant API tokens' }).getByRole('table').waitFor();
  await page.screenshot({ path: join(outDir, 'console-mobile.png') });
  process.stdout.write(`${join(outDir, 'console-mobile.png')}\n`);
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  await emu.close();
  await new Promise((resolve) => receiver.close(resolve));
}
