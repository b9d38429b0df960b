// Work-permit filing targets stored under the earlier default (the window's opening day) are moved
// once per database to the current one (the window's last day less 5 working days), unless HR set
// them by hand; the move is on the timeline and in the audit, and the applicant is e-mailed the old
// and new date once, only where an e-mail had told them the old one. Real database, real outbox,
// in-process SMTP server.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Counter } from '../../models/counter.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnDateKey, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { TARGET_BACKFILL, backfillLodgingTargets } from '../../server/procedures/target-backfill.ts';
import { casePlan } from '../../server/planner/service.ts';
import { signedIn, page, deliver, text } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const at = (day: string) => new Date(vnStartOfDay(day).getTime() + 10 * 3_600_000);
/** A stored target: the end of that day in Vietnam. */
const endOf = (day: string) => vnEndOfDay(vnStartOfDay(day));

describe('procedures: work-permit targets on the old default move to the new one, once', () => {
  let t: TestApp;
  const clock = at('2026-12-05');
  let hr: UserDoc;
  let applicant: UserDoc;
  let applicantVi: UserDoc;
  let call: CallDoc;
  let told: CaseDoc;
  let typed: CaseDoc;
  let uncounted: CaseDoc;
  let current: CaseDoc;

  // Planned start Tue 1 Jun 2027: the window (Decree 219/2025/ND-CP, 60 to 10 days before) opens Fri
  // 2 Apr 2027, the old default target, and closes Sat 22 May; the new default is 20 working days
  // before the start (the permit's 10, the visa's 5, a margin of 5: rules.ts lodgingTarget): Mon 31
  // May (1) … Mon 17 (11) … Mon 10 (16), Fri 7 (17), Thu 6 (18), Wed 5 (19), Tue 4 May (20) → 4 May 2027
  // (earlier than the window's last day less 5 working days, Mon 17 May).
  const profile = (name: string) => ({ fullName: name, plannedArrival: at('2027-06-01') });

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    await Counter.deleteOne({ _id: TARGET_BACKFILL });
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Target Officer', locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Ada Told' });
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Phạm Văn Dũng' });
    call = await createCall({ institute, checklist: [] });

    // Counted on 20 Nov 2026 (10 working days: 4 Dec, before the window opens), so set to the opening
    // day, and the acceptance e-mail (sent) said "due 2 Apr 2027".
    told = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hr._id,
      profile: profile('Ada Told'),
      supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: endOf('2027-04-02'), dueCount: { from: at('2026-11-20'), workingDays: 10 }, updatedAt: at('2026-11-20') }],
      outbox: [
        {
          key: 'accepted-before',
          template: 'offer_accepted',
          to: applicant.email,
          locale: 'en',
          data: { supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: endOf('2027-04-02') }] },
          createdAt: at('2026-11-20'),
          nextAttemptAt: at('2026-11-20'),
          status: 'sent',
          sentAt: at('2026-11-20'),
        },
      ],
    });
    // HR moved it to the opening day by hand (no count; the timeline holds the move).
    typed = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hr._id,
      profile: profile('Ada Typed'),
      supportTracks: [{ kind: 'work_permit', status: 'preparing', dueAt: endOf('2027-04-02'), updatedAt: at('2026-12-01') }],
      history: [{ at: at('2026-12-01'), actor: hr._id, actorRole: 'hr_officer', action: 'support_update', procedure: { kind: 'work_permit', from: 'preparing', to: 'preparing', targetFrom: endOf('2027-05-10'), targetTo: endOf('2027-04-02'), applicantVisible: true } }],
    });
    // Stored before counts were kept (no count, never moved by HR), the applicant never e-mailed the date.
    uncounted = await createCase({
      applicant: applicantVi,
      call,
      stage: 'offer',
      assignee: hr._id,
      profile: profile('Phạm Văn Dũng'),
      supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: endOf('2027-04-02'), updatedAt: at('2026-11-10') }],
    });
    // Already on the new default.
    current = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hr._id,
      profile: profile('Ada Current'),
      supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: endOf('2027-05-04'), dueCount: { from: at('2026-11-20'), workingDays: 10 }, updatedAt: at('2026-11-20') }],
    });
  });
  after(async () => {
    await t?.close();
  });

  const stored = async (c: CaseDoc) => (await Case.findById(c._id).lean())!;
  const permit = (c: Awaited<ReturnType<typeof stored>>) => c.supportTracks.find((x) => x.kind === 'work_permit')!;

  it('moves the targets still on the opening day, not one HR typed nor one already on the new default', async () => {
    // At least these two (cases other test files left in the shared database may be moved too).
    expect(await backfillLodgingTargets({ app: t.ctx, now: clock })).to.be.at.least(2);

    const a = await stored(told);
    expect(vnDateKey(permit(a).dueAt!)).to.equal('2027-05-04');
    // Its count is kept, so a holiday recount finds the same day (server/cases/deadline-recount.ts).
    expect(permit(a).dueCount).to.deep.include({ workingDays: 10 });
    expect(permit(a).dueCount!.from.toISOString()).to.equal(at('2026-11-20').toISOString());
    expect(a.version).to.equal(told.version + 1);
    expect(a.nextDueAt!.toISOString()).to.equal(endOf('2027-05-04').toISOString());
    const event = a.history.at(-1)!;
    expect(event.action).to.equal('support_update');
    expect(event.actorRole).to.equal('system');
    expect(event.procedure).to.deep.include({ kind: 'work_permit', from: 'requested', to: 'requested', defaultChanged: true, applicantVisible: true });
    expect([vnDateKey(event.procedure!.targetFrom!), vnDateKey(event.procedure!.targetTo!)]).to.deep.equal(['2027-04-02', '2027-05-04']);
    expect(a.outbox.map((o) => o.key)).to.deep.equal(['accepted-before', `${String(told._id)}.procedure.work_permit.target-default`]);

    const b = await stored(typed);
    expect(b.version, "HR's target stays").to.equal(typed.version);
    expect(vnDateKey(permit(b).dueAt!)).to.equal('2027-04-02');

    // No count: counted as if requested today, Sat 5 Dec (10 working days: 18 Dec, before the window
    // opens), the same new default; the count is now kept.
    const c = await stored(uncounted);
    expect(vnDateKey(permit(c).dueAt!)).to.equal('2027-05-04');
    expect(permit(c).dueCount!.from.toISOString()).to.equal(clock.toISOString());
    expect(c.outbox, 'never e-mailed the old date: nothing to correct').to.deep.equal([]);
    expect(c.history.at(-1)!.procedure).to.deep.include({ defaultChanged: true, applicantVisible: true });

    const d = await stored(current);
    expect(d.version).to.equal(current.version);

    const mine = [told, typed, uncounted, current].map((x) => String(x._id));
    const audit = await AuditEvent.find({ action: 'case.target_default_backfill', targetId: { $in: mine } }).lean();
    expect(audit.map((e) => e.targetId).sort()).to.deep.equal([String(told._id), String(uncounted._id)].sort());
    expect(audit.find((e) => e.targetId === String(told._id))!.summary).to.deep.include({ notified: true });
  });

  it('runs once: the mark is set, a second start reads nothing; without the mark nothing moves twice', async () => {
    expect(await Counter.exists({ _id: TARGET_BACKFILL })).to.not.equal(null);
    const before = (await stored(told)).version;
    expect(await backfillLodgingTargets({ app: t.ctx, now: clock })).to.equal(0);
    // A start killed before the mark was written runs it again: the targets moved are off the opening day.
    await Counter.deleteOne({ _id: TARGET_BACKFILL });
    expect(await backfillLodgingTargets({ app: t.ctx, now: clock })).to.equal(0);
    expect((await stored(told)).version).to.equal(before);
    expect((await stored(told)).outbox).to.have.length(2);
    expect(await Counter.exists({ _id: TARGET_BACKFILL })).to.not.equal(null);
  });

  it('e-mails the applicant once, with the old date, the new one and why', async () => {
    await deliver(t, told._id);
    await deliver(t, told._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Work permit: our target date moved/);
    expect(mail.text).to.include('Our target date moved from 2 Apr 2027 to 4 May 2027: the institute now aims to file early enough for the decision, and then the visa, to come before your planned start');
    expect(mail.text).to.include('We aim to file by: 4 May 2027');
    expect(mail.text).to.include('By law, the file can be lodged between 2 Apr 2027 and 22 May 2027');
    expect(t.smtp.to(applicant.email).filter((m) => /our target date moved/.test(m.subject))).to.have.length(1);
    expect(t.smtp.to(applicantVi.email)).to.have.length(0);
  });

  it("says on the timeline, in each reader's language, that the target moved and why", async () => {
    const hrPage = text((await page(await signedIn(t, hr), `/cases/${told._id}`)).text);
    expect(hrPage).to.include('Target moved from 2 Apr 2027 to 4 May 2027');
    expect(hrPage).to.include("The institute's default target changed: early enough for the decision, and the visa after it, before the planned start, with 5 working days to spare");
    const vi = text((await page(await signedIn(t, applicantVi), `/applications/${uncounted._id}`)).text);
    expect(vi).to.include('Mốc dự kiến chuyển từ 2/4/2027 sang 4/5/2027');
    expect(vi).to.include('Mốc mặc định của viện thay đổi');
  });

  it("plans the certificates for the target the case shows: the moved one, and HR's own", async () => {
    const fileOn = async (c: CaseDoc) => {
      const { windows } = await casePlan({ caseDoc: (await Case.findById(c._id))!, now: clock });
      const w = windows.find((x) => x.type === 'criminal_record')!;
      return w.neededBy.map((n) => [n.kind, vnDateKey(n.fileOn)]);
    };
    expect(await fileOn(told)).to.deep.equal([['work_permit', '2027-05-04']]);
    expect(await fileOn(typed)).to.deep.equal([['work_permit', '2027-04-02']]);
  });
});
