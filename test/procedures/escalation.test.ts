// Escalation on a test clock: a filed work permit passes its legal deadline; one run e-mails the
// assigned officer and the institute's HR lead (received on the in-process SMTP server), flags the
// case in `overdueProcedures` and writes a staff-only history event; further runs change nothing
// (one escalation per procedure per deadline); a status change clears the flag; a late refusal
// reasons clock escalates on its own; an institute without HR lead has its HR officers told when
// they are few (5 or fewer), else its HR e-mail, else the administrators (hrOfficeToTell, as for
// what an applicant sends), the assigned officer always.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createInstitute, createUser, withOnlyAdmins } from '../support/factories.ts';
import { User } from '../../models/user.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { runEscalations } from '../../server/procedures/escalation.ts';
import { updateProcedure } from '../../server/procedures/service.ts';
import { systemContext } from '../../server/context.ts';
import { timeline } from '../../server/cases/present.ts';
import { translator } from '../../server/i18n/index.ts';
import { deliver } from '../applications/support.ts';
import { procedureWorld, vn } from './support.ts';

describe('procedures: escalation of overdue procedures', () => {
  let t: TestApp;
  let clock = vn('2027-02-04');
  let officer: UserDoc;
  let lead: UserDoc;
  let plainHr: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    // The English-speaking officer is assigned; the Vietnamese-speaking one is the HR lead.
    let institute: InstituteDoc;
    ({ t, institute, hrEn: officer, hrVi: lead, call } = await procedureWorld(() => clock, { viLead: true }));
    plainHr = await createUser({ role: 'hr_officer', institute, name: 'Not the lead' });
    applicant = await createUser({ role: 'applicant', locale: 'vi' });
  });
  after(async () => {
    await t?.close();
  });

  it('e-mails the officer and the HR lead once, flags the case once, and clears the flag on a status change', async () => {
    clock = vn('2027-02-04');
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: officer._id, supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2027-02-20')) }] });
    const r = await updateProcedure({ app: t.ctx, ctx: systemContext({ now: clock, actor: officer }), caseId: String(c._id), kind: 'work_permit', status: 'filed', filedAt: vnEndOfDay(clock), office: 'Sở Nội vụ', expectedVersion: c.version });
    expect(r.ok).to.equal(true);
    // Due Thu 25 Feb 2027 (10 working days after 4 Feb across Tết). On the 25th: not yet.
    clock = vn('2027-02-25');
    expect(await runEscalations(t.ctx, { caseIds: [c._id] })).to.deep.equal({ escalated: 0, emails: 0 });
    // Mon 1 Mar: 2 working days late (Fri 26, Mon 1).
    clock = vn('2027-03-01');
    const first = await runEscalations(t.ctx, { caseIds: [c._id] });
    expect(first).to.deep.equal({ escalated: 1, emails: 2 });
    const flagged = (await Case.findById(c._id).lean())!;
    expect(flagged.overdueProcedures).to.deep.equal(['work_permit']);
    expect(flagged.history.at(-1)!.action).to.equal('procedure_escalated');
    // Idempotent: the same deadline is escalated once, whatever the number of runs.
    expect(await runEscalations(t.ctx, { caseIds: [c._id] })).to.deep.equal({ escalated: 0, emails: 0 });
    clock = vn('2027-03-02');
    expect(await runEscalations(t.ctx, { caseIds: [c._id] })).to.deep.equal({ escalated: 0, emails: 0 });
    const again = (await Case.findById(c._id).lean())!;
    expect(again.outbox.filter((o) => o.template === 'procedure_escalation')).to.have.length(2);
    expect(again.overdueProcedures).to.deep.equal(['work_permit']);

    await deliver(t, c._id);
    const toOfficer = await t.smtp.waitForTo(officer.email, /Overdue: Work permit/);
    expect(toOfficer.text).to.include('2 working days overdue');
    expect(toOfficer.text).to.include('Sở Nội vụ');
    const toLead = await t.smtp.waitForTo(lead.email, /Quá hạn: Giấy phép lao động/);
    expect(toLead.text).to.include('Officer English');
    expect(t.smtp.to(plainHr.email).filter((m) => /Overdue|Quá hạn/.test(m.subject))).to.have.length(0);

    // The applicant never sees the escalation on their timeline; staff do.
    const en = translator('en');
    const staffLines = timeline(again.history as never, new Map(), en, { applicantId: c.applicant, forApplicant: false, locale: 'en' }).map((e) => e.label);
    expect(staffLines).to.include('Work permit: deadline passed, HR office notified');
    const mine = timeline(again.history as never, new Map(), translator('vi'), { applicantId: c.applicant, forApplicant: true, locale: 'vi' }).map((e) => e.label);
    expect(mine.join('|')).not.to.include('quá hạn');

    // The officer records the decision: the flag goes.
    const approved = await updateProcedure({ app: t.ctx, ctx: systemContext({ now: clock, actor: officer }), caseId: String(c._id), kind: 'work_permit', status: 'approved', decidedAt: vnEndOfDay(clock), expectedVersion: again.version });
    expect(approved.ok).to.equal(true);
    expect((await Case.findById(c._id).lean())!.overdueProcedures).to.deep.equal([]);
  });

  it('escalates written reasons the authority did not give with its refusal once they are past the decision deadline, once, and tells every HR officer of an institute without HR lead', async () => {
    const institute = await createInstitute();
    const a = await createUser({ role: 'hr_officer', institute, name: 'HR A' });
    const b = await createUser({ role: 'hr_officer', institute, name: 'HR B', locale: 'vi' });
    const otherCall = await createCall({ institute, checklist: [] });
    clock = vn('2027-02-03');
    const c = await createCase({ applicant, call: otherCall, stage: 'onboarding', supportTracks: [{ kind: 'work_permit', status: 'filed', dueAt: vnEndOfDay(vn('2027-02-15')), filedAt: vn('2027-01-20') }] });
    const r = await updateProcedure({ app: t.ctx, ctx: systemContext({ now: clock, actor: a }), caseId: String(c._id), kind: 'work_permit', status: 'refused', decidedAt: vnEndOfDay(clock), reasonsMissing: true, message: 'The Department refused the permit; we will lodge it again once its reasons arrive.', expectedVersion: c.version });
    expect(r.ok).to.equal(true);
    // Refused without them: owed by the decision deadline, Mon 15 Feb 2027; on Tue 16 they are late.
    clock = vn('2027-02-15');
    expect((await runEscalations(t.ctx, { caseIds: [c._id] })).escalated).to.equal(0);
    clock = vn('2027-02-16');
    expect(await runEscalations(t.ctx, { caseIds: [c._id] })).to.deep.equal({ escalated: 1, emails: 2 });
    expect(await runEscalations(t.ctx, { caseIds: [c._id] })).to.deep.equal({ escalated: 0, emails: 0 });
    await deliver(t, c._id);
    // With the working days they are late, as the deadline's own escalation says them.
    expect((await t.smtp.waitForTo(a.email, /Overdue: Work permit/)).text).to.include("The authority's written reasons for the refusal were due on 15 Feb 2027 — 1 working day overdue.");
    expect((await t.smtp.waitForTo(b.email, /Quá hạn/)).text).to.include('lý do từ chối bằng văn bản là 15/2/2027 — quá hạn 1 ngày làm việc.');
  });

  it('reaches every overdue case: cases already escalated do not use up a run\'s cap (they did when only the first matches were read)', async () => {
    clock = vn('2027-03-01');
    const due = vnEndOfDay(vn('2027-02-20'));
    const cases = [];
    for (let i = 0; i < 5; i++) cases.push(await createCase({ applicant, call, stage: 'onboarding', assignee: officer._id, supportTracks: [{ kind: 'visa', status: 'filed', dueAt: due, filedAt: vn('2027-02-01') }] }));
    const ids = cases.map((c) => c._id);
    // A run capped at 3 cases escalates 3; the next reads past them and escalates the other 2.
    expect((await runEscalations(t.ctx, { caseIds: ids, maxCases: 3 })).escalated).to.equal(3);
    expect((await runEscalations(t.ctx, { caseIds: ids, maxCases: 3 })).escalated).to.equal(2);
    expect((await runEscalations(t.ctx, { caseIds: ids, maxCases: 3 })).escalated).to.equal(0);
    const flagged = await Case.find({ _id: { $in: ids } }, { overdueProcedures: 1 }).lean();
    expect(flagged.map((c) => c.overdueProcedures)).to.deep.equal(ids.map(() => ['visa']));
  });
  it('with no HR lead and more than 5 officers, tells the assigned officer and the HR e-mail (else the administrators), not every officer', async () => {
    clock = vn('2027-03-01');
    const due = vnEndOfDay(vn('2027-02-20'));
    const withContact = await createInstitute({ hrContact: { email: 'hr-office@escalation.test' } });
    const without = await createInstitute();
    const run = async (institute: InstituteDoc) => {
      const officers: UserDoc[] = [];
      for (let i = 0; i < 6; i++) officers.push(await createUser({ role: 'hr_officer', institute, name: `Officer ${i}` }));
      const instCall = await createCall({ institute, checklist: [] });
      const c = await createCase({ applicant, call: instCall, stage: 'onboarding', assignee: officers[0]!._id, supportTracks: [{ kind: 'visa', status: 'filed', dueAt: due, filedAt: vn('2027-02-01') }] });
      expect((await runEscalations(t.ctx, { caseIds: [c._id] })).escalated).to.equal(1);
      const to = (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'procedure_escalation').map((o) => o.to);
      // The assigned officer, and none of the five others.
      expect(to).to.include(officers[0]!.email);
      for (const o of officers.slice(1)) expect(to, o.email).to.not.include(o.email);
      return { c, to, assigned: officers[0]!.email };
    };
    const a = await run(withContact);
    expect(a.to).to.have.members([a.assigned, 'hr-office@escalation.test']);
    await deliver(t, a.c._id);
    const office = await t.smtp.waitForTo('hr-office@escalation.test', /Quá hạn/);
    expect(office.text).to.include(a.c.reference);

    const admin = await createUser({ role: 'admin', locale: 'en' });
    // Other test files leave administrators behind, and only the longest-standing few are told
    // (server/institutes/hr-staff.ts MAX_ADMINS): set them aside, so this one is told.
    const b = await withOnlyAdmins([admin], () => run(without));
    const admins = await User.find({ role: 'admin', disabledAt: null }, { email: 1 }).lean();
    const others = b.to.filter((e) => e !== b.assigned);
    expect(others, 'the administrators are told').to.include(admin.email);
    expect(others.every((e) => admins.some((u) => u.email === e))).to.equal(true);
    // They are told why, so they name a lead; the assigned officer's e-mail has no such line.
    await deliver(t, b.c._id);
    const why = 'You receive this because the institute has no HR lead, more than 5 HR officers (or none) and no HR e-mail: please name an HR lead for the institute (user accounts).';
    expect((await t.smtp.waitForTo(admin.email, /Overdue: Visa/)).text).to.include(why);
    expect((await t.smtp.waitForTo(b.assigned, /Overdue: Visa|Quá hạn/)).text).to.not.include('no HR lead');
  });
});
