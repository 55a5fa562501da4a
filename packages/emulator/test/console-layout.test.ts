/**
 * The console at common desktop widths (1280 and 1440 px): no word in a table header, table cell,
 * button or badge is split across lines ("EXPIRE S", "Delet e"). Each word of each text node is
 * measured with a DOM Range: a word laid out on two lines has two client rects. Identifiers in
 * `<code>` may break anywhere on purpose and are left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index.js';
import type { RunningEmulator } from '../src/index.js';
import { launchBrowser, signInAsVendor } from './console-browser.js';
import type { TestBrowser } from './console-browser.js';
import { call } from './helpers.js';

const TENANT = 'acme';
const TABS = ['API Tokens', 'Access tokens', 'M2M settings', 'Webhooks', 'Tenants & users'];

let emu: RunningEmulator;
let browser: TestBrowser;

beforeAll(async () => {
  emu = await startEmulator({
    logger: () => {},
    seed: {
      vendor: { clientId: 'layout-vendor', secret: 'layout-vendor-secret' },
      permissions: [{ key: 'orders.read' }, { key: 'orders.write' }],
      roles: [{ key: 'orders-admin', permissionKeys: ['orders.read', 'orders.write'] }],
      tenants: [
        { tenantId: TENANT, name: 'Acme Corporation International' },
        { tenantId: 'globex', name: 'Globex' },
      ],
      users: [
        {
          email: 'developer.with.a.long.name@acme.example',
          name: 'Dana Developer',
          password: 'layout-password',
          tenants: [{ tenantId: TENANT, roleKeys: ['orders-admin'] }],
        },
      ],
      apiTokens: [
        {
          kind: 'tenant',
          tenantId: TENANT,
          clientId: 'acme-continuous-integration-pipeline',
          secret: 'acme-ci-secret',
          description: 'continuous integration pipeline of the orders service',
          roleKeys: ['orders-admin'],
        },
      ],
    },
  });
  const { body } = await call(emu.url, 'POST', '/auth/vendor', {
    body: { clientId: 'layout-vendor', secret: 'layout-vendor-secret' },
  });
  const token = (body as { token: string }).token;
  await call(emu.url, 'POST', '/identity/resources/configurations/v1', {
    token,
    body: { machineToMachineAuthStrategy: 'AccessToken' },
  });
  await call(emu.url, 'POST', '/identity/resources/tenants/access-tokens/v1', {
    token,
    headers: { 'frontegg-tenant-id': TENANT },
    body: { description: 'nightly reporting job', expiresInMinutes: 43_200 },
  });
  await call(emu.url, 'POST', '/webhook/custom', {
    token,
    body: {
      displayName: 'orders service deletions',
      url: 'http://127.0.0.1:9/webhooks/frontegg',
      secret: 'layout-hook-secret',
      eventKeys: ['frontegg.tenantApiToken.deleted', 'frontegg.user.deleted'],
      isActive: true,
    },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await emu?.close();
});

/** Words split across lines, as "tag: word" strings (in-page, so written as a string). */
const SPLIT_WORDS = `(() => {
  const split = [];
  const roots = document.querySelectorAll('th, td, button, .badge, [role="tab"], label');
  for (const root of roots) {
    if (root.closest('code') || root.getClientRects().length === 0) continue;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement?.closest('code')) continue;
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) split.push(root.tagName.toLowerCase() + ': ' + match[0]);
      }
    }
  }
  return [...new Set(split)];
})()`;

describe.each([1280, 1440])('the console at %i px', (width) => {
  it('splits no word in headers, cells, buttons or badges on any tab', async () => {
    const { page, errors } = await browser.page({ width, height: 900 });
    await signInAsVendor(page, emu);
    const found: Record<string, string[]> = {};
    for (const tab of TABS) {
      await page.getByRole('tab', { name: tab }).click();
      await page.waitForLoadState('networkidle');
      if (tab === 'API Tokens' || tab === 'Access tokens') {
        // Not vacuous: the seeded token's row (with its Delete button) is on screen.
        await page.locator('td button:visible').first().waitFor();
      }
      const split = (await page.evaluate(SPLIT_WORDS)) as string[];
      if (split.length > 0) found[tab] = split;
    }
    expect(found).toEqual({});
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
