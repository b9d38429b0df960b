// Drills s37: a daily digest rides on one case's outbox (its carrier). The carrier of the HR lead's
// overdue digest is the most overdue case; resolved the same day (moved on, a new deadline), it is
// no longer overdue, the next hour's run picked the next most overdue case and queued the day's
// digest a second time on it. The panel's e-mail had the same weakness once its carrier left
// evaluation (withdrawn): the day's key is now looked for on every case, whatever it became.
import { expect } from 'chai';
import { Case } from '../../models/case.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { runReminders } from '../../server/reminders/index.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { workflowContext, type WorkflowTestContext } from './context.ts';

const vn = (s: string) => new Date(`${s}+07:00`);
const HOUR = 3_600_000;

describe('workflow: a digest\'s carrier resolved the same day does not make a second digest (drills s37)', () => {
  let w: WorkflowTestContext;

  before(async () => {
    // Monday 7 December 2026, 08:00 in Vietnam; the previous working day is Friday 4 December.
    w = await workflowContext(vn('2026-12-07T08:00:00'));
  });
  after(async () => {
    await w?.close();
  });

  it('the overdue digest: its carrier moved on in the morning, the next hours queue nothing; the next day one digest again', async () => {
    const institute = await createInstitute();
    const lead = await createUser({ role: 'hr_officer', institute, locale: 'vi', isHrLead: true, name: 'Trưởng phòng Hà' });
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute, checklist: [] });
    const late = async (due: string, fullName: string) => {
      const stageDueAt = vnEndOfDay(vn(due));
      return createCase({ applicant, call, stage: 'screening', stageDueAt, nextDueAt: stageDueAt, profile: { fullName } });
    };
    const mostLate = await late('2026-11-20T12:00:00', 'Most Late');
    const lessLate = await late('2026-12-01T12:00:00', 'Less Late');
    const ids = [mostLate._id, lessLate._id];
    const now = w.clock.now;
    const digestsOf = async () => (await Case.find({ _id: { $in: ids } }).lean()).flatMap((c) => c.outbox.filter((i) => i.template === 'overdue_digest' && i.to === lead.email.toLowerCase()));

    // Counted on this lead's cases: the database is shared with the suite's other tests, whose overdue
    // cases may carry digests of their own.
    await runReminders(w.ctx, now);
    expect((await digestsOf()).map((i) => String(i.key)), 'the morning digest').to.have.length(1);
    await dispatchOnce(w.ctx, { owner: 'test', caseIds: ids });
    await w.smtp.waitForTo(lead.email, /quá hạn/);

    // The carrier is dealt with at 10:00: it enters evaluation with a deadline weeks away.
    const carrier = (await Case.findOne({ _id: { $in: ids }, 'outbox.template': 'overdue_digest' }).lean())!;
    expect(String(carrier._id), 'the most overdue case carries it').to.equal(String(mostLate._id));
    const newDue = vnEndOfDay(vn('2026-12-28T12:00:00'));
    await Case.updateOne({ _id: carrier._id }, { $set: { stage: 'evaluation', stageEnteredAt: vn('2026-12-07T10:00:00'), stageDueAt: newDue, nextDueAt: newDue } });

    for (const h of [3, 4, 9]) {
      await runReminders(w.ctx, new Date(now.getTime() + h * HOUR));
      expect(await digestsOf(), `${h} hours later`).to.have.length(1);
    }
    await dispatchOnce(w.ctx, { owner: 'test', caseIds: ids });
    await new Promise((r) => setTimeout(r, 300));
    expect(w.smtp.to(lead.email), 'one digest that day').to.have.length(1);
    expect(await digestsOf(), 'one queued that day').to.have.length(1);

    // Tuesday: the case still late gets its digest, once.
    const tuesday = vn('2026-12-08T08:00:00');
    await runReminders(w.ctx, tuesday);
    expect(await digestsOf(), 'Tuesday\'s digest').to.have.length(2);
    await runReminders(w.ctx, new Date(tuesday.getTime() + HOUR));
    expect(await digestsOf(), 'an hour later').to.have.length(2);
    const second = (await digestsOf()).filter((i) => String(i.key).includes('2026-12-08'));
    expect(second).to.have.length(1);
  });

  it('the panel e-mail: its carrier withdrawn in the morning, the next hours queue nothing for that member', async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [] });
    const leader = await createUser({ role: 'leader', institute, locale: 'en', name: 'Prof. Carrier' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const due = vnEndOfDay(vn('2026-12-21T12:00:00'));
    const mk = (entered: string, fullName: string) => createCase({ applicant, call, stage: 'evaluation', stageEnteredAt: vn(entered), stageDueAt: due, nextDueAt: due, profile: { fullName } });
    const first = await mk('2026-12-04T09:00:00', 'First Candidate');
    const second = await mk('2026-12-04T11:00:00', 'Second Candidate');
    const now = w.clock.now;
    const queued = async () => (await Case.find({ _id: { $in: [first._id, second._id] } }).lean()).flatMap((c) => c.outbox.filter((i) => i.template === 'panel_digest' && i.to === leader.email.toLowerCase()));

    expect((await runReminders(w.ctx, now)).panelDigests).to.be.greaterThanOrEqual(1);
    const [item] = await queued();
    expect(item, 'the morning e-mail').to.not.equal(undefined);
    const carrierId = (await Case.findOne({ _id: { $in: [first._id, second._id] }, 'outbox.key': item!.key }, { _id: 1 }).lean())!._id;
    expect(String(carrierId)).to.equal(String(first._id));
    await Case.updateOne({ _id: carrierId }, { $set: { stage: 'withdrawn', stageEnteredAt: vn('2026-12-07T10:00:00'), stageDueAt: null, nextDueAt: null } });

    for (const h of [2, 5]) {
      await runReminders(w.ctx, new Date(now.getTime() + h * HOUR));
      expect(await queued(), `${h} hours later`).to.have.length(1);
    }
  });
});
