// Debian's Chromium driven by playwright-core (no browser download), headless.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { User } from '../../models/user.ts';
import { freshTotpCode, TEST_PASSWORD } from './factories.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotsDir = path.resolve('test-results/screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium)`);
  mkdirSync(screenshotsDir, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/** Clicks what leads to another page and waits until that page has loaded. */
export async function clickAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForLoadState('load'), page.waitForNavigation(), page.click(selector)]);
}

/** A staff member signs in through the pages: e-mail and password, then a fresh authenticator code. */
export async function staffSignsIn(page: Page, baseUrl: string, user: { _id: unknown; email: string }): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.fill('#f-email', user.email);
  await page.fill('#f-password', TEST_PASSWORD);
  await clickAndWait(page, 'main form button[type=submit]');
  await page.fill('#f-code', await freshTotpCode((await User.findById(user._id).lean())!));
  await clickAndWait(page, 'main form button[type=submit]');
}
