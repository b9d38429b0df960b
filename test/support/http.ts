// Helpers for driving forms over HTTP like a browser does: keep cookies, read the CSRF token
// from the page, post url-encoded bodies.
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

/** GETs `pageUrl`, then POSTs `form` (plus the page's CSRF token) to `action` (defaults to pageUrl). */
export async function submitForm(a: Agent, pageUrl: string, form: Record<string, string | string[]>, action = pageUrl) {
  const page = await a.get(pageUrl).set('Accept', 'text/html');
  const token = csrfFrom(page.text);
  return a.post(action).type('form').set('Accept', 'text/html').send({ _csrf: token, ...form });
}
