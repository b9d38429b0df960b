// What every page a walk visits is held to, read from the page as Chromium laid it out: its
// language, one <h1>, a label for every visible control, no sideways scroll on a phone, each error
// tied to its field. Each check returns what is wrong (empty when nothing), so a walk can name every
// page's problems at once rather than stop at the first.
// The in-page code is a string: the test runner's transform renames functions in compiled code
// (a __name helper the page does not have), so nothing of it may be compiled.
import type { Page } from 'playwright-core';

export interface PageCheck {
  /** The reader's language: <html lang> starts with it. */
  lang: 'vi' | 'en';
  /** The page must keep to its viewport's width (applicant pages on a 390 px phone). */
  noSideScroll?: boolean;
}

const PROBLEMS = `(() => {
  const { lang, noSideScroll } = __CHECK__;
  const out = [];
  const htmlLang = document.documentElement.lang;
  if (!htmlLang.toLowerCase().startsWith(lang)) out.push('<html lang="' + htmlLang + '"> for a ' + lang + ' reader');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) out.push(h1 + ' <h1>');
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type) || !visible(el)) continue;
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some((id) => id && (document.getElementById(id)?.textContent || '').trim());
    const labelled = (el.labels && el.labels.length > 0) || !!(el.getAttribute('aria-label') || '').trim() || byIds || !!(el.getAttribute('title') || '').trim();
    if (!labelled) out.push('unlabelled ' + el.tagName.toLowerCase() + '[name=' + (el.getAttribute('name') || '') + ']');
  }
  // An error beside a field is read with it: its id in the field's aria-describedby.
  const described = new Set([...document.querySelectorAll('[aria-describedby]')].flatMap((el) => el.getAttribute('aria-describedby').split(/\\s+/)));
  for (const err of document.querySelectorAll('.field-error')) {
    if (!visible(err) || err.getAttribute('role') === 'alert') continue;
    if (!err.id || !described.has(err.id)) out.push('error not tied to its field: "' + (err.textContent || '').trim().slice(0, 60) + '"');
  }
  for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
    const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    if (!ids.some((id) => document.getElementById(id)?.classList.contains('field-error'))) out.push('invalid ' + (el.getAttribute('name') || el.id) + ' without its error in aria-describedby');
  }
  if (noSideScroll && document.documentElement.scrollWidth > window.innerWidth) out.push(document.documentElement.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window');
  return out;
})()`;

/** The page's problems, each prefixed by its path. */
export async function pageProblems(page: Page, check: PageCheck): Promise<string[]> {
  const where = new URL(page.url()).pathname;
  const found = (await page.evaluate(PROBLEMS.replace('__CHECK__', JSON.stringify({ lang: check.lang, noSideScroll: !!check.noSideScroll })))) as string[];
  return found.map((f) => `${where}: ${f}`);
}

const FOCUS = `(() => {
  const a = document.activeElement;
  const firstInvalid = document.querySelector('[aria-invalid="true"]');
  const summary = document.getElementById('form-errors');
  const ok = !!a && ((!!summary && (a === summary || summary.contains(a))) || a === firstInvalid);
  return { ok, active: a ? a.tagName.toLowerCase() + '#' + a.id : 'nothing' };
})()`;

/**
 * After a refused submit the keyboard is at the first thing to fix: the error summary (whose links
 * lead to the fields) or the first invalid field itself.
 */
export async function focusProblem(page: Page): Promise<string[]> {
  const where = new URL(page.url()).pathname;
  const at = (await page.evaluate(FOCUS)) as { ok: boolean; active: string };
  return at.ok ? [] : [`${where}: focus on ${at.active} after a refused submit, not on the first error`];
}
