// Security review s35 (second pass) of the session's newest code, as an attacker. Each test's name
// says what was tried and what was found; the ones that held say why.
// - day fields rewritten from dd/mm/yyyy (calendar-day.ts readDayFields, called by each form for
//   the fields it declares (the input guard and the multipart reader did it for all, by name, until s37), filter addresses, the audit log's filters): hostile values, lists, `$` and
//   `__proto__` keys, days the calendar lacks, other scripts' digits, very long texts;
// - closing scoring: two submits at once, a panel member of another institute, JSON bodies;
// - held candidates on the ranked view: the hold's reason and the panel;
// - the dashboard's recomputation of figures left by an earlier process: opened in many tabs;
// - erasure after a conflict's pending audit event: nothing of the member's words kept.
// Nothing serious was found in this pass: every value rewritten is one the forms then check
// (calendarDayProblem), bracketed and `$` names are refused before the rewrite, the rewrite reads
// ASCII digits only in linear time; the close is guarded by the call, the case's call, the
// version and the stage (a second submit is 409); held rows and their reasons are listed only for
// those who may read them; figures left at start are recomputed once (their computedAt is then
// after the process's start).
import { expect } from 'chai';
import type { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { isoDay, readDayFields } from '../../server/support/calendar-day.ts';
import { systemContext } from '../../server/context.ts';
import { actorContext } from '../workflow/context.ts';
import { transition } from '../../server/workflow/index.ts';
import { invalidateShortlist } from '../../server/evaluations/shortlist.ts';
import { pendingAudit } from '../../server/audit/index.ts';
import { documentStores, eraseCaseFiles } from '../../server/privacy/erase.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { computeFigures, figuresKey, readFigures } from '../../server/dashboard/stored.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { makePng, tokenOf } from '../documents/support.ts';
import { holdReviewDay } from '../support/hold.ts';
import { makeWorld, applicantCase, type World } from '../leaders/context.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

/** Day values typed by an attacker: none is a day the forms accept. */
const HOSTILE_DAYS = [
  '31/02/2027', // no such day (read as 2027-02-31)
  '00/00/0000', // read as 0000-00-00: Date has no month 0
  '01/01/0000', // year 0: outside 1900-2199
  '1/1/99999', // five-digit year: not day-first, left as typed
  '٠١/٠٦/٢٠٢٧', // Arabic-Indic digits: \d is ASCII only
  '０１/０６/２０２７', // full-width digits
  '01/06/2027\u0000',
  `01/06/2027${' '.repeat(5000)}x`,
  `${'1'.repeat(20_000)}/06/2027`,
];

describe('security s35b: day fields typed day first, hostile values', function () {
  this.timeout(90_000);

  it('isoDay is linear on long texts and rewrites only ASCII dd/mm/yyyy; readDayFields never touches a `__proto__` own key nor the prototype', () => {
    const started = Date.now();
    for (const v of [' '.repeat(200_000) + 'x', '1'.repeat(200_000), `1/1/${'2'.repeat(200_000)}`, `${' '.repeat(100_000)}1/1/2027${' '.repeat(100_000)}x`]) expect(isoDay(v)).to.equal(v);
    expect(Date.now() - started, 'no backtracking blow-up').to.be.lessThan(500);
    for (const v of HOSTILE_DAYS.slice(3)) expect(isoDay(v)).to.equal(v);
    const body = JSON.parse('{"__proto__": "01/01/2027", "constructor": "01/01/2027", "plannedStart": {"$gt": "01/01/2027"}, "passport_expiresAt": ["01/01/2040", {"a": "01/01/2040"}]}') as Record<string, unknown>;
    const read = readDayFields(body, ['__proto__', 'constructor', 'plannedStart', /_expiresAt$/]);
    expect(Object.getPrototypeOf(read)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(read, '__proto__')!.value).to.equal('2027-01-01');
    expect(read.constructor).to.equal('2027-01-01');
    expect(read.plannedStart, 'a nested object is left for the guard and the form to refuse').to.deep.equal({ $gt: '01/01/2027' });
    expect(read.passport_expiresAt, 'a list is left for the form to refuse (errors.oneValue)').to.deep.equal(['01/01/2040', { a: '01/01/2040' }]);
    expect(Object.getOwnPropertyDescriptor(body, '__proto__')!.value, 'the body read is not changed').to.equal('01/01/2027');
    expect(({} as Record<string, unknown>).plannedStart).to.equal(undefined);
  });

  describe('over HTTP: refused with the form (400 or 422), never a 500, nothing stored', () => {
    let t: TestApp;
    const clock = vn('2027-03-01');
    let hr: UserDoc;
    let admin: UserDoc;
    let call: CallDoc;
    before(async () => {
      t = await startTestApp({ now: () => clock, env: { UPLOAD_RATE_PER_HOUR: '1000' } });
      await seedHolidays();
      const institute = await createInstitute();
      hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
      admin = await createUser({ role: 'admin' });
      call = await createCall({ institute, checklist: [{ type: 'passport', phase: 'application', required: true }] as never });
    });
    after(async () => {
      await t?.close();
    });

    it("the planned start and a procedure's decision day: each hostile value, a list, a `$` key, `__proto__`; the case unchanged", async () => {
      const applicant = await createUser({ role: 'applicant' });
      const c = await createCase({
        applicant,
        call,
        stage: 'onboarding',
        assignee: hr._id,
        stageEnteredAt: vn('2027-02-15'),
        stageDueAt: vn('2027-04-12'),
        stageDueCount: { from: vn('2027-02-15'), workingDays: 40 },
        supportTracks: [{ kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-16'), dueAt: vn('2027-03-10'), updatedAt: vn('2027-02-16') }],
      });
      const before = JSON.stringify(await Case.findById(c._id).lean());
      const a = await signedIn(t, hr);
      const p = await page(a, `/cases/${c._id}`);
      const u = `/cases/${c._id}/planned-start`;
      const version = versionIn(p.text, u);
      for (const typed of HOSTILE_DAYS) {
        const res = await post(a, p.text, u, { version, plannedStart: typed, plannedStartReason: 'The expert wrote to us.' });
        expect(res.status, JSON.stringify(typed.slice(0, 30))).to.be.oneOf([400, 422]);
      }
      const token = encodeURIComponent(csrfFrom(p.text));
      for (const raw of [
        `plannedStart=01/06/2027&plannedStart=02/06/2027`,
        `plannedStart[$gt]=01/06/2027`,
        `plannedStart[__proto__]=01/06/2027`,
        `plannedStart[0]=01/06/2027`,
        `__proto__[plannedStart]=01/06/2027`,
        `constructor[prototype][x]=01/06/2027`,
      ]) {
        const res = await a.post(u).type('form').set('Accept', 'text/html').send(`_csrf=${token}&version=${version}&plannedStartReason=The+expert+wrote.&${raw}`);
        expect(res.status, raw).to.be.oneOf([400, 422]);
      }
      // JSON: a list, an object, a number.
      for (const plannedStart of [['01/06/2027'], { $gt: '01/06/2027' }, 20270601, null]) {
        const res = await a.post(u).set('Accept', 'text/html').set('x-csrf-token', csrfFrom(p.text)).send({ version, plannedStartReason: 'The expert wrote.', plannedStart });
        expect(res.status, JSON.stringify(plannedStart)).to.be.oneOf([400, 415, 422]);
      }
      const pu = `/cases/${c._id}/procedures/work_permit`;
      const form = await page(a, pu);
      for (const typed of HOSTILE_DAYS) {
        const res = await post(a, form.text, pu, { version: versionIn(form.text, pu), status: 'approved', decidedAt: typed });
        expect(res.status, JSON.stringify(typed.slice(0, 30))).to.be.oneOf([400, 422]);
      }
      expect(JSON.stringify(await Case.findById(c._id).lean())).to.equal(before);
      expect(({} as Record<string, unknown>).x).to.equal(undefined);
    });

    it("a multipart form's document dates: hostile values and lists beside a file are refused, no document kept", async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call, stage: 'draft' });
      const a = agent(t.app);
      await signIn(a, applicant);
      const token = await tokenOf(a);
      for (const typed of [...HOSTILE_DAYS.slice(0, 6), 'not a day']) {
        const res = await a.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'text/html').field('passport_expiresAt', typed).attach('passport', makePng(), 'passport.png');
        expect(res.status, typed).to.be.oneOf([400, 422]);
      }
      const twice = await a.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'text/html').field('passport_expiresAt', '01/01/2040').field('passport_expiresAt', '02/01/2040').attach('passport', makePng(), 'passport.png');
      expect(twice.status).to.be.oneOf([400, 422]);
      const nested = await a.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'text/html').field('passport_expiresAt[$gt]', '01/01/2040').attach('passport', makePng(), 'passport.png');
      expect(nested.status).to.be.oneOf([400, 422]);
      expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
    });

    it('filter addresses (the dashboard period, the audit log) read hostile days as bad filters (422) or ignore them, never a 500', async () => {
      const h = await signedIn(t, hr);
      const ad = await signedIn(t, admin);
      const queries = [
        ...HOSTILE_DAYS.slice(0, 7).map((v) => `from=${encodeURIComponent(v)}`),
        'from=01/01/2027&from=02/01/2027',
        'from[$gt]=01/01/2027',
        'from[__proto__]=01/01/2027',
        `to=${encodeURIComponent(`01/01/2027${' '.repeat(3000)}x`)}`,
        '__proto__=01/01/2027',
      ];
      for (const q of queries) {
        const d = await h.get(`/dashboard?${q}`).set('Accept', 'text/html');
        expect(d.status, `dashboard ${q.slice(0, 40)}`).to.be.oneOf([200, 400, 422]);
        const l = await ad.get(`/admin/audit?${q}`).set('Accept', 'text/html');
        expect(l.status, `audit ${q.slice(0, 40)}`).to.be.oneOf([200, 400, 422]);
      }
      // A day the calendar lacks, typed day first: said as such, not read as the next month.
      const bad = await ad.get('/admin/audit?from=31/02/2027').set('Accept', 'text/html');
      expect(bad.status).to.equal(422);
    });
  });
});

