// The onboarding stage's deadline (HR records the arrival) follows the planned start when that is
// later than the fixed count of working days, so a case on schedule does not show overdue before
// its expert is even due; with no planned start, or one sooner than the count, the count holds. The
// same on a resume from hold into onboarding, and when HR moves the planned start during onboarding
// (server/cases/planned-start.ts): counted from the acceptance, not from the day of the change.
import { expect } from 'chai';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { transition } from '../../server/workflow/index.ts';
import { STAGE_DEADLINES } from '../../server/workflow/transitions.ts';
import { countedDeadline, loadCalendar, seedHolidays, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { changePlannedStart } from '../../server/cases/planned-start.ts';
import { CaseConflictError } from '../../server/cases/conflict.ts';
import { ValidationError } from '../../server/errors.ts';
import { AuditEvent } from '../../models/audit-event.ts';
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

  describe('HR moves the planned start during onboarding', () => {
    const change = async (c: CaseDoc, plannedStart: string, reason = 'The expert wrote that the start moves.') =>
      changePlannedStart({ ctx: actorContext(w.ctx, hr), caseDoc: (await Case.findById(c._id))!, version: (await Case.findById(c._id))!.version, form: { plannedStart, plannedStartReason: reason } });

    it('a later start gives the later deadline; an earlier one falls back to 40 working days from the acceptance (not from the change); recorded, audited, versioned', async () => {
      const accepted = w.clock.now;
      const done = await accept(await offerWith(new Date('2027-01-04T00:00:00Z')));
      const fromAcceptance = await counted();
      expect(done.stageDueAt!.toISOString()).to.equal(fromAcceptance.toISOString());
      // Three weeks later the expert writes that they start on 1 April 2027.
      w.clock.now = new Date(accepted.getTime() + 21 * 86_400_000);
      try {
        const later = (await change(done, '2027-04-01')).caseDoc;
        let stored = (await Case.findById(done._id).lean())!;
        expect(stored.version).to.equal(done.version + 1);
        expect(vnDateKey(stored.profile!.plannedArrival!)).to.equal('2027-04-01');
        expect(stored.stageDueAt!.toISOString()).to.equal(vnEndOfDay(new Date('2027-04-01T00:00:00Z')).toISOString());
        expect(stored.stageDueCount ?? undefined).to.equal(undefined);
        const wp = stored.supportTracks.find((s) => s.kind === 'work_permit')!;
        expect(stored.nextDueAt!.getTime()).to.equal(Math.min(wp.dueAt?.getTime() ?? Infinity, stored.stageDueAt!.getTime()));
        // The work permit's counted target follows the start too (server/cases/planned-start.ts targetsForStart): its event comes after.
        expect(stored.history.at(-1)).to.include({ action: 'support_update' });
        expect(stored.history.at(-1)!.procedure).to.deep.include({ kind: 'work_permit' });
        const event = stored.history.findLast((h) => h.action === 'plan_start')!;
        expect(event).to.include({ action: 'plan_start', note: 'The expert wrote that the start moves.' });
        expect(String(event.actor)).to.equal(String(hr._id));
        expect(vnDateKey(event.plannedStart!.from!)).to.equal('2027-01-04');
        expect(event.plannedStart!.dueFrom!.toISOString()).to.equal(fromAcceptance.toISOString());
        expect(event.plannedStart!.dueTo!.toISOString()).to.equal(stored.stageDueAt!.toISOString());
        const audit = (await AuditEvent.findOne({ action: 'case.planned_start_changed', targetId: String(done._id) }).lean())!;
        expect(audit.summary).to.include({ from: '2027-01-04', to: '2027-04-01', version: later.version, told: true });
        // One e-mail to the applicant, with the change (the new day and the permit's dates; the
        // onboarding deadline is HR's and is not in it: test/cases/planned-start.test.ts).
        expect(stored.outbox.filter((i) => i.createdAt.getTime() >= w.clock.now.getTime()).map((i) => i.template)).to.deep.equal(['planned_start_moved']);

        // Then back to 11 January: sooner than the count, so the count from the acceptance holds again.
        await change(done, '2027-01-11');
        stored = (await Case.findById(done._id).lean())!;
        expect(stored.stageDueAt!.toISOString()).to.equal(fromAcceptance.toISOString());
        expect(stored.stageDueCount!.workingDays).to.equal(STAGE_DEADLINES.onboarding);
        expect(stored.stageDueCount!.from.toISOString()).to.equal(accepted.toISOString());
        expect(stored.version).to.equal(done.version + 2);

        // The same day again (a double submit): nothing written.
        expect((await change(done, '2027-01-11')).unchanged).to.equal(true);
        expect((await Case.findById(done._id).lean())!.version).to.equal(done.version + 2);
      } finally {
        w.clock.now = accepted;
      }
    });

    it('leaves the deadline of any other stage alone (the day is still recorded)', async () => {
      const c = await createCase({ applicant, call, stage: 'screening', stageDueAt: new Date('2026-12-18T16:59:59.999Z') });
      await Case.updateOne({ _id: c._id }, { $set: { stageDueCount: { from: new Date('2026-12-04T02:00:00Z'), workingDays: 10 } } });
      const before = (await Case.findById(c._id).lean())!;
      await change(c, '2027-06-01');
      const after = (await Case.findById(c._id).lean())!;
      expect(vnDateKey(after.profile!.plannedArrival!)).to.equal('2027-06-01');
      expect(after.stageDueAt!.toISOString()).to.equal(before.stageDueAt!.toISOString());
      expect(after.stageDueCount).to.deep.equal(before.stageDueCount);
      expect(after.history.at(-1)!.plannedStart!.dueTo ?? undefined).to.equal(undefined);
    });

    it('refuses a stale form, a past day and a missing reason, in the officer\'s words, writing nothing', async () => {
      const done = await accept(await offerWith());
      const before = (await Case.findById(done._id).lean())!;
      const ctx = actorContext(w.ctx, hr);
      const err = await changePlannedStart({ ctx, caseDoc: (await Case.findById(done._id))!, version: done.version - 1, form: { plannedStart: '2027-05-03', plannedStartReason: 'Later.' } }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CaseConflictError);
      const invalid = (await changePlannedStart({ ctx, caseDoc: (await Case.findById(done._id))!, version: done.version, form: { plannedStart: '2026-12-01', plannedStartReason: ' ' } }).catch((e: unknown) => e)) as ValidationError;
      expect(invalid).to.be.instanceOf(ValidationError);
      expect(Object.keys(invalid.fields)).to.deep.equal(['plannedStart', 'plannedStartReason']);
      // The days allowed are named: today to the end of the tenth year ahead.
      expect(invalid.fields.plannedStart).to.match(/^The planned start cannot be before today: a day between \d{1,2} [A-Z][a-z]{2} \d{4} and 31 Dec \d{4}\.$/);
      expect(invalid.fields.plannedStartReason).to.equal('Give the reason for the change.');
      const after = (await Case.findById(done._id).lean())!;
      expect(after.version).to.equal(before.version);
      expect(after.stageDueAt!.toISOString()).to.equal(before.stageDueAt!.toISOString());
      expect(after.profile?.plannedArrival ?? undefined).to.equal(undefined);
    });
  });
});
