import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import type { RunningEmulator } from '../src/index.js';

/** Debian's Chromium; `.ci/run` installs it when absent. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface TestBrowser {
  readonly context: BrowserContext;
  /** A fresh page (its own sessionStorage) that records console errors and page errors. */
  page(viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/**
 * One headless Chromium per test file, with a throw-away profile. Playwright refuses
 * `--user-data-dir` in `args`, so the profile goes through `launchPersistentContext`.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'portcullis-console-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1280, height: 900 },
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
  context.setDefaultTimeout(10_000);
  return {
    context,
    async page(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console: ${message.text()}`);
      });
      return { page, errors };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function signInAsVendor(page: Page, emu: RunningEmulator): Promise<void> {
  await page.goto(`${emu.url}/console`);
  await page.getByLabel('Client ID').fill(emu.vendor.clientId);
  await page.getByLabel('Secret', { exact: true }).fill(emu.vendor.secret);
  await page.getByRole('button', { name: 'Sign in as vendor' }).click();
  await page.getByRole('tab', { name: 'API Tokens' }).waitFor();
}

export async function signInAsUser(
  page: Page,
  emu: RunningEmulator,
  user: { email: string; password: string },
): Promise<void> {
  await page.goto(`${emu.url}/console`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in as user' }).click();
  await page.getByRole('tab', { name: 'API Tokens' }).waitFor();
}

/*
 * In-page reads, written as expression strings: the test tsconfig has no DOM lib, and these
 * run in the browser, not in Node.
 */

/** The focused element's id, text and aria-label. */
export async function focused(page: Page): Promise<{ id: string; text: string; label: string }> {
  return page.evaluate(
    `(() => { const el = document.activeElement; return { id: el?.id ?? '', text: el?.textContent ?? '', label: el?.getAttribute('aria-label') ?? '' }; })()`,
  );
}

/** The console's token in this page's sessionStorage, or null. */
export async function storedToken(page: Page): Promise<string | null> {
  return page.evaluate(`sessionStorage.getItem('portcullis.console.token')`);
}

/** The page's full scroll width in CSS pixels. */
export async function scrollWidth(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth');
}
