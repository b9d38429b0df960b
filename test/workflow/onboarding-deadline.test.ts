// The onboarding stage's deadline (HR records the arrival) follows the planned start when that is
// later than the fixed count of working days, so a case on schedule does not show overdue before
// its expert is even due; with no planned start, or one sooner than the count, the count holds. The
// same on a resume from hold into onboarding.
import { expect } from 'chai';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { transition } from '../../server/workflow/index.ts';
import { STAGE_DEADLINES } from '../../server/workflow/transitions.ts';
import { countedDeadline, loadCalendar, seedHolidays, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { workflowContext, actorContext, type WorkflowTestContext } from './context.ts';

describe('workflow: the onboarding deadline follows the planned start', () => {
  let w: WorkflowTestContext;
  let hr: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    w = await workflowContext(new Date('2026-12-07T02:00:00Z'));
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await w?.close();
  });

  async function offerWith(plannedArrival?: Date): Promise<CaseDoc> {
    const c = await createCase({ applicant, call, stage: 'offer', stageDueAt: new Date('2026-12-18T16:59:59.999Z') });
    if (plannedArrival) await Case.updateOne({ _id: c._id }, { $set: { 'profile.plannedArrival': plannedArrival } });
    return (await Case.findById(c._id))!;
  }
  const accept = (c: CaseDoc) => transition({ app: w.ctx, ctx: actorContext(w.ctx, applicant), caseId: c._id, action: 'accept_offer', expectedVersion: c.version });
  const counted = async () => countedDeadline(await loadCalendar(), { from: w.clock.now, workingDays: STAGE_DEADLINES.onboarding! });

  it('is the planned start day when that is later than the count, as a typed date (no count kept)', async () => {
    const planned = new Date('2027-03-01T00:00:00Z');
    expect(planned.getTime()).to.be.greaterThan((await counted()).getTime());
    const done = await accept(await offerWith(planned));
    const stored = (await Case.findById(done._id).lean())!;
    expect(stored.stage).to.equal('onboarding');
    expect(stored.stageDueAt!.toISOString()).to.equal(vnEndOfDay(planned).toISOString());
    expect(vnDateKey(stored.stageDueAt!)).to.equal('2027-03-01');
    expect(stored.stageDueCount ?? undefined).to.equal(undefined);
    // The queue's next deadline is the soonest: the work permit's own target comes before the start.
    const wp = stored.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(stored.nextDueAt!.getTime()).to.equal(Math.min(wp.dueAt?.getTime() ?? Infinity, stored.stageDueAt!.getTime()));
  });

  it('keeps the count when there is no planned start, or one sooner than the count', async () => {
    const expected = await counted();
    for (const planned of [undefined, new Date('2027-01-04T00:00:00Z')]) {
      const done = await accept(await offerWith(planned));
      const stored = (await Case.findById(done._id).lean())!;
      expect(stored.stageDueAt!.toISOString(), `planned ${planned?.toISOString() ?? 'none'}`).to.equal(expected.toISOString());
      expect(stored.stageDueCount?.workingDays).to.equal(STAGE_DEADLINES.onboarding);
    }
  });

  it('applies the same rule on a resume into onboarding', async () => {
    const planned = new Date('2027-04-01T00:00:00Z');
    const c = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'onboarding' });
    await Case.updateOne({ _id: c._id }, { $set: { 'profile.plannedArrival': planned } });
    const held = (await Case.findById(c._id))!;
    const done = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr), caseId: held._id, action: 'resume', expectedVersion: held.version });
    expect(done.stage).to.equal('onboarding');
    expect(vnDateKey(done.stageDueAt!)).to.equal('2027-04-01');
  });
});
