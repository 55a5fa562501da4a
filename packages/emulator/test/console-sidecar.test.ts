/**
 * The console with the real demo sidecar: the BUILT `portcullis` CLI (packages/sidecar/dist)
 * runs as a reverse proxy in front of a tiny upstream, against the emulator, and the curl line the console prints is what
 * reaches it. Build first: `npx tsc -b packages/core packages/sidecar`; skipped when the sidecar
 * is not built (console-vendor.test.ts covers the same flows with an in-process authenticator).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/index.js';
import type { RunningEmulator } from '../src/index.js';
import { launchBrowser, signInAsVendor } from './console-browser.js';
import type { TestBrowser } from './console-browser.js';
import { call } from './helpers.js';

const SIDECAR_CLI = fileURLToPath(new URL('../../sidecar/dist/cli.js', import.meta.url));
const HOOK_SECRET = `hook-${randomUUID()}`;
const STANDARD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const TENANT_ID = `acme-${randomUUID().slice(0, 8)}`;

let emu: RunningEmulator;
let vendorToken: string;
let sidecar: ChildProcess;
let sidecarUrl: string;
let browser: TestBrowser;
/** The demo service behind the sidecar: answers 200 with the tenant the sidecar vouched for. */
let upstream: Server;

const vendor = (
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
) => call(emu.url, method, path, { ...options, token: vendorToken });

/** Starts the sidecar and resolves with its main URL from the "portcullis listening" log line. */
function startSidecar(env: Record<string, string>): Promise<string> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')),
  );
  sidecar = spawn(process.execPath, [SIDECAR_CLI], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  sidecar.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    let buffered = '';
    sidecar.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let at = buffered.indexOf('\n'); at !== -1; at = buffered.indexOf('\n')) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; mainUrl?: string };
          if (entry.msg === 'portcullis listening' && entry.mainUrl) resolve(entry.mainUrl);
        } catch {
          // not a JSON log line
        }
      }
    });
    sidecar.on('exit', (code) => reject(new Error(`sidecar exited (${String(code)}): ${stderr}`)));
  });
}

/**
 * Runs a console curl line (`curl -i -u 'id:secret' 'url'`) with fetch. Resolves with the status,
 * after checking that a 200 came from the upstream with the token's tenant.
 */
