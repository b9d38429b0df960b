// Helpers for driving forms over HTTP like a browser does: keep cookies, read the CSRF token
// from the page, post url-encoded bodies.
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';

export type Agent = ReturnType<typeof request.agent>;

export function agent(app: Express): Agent {
  return request.agent(app);
}

export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1]!;
}

/**
 * A leader's decision step 1 answers with a 303 to its confirmation page (Post/Redirect/Get,
 * server/http/pending-decision.ts): followed here as a browser does, so a test reads that page (200,
 * or 422 with what to fix) where it read the POST's answer. Any other answer is returned as it is.
 */
export async function followConfirm<R extends { status: number; headers: Record<string, string> }>(a: Agent, res: R): Promise<R> {
  const to = res.status === 303 ? String(res.headers.location ?? '') : '';
  if (!/\/decision\/confirm\/[0-9a-f]{32}$/.test(to)) return res;
  return (await a.get(to).set('Accept', 'text/html')) as unknown as R;
}

/** GETs `pageUrl`, then POSTs `form` (plus the page's CSRF token) to `action` (defaults to pageUrl). */
export async function submitForm(a: Agent, pageUrl: string, form: Record<string, string | string[]>, action = pageUrl) {
  const page = await a.get(pageUrl).set('Accept', 'text/html');
  const token = csrfFrom(page.text);
  return a.post(action).type('form').set('Accept', 'text/html').send({ _csrf: token, ...form });
}

/** The plan a holiday confirmation page showed (its hidden `seen` field). */
export function seenFrom(html: string): string {
  const m = /name="seen" value="([^"]*)"/.exec(html);
  if (!m) throw new Error('no seen field on the page');
  return m[1]!;
}

/**
 * Adds a day as an administrator does: the form, then its confirmation page (what would move),
 * then the confirmation with a reason. Returns the form's answer when it is refused, else the confirmation's.
 */
export async function addHoliday(a: Agent, values: Record<string, string>, reason = 'Decision of the Prime Minister on this year’s holidays') {
  const form = await submitForm(a, '/admin/holidays', values);
  if (form.status !== 303) return form;
  const confirm = await a.get(form.headers.location!).set('Accept', 'text/html');
  return a
    .post('/admin/holidays/add')
    .type('form')
    .set('Accept', 'text/html')
    .send({ _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), kind: '', ...values, reason });
}

/** Removes a day through its confirmation page, with a reason. */
export async function removeHoliday(a: Agent, holidayId: string, reason = 'Entered by mistake, the decree names another day') {
  const confirm = await a.get(`/admin/holidays/${holidayId}/delete`).set('Accept', 'text/html');
  return a.post(`/admin/holidays/${holidayId}/delete`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), reason });
}

/** A page's HTML with its character references decoded (what a reader sees of a text). */
export function decodeHtml(s: string): string {
  return s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A page's words: its tags dropped, its references decoded, its spaces squashed. */
export const words = (html: string) => decodeHtml(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

/**
 * The leader's confirmation page's own form (a decision's second step), as the page gives it: where it
 * posts and its fields (the hidden ones, and the words for the candidate prefilled in its textarea), decoded.
 */
export function confirmationForm(page: string): { action: string; fields: Record<string, string> } {
  const form = /<form method="post" action="([^"]+\/decision\/confirm)"[\s\S]*?<\/form>/.exec(page);
  expect(form, 'confirmation form').to.not.equal(null);
  const fields: Record<string, string> = {};
  for (const m of form![0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = decodeHtml(m[2]!);
  for (const m of form![0].matchAll(/<textarea id="[^"]+" name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[m[1]!] = decodeHtml(m[2]!);
  return { action: form![1]!, fields };
}
