// Naturalisation filing targets stored before session 36, when a naturalisation awaiting its residence
// condition still got a counted target (now withheld: rules.ts filingTargetWithheld). Once per
// database, at start, the target is cleared (with its count and overdue flag, audited); a run killed
// before its mark finishes the rest and writes nothing twice. And until then, the e-mails that name
// procedures' dates (the arrival's, a holiday recount's) do not name such a target even if one is
// stored. Real database, the real workflow and dispatcher, e-mails read from the in-process SMTP server.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Counter } from '../../models/counter.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { recountCase } from '../../server/cases/deadline-recount.ts';
import { WITHHELD_TARGET_BACKFILL, backfillWithheldTargets } from '../../server/procedures/withheld-target-backfill.ts';
import { formatDay } from '../../server/views/time.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { deliver } from '../applications/support.ts';

const DAY = 86_400_000;

describe('procedures: naturalisation targets stored before they were withheld', () => {
  let t: TestApp;
  let hr: UserDoc;
  let call: CallDoc;
  const now = new Date();
  const target = vnEndOfDay(new Date(now.getTime() + 40 * DAY));
  const count = { from: new Date(now.getTime() - 20 * DAY), workingDays: 60 };

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    await Counter.deleteOne({ _id: WITHHELD_TARGET_BACKFILL });
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  /** An onboarding case of a `nationality` national (or an overseas Vietnamese) with a naturalisation at `status` carrying a stored target. */
  async function stored(opts: { nationality: string; overseasVietnamese?: boolean; status?: string; locale?: 'en' | 'vi'; entryGranted?: boolean }): Promise<CaseDoc> {
    const applicant = await createUser({ role: 'applicant', locale: opts.locale ?? 'en' });
    return createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hr._id,
      stageEnteredAt: new Date(now.getTime() - 30 * DAY),
      profile: { fullName: 'Stored Target', nationality: opts.nationality, ...(opts.overseasVietnamese ? { overseasVietnamese: true } : {}), plannedArrival: new Date(now.getTime() + 90 * DAY) } as never,
      supportTracks: [
        { kind: 'work_permit', status: opts.entryGranted ? 'approved' : 'requested', ...(opts.entryGranted ? {} : { dueAt: target, dueCount: count }), updatedAt: now },
        { kind: 'visa', status: 'approved', updatedAt: now },
        { kind: 'citizenship', status: opts.status ?? 'requested', dueAt: target, ...(opts.status === 'filed' ? { filedAt: now } : { dueCount: count }), updatedAt: now },
      ],
      overdueProcedures: ['citizenship'],
    } as never);
  }
  const citizenship = async (c: CaseDoc) => (await Case.findById(c._id).lean())!.supportTracks!.find((s) => s.kind === 'citizenship')!;

  it('clears a withheld target once (count and overdue flag too, audited), leaves a restoration, a filed one and other procedures; a run killed before its mark finishes the rest', async () => {
    const foreign = await stored({ nationality: 'DE' });
    const restoration = await stored({ nationality: 'DE', overseasVietnamese: true });
    const filed = await stored({ nationality: 'FR', status: 'filed' });
    const versions = { restoration: restoration.version, filed: filed.version };

    expect(await backfillWithheldTargets({ batchSize: 1 })).to.be.at.least(1);
    const after = (await Case.findById(foreign._id).lean())!;
    const cleared = after.supportTracks!.find((s) => s.kind === 'citizenship')!;
    expect(cleared.status).to.equal('requested');
    expect(cleared.dueAt ?? null).to.equal(null);
    expect(cleared.dueCount ?? null).to.equal(null);
    expect(after.overdueProcedures).to.not.include('citizenship');
    expect(after.supportTracks!.find((s) => s.kind === 'work_permit')!.dueAt!.getTime(), 'other procedures keep theirs').to.equal(target.getTime());
    expect(after.nextDueAt!.getTime()).to.equal(target.getTime());
    expect(after.version).to.equal(foreign.version + 1);
    expect(await AuditEvent.countDocuments({ action: 'case.withheld_target_cleared', targetId: String(foreign._id) })).to.equal(1);
    expect((await citizenship(restoration)).dueAt!.getTime(), 'a restoration keeps its target').to.equal(target.getTime());
    expect((await citizenship(filed)).dueAt!.getTime(), 'a filed one keeps its follow-up date').to.equal(target.getTime());
    expect((await Case.findById(restoration._id).lean())!.version).to.equal(versions.restoration);
    expect((await Case.findById(filed._id).lean())!.version).to.equal(versions.filed);

    // Marked: a later start reads nothing, even a case that would match.
    const late = await stored({ nationality: 'JP' });
    expect(await backfillWithheldTargets()).to.equal(0);
    expect((await citizenship(late)).dueAt!.getTime()).to.equal(target.getTime());

    // A start killed before the mark (the mark absent, `late` not reached): the next run clears what is
    // left and writes nothing twice (the first case keeps its version and its one audit event).
    await Counter.deleteOne({ _id: WITHHELD_TARGET_BACKFILL });
    expect(await backfillWithheldTargets()).to.equal(1);
    expect((await citizenship(late)).dueAt ?? null).to.equal(null);
    expect((await Case.findById(foreign._id).lean())!.version).to.equal(foreign.version + 1);
    expect(await AuditEvent.countDocuments({ action: 'case.withheld_target_cleared', targetId: String(foreign._id) })).to.equal(1);
    expect(await Counter.exists({ _id: WITHHELD_TARGET_BACKFILL })).to.not.equal(null);
  });

  for (const locale of ['en', 'vi'] as const) {
    it(`${locale}: the arrival e-mail names no withheld target even if one is stored; a restoration's target is named`, async () => {
      const dayText = formatDay(target, locale);
      const foreign = await stored({ nationality: 'DE', locale, entryGranted: true });
      const restoration = await stored({ nationality: 'DE', overseasVietnamese: true, locale, entryGranted: true });
      for (const c of [foreign, restoration]) {
        await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: c._id, action: 'mark_arrived', expectedVersion: c.version, payload: { arrivedOn: vnDateKey(now) } });
        await deliver(t, c._id);
      }
      const withheld = await t.smtp.waitForTo((await Case.findById(foreign._id).populate<{ applicant: UserDoc }>('applicant').lean())!.applicant.email, new RegExp(`\\[${foreign.reference}\\]`));
      expect(withheld.text).to.not.include(dayText);
      expect(withheld.text).to.include(locale === 'en' ? 'remaining formalities' : 'thủ tục còn lại');
      const kept = await t.smtp.waitForTo((await Case.findById(restoration._id).populate<{ applicant: UserDoc }>('applicant').lean())!.applicant.email, new RegExp(`\\[${restoration.reference}\\]`));
      expect(kept.text, 'the restoration: its target named').to.include(dayText);
    });
  }

  it('a holiday recount neither counts again nor moves a withheld target; a restoration\'s moves', async () => {
    const calendar = await loadCalendar();
    // Counted to a day other than the one stored: a recount would move it.
    const withCount = (c: CaseDoc) => ({ ...(c.toObject() as object), supportTracks: c.supportTracks!.map((s) => (s.kind === 'citizenship' ? { ...(s as unknown as { toObject(): object }).toObject(), dueAt: vnEndOfDay(new Date(now.getTime() + 10 * DAY)) } : (s as unknown as { toObject(): object }).toObject())) });
    const foreign = recountCase(withCount(await stored({ nationality: 'DE' })) as never, calendar, new Date(now.getTime() - DAY));
    expect(foreign.moved.map((m) => m.for)).to.not.include('citizenship');
    const restoration = recountCase(withCount(await stored({ nationality: 'DE', overseasVietnamese: true })) as never, calendar, new Date(now.getTime() - DAY));
    expect(restoration.moved.map((m) => m.for)).to.include('citizenship');
  });
});
