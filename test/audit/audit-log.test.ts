// The audit log page over real HTTP on the real database: administrators read every event newest
// first, with who, what (a phrase in the page's language), on what (a link) and the reason; filters
// by actor, action, case reference and period (days in the page's form), bad filters answered 422
// with the form kept; paging by cursor; nothing sealed or unknown shown raw; HR officers, leaders
// and applicants refused (403) whatever they ask for; a page stays fast over 100,000 events.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import { AUDIT_PAGE_SIZE, listAuditLog } from '../../server/audit/log.ts';
import { systemContext } from '../../server/context.ts';
import { decide } from '../accounts/helpers.ts';
import { CaseDocument } from '../../models/document.ts';
import { verifyDocument } from '../../server/documents/verify.ts';
import { AUDIT_CASE_BACKFILL, backfillAuditCase } from '../../server/audit/backfill-case.ts';
import { Counter } from '../../models/counter.ts';

const ids = (html: string) => [...html.matchAll(/<tr data-id="([0-9a-f]{24})" data-action="([^"]*)">/g)].map((m) => m[1]!);

describe('audit log: administrators read who did what, when, on what and why', function () {
  this.timeout(180_000);
  let t: TestApp;
  let admin: Agent;
  let adminVi: Agent;
  let adminUser: UserDoc;
  let hr: Agent;
  let leader: Agent;
  let applicant: Agent;
  let target: UserDoc;
  let caseA: CaseDoc;
  let officer: UserDoc;
  // Events of this test are told apart from other tests' by a window in a far year.
  const base = Date.UTC(2031, 2, 10, 3, 0, 0); // 10 Mar 2031, 10:00 in Vietnam

  before(async () => {
    t = await startTestApp();
    adminUser = await createUser({ role: 'admin', locale: 'en', name: 'Admin Lê' });
    admin = agent(t.app);
    await signIn(admin, adminUser);
    adminVi = agent(t.app);
    await signIn(adminVi, await createUser({ role: 'admin', locale: 'vi' }));
    const inst = await createInstitute();
    officer = await createUser({ role: 'hr_officer', institute: inst, locale: 'vi', name: 'Officer Mai' });
    hr = agent(t.app);
    await signIn(hr, officer);
    leader = agent(t.app);
    await signIn(leader, await createUser({ role: 'leader', institute: inst }));
    const applicantUser = await createUser({ role: 'applicant' });
    applicant = agent(t.app);
    await signIn(applicant, applicantUser);
    caseA = await createCase({ applicant: applicantUser, call: await createCall({ institute: inst }), stage: 'submitted' });

    // A real decision, through its page: recorded with its reason.
    target = await createUser({ role: 'hr_officer', institute: inst, name: 'Disabled Person' });
    const res = await decide(admin, target, 'disable', 'Contract ended on 30 November; see HR note 12.');
    expect(res.status).to.equal(303);

    // Events in a window of their own (10–12 Mar 2031), as the services write them.
    const at = (minutes: number) => new Date(base + minutes * 60_000);
    await AuditEvent.create([
      { at: at(0), actor: officer._id, actorRole: 'hr_officer', action: 'case.transition', targetType: 'case', targetId: String(caseA._id), case: caseA._id, summary: { action: 'start_screening', from: 'submitted', to: 'screening' } },
      { at: at(60), actor: officer._id, actorRole: 'hr_officer', action: 'case.note_added', targetType: 'case', targetId: String(caseA._id), case: caseA._id, summary: {} },
      // A reason still sealed (as server/crypto/secrets.ts writes it): never shown as ciphertext.
      { at: at(24 * 60), actor: adminUser._id, actorRole: 'admin', action: 'user.enabled', targetType: 'user', targetId: String(target._id), summary: { reason: 'v1:abcdefgh:abcdefghijklmnop:abcdefghijklmnopqrstuv:Zm9v' } },
      // An action the app does not know, with markup in it: shown by its code, escaped.
      { at: at(2 * 24 * 60), action: 'weird.<b>x</b>', targetType: 'mystery', targetId: 'x' },
    ]);
  });
  after(async () => {
    await t?.close();
  });

  it('lists the newest first, with who, what as a phrase, on what as a link, and the reason', async () => {
    const page = await admin.get('/admin/audit').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const row = new RegExp(`<tr data-id="[0-9a-f]{24}" data-action="user.disabled">([\\s\\S]*?)</tr>`).exec(page.text);
    expect(row, 'the disabling is listed').to.not.equal(null);
    expect(row![1]).to.include('Admin Lê');
    expect(row![1]).to.include('(Administrator)');
    expect(row![1]).to.include('disabled an account');
    expect(row![1]).to.include(`href="/admin/users?q&#x3D;${encodeURIComponent(target.email)}"`);
    expect(row![1]).to.include('Contract ended on 30 November; see HR note 12.');
    // Newest first: the far-future events lead.
    const order = ids(page.text);
    const dated = await AuditEvent.find({ _id: { $in: order.map((i) => new Types.ObjectId(i)) } }, { at: 1 }).lean();
    const times = order.map((i) => dated.find((d) => String(d._id) === i)!.at.getTime());
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
  });

  it('shows a case step with its name and a link to the case; nothing sealed; an unknown action by its code, escaped', async () => {
    const page = await admin.get('/admin/audit?from=2031-03-10&to=2031-03-12').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(ids(page.text)).to.have.length(4);
    expect(page.text).to.include(`<a href="/cases/${caseA._id}">Case ${caseA.reference}</a>`);
    expect(page.text).to.match(/moved a case to its next step \(step: [^)]+\)/);
    expect(page.text).not.to.include('v1:abcdefgh');
    expect(page.text).to.include('(kept encrypted: not shown)');
    expect(page.text).to.include('Other action (weird.&lt;b&gt;x&lt;/b&gt;)');
    expect(page.text).not.to.include('<b>x</b>');
    expect(page.text).to.include('The system');
  });

  it('filters by actor e-mail, action, case reference and period, in Vietnamese too', async () => {
    const byActor = await admin.get(`/admin/audit?actor=${encodeURIComponent(officer.email.toUpperCase())}`).set('Accept', 'text/html');
    expect(byActor.status).to.equal(200);
    const actorRows = [...byActor.text.matchAll(/data-action="([^"]*)"/g)].map((m) => m[1]);
    expect(actorRows).to.deep.equal(['case.note_added', 'case.transition']);
    const byAction = await admin.get('/admin/audit?action=user.disabled').set('Accept', 'text/html');
    expect([...byAction.text.matchAll(/data-action="([^"]*)"/g)].every((m) => m[1] === 'user.disabled')).to.equal(true);
    expect(byAction.text).to.include('<option value="user.disabled" selected>');
    const byCase = await admin.get(`/admin/audit?reference=${caseA.reference.toLowerCase()}`).set('Accept', 'text/html');
    expect(ids(byCase.text)).to.have.length(2);
    // A day is a day in Vietnam: 11 Mar 2031 holds only the re-enabling.
    const oneDay = await adminVi.get('/admin/audit?from=2031-03-11&to=2031-03-11').set('Accept', 'text/html');
    expect([...oneDay.text.matchAll(/data-action="([^"]*)"/g)].map((m) => m[1])).to.deep.equal(['user.enabled']);
    expect(oneDay.text).to.include('đã kích hoạt lại một tài khoản');
    expect(oneDay.text).to.include('11/3/2031');
    const nobody = await admin.get('/admin/audit?actor=nobody%40example.test').set('Accept', 'text/html');
    expect(nobody.status).to.equal(200);
    expect(nobody.text).to.include('No event matches these filters.');
  });

  it('finds by case reference the events about its documents too, and older events once backfilled', async () => {
    const other = await createCase({ applicant: await createUser({ role: 'applicant' }), call: await createCall({ institute: await createInstitute() }), stage: 'submitted' });
    const doc = await CaseDocument.create({ case: other._id, type: 'cv', slot: 0, version: 1, current: true, storage: 'disk', storageKey: 'c'.repeat(32), originalName: 'cv.pdf', mimeType: 'application/pdf', size: 10, sha256: 'd'.repeat(64), uploadedBy: officer._id });
    // A real rejection, as the case page's form records it: its subject is the document.
    await verifyDocument({ app: t.ctx, ctx: systemContext({ now: new Date(), actor: officer as never }), doc, caseDoc: other, decision: 'reject', reason: 'The scan is cut off.' });
    // Events written before events carried their case: one about the case, one about a document.
    const old = await AuditEvent.collection.insertMany([
      { _id: new Types.ObjectId(), at: new Date(Date.now() - 60_000), action: 'case.note_added', targetType: 'case', targetId: String(other._id), summary: {} },
      { _id: new Types.ObjectId(), at: new Date(Date.now() - 120_000), action: 'document.download', targetType: 'document', targetId: String(doc._id), summary: { case: String(other._id), type: 'cv', version: 1 } },
    ]);
    const listed = async () => [...(await admin.get(`/admin/audit?reference=${other.reference}`).set('Accept', 'text/html')).text.matchAll(/data-action="([^"]*)"/g)].map((m) => m[1]);
    expect(await listed()).to.deep.equal(['document.verify']);
    // (Other tests' older events in this database are stamped too: at least these two.)
    expect((await backfillAuditCase()).stamped).to.be.at.least(2);
    expect(await listed()).to.deep.equal(['document.verify', 'case.note_added', 'document.download']);
    // Nothing recorded changed but the case stamped on them; a second run finds nothing to do.
    const after = await AuditEvent.find({ _id: { $in: Object.values(old.insertedIds) } }).sort({ at: -1 }).lean();
    expect(after.map((e) => [e.action, e.targetType, String(e.case)])).to.deep.equal([['case.note_added', 'case', String(other._id)], ['document.download', 'document', String(other._id)]]);
    // Marked done for this database: a start does not scan again. Without the mark (a start killed
    // before writing it), a run finds nothing left to stamp.
    expect(await Counter.exists({ _id: AUDIT_CASE_BACKFILL })).to.not.equal(null);
    await Counter.deleteOne({ _id: AUDIT_CASE_BACKFILL });
    expect((await backfillAuditCase()).stamped).to.equal(0);
  });

  it('answers filters it cannot read with 422, the form as typed and what to fix, in the page language', async () => {
    const bad = await admin.get('/admin/audit?actor=not-an-address&reference=TA-1&action=nope&from=2031-02-30&to=2031-01-01').set('Accept', 'text/html');
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('value="not-an-address"');
    expect(bad.text).to.include('value="TA-1"');
    expect(bad.text).to.include('Enter a whole e-mail address, such as name@example.org.');
    expect(bad.text).to.include('Enter a case reference such as TA-2026-000123.');
    expect(bad.text).to.include('Choose an action from the list.');
    expect(bad.text).to.include('Correct the filters marked below.');
    const period = await adminVi.get('/admin/audit?from=2031-03-12&to=2031-03-10').set('Accept', 'text/html');
    expect(period.status).to.equal(422);
    expect(period.text).to.include('Ngày bắt đầu không được sau ngày kết thúc.');
    expect(period.text).to.include('value="12/03/2031"');
    const twice = await admin.get('/admin/audit?actor=a%40b.test&actor=c%40d.test').set('Accept', 'text/html');
    expect(twice.status).to.equal(422);
  });

  it('refuses HR officers, leaders and applicants (403), whatever the filter', async () => {
    for (const a of [hr, leader, applicant]) {
      for (const url of ['/admin/audit', `/admin/audit?reference=${caseA.reference}`, `/admin/audit?actor=${encodeURIComponent(officer.email)}`]) {
        const res = await a.get(url).set('Accept', 'text/html');
        expect(res.status, url).to.equal(403);
        expect(res.text).not.to.include('data-action=');
        expect(res.text).not.to.include('Contract ended');
      }
    }
    const anonymous = await agent(t.app).get('/admin/audit').set('Accept', 'text/html');
    expect(anonymous.status).to.be.oneOf([302, 303, 401]);
  });

  it('pages by cursor over 100,000 events, each page one quick index walk', async () => {
    // 100,000 events in 2032, as written by a busy year (every 5 minutes), four actions in turn.
    const start = Date.UTC(2032, 0, 1);
    const actions = ['case.note_added', 'document.download', 'case.transition', 'user.profile_updated'];
    const batch = 10_000;
    for (let b = 0; b < 100_000; b += batch) {
      const docs = Array.from({ length: batch }, (_, i) => ({ _id: new Types.ObjectId(), at: new Date(start + (b + i) * 300_000), actor: officer._id, actorRole: 'hr_officer', action: actions[(b + i) % 4], targetType: 'case', targetId: String(caseA._id), case: caseA._id }));
      await AuditEvent.collection.insertMany(docs, { ordered: false });
    }
    const ctx = systemContext({ now: new Date(), actor: adminUser as never });
    const timed = async (filters: Record<string, string | undefined>) => {
      const began = performance.now();
      const r = await listAuditLog({ ctx, filters });
      return { r, ms: performance.now() - began };
    };
    const first = await timed({ from: '2032-01-01', to: '2032-12-31' });
    expect(first.r.rows).to.have.length(AUDIT_PAGE_SIZE);
    expect(first.r.next).to.be.a('string');
    const second = await timed({ from: '2032-01-01', to: '2032-12-31', before: first.r.next });
    expect(second.r.rows[0]!.at.getTime()).to.be.lessThan(first.r.rows[AUDIT_PAGE_SIZE - 1]!.at.getTime());
    expect(new Set([...first.r.rows, ...second.r.rows].map((r) => String(r._id))).size).to.equal(2 * AUDIT_PAGE_SIZE);
    const all = await timed({});
    const byAction = await timed({ action: 'document.download' });
    expect(byAction.r.rows.every((r) => r.action === 'document.download')).to.equal(true);
    const byActor = await timed({ actor: officer.email, action: 'case.note_added', from: '2032-06-01', to: '2032-06-30' });
    const byCase = await timed({ reference: caseA.reference });
    expect(byCase.r.rows).to.have.length(AUDIT_PAGE_SIZE);
    expect(byActor.r.rows).to.have.length(AUDIT_PAGE_SIZE);
    const ms = [first, second, all, byAction, byActor, byCase].map((x) => Math.round(x.ms));
    console.log(`      audit log pages over 100,000 events (ms): period ${ms[0]}, next ${ms[1]}, all ${ms[2]}, action ${ms[3]}, actor+action+period ${ms[4]}, case ${ms[5]}`);
    // The page itself, through HTTP, with the names of what it shows.
    const began = performance.now();
    const page = await admin.get(`/admin/audit?before=${encodeURIComponent(first.r.next!)}&from=2032-01-01&to=2032-12-31`).set('Accept', 'text/html');
    const pageMs = performance.now() - began;
    expect(page.status).to.equal(200);
    expect(ids(page.text)).to.have.length(AUDIT_PAGE_SIZE);
    expect(page.text).to.include('rel="next"');
    console.log(`      the second page over HTTP: ${Math.round(pageMs)} ms`);
    for (const x of ms) expect(x).to.be.lessThan(1500);
  });
});
