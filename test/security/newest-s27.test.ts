// Session 26's features as an attacker and a careless user use them (review of session 27): HR's
// recorded decline of an offer (who may, hostile fields, two officers at once, what reaches the
// applicant), the leader's rejection with the words the candidate is told, resume with a note, the
// staff home's counts and the queue's `soon` and `documents` filters (scope, kept counts after a
// change of role, institute or panel seat, a case still assigned after its officer moved), the
// kept counts' keys, and the audit backfill run at start. Real database, HTTP, SMTP.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, followConfirm, submitForm, type Agent } from '../support/http.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { makeWorld, applicantCase, type World } from '../leaders/context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { Counter } from '../../models/counter.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';
import { countKey } from '../../server/cases/queue.ts';
import { AUDIT_CASE_BACKFILL, backfillAuditCase } from '../../server/audit/backfill-case.ts';

const DAY = 86_400_000;

/** The hidden fields of the form posting to `action` on this page, as the browser sends them. */
function hiddenFields(html: string, action: string): Record<string, string> {
  const at = html.indexOf(`action="${action}"`);
  expect(at, `a form posting to ${action}`).to.be.greaterThan(-1);
  const form = html.slice(at, html.indexOf('</form>', at));
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) if (m[1] !== '_csrf') out[m[1]!] = text(m[2]!);
  return out;
}

/** The figure of the home page's count `key`. */
function countOf(html: string, key: string): number {
  const m = html.match(new RegExp(`<li data-work="${key}"><a href="[^"]+"><strong class="work-figure">([^<]+)</strong>`));
  expect(m, `count ${key}`).to.not.equal(null);
  return Number(m![1]);
}

/** The case ids a queue page lists. */
const rowsOf = (html: string) => [...html.matchAll(/<tr data-case="([a-f0-9]{24})"/g)].map((m) => m[1]!);

