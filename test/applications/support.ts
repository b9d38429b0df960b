// Shared steps for the applicant and HR page tests: sign in through the real pages, read a form's
// hidden fields from the page, and deliver the e-mails a case owes through the real dispatcher.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { signIn } from '../support/factories.ts';
import type { UserDoc } from '../../models/user.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
export { holdReviewDay } from '../support/hold.ts';

export async function signedIn(t: TestApp, user: UserDoc): Promise<Agent> {
  const a = agent(t.app);
  await signIn(a, user);
  return a;
}

export async function page(a: Agent, url: string) {
  const res = await a.get(url).set('Accept', 'text/html');
  return res;
}

/** The hidden `version` of the form posting to `action` on this page. */
export function versionIn(html: string, action: string): string {
  const at = html.indexOf(`action="${action}"`);
  expect(at, `a form posting to ${action}`).to.be.greaterThan(-1);
  const m = /name="version" value="(\d+)"/.exec(html.slice(at, at + 2000));
  expect(m, `a version field in the form posting to ${action}`).to.not.equal(null);
  return m![1]!;
}

/** POSTs a form with the CSRF token taken from `from` (a page already fetched). */
export async function post(a: Agent, fromHtml: string, action: string, form: Record<string, string | string[]>) {
  return a.post(action).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(fromHtml), ...form });
}

export async function deliver(t: TestApp, caseId: unknown): Promise<void> {
  await dispatchOnce(t.ctx, { owner: 'test', caseIds: [caseId] });
}

/** Decodes the few entities Handlebars writes, to compare page text with plain strings. */
export function text(html: string): string {
  return html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x3D;/g, '=');
}

/** Fails when a page shows a translation key instead of text (a key missing from a locale file). */
export function expectTranslated(html: string, where: string): void {
  const body = html.replace(/<link[^>]*>|<script[^>]*><\/script>|href="[^"]*"|action="[^"]*"|src="[^"]*"/g, '');
  const keys = body.match(/\b(?:calls|applications|cases|documents|workflow|common)\.[a-z][A-Za-z_]*(?:\.[A-Za-z_]+)*/g) ?? [];
  expect(keys, `untranslated keys on ${where}`).to.deep.equal([]);
}

/**
 * An HR decision that ends or pauses a case (reject, put on hold, close) in its two steps: the
 * form from the case page `fromHtml`, its confirmation page (200), then the confirm form as that
 * page sends it. Answers both responses.
 */
export async function postConfirmed(a: Agent, fromHtml: string, caseId: unknown, action: string, form: Record<string, string>) {
  const shown = await post(a, fromHtml, `/cases/${String(caseId)}/actions/${action}`, form);
  expect(shown.status, `the confirmation page of ${action}: ${shown.status}`).to.equal(200);
  const url = `/cases/${String(caseId)}/actions/${action}/confirm`;
  const confirmForm = shown.text.slice(shown.text.indexOf(`action="${url}"`));
  const reason = /name="reason" value="([^"]*)"/.exec(confirmForm)?.[1];
  // A hold's review date travels with its reason.
  const reviewBy = /name="reviewBy" value="([^"]*)"/.exec(confirmForm.slice(0, confirmForm.indexOf('</form>')))?.[1];
  const confirmed = await post(a, shown.text, url, { version: versionIn(shown.text, url), ...(reason !== undefined ? { reason: text(reason) } : {}), ...(reviewBy !== undefined ? { reviewBy } : {}) });
  return { shown, confirmed };
}