describe('security s35b: closing scoring and held candidates', function () {
  this.timeout(90_000);
  let t: TestApp;
  let w: World;
  let leader: Agent;
  let outsider: UserDoc;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    leader = agent(t.app);
    await signIn(leader, w.leader);
    // A panel member from another institute, named on this call's panel (an outside reviewer).
    outsider = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, name: 'Outside Reviewer', panelCalls: [w.call._id] });
  });
  after(async () => {
    await t?.close();
  });

  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;
  async function scored(): Promise<CaseDoc> {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await Evaluation.create({ case: kase._id, call: kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    invalidateShortlist(w.call._id);
    return kase;
  }

  it("two close-scoring submits at once move the case once: one shortlisting, one e-mail to the candidate, the others told it is closed (409); the reason and the mark never in the candidate's export", async () => {
    const { applicant, kase: made } = await applicantCase(w.call, 'evaluation');
    await Evaluation.create({ case: made._id, call: made.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    const kase = made;
    const p = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    const form = { _csrf: csrfFrom(p.text), version: String(kase.version), closeReason: 'The panel has scored; the reviewer is away.' };
    const results = await Promise.all([0, 1, 2].map(() => leader.post(`${caseUrl(kase._id)}/close-scoring`).type('form').set('Accept', 'text/html').send(form)));
    expect(results.map((r) => r.status).sort()).to.deep.equal([303, 409, 409]);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('shortlisted');
    expect(c.history.filter((h) => h.action === 'shortlist')).to.have.length(1);
    expect(c.outbox.filter((o) => (o as { template?: string }).template === 'shortlisted')).to.have.length(1);
    expect(await AuditEvent.countDocuments({ targetId: String(kase._id), action: 'case.decision' })).to.equal(1);
    const own = agent(t.app);
    await signIn(own, applicant);
    const exported = await own.get('/account/export').buffer(true);
    expect(exported.status).to.equal(200);
    const json = Buffer.isBuffer(exported.body) ? exported.body.toString('utf8') : exported.text || JSON.stringify(exported.body);
    expect(json).to.include('"shortlist"');
    expect(json).not.to.include('reviewer is away');
    expect(json).not.to.include('closedScoring');
  });

  it('a panel member of another institute neither closes scoring (403) nor reads a held candidate or its reason (filter, compare, case page); JSON bodies are refused as forms are', async () => {
    const kase = await scored();
    const o = agent(t.app);
    await signIn(o, outsider);
    const shortlist = await o.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    expect(shortlist.status).to.equal(200);
    const token = csrfFrom(shortlist.text);
    const close = await o.post(`${caseUrl(kase._id)}/close-scoring`).type('form').set('Accept', 'text/html').send({ _csrf: token, version: String(kase.version), closeReason: 'The panel has scored, closing it now.' });
    expect(close.status).to.equal(403);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');

    // The leader, by JSON: a version as a number or a list, a reason as an object: nothing moves.
    const p = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    for (const body of [{ version: [String(kase.version)], closeReason: 'The panel has scored, closing it now.' }, { version: String(kase.version), closeReason: { $ne: '' } }, { version: String(kase.version), closeReason: ['The panel has scored, closing it now.'] }]) {
      const res = await leader.post(`${caseUrl(kase._id)}/close-scoring`).set('Accept', 'text/html').set('x-csrf-token', csrfFrom(p.text)).send(body);
      expect(res.status, JSON.stringify(body)).to.be.oneOf([400, 415, 422]);
    }
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
    // Ids that are no ids, or another call's case under this call: not found, never a 500.
    const { kase: foreign } = await applicantCase(w.otherCall, 'evaluation');
    for (const path of [`/shortlists/not-an-id/cases/${kase._id}`, `/shortlists/${w.call._id}/cases/%24gt`, `/shortlists/${w.call._id}/cases/${foreign._id}`, `/shortlists/${w.otherCall._id}/cases/${kase._id}`]) {
      const res = await leader.post(`${path}/close-scoring`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(p.text), version: String(kase.version), closeReason: 'The panel has scored, closing it now.' });
      expect(res.status, path).to.be.oneOf([403, 404]);
    }
    expect((await Case.findById(foreign._id).lean())!.stage).to.equal('evaluation');

    // Held by the leader after the panel, with an internal reason.
    const reason = 'Budget line for this post awaits the ministry letter.';
    const other = await scored();
    const c = (await Case.findById(other._id))!;
    await transition({ app: t.ctx, ctx: actorContext(t.ctx, w.leader), caseId: c._id, action: 'put_on_hold', expectedVersion: c.version, payload: { note: reason, reviewBy: holdReviewDay() }, asDecision: true });
    invalidateShortlist(w.call._id);
    const lists = [`/shortlists/${w.call._id}`, `/shortlists/${w.call._id}?stage=on_hold`, `/shortlists/${w.call._id}?sort=name`, `/shortlists/${w.call._id}?minScore=0`, `/shortlists/${w.call._id}/compare?ids=${kase._id},${other._id}`];
    for (const url of [...lists, caseUrl(other._id)]) {
      const res = await o.get(url).set('Accept', 'text/html');
      expect(res.status, url).to.be.below(500);
      expect(res.text, url).not.to.include('Budget line');
    }
    expect((await o.get(caseUrl(other._id)).set('Accept', 'text/html')).status, 'the held case is not theirs to open').to.equal(404);
    // A panel member of the institute is one of its HR officers, who read its reasons by their role
    // (policies/case.ts readReasons; HR resumes the hold): the ranked lists still leave the held out.
    const m = agent(t.app);
    await signIn(m, w.member);
    for (const url of lists.slice(0, 4)) expect((await m.get(url).set('Accept', 'text/html')).text, url).not.to.include('Budget line');
    // The leader reads it on the ranked view.
    expect((await leader.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html')).text).to.include(reason);
  });
});

describe('security s35b: the dashboard figures left by an earlier process, opened in many tabs', function () {
  this.timeout(60_000);
  let t: TestApp;
  const institutes: Types.ObjectId[] = [];
  before(async () => {
    t = await startTestApp();
    await clearDashboardCache();
    for (let i = 0; i < 2; i += 1) {
      const inst = await createInstitute();
      const call = await createCall({ institute: inst._id, track: 'expert', status: 'open' });
      for (let n = 0; n <= i; n += 1) await createCase({ applicant: (await createUser({ role: 'applicant' }))._id, call, stage: 'submitted', submittedAt: new Date('2026-01-10T02:00:00Z'), history: [] });
      institutes.push(inst._id);
    }
  });
  after(async () => {
    await clearDashboardCache();
    await t?.close();
  });

  it('recomputes them once, however many pages ask at once or after: the figures stay those of the first recomputation, and each institute reads its own', async () => {
    const [mine, theirs] = institutes as [Types.ObjectId, Types.ObjectId];
    for (const institute of institutes) {
      await computeFigures({ institute }, new Date());
      await DashboardFigures.updateOne({ key: figuresKey({ institute }) }, { $set: { computedAt: new Date(Date.now() - 365 * 86_400_000), staleSince: new Date(), 'data.total': 99 } });
    }
    await clearDashboardCache();
    const reads = await Promise.all(Array.from({ length: 12 }, () => readFigures({ filter: { institute: mine }, now: new Date() })));
    expect(reads.every((r) => r.figures?.data.total === 1 || (r.updating && r.figures?.data.total === 99)), 'recomputed or the stored, never another institute\'s').to.equal(true);
    const first = (await DashboardFigures.findOne({ key: figuresKey({ institute: mine }) }).lean())!;
    expect(first.data!.total).to.equal(1);
    // Opened again and again: no new computation (computedAt stays the first recomputation's).
    for (let i = 0; i < 10; i += 1) {
      const r = await readFigures({ filter: { institute: mine }, now: new Date() });
      expect(r.figures!.data.total).to.equal(1);
    }
    const later = (await DashboardFigures.findOne({ key: figuresKey({ institute: mine }) }).lean())!;
    expect(later.computedAt!.getTime()).to.equal(first.computedAt!.getTime());
    // The other institute's figures are its own (2 cases), recomputed when its leader asks.
    const other = await readFigures({ filter: { institute: theirs }, now: new Date() });
    expect(other.figures!.data.total).to.be.oneOf([2, 99]);
  });
});

describe('security s35b: erasing a case whose conflict declaration still carries its audit event', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it("records the fact of the declaration, never the member's words about the candidate", async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute });
    const member = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const kase = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'evaluation' });
    const words = 'Nguyen Thi Secret is my niece, born 1990 in Hue.';
    const ctx = systemContext({ now: new Date(), actor: member });
    const event = pendingAudit(ctx, { action: 'evaluation.conflict', targetType: 'case', targetId: String(kase._id), summary: { call: String(call._id), withdrawn: true } });
    await PanelConflict.create({ case: kase._id, call: call._id, member: member._id, reason: words, declaredAt: new Date(), pendingAudits: [event] });
    await eraseCaseFiles(documentStores(t.ctx), kase._id);
    expect(await PanelConflict.countDocuments({ case: kase._id })).to.equal(0);
    const events = await AuditEvent.find({ targetId: String(kase._id) }).lean();
    expect(events.map((e) => e.action)).to.include('evaluation.conflict');
    expect(JSON.stringify(events)).not.to.include('niece').and.not.to.include('Secret');
  });
});
