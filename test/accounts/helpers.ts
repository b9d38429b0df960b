// Small helpers shared by the accounts tests.
import { expect } from 'chai';
import type { Agent } from '../support/http.ts';
import { csrfFrom } from '../support/http.ts';

/** Is this agent signed in? /account answers 200 only to a signed-in user. */
export async function isSignedIn(a: Agent): Promise<boolean> {
  const res = await a.get('/account').set('Accept', 'text/html');
  if (res.status === 200) return true;
  expect(res.status, `GET /account answered ${res.status}`).to.equal(303);
  expect(res.headers.location).to.match(/^\/signin/);
  return false;
}

export async function postForm(a: Agent, pageUrl: string, action: string, form: Record<string, string>) {
  const page = await a.get(pageUrl).set('Accept', 'text/html');
  expect(page.status, `GET ${pageUrl}`).to.be.oneOf([200, 422]);
  return a.post(action).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), ...form });
}

export function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  return list.find((c) => c.startsWith('sid='))?.split(';')[0];
}