async function runCurlLine(line: string): Promise<number> {
  const match = /^curl -i -u '([^':]+):([^']+)' '([^']+)'$/.exec(line);
  if (!match) throw new Error(`unexpected curl line: ${line}`);
  const [, clientId, secret, url] = match as unknown as [string, string, string, string];
  const response = await fetch(`${url}orders`, {
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
  const body = await response.text();
  if (response.status === 200) expect(body).toBe(`tenant ${TENANT_ID}`);
  return response.status;
}

/** Polls until `check` is true; webhooks are flushed first, so this normally passes at once. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!existsSync(SIDECAR_CLI))(
  'console with the demo sidecar',
  { timeout: 60_000 },
  () => {
    beforeAll(async () => {
      emu = await startEmulator({
        logger: () => {},
        webhooks: { retryBaseDelayMs: 20, maxAttempts: 3 },
      });
      const auth = await call(emu.url, 'POST', '/auth/vendor', {
        body: { clientId: emu.vendor.clientId, secret: emu.vendor.secret },
      });
      vendorToken = auth.body.token as string;
      upstream = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`tenant ${String(req.headers['x-portcullis-tenant-id'])}`);
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      sidecarUrl = await startSidecar({
        PORTCULLIS_UPSTREAM: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        PORTCULLIS_PROVIDER: 'frontegg',
        PORTCULLIS_FRONTEGG_BASE_URL: emu.url,
        PORTCULLIS_FRONTEGG_APP_URL: emu.appUrl,
        PORTCULLIS_FRONTEGG_CLIENT_ID: emu.vendor.clientId,
        PORTCULLIS_FRONTEGG_API_KEY: emu.vendor.secret,
        PORTCULLIS_FRONTEGG_WEBHOOK_SECRET: HOOK_SECRET,
        PORTCULLIS_STANDARD_WEBHOOK_SECRET: STANDARD_SECRET,
        PORTCULLIS_LISTEN: '127.0.0.1:0',
        PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
        PORTCULLIS_CACHE_TTL_MS: '3600000',
        PORTCULLIS_LOG_LEVEL: 'info',
      });
      const frontegg = await vendor('POST', '/webhook/custom', {
        body: {
          displayName: 'sidecar (Frontegg)',
          url: `${sidecarUrl}/.portcullis/webhooks/frontegg`,
          secret: HOOK_SECRET,
          eventKeys: ['frontegg.tenantApiToken.deleted'],
        },
      });
      expect(frontegg.status).toBe(201);
      const standard = await vendor('POST', '/webhook/custom', {
        body: {
          displayName: 'sidecar (Portcullis)',
          url: `${sidecarUrl}/.portcullis/webhooks/standard`,
          secret: HOOK_SECRET,
          standardWebhooksSecret: STANDARD_SECRET,
          eventKeys: ['m2m.disabled', 'm2m.enabled'],
        },
      });
      expect(standard.status).toBe(201);
      expect(
        (
          await vendor('POST', '/tenants/resources/tenants/v1', {
            body: { tenantId: TENANT_ID, name: 'Acme' },
          })
        ).status,
      ).toBe(201);
      browser = await launchBrowser();
    });

    afterAll(async () => {
      await browser?.close();
      if (sidecar && sidecar.exitCode === null) {
        const exited = new Promise((resolve) => sidecar.once('exit', resolve));
        sidecar.kill('SIGTERM');
        await exited;
      }
      await new Promise<void>((resolve) =>
        upstream ? upstream.close(() => resolve()) : resolve(),
      );
      await emu?.close();
    });

    it('the curl line from the console passes the sidecar until the token is deleted in the console', async () => {
      const { page, errors } = await browser.page();
      await signInAsVendor(page, emu);
      const setting = page.getByLabel('Demo sidecar URL');
      await setting.fill(sidecarUrl);
      await setting.press('Enter');

      const section = page.getByRole('region', { name: 'Tenant API tokens' });
      await section.getByRole('button', { name: 'Create tenant API token' }).click();
      await section.getByLabel('Description').fill('via sidecar');
      await section.getByRole('button', { name: 'Create', exact: true }).click();
      const line = (await section.locator('[data-role=curl]').textContent()) ?? '';
      expect(line).toContain(`'${sidecarUrl}/'`);
      expect(await runCurlLine(line)).toBe(200);

      await section.getByRole('button', { name: 'Delete tenant API token via sidecar' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete token' }).click();
      await section.getByText('No tenant API tokens yet.').waitFor();
      expect((await vendor('POST', '/_emulator/webhooks/flush')).status).toBe(200);
      await eventually(async () => (await runCurlLine(line)) === 401, 'the sidecar to refuse');
      expect(errors).toEqual([]);
      await page.close();
    });

    it('M2M switched off in the console makes the sidecar refuse; on again restores', async () => {
      const created = await vendor('POST', '/identity/resources/tenants/api-tokens/v1', {
        headers: { 'frontegg-tenant-id': TENANT_ID },
        body: { description: 'switch' },
      });
      const line = `curl -i -u '${created.body.clientId}:${created.body.secret}' '${sidecarUrl}/'`;
      expect(await runCurlLine(line)).toBe(200);

      const { page, errors } = await browser.page();
      await signInAsVendor(page, emu);
      await page.getByRole('tab', { name: 'M2M settings' }).click();
      const enabled = page.getByLabel('M2M tokens enabled (apiTokensEnabled)');
      await enabled.uncheck();
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText(/^M2M tokens are disabled/).waitFor();
      expect((await vendor('POST', '/_emulator/webhooks/flush')).status).toBe(200);
      await eventually(async () => (await runCurlLine(line)) === 401, 'M2M off at the sidecar');

      await enabled.check();
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText(/^M2M tokens are enabled/).waitFor();
      expect((await vendor('POST', '/_emulator/webhooks/flush')).status).toBe(200);
      await eventually(async () => (await runCurlLine(line)) === 200, 'M2M on at the sidecar');
      expect(errors).toEqual([]);
      await page.close();
    });
  },
);
