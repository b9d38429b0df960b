// What the walks share: printing a page or an e-mail (WALK=1), the "bạn" check, screenshots, and
// the pages of one case as its two readers have them: the applicant on a 390 px phone in English,
// HR at a 1280 px desk in Vietnamese, each page run through the shared checks (test/support/page-checks.ts).
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { TestApp } from '../support/app.ts';
import { applicantSignsIn, screenshotsDir, staffSignsIn, watchPage, type BrowserUse } from '../support/browser.ts';
import { pageProblems } from '../support/page-checks.ts';
import type { UserDoc } from '../../models/user.ts';
import { deliver } from '../applications/support.ts';

/** Prints a page's or an e-mail's text when WALK=1. */
export const show = (label: string, s: string) => {
  if (process.env.WALK) console.log(`\n=== ${label} ===\n${s}`);
};
/** "bạn" as a word: applicants are addressed Ông/Bà, staff Anh/Chị. */
export const BAN = /(^|[^\p{L}])bạn([^\p{L}]|$)/iu;
export const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
/** Where the walks' screenshots go: $WALK_SHOTS, else test-results/screenshots. */
export const shots = process.env.WALK_SHOTS ?? screenshotsDir;

export interface WalkPagesOptions {
  t: () => TestApp;
  browser: BrowserUse;
  /** The screenshots' name prefix (the walk's name). */
  prefix: string;
  errors: string[];
  problems: string[];
  applicant: () => UserDoc;
  hr: () => UserDoc;
  caseId: () => string;
  /** Words that would show an e-mail to the applicant was not in English. */
  notEnglish: RegExp;
}

export function walkPages(o: WalkPagesOptions) {
  const watch = (page: Page) => watchPage(page, o.errors);
  const mainText = async (p: Page) => squash((await p.textContent('main'))!);
  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(shots, `${o.prefix}-${name}.png`), fullPage: true });
  /** The page as its reader has it: the shared checks (language, headings, labels, errors, the phone's width), no "bạn", its main text. */
  const look = async (p: Page, name: string, who: 'hr' | 'applicant' | 'admin') => {
    o.problems.push(...(await pageProblems(p, { lang: who === 'applicant' ? 'en' : 'vi', noSideScroll: who === 'applicant' })));
    const text = await mainText(p);
    show(`${who}: ${name}`, text);
    await shot(p, `${who}-${name}`);
    expect(text, `${name}: never "bạn"`).to.not.match(BAN);
    return text;
  };
  /** The e-mails the case owes, delivered; those to the applicant returned (English, her name). */
  const mails = async () => {
    const t = o.t();
    await deliver(t, o.caseId());
    const me = o.applicant();
    const mine = t.smtp.messages.filter((m) => m.to.includes(me.email));
    t.smtp.messages.splice(0);
    for (const m of mine) {
      show(`e-mail: ${m.subject}`, m.text);
      expect(m.text, `${m.subject}: to her by name`).to.include(me.name);
      expect(`${m.subject}\n${m.text}`, `${m.subject}: in English`).to.not.match(o.notEnglish);
    }
    return mine;
  };
  const phone = async () => {
    const p = watch(await o.browser.page({ locale: 'en-GB', viewport: { width: 390, height: 844 } }));
    await applicantSignsIn(p, o.t().baseUrl, o.applicant().email);
    return p;
  };
  const desk = async (who: UserDoc = o.hr()) => {
    const h = watch(await o.browser.page({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } }));
    await staffSignsIn(h, o.t().baseUrl, who);
    expect(new URL(h.url()).pathname, `${who.name} signed in: ${(await mainText(h)).slice(0, 300)}`).to.not.match(/^\/signin/);
    return h;
  };
  const myPage = async (p: Page, name: string) => {
    await p.goto(`${o.t().baseUrl}/applications/${o.caseId()}`);
    return look(p, name, 'applicant');
  };
  const hrCase = async (h: Page, name: string) => {
    await h.goto(`${o.t().baseUrl}/cases/${o.caseId()}`);
    return look(h, name, 'hr');
  };
  /** Tabs until `selector` has the focus (a keyboard user's way to a button); how many it took. */
  const tabTo = async (p: Page, selector: string, max = 200): Promise<number> => {
    for (let i = 0; i < max; i += 1) {
      if (await p.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) {
        show('tabs', `${i} to ${selector}`);
        return i;
      }
      await p.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${selector}`);
  };
  /** Enter on the focused control, and the page it leads to loaded. */
  const enter = async (p: Page) => {
    await Promise.all([p.waitForNavigation(), p.keyboard.press('Enter')]);
    await p.waitForLoadState('load');
  };
  /** A page's timeline section, its text. */
  const timelineOf = async (page: Page, url: string) => {
    await page.goto(`${o.t().baseUrl}${url}`);
    return squash((await page.textContent('#timeline')) ?? '');
  };
  /** No page problem and no browser error so far. */
  const checked = (what: string) => {
    expect(o.problems, `${what}:\n${o.problems.join('\n')}`).to.deep.equal([]);
    expect(o.errors, o.errors.join('\n')).to.deep.equal([]);
  };
  return { watch, mainText, shot, look, mails, phone, desk, myPage, hrCase, tabTo, enter, timelineOf, checked };
}
