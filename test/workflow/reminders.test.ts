// The daily reminder job: the assignee hears about cases due within 2 working days, the HR lead
// gets one digest of overdue cases, holds past their review date under their own heading; once per
// day per case, counted in working days. The applicant hears nothing from it.
import { expect } from 'chai';
import { Case } from '../../models/case.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { runReminders } from '../../server/reminders/index.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { workflowContext, actorContext, APP_URL, type WorkflowTestContext } from './context.ts';

const vn = (s: string) => new Date(`${s}+07:00`);

describe('workflow: daily reminders and the overdue digest', () => {
  let w: WorkflowTestContext;

  before(async () => {
    // Friday before Tết 2026: the next working days are Mon 23 and Tue 24 February.
    w = await workflowContext(vn('2026-02-13T08:00:00'));
  });
  after(async () => {
    await w?.close();
  });

  it('reminds the assignee of cases due within 2 working days (across Tết) and sends the HR lead one overdue digest, once per day', async () => {
    const institute = await createInstitute();
    const officer = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Officer Minh' });
    const lead = await createUser({ role: 'hr_officer', institute, locale: 'vi', isHrLead: true, name: 'Trưởng phòng Hà' });
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute, checklist: [] });
    const mk = (stage: 'screening' | 'evaluation' | 'on_hold', due: Date, fullName: string) =>
      createCase({ applicant, call, stage, assignee: officer, stageDueAt: due, profile: { fullName } });

    const dueTuesday = await mk('screening', vnEndOfDay(vn('2026-02-24T12:00:00')), 'Due Tuesday'); // 2 working days
    const dueWednesday = await mk('screening', vnEndOfDay(vn('2026-02-25T12:00:00')), 'Due Wednesday'); // 3: not yet
    const late1 = await mk('screening', vnEndOfDay(vn('2026-02-10T12:00:00')), 'Late One');
    const late2 = await mk('evaluation', vnEndOfDay(vn('2026-02-11T12:00:00')), 'Late Two');
    const held = await mk('on_hold', vnEndOfDay(vn('2026-02-01T12:00:00')), 'On Hold');
    await Case.updateOne({ _id: held._id }, { $push: { history: { at: vn('2026-01-20T09:00:00'), actor: officer._id, actorRole: 'hr_officer', action: 'put_on_hold', from: 'screening', to: 'on_hold', note: 'Budget' } } });
    const ids = [dueTuesday, dueWednesday, late1, late2, held].map((c) => c._id);

    const now = w.clock.now;
    expect(await runReminders(w.ctx, now)).to.deep.equal({ dueSoon: 1, digests: 1, panelDigests: 0 });
    // Running again the same day (or on a second instance) queues nothing new.
    expect(await runReminders(w.ctx, new Date(now.getTime() + 3_600_000))).to.deep.equal({ dueSoon: 0, digests: 0, panelDigests: 0 });

    const r = await dispatchOnce(w.ctx, { owner: 'test', caseIds: ids });
    expect(r.sent).to.equal(2);
    const reminder = await w.smtp.waitForTo(officer.email, /Due/);
    expect(reminder.subject).to.include(dueTuesday.reference);
    expect(reminder.subject).to.include('Screening');
    expect(reminder.text).to.include('2 working days left');
    expect(reminder.text).to.include(`${APP_URL}/cases/${dueTuesday._id}`);
    expect(w.smtp.to(officer.email)).to.have.length(1);

    const digest = await w.smtp.waitForTo(lead.email, /quá hạn/);
    // The hold past its review date (1 Feb) counts as the queue's overdue filter counts it, and is
    // listed under its own heading, not among the stages late on their working-day deadline. (This
    // test used to assert the digest left holds out entirely: written when a hold had no review date.)
    expect(digest.subject).to.equal('3 hồ sơ quá hạn tại đơn vị của Anh/Chị');
    const [lateSection, holdSection] = digest.text.split('Hồ sơ tạm dừng đã quá ngày xem xét lại:');
    expect(lateSection).to.include(late1.reference);
    expect(lateSection).to.include(late2.reference);
    expect(lateSection).not.to.include(held.reference);
    expect(holdSection).to.include(`${held.reference} On Hold, tạm dừng bởi Officer Minh: xem xét lại trước 1/2/2026`);
    expect(holdSection).not.to.include(late1.reference);
    expect(w.smtp.to(applicant.email)).to.have.length(0);
    expect(digest.text).not.to.include(dueTuesday.reference);
    expect(digest.text).to.include(`${APP_URL}/cases/${late2._id}`);

    // The next working day (Monday after Tết) brings a new reminder; Tuesday's case is now 1 day away.
    const monday = vn('2026-02-23T08:00:00');
    const next = await runReminders(w.ctx, monday);
    expect(next.dueSoon).to.equal(2); // Tuesday's and Wednesday's cases
    expect(next.digests).to.equal(1);
    const stored = await Case.findById(dueTuesday._id).lean();
    expect(stored!.outbox.filter((i) => i.template === 'case_due_soon').map((i) => i.key)).to.have.length(2);
  });

  it('lists the 50 most overdue cases in the digest and counts the rest', async () => {
    const institute = await createInstitute();
    const lead = await createUser({ role: 'hr_officer', institute, locale: 'en', isHrLead: true });
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute, checklist: [] });
    const day = 86_400_000;
    const late = [];
    // 53 overdue cases, the first the most overdue (53 days), the last 1 day late.
    for (let i = 0; i < 53; i++) {
      late.push(await createCase({ applicant, call, stage: 'screening', stageDueAt: new Date(w.clock.now.getTime() - (53 - i) * day), profile: { fullName: `Late ${i}` } }));
    }
    const r = await runReminders(w.ctx, w.clock.now);
    expect(r.digests).to.equal(1);
    await dispatchOnce(w.ctx, { owner: 'test', caseIds: late.map((c) => c._id) });
    const digest = await w.smtp.waitForTo(lead.email, /overdue/);
    expect(digest.subject).to.equal('53 overdue cases in your institute');
    expect(digest.text).to.include(late[0]!.reference);
    expect(digest.text).to.include(late[49]!.reference);
    expect(digest.text).not.to.include(late[50]!.reference);
    expect(digest.text).to.include('… and 3 more.');
    expect(digest.html).to.include('… and 3 more.');
  });

  it('lists a hold past its review date once in the lead\'s digest, not one still in its review period; no reminder to the officer, nothing to the applicant', async () => {
    const institute = await createInstitute();
    const officer = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Officer Lan' });
    const lead = await createUser({ role: 'hr_officer', institute, locale: 'en', isHrLead: true, name: 'Lead Quang' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    const started = w.clock.now;
    // Put on hold through the workflow, on Monday 2 March 2026, each with its review date.
    w.clock.now = vn('2026-03-02T09:00:00');
    const hold = async (fullName: string, reviewBy: string) => {
      const c = await createCase({ applicant, call, stage: 'screening', assignee: officer, stageDueAt: vnEndOfDay(vn('2026-03-13T12:00:00')), profile: { fullName } });
      return transition({ app: w.ctx, ctx: actorContext(w.ctx, officer), caseId: c._id, action: 'put_on_hold', expectedVersion: c.version, payload: { reason: 'Waiting for the budget.', reviewBy } });
    };
    try {
      const past = await hold('Past Review', '2026-03-09');
      const tomorrow = await hold('Review Tomorrow', '2026-03-11');
      const later = await hold('Review Later', '2026-03-20');
      const ids = [past, tomorrow, later].map((c) => c._id);
      // The holds' own e-mails to the applicant (on_hold), before the job runs.
      await dispatchOnce(w.ctx, { owner: 'test', caseIds: ids });
      for (let i = 1; i <= 3; i++) await w.smtp.waitFor(() => w.smtp.to(applicant.email).length >= i);
      const toApplicant = w.smtp.to(applicant.email).length;

      // Tuesday 10 March: the first hold's review date (Monday 9) has passed; the others have not.
      const tuesday = vn('2026-03-10T08:00:00');
      w.clock.now = tuesday;
      // (The earlier tests' institutes get their own digests that day too: counted by the lead's below.)
      expect((await runReminders(w.ctx, tuesday)).dueSoon).to.equal(0);
      expect(await runReminders(w.ctx, new Date(tuesday.getTime() + 3_600_000))).to.deep.equal({ dueSoon: 0, digests: 0, panelDigests: 0 });
      await dispatchOnce(w.ctx, { owner: 'test', caseIds: ids });
      const digest = await w.smtp.waitForTo(lead.email, /overdue/);
      expect(digest.subject).to.equal('1 overdue case in your institute');
      expect(digest.text).to.include(`Holds past their review date:\n- ${past.reference} Past Review, put on hold by Officer Lan: review by 9 Mar 2026 (1 working day overdue) ${APP_URL}/cases/${past._id}`);
      expect(digest.text.split(past.reference)).to.have.length(2); // once
      expect(digest.text).not.to.include(tomorrow.reference);
      expect(digest.text).not.to.include(later.reference);
      expect(digest.text).not.to.include('working-day deadline'); // no late stage: no empty list
      expect(digest.html).to.include(`${past.reference}</a> Past Review, put on hold by Officer Lan: review by 9 Mar 2026 (1 working day overdue)`);
      expect(w.smtp.to(lead.email)).to.have.length(1);
      // A review date 1 working day away is HR's own commitment, not a stage falling due: no reminder.
      expect(w.smtp.to(officer.email)).to.have.length(0);
      // The job writes nothing to the applicant: the outbox has only the holds' own e-mails for them.
      expect(w.smtp.to(applicant.email)).to.have.length(toApplicant);
      const outbox = (await Case.find({ _id: { $in: ids } }).lean()).flatMap((c) => c.outbox);
      expect(outbox.filter((i) => i.template === 'overdue_digest').map((i) => i.to)).to.deep.equal([lead.email.toLowerCase()]);
      expect(outbox.filter((i) => i.to === applicant.email.toLowerCase()).map((i) => i.template)).to.deep.equal(['on_hold', 'on_hold', 'on_hold']);
    } finally {
      w.clock.now = started;
    }
  });
});
