// Small helpers shared by the accounts tests.
import { expect } from 'chai';
import type { Agent } from '../support/http.ts';
import { csrfFrom } from '../support/http.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import type { Stage } from '../../models/constants.ts';
import { User } from '../../models/user.ts';

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

/** The hidden version of the account a page's form carries (a role change, a decision about the account). */
export function seenFrom(html: string): string {
  const m = /name="seen" value="(\d+)"/.exec(html);
  if (!m) throw new Error(`no version on the page: ${html.slice(0, 300)}`);
  return m[1]!;
}

/**
 * Opens the page of an administrator's decision about the account (`disable`, …) and sends its form
 * with this reason, over the page's CSRF token and version (`fields` adds or replaces fields).
 */
export async function decide(a: Agent, user: { _id: unknown }, decision: string, reason: string, fields: Record<string, string> = {}) {
  const url = `/admin/users/${String(user._id)}/${decision}`;
  const page = await a.get(url).set('Accept', 'text/html');
  expect(page.status, `GET ${url}: ${page.text.slice(0, 300)}`).to.equal(200);
  return a.post(url).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: seenFrom(page.text), reason, ...fields });
}

export function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  return list.find((c) => c.startsWith('sid='))?.split(';')[0];
}

type Person = { _id: unknown };

/** What an officer who leaves their post holds: two open cases (screening and `laterStage`), a closed one; and a colleague's open case. */
export async function casesHeldBy({ call, holder, colleague, laterStage }: { call: CallDoc; holder: Person; colleague: Person; laterStage: Stage }) {
  const applicant = await createUser({ role: 'applicant' });
  const held = (stage: Stage, assignee: Person) => createCase({ applicant, call, stage, assignee: assignee as never });
  return { open: [await held('screening', holder), await held(laterStage, holder)], closed: await held('closed', holder), theirs: await held('screening', colleague) };
}

/**
 * The open cases went back to the queue, unassigned, each with one history entry by the
 * administrator (or by the system: the repair of what a crash left, server/cases/stranded.ts) giving
 * the reason as a code (each reader gets it in their language); the closed case and the colleague's
 * are untouched.
 */
export async function expectBackInQueue(cases: { open: CaseDoc[]; closed: CaseDoc; theirs: CaseDoc }, who: { holder: Person; colleague: Person; by: Person | 'system' }, unassign: { reason: string; name: string }): Promise<void> {
  for (const c of cases.open) {
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.assignee, `${c.reference} unassigned`).to.equal(undefined);
    expect(stored.history.filter((h) => h.action === 'unassign'), `${c.reference}: one history entry`).to.have.length(1);
    const last = stored.history.at(-1)!;
    if (who.by === 'system') {
      expect(last).to.include({ action: 'unassign', actorRole: 'system' });
      expect(last.actor).to.equal(undefined);
    } else {
      expect(last).to.include({ action: 'unassign', actorRole: 'admin' });
      expect(String(last.actor)).to.equal(String(who.by._id));
    }
    // Stored as a reason, not in the administrator's words: each reader gets it in their language.
    expect(last.unassign).to.deep.equal(unassign);
    expect(last.note).to.equal(undefined);
    expect(stored.version, 'the workflow version stays').to.equal(c.version);
  }
  expect(String((await Case.findById(cases.closed._id).lean())!.assignee), 'a closed case keeps who held it').to.equal(String(who.holder._id));
  expect(String((await Case.findById(cases.theirs._id).lean())!.assignee), 'a colleague’s case is untouched').to.equal(String(who.colleague._id));
}

/**
 * For tests of "the last administrator who can sign in" (call inside their describe): before each
 * test every administrator who can sign in is disabled, and all are enabled again after the block,
 * so the administrators each test makes are the only ones.
 */
export function onlyEachTestsAdministrators(): void {
  const others: unknown[] = [];
  beforeEach(async () => {
    const enabled = (await User.find({ role: 'admin', disabledAt: null, passwordHash: { $exists: true } }, { _id: 1 }).lean()).map((u) => u._id);
    await User.updateMany({ _id: { $in: enabled } }, { $set: { disabledAt: new Date() } });
    others.push(...enabled);
  });
  after(async () => {
    await User.updateMany({ _id: { $in: others } }, { $unset: { disabledAt: 1 } });
  });
}