describe('security: the newest features (session 26) as an attacker and a careless user', function () {
  this.timeout(120_000);
  let t: TestApp;
  let instA: Types.ObjectId;
  let instB: Types.ObjectId;
  let hrA: UserDoc;
  let hrA2: UserDoc;
  let hrB: UserDoc;
  let leaderA: UserDoc;
  let callA: CallDoc;
  let callB: CallDoc;

  before(async () => {
    t = await startTestApp();
    instA = (await createInstitute())._id;
    instB = (await createInstitute())._id;
    hrA = await createUser({ role: 'hr_officer', institute: instA, name: 'Officer A', locale: 'en' });
    hrA2 = await createUser({ role: 'hr_officer', institute: instA, name: 'Officer A2', locale: 'en' });
    hrB = await createUser({ role: 'hr_officer', institute: instB, name: 'Officer B', locale: 'en' });
    leaderA = await createUser({ role: 'leader', institute: instA, name: 'Leader A', locale: 'en' });
    callA = await createCall({ institute: instA, checklist: [] });
    callB = await createCall({ institute: instB, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  /** A case at `offer` in institute A (its offer complete), assigned to hrA, made 5 working days ago or so. */
  async function offered(locale: 'en' | 'vi' = 'en') {
    const applicant = await createUser({ role: 'applicant', locale, name: 'Anna Weber' });
    const kase = await createCase({ applicant, call: callA, stage: 'offer', assignee: hrA, stageEnteredAt: new Date(Date.now() - 7 * DAY), stageDueAt: new Date(Date.now() + 7 * DAY) });
    return { applicant, kase };
  }

  describe("HR's recorded decline (record_decline)", () => {
    const declineUrl = (c: CaseDoc) => `/cases/${String(c._id)}/actions/record_decline`;
    const form = (version: string, over: Record<string, string | string[]> = {}) => ({ version, receivedVia: 'email', receivedOn: vnDateKey(new Date()), note: 'E-mail forwarded by the director.', ...over });

    it("is refused to another institute's officer (not found), a leader and an applicant (403), and without its CSRF token; nothing changes", async () => {
      const { applicant, kase } = await offered();
      const body = form(String(kase.version));
      const officerB = await signedIn(t, hrB);
      const leader = await signedIn(t, leaderA);
      const own = await signedIn(t, applicant);
      for (const [who, a, expected] of [['officer of B', officerB, 404], ['leader', leader, 403], ['applicant', own, 403]] as const) {
        const token = csrfFrom((await page(a, '/')).text);
        for (const url of [declineUrl(kase), `${declineUrl(kase)}/confirm`]) {
          const res = await a.post(url).type('form').set('Accept', 'text/html').send({ _csrf: token, ...body });
          expect(res.status, `${who} ${url}`).to.equal(expected);
        }
      }
      // Their own officer, from a cross-site form (no token).
      const officer = await signedIn(t, hrA);
      const noToken = await officer.post(`${declineUrl(kase)}/confirm`).type('form').set('Accept', 'text/html').send(body);
      expect(noToken.status).to.equal(403);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.stage).to.equal('offer');
      expect(after.version).to.equal(kase.version);
      expect(after.outbox ?? []).to.have.length(0);
    });

    it('answers hostile fields and values with what to fix (422) or a bad request (400), never a server error; nothing changes and no prototype is touched', async () => {
      const { kase } = await offered();
      const a = await signedIn(t, hrA);
      const p = await page(a, `/cases/${String(kase._id)}`);
      const v = versionIn(p.text, declineUrl(kase));
      const unprocessable: Array<Record<string, string | string[]>> = [
        { receivedOn: '9999-12-31' },
        { receivedOn: '0000-01-01' },
        { receivedOn: '2026-02-30' },
        { receivedOn: '2027-13-01' },
        { receivedOn: ['2026-02-30', vnDateKey(new Date())] },
        { receivedOn: 'constructor' },
        { receivedVia: '__proto__' },
        { receivedVia: 'constructor' },
        { receivedVia: 'prototype' },
        { receivedVia: '' },
        { note: 'x'.repeat(5001) },
        { note: 'Forwarded \u202Egnp.exe' },
        { note: '\u200B\u200B\u200B' },
        { note: 'Letter', reason: 'Family \u2066reasons\u2069' },
        { note: 'Letter', reason: 'y'.repeat(2001) },
      ];
      for (const over of unprocessable) {
        const res = await post(a, p.text, declineUrl(kase), form(v, over));
        expect(res.status, JSON.stringify(over).slice(0, 80)).to.equal(422);
      }
      // Names no form of ours writes: refused before anything is read.
      const raw = (extra: string) => a.post(declineUrl(kase)).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(csrfFrom(p.text))}&version=${v}&receivedVia=email&receivedOn=${vnDateKey(new Date())}&note=x&${extra}`);
      for (const extra of ['note[$ne]=x', 'reason.$gt=1']) expect((await raw(extra)).status, extra).to.equal(400);
      // The body is parsed flat: these are names no field has, ignored (step 1 only shows the confirmation).
      for (const extra of ['__proto__[polluted]=1', 'constructor[prototype][polluted]=1', '__proto__=1', 'constructor=1']) expect((await raw(extra)).status, extra).to.be.oneOf([200, 400]);
      // A JSON body holding an object where a text goes.
      const json = await a.post(declineUrl(kase)).set('Accept', 'text/html').send({ _csrf: csrfFrom(p.text), version: v, receivedVia: 'email', receivedOn: vnDateKey(new Date()), note: { toString: 'x' } });
      expect(json.status).to.equal(400);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.stage).to.equal('offer');
      expect(after.version).to.equal(kase.version);
    });

    it("never shows HR's note to the applicant (e-mail, page, data export); what they typed is escaped in the e-mail's HTML", async () => {
      const { applicant, kase } = await offered();
      const a = await signedIn(t, hrA);
      const p = await page(a, `/cases/${String(kase._id)}`);
      const note = 'INTERNAL-S27: director says we lost him to Bosch <b>keep quiet</b>';
      const reason = '<img src=x onerror="alert(1)"> My family cannot move & I stay';
      const shown = await post(a, p.text, declineUrl(kase), form(versionIn(p.text, declineUrl(kase)), { note, reason }));
      expect(shown.status).to.equal(200);
      // The confirmation page escapes both (the e-mail preview and the fields carried).
      expect(shown.text).not.to.include('<img src=x');
      expect(shown.text).not.to.include('<b>keep quiet</b>');
      const done = await post(a, shown.text, `${declineUrl(kase)}/confirm`, hiddenFields(shown.text, `${declineUrl(kase)}/confirm`));
      expect(done.status).to.equal(303);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.stage).to.equal('withdrawn');
      expect(after.history.at(-1)!.received?.note).to.equal(note);

      await deliver(t, kase._id);
      const mail = await t.smtp.waitForTo(applicant.email);
      for (const part of [mail.text, mail.html]) {
        expect(part).not.to.include('INTERNAL-S27');
        expect(part).not.to.include('Bosch');
      }
      expect(mail.text).to.include(reason);
      expect(mail.html).not.to.include('<img');
      expect(mail.html).to.include('&lt;img src');

      const own = await signedIn(t, applicant);
      const ownPage = await page(own, `/applications/${String(kase._id)}`);
      expect(ownPage.status).to.equal(200);
      expect(text(ownPage.text)).not.to.include('INTERNAL-S27');
      expect(ownPage.text).not.to.include('<img src=x');
      const exported = await own.get('/account/export');
      expect(exported.status).to.equal(200);
      expect(exported.text).to.include(String(kase.reference));
      expect(exported.text).not.to.include('INTERNAL-S27');
      expect(exported.text).not.to.include('Bosch');
    });

    it('two officers confirming at once: exactly one decline, one e-mail; the second is told (409). The same officer twice: one effect, told it is done', async () => {
      const { kase } = await offered();
      const one = await signedIn(t, hrA);
      const two = await signedIn(t, hrA2);
      const confirmFrom = async (a: Agent) => {
        const p = await page(a, `/cases/${String(kase._id)}`);
        const shown = await post(a, p.text, declineUrl(kase), form(versionIn(p.text, declineUrl(kase))));
        expect(shown.status).to.equal(200);
        return () => post(a, shown.text, `${declineUrl(kase)}/confirm`, hiddenFields(shown.text, `${declineUrl(kase)}/confirm`));
      };
      const [first, second] = await Promise.all([confirmFrom(one), confirmFrom(two)]);
      const answers = await Promise.all([first(), second()]);
      expect(answers.map((r) => r.status).sort()).to.deep.equal([303, 409]);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.history.filter((h) => h.action === 'record_decline')).to.have.length(1);
      expect(after.outbox ?? []).to.have.length(1);
      expect(await AuditEvent.countDocuments({ targetId: String(kase._id), action: 'case.decision' })).to.equal(1);

      // One officer's double click.
      const { kase: k2 } = await offered();
      const p = await page(one, `/cases/${String(k2._id)}`);
      const shown = await post(one, p.text, declineUrl(k2), form(versionIn(p.text, declineUrl(k2))));
      const confirmAt = `${declineUrl(k2)}/confirm`;
      const twice = await Promise.all([post(one, shown.text, confirmAt, hiddenFields(shown.text, confirmAt)), post(one, shown.text, confirmAt, hiddenFields(shown.text, confirmAt))]);
      expect(twice.map((r) => r.status)).to.deep.equal([303, 303]);
      const k2After = (await Case.findById(k2._id).lean())!;
      expect(k2After.history.filter((h) => h.action === 'record_decline')).to.have.length(1);
      expect(k2After.outbox ?? []).to.have.length(1);
    });

    it('a disabled account, or one whose role changed, cannot confirm a decline from a page left open', async () => {
      for (const change of ['disabled', 'role'] as const) {
        const officer = await createUser({ role: 'hr_officer', institute: instA, name: `Officer ${change}`, locale: 'en' });
        const { kase } = await offered();
        const a = await signedIn(t, officer);
        const p = await page(a, `/cases/${String(kase._id)}`);
        const shown = await post(a, p.text, declineUrl(kase), form(versionIn(p.text, declineUrl(kase))));
        expect(shown.status).to.equal(200);
        // As server/accounts does it: disabling and a role change both end the sessions (the epoch).
        if (change === 'disabled') await User.updateOne({ _id: officer._id }, { $set: { disabledAt: new Date() }, $inc: { sessionEpoch: 1 } });
        else await User.updateOne({ _id: officer._id }, { $set: { role: 'leader' }, $inc: { sessionEpoch: 1 } });
        const res = await post(a, shown.text, `${declineUrl(kase)}/confirm`, hiddenFields(shown.text, `${declineUrl(kase)}/confirm`));
        expect(res.status, change).to.be.oneOf([302, 303, 401, 403]);
        if (res.status === 302 || res.status === 303) expect(String(res.headers.location ?? ''), change).to.match(/^\/signin/);
        expect((await Case.findById(kase._id).lean())!.stage, change).to.equal('offer');
      }
    });
  });

  describe('the offer: its planned start and the guard on an answer', () => {
    it('refuses impossible and far days as the planned start (422), and an acceptance before the terms and letter (422); another institute cannot touch the terms', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'offer', assignee: hrA, offerTerms: null });
      const a = await signedIn(t, hrA);
      const termsUrl = `/cases/${String(kase._id)}/offer-terms`;
      const p = await page(a, `/cases/${String(kase._id)}`);
      for (const offerStart of ['9999-12-31', '2026-02-30', '0000-01-01', '31.12.2027', '__proto__']) {
        const res = await a.post(termsUrl).set('Accept', 'text/html').field('_csrf', csrfFrom(p.text)).field('version', String(kase.version)).field('offerPosition', 'Senior researcher').field('offerStart', offerStart);
        expect(res.status, offerStart).to.equal(422);
      }
      const officerB = await signedIn(t, hrB);
      const bPage = await page(officerB, '/');
      const foreign = await officerB.post(termsUrl).set('Accept', 'text/html').field('_csrf', csrfFrom(bPage.text)).field('version', String(kase.version)).field('offerPosition', 'Hijacked');
      expect(foreign.status).to.equal(404);
      // The applicant's acceptance, hand-made: refused while the offer has no terms.
      const own = await signedIn(t, applicant);
      const ownPage = await page(own, `/applications/${String(kase._id)}`);
      const accept = await own.post(`/applications/${String(kase._id)}/offer/accept`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(ownPage.text), version: String(kase.version) });
      expect(accept.status).to.be.oneOf([303, 422]);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.stage).to.equal('offer');
      expect(after.offerTerms?.position ?? undefined).to.equal(undefined);
    });
  });

  describe("the leader's rejection and what the candidate is told", () => {
    let w: World;
    let leader: Agent;
    before(async () => {
      w = await makeWorld();
      leader = await signedIn(t, w.leader);
    });
    const caseUrl = (id: unknown) => `/shortlists/${String(w.call._id)}/cases/${String(id)}`;
    async function scoredCase(locale: 'en' | 'vi' = 'en') {
      const made = await applicantCase(w.call, 'evaluation', {}, locale);
      await Evaluation.create({ case: made.kase._id, call: made.kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
      return made;
    }
    const hiddenPreviewed = (html: string) => text(/<input type="hidden" name="previewedToldReason" value="([^"]*)">/.exec(html)![1]!);

    it('refuses a told reason sent twice, under a bracketed name, with hidden characters or too long, and a form without its token; nothing is sent', async () => {
      const { kase } = await scoredCase();
      const reason = 'Internal: the panel ranked this profile last of five.';
      // The leader has not scored: ticked, as the form asks (lead s35).
      const shown = await followConfirm(leader, await submitForm(leader, caseUrl(kase._id), { action: 'reject', version: String(kase.version), reason, withoutScores: '1' }, `${caseUrl(kase._id)}/decision`));
      expect(shown.status).to.equal(200);
      const base = { _csrf: csrfFrom(shown.text), action: 'reject', version: String(kase.version), reason, previewedToldReason: hiddenPreviewed(shown.text), withoutScores: '1' };
      const confirmUrl = `${caseUrl(kase._id)}/decision/confirm`;
      const send = (body: Record<string, unknown>) => leader.post(confirmUrl).type('form').set('Accept', 'text/html').send(body);
      expect((await send({ ...base, toldReason: ['Words one', 'Words two'] })).status, 'twice').to.equal(422);
      expect((await send({ ...base, 'toldReason[]': 'Words one' })).status, 'bracketed').to.equal(422);
      expect((await send({ ...base, toldReason: 'Thank you \u202Efor applying' })).status, 'bidi').to.equal(422);
      expect((await send({ ...base, toldReason: '\u200B\u200C' })).status, 'invisible').to.equal(422);
      expect((await send({ ...base, toldReason: 'x'.repeat(2001) })).status, 'long').to.equal(422);
      expect((await send({ ...base, toldReason: { $ne: '' } })).status, 'object').to.equal(400);
      const { _csrf: _token, ...noToken } = base;
      expect((await send({ ...noToken, toldReason: base.previewedToldReason })).status, 'no token').to.equal(403);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.stage).to.equal('evaluation');
      expect(after.outbox ?? []).to.have.length(0);
    });

    it('is refused to an HR officer on the panel and to another institute’s leader', async () => {
      const { kase } = await scoredCase();
      for (const user of [w.member, w.otherLeader]) {
        const a = await signedIn(t, user);
        const token = csrfFrom((await page(a, '/')).text);
        for (const url of [`${caseUrl(kase._id)}/decision`, `${caseUrl(kase._id)}/decision/confirm`]) {
          const res = await a.post(url).type('form').set('Accept', 'text/html').send({ _csrf: token, action: 'reject', version: String(kase.version), reason: 'Not mine to decide at all.', toldReason: 'Sorry.', previewedToldReason: 'Sorry.' });
          expect(res.status, `${user.name} ${url}`).to.be.oneOf([403, 404]);
        }
      }
      expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
    });

    it("sends the told words escaped and never the leader's reason (e-mail, the candidate's page, their data export)", async () => {
      const { applicant, kase } = await scoredCase();
      const reason = 'INTERNAL-LEADER-S27: plagiarism suspected in the second paper.';
      const shown = await followConfirm(leader, await submitForm(leader, caseUrl(kase._id), { action: 'reject', version: String(kase.version), reason, withoutScores: '1' }, `${caseUrl(kase._id)}/decision`));
      const told = '<a href="https://evil.example/">Click to appeal</a> Thank you for applying.';
      const redrawn = await followConfirm(leader, await leader.post(`${caseUrl(kase._id)}/decision`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(shown.text), action: 'reject', version: String(kase.version), reason, toldReason: told, refresh: '1', withoutScores: '1' }));
      expect(redrawn.status).to.equal(200);
      expect(redrawn.text).not.to.include('<a href="https://evil.example/">');
      const done = await leader.post(`${caseUrl(kase._id)}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(redrawn.text), action: 'reject', version: String(kase.version), reason, toldReason: told, previewedToldReason: hiddenPreviewed(redrawn.text), withoutScores: '1' });
      expect(done.status).to.equal(303);
      await deliver(t, kase._id);
      const mail = await t.smtp.waitForTo(applicant.email);
      expect(mail.text).to.include(told);
      expect(mail.html).not.to.include('href="https://evil.example/"');
      for (const part of [mail.text, mail.html]) expect(part).not.to.include('INTERNAL-LEADER-S27');
      const own = await signedIn(t, applicant);
      const ownPage = await page(own, `/applications/${String(kase._id)}`);
      expect(ownPage.text).not.to.include('INTERNAL-LEADER-S27');
      expect(ownPage.text).not.to.include('href="https://evil.example/"');
      const exported = await own.get('/account/export');
      expect(exported.text).to.include('Click to appeal');
      expect(exported.text).not.to.include('INTERNAL-LEADER-S27');
    });
  });

  describe('resume with a note to the applicant', () => {
    it('escapes the note in the e-mail, refuses hidden characters and oversize, and a second click is told rather than resumed twice', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'on_hold', resumeStage: 'screening', assignee: hrA, stageDueAt: new Date(Date.now() + 20 * DAY) });
      const a = await signedIn(t, hrA);
      const url = `/cases/${String(kase._id)}/actions/resume`;
      const p = await page(a, `/cases/${String(kase._id)}`);
      const v = versionIn(p.text, url);
      for (const reason of ['Welcome back \u202Etxt.exe', 'z'.repeat(5001)]) expect((await post(a, p.text, url, { version: v, reason })).status).to.equal(422);
      const note = '<script>alert("x")</script> We have the budget again.';
      const [first, second] = await Promise.all([post(a, p.text, url, { version: v, reason: note }), post(a, p.text, url, { version: v, reason: note })]);
      expect([first.status, second.status].sort()).to.deep.equal([303, 409]);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.history.filter((h) => h.action === 'resume')).to.have.length(1);
      await deliver(t, kase._id);
      const mail = await t.smtp.waitForTo(applicant.email);
      expect(mail.text).to.include(note);
      expect(mail.html).not.to.include('<script>');
      expect(mail.html).to.include('&lt;script&gt;');
    });
  });

  describe("the staff home's counts and the queue's new filters", () => {
    /** One overdue, one due soon and one with a document to check, in `call`'s institute. */
    async function work(call: CallDoc, assignee?: UserDoc) {
      const applicant = await createUser({ role: 'applicant' });
      const overdue = await createCase({ applicant, call, stage: 'screening', stageDueAt: new Date(Date.now() - 2 * DAY), ...(assignee ? { assignee } : {}) });
      const soon = await createCase({ applicant, call, stage: 'screening', stageDueAt: new Date(Date.now() + 2 * DAY), nextDueAt: new Date(Date.now() + 2 * DAY) });
      const docs = await createCase({ applicant, call, stage: 'screening' });
      await CaseDocument.create({ case: docs._id, type: 'cv', slot: 0, version: 1, current: true, status: 'pending', storage: 'disk', storageKey: 'c'.repeat(32), originalName: 'cv.pdf', mimeType: 'application/pdf', size: 10, sha256: 'd'.repeat(64), uploadedBy: applicant._id });
      return { overdue, soon, docs };
    }

    it("never counts or lists another institute's cases, and an applicant or visitor cannot open the filtered queue", async () => {
      await work(callA);
      const b = await work(callB);
      forgetKeptReads();
      const a = await signedIn(t, hrA);
      const home = await page(a, '/');
      expect(home.status).to.equal(200);
      for (const filter of ['soon=1', 'documents=1', 'overdue=1', 'soon=1&documents=1']) {
        const q = await page(a, `/cases?${filter}`);
        expect(q.status, filter).to.equal(200);
        const rows = rowsOf(q.text);
        for (const id of [b.overdue, b.soon, b.docs].map((c) => String(c._id))) expect(rows, filter).not.to.include(id);
        const cases = await Case.find({ _id: { $in: rows.map((r) => new Types.ObjectId(r)) } }, { institute: 1 }).lean();
        expect(cases.every((c) => String(c.institute) === String(instA)), filter).to.equal(true);
      }
      const applicant = await signedIn(t, await createUser({ role: 'applicant' }));
      expect((await page(applicant, '/cases?documents=1')).status).to.equal(403);
      expect((await page(applicant, '/')).text).not.to.include('data-work=');
      expect([302, 303, 401]).to.include((await agent(t.app).get('/cases?soon=1').set('Accept', 'text/html')).status);
    });

    it('reads hostile filter values as no filter and refuses operators in their names, never a server error', async () => {
      const a = await signedIn(t, hrA);
      for (const q of ['soon=2', 'soon=__proto__', 'documents=constructor', 'documents=prototype', 'soon=1&soon=1', 'documents=%00', `soon=${'1'.repeat(5000)}`]) {
        expect((await page(a, `/cases?${q}`)).status, q).to.equal(200);
      }
      for (const q of ['soon[$ne]=1', 'documents[$gt]=']) expect((await page(a, `/cases?${q}`)).status, q).to.equal(400);
      // Read as names no filter has (the query is parsed flat): ignored or refused, never an error.
      for (const q of ['__proto__[soon]=1', 'constructor[prototype][soon]=1', '__proto__=1']) expect((await page(a, `/cases?${q}`)).status, q).to.be.oneOf([200, 400]);
      expect(({} as Record<string, unknown>).soon).to.equal(undefined);
    });

    it('a panel seat given never lists another institute\'s case in the queue nor in their work counts (read on the shortlist only, walk s36)', async () => {
      const officer = await createUser({ role: 'hr_officer', institute: instA, name: 'Officer Seats', locale: 'en' });
      // Before institute B's panel of this call: overdue, not theirs until they sit on it, and then to read only.
      const panelCall = await createCall({ institute: instB, checklist: [] });
      const seen = await createCase({ applicant: await createUser({ role: 'applicant' }), call: panelCall, stage: 'evaluation', stageDueAt: new Date(Date.now() - DAY) });
      forgetKeptReads();
      const a = await signedIn(t, officer);
      const before = countOf((await page(a, '/')).text, 'overdue');
      expect((await page(a, '/cases')).text).not.to.include(seen.reference);
      // The administrator's panel page writes the seat this way (no case is written: nothing forgets the kept reads).
      await User.updateOne({ _id: officer._id }, { $addToSet: { panelCalls: panelCall._id } });
      expect((await page(a, '/cases')).text).not.to.include(seen.reference);
      expect((await page(a, `/shortlists/${String(panelCall._id)}`)).text, 'the seat shows at once on the shortlist').to.include(`data-case="${String(seen._id)}"`);
      // Institute B's overdue case is not this officer's work (walk-staff #2: it opened read-only).
      expect(countOf((await page(a, '/')).text, 'overdue')).to.deep.equal(before);
      expect((await page(a, '/cases?overdue=1')).text).not.to.include(seen.reference);
      await User.updateOne({ _id: officer._id }, { $pull: { panelCalls: panelCall._id } });
      expect((await page(a, '/cases')).text).not.to.include(seen.reference);
    });

    it("after a move to another institute, the officer's counts are the new institute's at once, and a case still assigned from the old one is not listed", async () => {
      const officer = await createUser({ role: 'hr_officer', institute: instA, name: 'Officer Moving', locale: 'en' });
      const applicant = await createUser({ role: 'applicant' });
      // An answered request of a procedure, on a case of A assigned to them: listed on their home page.
      const answered = await createCase({
        applicant,
        call: callA,
        stage: 'onboarding',
        assignee: officer,
        supportTracks: [{ kind: 'work_permit', status: 'preparing', asks: [{ text: 'Your degree, legalised', askedAt: new Date(Date.now() - 3 * DAY), dueAt: new Date(Date.now() + 5 * DAY), repliedAt: new Date(Date.now() - DAY) }] }],
      });
      await work(callB);
      forgetKeptReads();
      const a = await signedIn(t, officer);
      const homeA = await page(a, '/');
      expect(homeA.text).to.include(`data-answer-case="${String(answered._id)}"`);
      const overdueA = countOf(homeA.text, 'overdue');
      // Moved to B (as the role change writes it, sessions ended), its cases not yet returned to the
      // queue: the step that does it stopped (server/cases/stranded.ts repairs it later).
      await User.updateOne({ _id: officer._id }, { $set: { institute: instB }, $inc: { sessionEpoch: 1 } });
      const ended = await a.get('/cases').set('Accept', 'text/html');
      expect(ended.status).to.be.oneOf([302, 303, 401]);
      const moved = await User.findById(officer._id);
      const b = await signedIn(t, moved!);
      const homeB = await page(b, '/');
      expect(homeB.status).to.equal(200);
      expect(homeB.text).not.to.include(`data-answer-case="${String(answered._id)}"`);
      expect(homeB.text).not.to.include(answered.reference);
      // The same figures as an officer who always was at B (not A's, kept from before the move).
      const officerB = await page(await signedIn(t, hrB), '/');
      for (const key of ['overdue', 'soon', 'documents', 'procedures']) expect(countOf(homeB.text, key), key).to.equal(countOf(officerB.text, key));
      expect(countOf(homeB.text, 'overdue')).not.to.equal(overdueA);
      // Their case page of A is not found either (the policy).
      expect((await page(b, `/cases/${String(answered._id)}`)).status).to.equal(404);
    });
  });

  describe("the queue's kept counts", () => {
    it('are kept under a short digest of the filter, however many cases a "documents to check" filter names', () => {
      const ids = Array.from({ length: 20_000 }, () => new Types.ObjectId());
      const big = { $and: [{ institute: new Types.ObjectId() }, { _id: { $in: ids } }] };
      const key = countKey(big);
      expect(key.length).to.be.at.most(64);
      expect(countKey(big)).to.equal(key);
      expect(countKey({ $and: [big.$and[0], { _id: { $in: ids.slice(1) } }] })).not.to.equal(key);
      // A search's regex is part of what is counted.
      expect(countKey({ searchTerms: { $regex: /^ab/ } })).not.to.equal(countKey({ searchTerms: { $regex: /^ac/ } }));
    });
  });

  describe('the audit backfill run at start', () => {
    it('stamps only what lacks its case, in batches, skips hostile ids, changes nothing already stamped, and runs again after a stop midway', async () => {
      const coll = AuditEvent.collection;
      const caseIds = Array.from({ length: 5 }, () => new Types.ObjectId());
      const already = new Types.ObjectId();
      const base = { at: new Date(), action: 'case.transition', actorRole: 'hr_officer' };
      const inserted = await coll.insertMany([
        ...caseIds.map((id) => ({ ...base, targetType: 'case', targetId: String(id), summary: { s27: true } })),
        { ...base, action: 'document.uploaded', targetType: 'document', targetId: String(new Types.ObjectId()), summary: { case: String(caseIds[0]), s27: true } },
        { ...base, targetType: 'case', targetId: '{"$ne":null}', summary: { s27: true } },
        { ...base, targetType: 'case', targetId: '__proto__', summary: { case: { $gt: '' }, s27: true } },
        { ...base, targetType: 'case', targetId: String(caseIds[1]), case: already, summary: { s27: true } },
      ]);
      const ids = Object.values(inserted.insertedIds);
      // The database is shared by the run's test files: its mark is put back as found at the end.
      const hadMark = !!(await Counter.exists({ _id: AUDIT_CASE_BACKFILL }));
      await Counter.deleteOne({ _id: AUDIT_CASE_BACKFILL });
      // A start stopped midway: the first two stamped, no mark.
      await coll.updateMany({ _id: { $in: ids.slice(0, 2) } }, { $set: { case: 'marker' } });
      const first = await backfillAuditCase({ batchSize: 2 });
      expect(first.stamped).to.be.at.least(4);
      const rows = await coll.find({ _id: { $in: ids } }).toArray();
      const byId = new Map(rows.map((r) => [String(r._id), r]));
      // Stamped before: left as they were (each write is conditional on the field missing).
      expect(byId.get(String(ids[0]))!.case).to.equal('marker');
      expect(byId.get(String(ids[1]))!.case).to.equal('marker');
      for (const i of [2, 3, 4]) expect(String(byId.get(String(ids[i]))!.case)).to.equal(String(caseIds[i]));
      expect(String(byId.get(String(ids[5]))!.case)).to.equal(String(caseIds[0]));
      expect(byId.get(String(ids[6]))!.case).to.equal(undefined);
      expect(byId.get(String(ids[7]))!.case).to.equal(undefined);
      expect(String(byId.get(String(ids[8]))!.case)).to.equal(String(already));
      expect(({} as Record<string, unknown>).$gt).to.equal(undefined);
      // Marked: the next start reads nothing.
      expect(await Counter.exists({ _id: AUDIT_CASE_BACKFILL })).to.not.equal(null);
      expect((await backfillAuditCase()).stamped).to.equal(0);
      await coll.deleteMany({ _id: { $in: ids } });
      if (!hadMark) await Counter.deleteOne({ _id: AUDIT_CASE_BACKFILL });
    });
  });
});
