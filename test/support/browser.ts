// Debian's Chromium driven by playwright-core (no browser download), headless. A browser test calls
// useBrowser() in its describe and asks it for pages or contexts; it launches, skips and closes.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { User } from '../../models/user.ts';
import { freshTotpCode, TEST_PASSWORD } from './factories.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotsDir = path.resolve('test-results/screenshots');

async function launchBrowser(): Promise<Browser> {
  mkdirSync(screenshotsDir, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/** A context's options: its locale always (the pages' language and dates follow it), a viewport if not the default 1280×720. */
export type ContextOptions = BrowserContextOptions & { locale: 'en-GB' | 'en-US' | 'vi-VN' };

export interface BrowserUse {
  /** A fresh context (its own cookies), closed after the test that opened it. */
  context(opts: ContextOptions): Promise<BrowserContext>;
  /** A page in a fresh context, closed after the test that opened it. */
  page(opts: ContextOptions): Promise<Page>;
}

/**
 * Registers the describe's browser hooks: skips its tests when Chromium is missing, launches it once
 * before them, closes each test's contexts after it and the browser after all. Call it first in the
 * describe, so the skip comes before any other set-up and the browser closes before the app.
 */
export function useBrowser(): BrowserUse {
  let browser: Browser | undefined;
  const open: BrowserContext[] = [];
  before(async function () {
    if (!existsSync(CHROMIUM)) this.skip();
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await browser?.close();
    browser = undefined;
  });
  const context = async (opts: ContextOptions) => {
    if (!browser) throw new Error('useBrowser(): the browser is launched in a before hook; ask for pages inside tests');
    const c = await browser.newContext(opts);
    open.push(c);
    return c;
  };
  return { context, page: async (opts) => (await context(opts)).newPage() };
}

/** Clicks what leads to another page and waits until that page has loaded. */
/**
 * Collects into `errors` what a page must never do: throw a script error, log a console error other
 * than a refusal the walk provokes (`refusals`: HTTP statuses the browser logs), or answer 5xx.
 */
export function watchPage(page: Page, errors: string[], refusals: readonly number[] = [404, 409, 413, 415, 422]): Page {
  const refused = new RegExp(`status of (${refusals.join('|')})`);
  page.on('console', (m) => {
    if (m.type() === 'error' && !refused.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 500) errors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  return page;
}

export async function clickAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForLoadState('load'), page.waitForNavigation(), page.click(selector)]);
}

/** A staff member signs in through the pages: e-mail and password, then a fresh authenticator code. */
/** An applicant signs in with the test password (no second factor: staff have staffSignsIn). */
export async function applicantSignsIn(page: Page, baseUrl: string, email: string): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.fill('#f-email', email);
  await page.fill('#f-password', TEST_PASSWORD);
  await clickAndWait(page, 'main form button[type=submit]');
}

export async function staffSignsIn(page: Page, baseUrl: string, user: { _id: unknown; email: string }): Promise<void> {
  await applicantSignsIn(page, baseUrl, user.email);
  expect(new URL(page.url()).pathname, 'the second factor is asked after the password').to.equal('/signin/second-factor');
  await page.fill('#f-code', await freshTotpCode((await User.findById(user._id).lean())!));
  await clickAndWait(page, 'main form button[type=submit]');
}
