// The daily reminder job: the assignee hears about cases due within 2 working days, the HR lead
// gets one digest of overdue cases; once per day per case, counted in working days.
import { expect } from 'chai';
import { Case } from '../../models/case.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { runReminders } from '../../server/reminders/index.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { workflowContext, APP_URL, type WorkflowTestContext } from './context.ts';

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
    const ids = [dueTuesday, dueWednesday, late1, late2, held].map((c) => c._id);

    const now = w.clock.now;
    expect(await runReminders(w.ctx, now)).to.deep.equal({ dueSoon: 1, digests: 1 });
    // Running again the same day (or on a second instance) queues nothing new.
    expect(await runReminders(w.ctx, new Date(now.getTime() + 3_600_000))).to.deep.equal({ dueSoon: 0, digests: 0 });

    const r = await dispatchOnce(w.ctx, { owner: 'test', caseIds: ids });
    expect(r.sent).to.equal(2);
    const reminder = await w.smtp.waitForTo(officer.email, /Due/);
    expect(reminder.subject).to.include(dueTuesday.reference);
    expect(reminder.subject).to.include('Screening');
    expect(reminder.text).to.include('2 working days left');
    expect(reminder.text).to.include(`${APP_URL}/cases/${dueTuesday._id}`);
    expect(w.smtp.to(officer.email)).to.have.length(1);

    const digest = await w.smtp.waitForTo(lead.email, /quá hạn/);
    expect(digest.subject).to.equal('2 hồ sơ quá hạn tại đơn vị của bạn');
    expect(digest.text).to.include(late1.reference);
    expect(digest.text).to.include(late2.reference);
    expect(digest.text).not.to.include(held.reference);
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
});
