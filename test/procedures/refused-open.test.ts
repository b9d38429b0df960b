// A refused procedure stays HR's open work until it is settled (lodged again, or set not needed):
// while written reasons the authority did not give with its refusal are owed (Decree 219/2025/ND-CP:
// they come with the decision, server/procedures/rules.ts refusalWithReasons), the decision deadline
// they were due by is the case's next deadline, so the queue shows and
// sorts the row by it, flags it late once passed (row badge, "overdue" and "procedures" filters),
// the calendar feed has the event and the dashboard/steering report count it open and overdue.
// Once the reasons are received it is still listed as refused, with no deadline; lodged again or
// set not needed, it leaves those lists. Cases stored before all this get their deadline at start.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { feedEvents, type FeedCase } from '../../server/calendar-feed/events.ts';
import { clearDashboardCache, computeDashboard } from '../../server/dashboard/index.ts';
import { REFUSAL_BACKFILL, backfillNextDeadlines } from '../../server/cases/deadline-backfill.ts';
import { Counter } from '../../models/counter.ts';
import { runEscalations } from '../../server/procedures/escalation.ts';
import { translator } from '../../server/i18n/index.ts';
import { signedIn, page } from '../applications/support.ts';
import { procedureWorld, save, vn } from './support.ts';

describe('procedures: a refused procedure stays open work until settled', () => {
  let t: TestApp;
  let clock = vn('2026-12-07');
  let institute: InstituteDoc;
  let hr: UserDoc;
  let hrVi: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, institute, hrEn: hr, hrVi, call } = await procedureWorld(() => clock));
    applicant = await createUser({ role: 'applicant', locale: 'en' });
  });
  after(async () => {
    await t?.close();
  });

  /** A case in onboarding with a work permit lodged on Thu 26 Nov 2026 (decision due Thu 10 Dec) and a visa waiting for it. */
  function filedCase(of: CallDoc = call): Promise<CaseDoc> {
    return createCase({
      applicant,
      call: of,
      stage: 'onboarding',
      assignee: hr._id,
      stageDueAt: vn('2027-01-29'),
      supportTracks: [
        { kind: 'work_permit', status: 'filed', filedAt: vn('2026-11-26'), dueAt: vnEndOfDay(vn('2026-12-10')), updatedAt: vn('2026-11-26') },
        { kind: 'visa', status: 'requested', updatedAt: vn('2026-11-26') },
      ],
    });
  }

  /** Saves the case's work permit from its fresh form, and expects it saved. */
  async function saveWorkPermit(a: Awaited<ReturnType<typeof signedIn>>, c: { _id: unknown }, fields: Record<string, string>) {
    const res = await save(a, `/cases/${String(c._id)}/procedures/work_permit`, fields);
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
  }

  const refs = async (a: Awaited<ReturnType<typeof signedIn>>, query: string) => {
    const res = await page(a, `/cases?size=100&${query}`);
    expect(res.status).to.equal(200);
    return [...res.text.matchAll(/data-case="([a-f0-9]{24})"/g)].map((m) => m[1]);
  };
  const rowText = (html: string, c: { _id: unknown }) => {
    const from = html.indexOf(`data-case="${String(c._id)}"`);
    return html.slice(from, html.indexOf('</tr>', from)).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  };
  const feed = async (c: { _id: unknown }) => feedEvents((await Case.findById(c._id).lean()) as unknown as FeedCase, translator('en'), 'https://app.test', clock);
  /** The dashboard's work permit figures for one call (each test has its own cases). */
  const workPermitFigures = async (of: CallDoc) => {
    await clearDashboardCache();
    const d = await computeDashboard({ filter: { institute: institute._id, call: of._id }, now: clock });
    return d.overdue.find((r) => r.kind === 'work_permit');
  };

  it('makes the written reasons the next deadline: the queue sorts and shows the row by them, the feed and the dashboard count it', async () => {
    clock = vn('2026-12-07');
    const refused = await filedCase();
    const before = await createCase({ applicant, call, stage: 'screening', stageDueAt: vn('2026-12-09') });
    const after = await createCase({ applicant, call, stage: 'screening', stageDueAt: vn('2026-12-11') });
    const a = await signedIn(t, hr);
    // The Department refused on Monday 7 Dec 2026 without its reasons: owed by the decision deadline, Thu 10 Dec.
    await saveWorkPermit(a, refused, { status: 'refused', decidedAt: '2026-12-07', reasonsMissing: 'yes', message: 'The work permit was refused; we will file again once the reasons arrive.' });
    const stored = (await Case.findById(refused._id).lean())!;
    const wp = stored.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(vnDateKey(wp.reasonsDueAt!)).to.equal('2026-12-10');
    expect(stored.nextDueAt!.toISOString()).to.equal(wp.reasonsDueAt!.toISOString());

    expect(await refs(a, 'sort=due')).to.deep.equal([before, refused, after].map((c) => String(c._id)));
    const queue = await page(a, '/cases?size=100');
    const row = rowText(queue.text, refused);
    expect(row).to.include('10 Dec 2026 · Work permit: written reasons of the refusal 3 working days left');
    expect(row).to.include('Refused: Work permit (decide what next)');
    expect(row).not.to.include('Overdue');
    const vi = rowText((await page(await signedIn(t, hrVi), '/cases?size=100')).text, refused);
    expect(vi).to.include('10/12/2026 · Giấy phép lao động: văn bản nêu lý do từ chối còn 3 ngày làm việc');
    expect(vi).to.include('Bị từ chối: Giấy phép lao động (cần quyết định bước tiếp theo)');
    // Still a case with a work permit to work on; not late yet.
    expect(await refs(a, 'support=work_permit')).to.include(String(refused._id));
    expect(await refs(a, 'overdue=1')).not.to.include(String(refused._id));

    const events = await feed(refused);
    const reasons = events.filter((e) => e.kind === 'reasons');
    expect(reasons).to.have.length(1);
    expect(reasons[0]).to.include({ day: '2026-12-10', uid: `case.${String(refused._id)}.reasons.work_permit@talent.local` });
    expect(reasons[0]!.summary).to.match(/Work permit: written reasons of the refusal due$/);
    expect(await workPermitFigures(call)).to.deep.equal({ kind: 'work_permit', open: 1, overdue: 0 });
  });

  it('counts late reasons as overdue (queue filters and badge, dashboard, steering CSV); received, the procedure is still refused with no deadline', async () => {
    clock = vn('2026-12-07');
    const own = await createCall({ institute, checklist: [] });
    const c = await filedCase(own);
    const a = await signedIn(t, hr);
    await saveWorkPermit(a, c, { status: 'refused', decidedAt: '2026-12-07', reasonsMissing: 'yes', message: 'Refused by the Department.' });

    // Fri 11 Dec: one working day late, before the escalation job has run.
    clock = vn('2026-12-11');
    const b = await signedIn(t, hr);
    expect(await refs(b, 'overdue=1')).to.include(String(c._id));
    expect(await refs(b, 'procedures=1')).to.include(String(c._id));
    const row = rowText((await page(b, '/cases?size=100')).text, c);
    expect(row).to.include('10 Dec 2026 · Work permit: written reasons of the refusal 1 working day overdue');
    expect(row).to.include('Overdue: Work permit');
    expect(row.match(/Work permit/g), 'named in the due cell and the red badge only').to.have.length(2);
    expect(await workPermitFigures(own)).to.deep.equal({ kind: 'work_permit', open: 1, overdue: 1 });
    await clearDashboardCache();
    const csv = await b.get(`/reports/steering.csv?lang=en&call=${String(own._id)}`);
    expect(csv.status).to.equal(200);
    expect(csv.text.split(/\r?\n/)).to.include('Work permit,1,1');

    // The job escalates it (the row's flag); the reasons then arrive: the flag and the deadline go,
    // the procedure is still refused and open, waiting for HR to decide what next.
    expect((await runEscalations(t.ctx, { caseIds: [c._id] })).escalated).to.equal(1);
    await saveWorkPermit(b, c, { status: 'refused', decidedAt: '2026-12-07', reasonsReceived: 'yes', message: 'The Department says the degree translation was not certified.' });
    const received = (await Case.findById(c._id).lean())!;
    expect(received.overdueProcedures).to.deep.equal([]);
    expect(received.nextDueAt!.toISOString(), 'the stage deadline again').to.equal(vn('2027-01-29').toISOString());
    expect(await refs(b, 'overdue=1')).not.to.include(String(c._id));
    expect(await refs(b, 'procedures=1')).not.to.include(String(c._id));
    expect(await refs(b, 'support=work_permit')).to.include(String(c._id));
    const after = rowText((await page(b, '/cases?size=100')).text, c);
    expect(after).to.include('Refused: Work permit (decide what next)');
    expect(after).to.include('29 Jan 2027');
    expect(after).not.to.include('Overdue');
    expect((await feed(c)).filter((e) => e.kind === 'reasons')).to.deep.equal([]);
    expect(await workPermitFigures(own)).to.deep.equal({ kind: 'work_permit', open: 1, overdue: 0 });
  });

  it('leaves the refused lists once lodged again or set not needed', async () => {
    clock = vn('2026-12-07');
    const refiled = await filedCase();
    const dropped = await filedCase();
    const a = await signedIn(t, hr);
    for (const c of [refiled, dropped]) await saveWorkPermit(a, c, { status: 'refused', decidedAt: '2026-12-07', reasonsMissing: 'yes', message: 'Refused by the Department.' });
    clock = vn('2026-12-14');
    const b = await signedIn(t, hr);
    expect(await refs(b, 'overdue=1')).to.include.members([String(refiled._id), String(dropped._id)]);

    await saveWorkPermit(b, refiled, { status: 'filed', filedAt: '2026-12-14', office: 'Sở Nội vụ Hà Nội' });
    await saveWorkPermit(b, dropped, { status: 'not_needed', note: 'The expert now comes under an exemption.', message: 'You come under an exemption: the work permit is not lodged again.' });
    const html = (await page(b, '/cases?size=100')).text;
    // Lodged again: the new filing's own clock (10 working days from 14 Dec), under way.
    const refiledRow = rowText(html, refiled);
    expect(refiledRow).to.include('28 Dec 2026 · Work permit');
    expect(refiledRow).not.to.include('Refused');
    expect(rowText(html, dropped)).not.to.include('Refused');
    expect(rowText(html, dropped)).not.to.include('Work permit');
    const overdue = await refs(b, 'overdue=1');
    expect(overdue).not.to.include(String(refiled._id));
    expect(overdue).not.to.include(String(dropped._id));
    expect(await refs(b, 'support=work_permit')).not.to.include(String(dropped._id));
    for (const c of [refiled, dropped]) expect((await feed(c)).filter((e) => e.kind === 'reasons')).to.deep.equal([]);
  });

  it('gives cases stored before the reasons counted their deadline at start, once', async () => {
    clock = vn('2026-12-07');
    const c = await filedCase();
    const a = await signedIn(t, hr);
    await saveWorkPermit(a, c, { status: 'refused', decidedAt: '2026-12-07', reasonsMissing: 'yes', message: 'Refused by the Department.' });
    // As stored before: the next deadline without the reasons (the stage's), written around the model.
    await Case.collection.updateOne({ _id: c._id }, { $set: { nextDueAt: vn('2027-01-29') } });
    // A database this backfill has not run on yet.
    await Counter.deleteOne({ _id: REFUSAL_BACKFILL });
    expect(await backfillNextDeadlines()).to.be.at.least(1);
    const fixed = (await Case.findById(c._id, { nextDueAt: 1 }).lean())!;
    expect(vnDateKey(fixed.nextDueAt!)).to.equal('2026-12-10');
    expect(await backfillNextDeadlines()).to.equal(0);
    // Marked done: a later start does not read the open cases for it again.
    await Case.collection.updateOne({ _id: c._id }, { $set: { nextDueAt: vn('2027-01-29') } });
    expect(await backfillNextDeadlines()).to.equal(0);
  });
});
