// The walk's institute (s34): two HR officers, one leader, two panel members, and about 25 cases
// spread over every stage, each moved there through the workflow (transition, the leader's
// decideCase, the panel's submitEvaluation) so histories, deadlines and e-mails are the app's own.
// Procedure states, an overdue stage and an unanswered procedure request are then set on the stored
// case, as the procedure pages would leave them (their own tests walk those forms).
import { Types } from 'mongoose';
import type { TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { countedDeadline, loadCalendar, seedHolidays, vnEndOfDay } from '../../server/calendar/index.ts';
import { deadlineDays } from '../../server/procedures/service.ts';
import type { SupportKind } from '../../models/constants.ts';
import { systemContext } from '../../server/context.ts';
import { transition, type Action } from '../../server/workflow/index.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { decideCase, type Decision } from '../../server/evaluations/case.ts';

export interface WalkWorld {
  institute: InstituteDoc;
  call: CallDoc;
  hr1: UserDoc;
  hr2: UserDoc;
  leader: UserDoc;
  panel: [UserDoc, UserDoc];
  /** Cases by a short name the walk uses. */
  cases: Record<string, CaseDoc>;
  applicants: Record<string, UserDoc>;
}

type Who = 'applicant' | 'hr' | 'leader';
const THROUGH: Record<string, Array<[Action, Who, Record<string, unknown>?]>> = {
  submitted: [['submit', 'applicant']],
  screening: [['submit', 'applicant'], ['start_screening', 'hr']],
  evaluation: [['submit', 'applicant'], ['start_screening', 'hr'], ['send_to_evaluation', 'hr']],
};

export async function walkWorld(t: TestApp): Promise<WalkWorld> {
  await seedHolidays();
  const cal = await loadCalendar();
  const now = t.ctx.now();
  const institute = await createInstitute({ hrContact: { email: 'nhansu@walk34.example.vn', phone: '+84 24 3000 0000', address: { vi: '18 Hoàng Quốc Việt, Hà Nội', en: '18 Hoang Quoc Viet, Hanoi' }, hours: { vi: 'Thứ Hai–Thứ Sáu 8:00–17:00', en: 'Mon–Fri 8:00–17:00' } } });
  const hr1 = await createUser({ role: 'hr_officer', institute, name: 'Trần Thu Hà', locale: 'vi', isHrLead: true });
  const hr2 = await createUser({ role: 'hr_officer', institute, name: 'Officer Emma Clark', locale: 'en' });
  const call = await createCall({
    institute,
    checklist: [],
    title: { vi: 'Chuyên gia vật liệu bán dẫn', en: 'Semiconductor materials expert' },
    scorecard: [
      { key: 'research', label: { vi: 'Thành tích nghiên cứu', en: 'Research record' }, weight: 40 },
      { key: 'leadership', label: { vi: 'Năng lực dẫn dắt', en: 'Leadership' }, weight: 30 },
      { key: 'fit', label: { vi: 'Phù hợp với định hướng của viện', en: 'Fit with the institute' }, weight: 30 },
    ],
  });
  const leader = await createUser({ role: 'leader', institute, name: 'GS. Lê Văn Minh', locale: 'vi', panelCalls: [call._id] });
  const panel: [UserDoc, UserDoc] = [
    await createUser({ role: 'hr_officer', institute, name: 'TS. Phạm Hội Đồng', locale: 'vi', panelCalls: [call._id] }),
    await createUser({ role: 'hr_officer', institute, name: 'Dr. Panel Okafor', locale: 'en', panelCalls: [call._id] }),
  ];
  const cases: Record<string, CaseDoc> = {};
  const applicants: Record<string, UserDoc> = {};
  const hrOf = (i: number) => (i % 3 === 2 ? hr2 : hr1);
  let i = 0;

  const ctxOf = (u: UserDoc) => systemContext({ now, actor: u, locale: u.locale === 'en' ? 'en' : 'vi' });
  async function step(c: CaseDoc, action: Action, who: Who, owner: UserDoc, payload?: Record<string, unknown>): Promise<CaseDoc> {
    // The leader scores none of these cases: decided without the panel's scores, said so (lead s35).
    if (who === 'leader') return (await decideCase({ app: t.ctx, ctx: ctxOf(leader), call, caseId: c._id, action: action as Decision, version: c.version, reason: payload?.reason as string, withoutScores: true })).caseDoc;
    const actor = who === 'applicant' ? owner : (await Case.findById(c._id).lean())!.assignee?.equals(hr2._id) ? hr2 : hr1;
    return transition({ app: t.ctx, ctx: ctxOf(actor), caseId: c._id, action, expectedVersion: c.version, payload });
  }
  async function score(c: CaseDoc, marks: [number, number, number][]) {
    for (const [k, m] of panel.entries()) {
      const [research, leadership, fit] = marks[k]!;
      await submitEvaluation({ ctx: ctxOf(m), caseId: String(c._id), callId: String(call._id), input: { scores: { research, leadership, fit }, recommendation: research >= 4 ? 'strong_yes' : research >= 3 ? 'yes' : 'no', comment: m.locale === 'vi' ? 'Hồ sơ đã được hội đồng xem xét.' : 'Reviewed by the panel.' } });
    }
  }
  async function make(key: string, fullName: string, locale: 'vi' | 'en', nationality: string, through: Array<[Action, Who, Record<string, unknown>?]>, extra: Record<string, unknown> = {}, marks?: [number, number, number][]): Promise<CaseDoc> {
    const owner = await createUser({ role: 'applicant', locale, name: fullName });
    const assignee = hrOf(i++);
    let c = await createCase({ applicant: owner, call, assignee: assignee._id, profile: { fullName, nationality, countryOfResidence: nationality, overseasVietnamese: locale === 'vi', dateOfBirth: new Date('1984-04-12'), gender: 'undisclosed', phone: '+84 24 3756 1234', currentPosition: 'Senior researcher', currentEmployer: 'University research centre', highestDegree: 'phd', field: 'Materials science', plannedArrival: new Date(Date.UTC(now.getUTCFullYear() + 1, 3, 1)) }, ...extra });
    for (const [action, who, payload] of through) {
      if (action === 'shortlist' && marks) await score(c, marks);
      if (action === 'approve_offer') {
        await Case.updateOne({ _id: c._id }, { $set: { offerTerms: { position: locale === 'vi' ? 'Nghiên cứu viên chính' : 'Principal researcher', contractLength: locale === 'vi' ? '3 năm' : '3 years', startOn: new Date(Date.UTC(now.getUTCFullYear() + 1, 3, 1)), letter: new Types.ObjectId(), updatedAt: now, updatedBy: hr1._id } } });
        c = (await Case.findById(c._id))!;
      }
      c = await step(c, action, who, owner, payload);
    }
    if (marks && c.stage === 'evaluation') await score(c, marks);
    cases[key] = c;
    applicants[key] = owner;
    return c;
  }
  const leaderSays = { shortlist: 'Thành tích nghiên cứu vững và kế hoạch rõ ràng cho phòng thí nghiệm.', approve_offer: 'Hội đồng và ngân sách đều đồng ý: có thể gửi lời mời làm việc.' };
  const toShortlist: Array<[Action, Who, Record<string, unknown>?]> = [...THROUGH.evaluation!, ['shortlist', 'leader', { reason: leaderSays.shortlist }]];
  const toOffer: Array<[Action, Who, Record<string, unknown>?]> = [...toShortlist, ['approve_offer', 'leader', { reason: leaderSays.approve_offer }]];
  const toOnboarding: Array<[Action, Who, Record<string, unknown>?]> = [...toOffer, ['accept_offer', 'applicant']];
  const strong: [number, number, number][] = [[5, 4, 4], [4, 4, 5]];
  const fair: [number, number, number][] = [[3, 3, 4], [3, 4, 3]];
  const weak: [number, number, number][] = [[2, 3, 2], [2, 2, 3]];

  // Applied, screening, waiting for the applicant.
  await make('submittedVi', 'Nguyễn Minh Khoa', 'vi', 'DE', THROUGH.submitted!);
  await make('submittedEn', 'Maria Rossi', 'en', 'IT', THROUGH.submitted!);
  await make('screeningVi', 'Trần Đức Anh', 'vi', 'FR', THROUGH.screening!);
  await make('screeningEn', 'Sofia Lindqvist', 'en', 'SE', THROUGH.screening!);
  // Due today: the morning's first job after the overdue ones.
  await Case.updateOne({ _id: cases.screeningVi!._id }, { $set: { stageDueAt: vnEndOfDay(now) } });
  await make('screeningOverdue', 'Hoàng Thị Mai', 'vi', 'AU', THROUGH.screening!);
  await Case.updateOne({ _id: cases.screeningOverdue!._id }, { $set: { stageDueAt: vnEndOfDay(cal.addWorkingDays(now, -3)) } });
  await make('awaitingVi', 'Phan Văn Long', 'vi', 'US', [...THROUGH.screening!, ['request_info', 'hr', { items: ['Bản dịch có chứng thực bằng tiến sĩ'], dueAt: vnEndOfDay(cal.addWorkingDays(now, 8)) }]]);
  await make('awaitingEn', 'Anna Nguyen', 'en', 'US', [...THROUGH.screening!, ['request_info', 'hr', { items: ['Two recommendation letters'], dueAt: vnEndOfDay(cal.addWorkingDays(now, 2)) }]]);
  // Evaluation: the panel has scored two of three.
  await make('evalStrong', 'Kenji Watanabe', 'en', 'JP', THROUGH.evaluation!, {}, strong);
  await make('evalFair', 'Lê Thu Trang', 'vi', 'CA', THROUGH.evaluation!, {}, fair);
  await make('evalWeak', 'James O\'Brien', 'en', 'IE', THROUGH.evaluation!, {}, weak);
  await make('evalNone', 'Đỗ Quang Huy', 'vi', 'KR', THROUGH.evaluation!);
  // Shortlisted, awaiting the leaders' offer decision.
  await make('short1', 'Phạm Thị Hồng', 'vi', 'AU', toShortlist, {}, strong);
  await make('short2', 'Lukas Becker', 'en', 'DE', toShortlist, {}, fair);
  await make('short3', 'Vũ Hải Đăng', 'vi', 'SG', toShortlist, {}, [[4, 5, 4], [5, 4, 4]]);
  // Offered, awaiting the applicant's answer.
  await make('offerVi', 'Ngô Bảo Châu', 'vi', 'FR', toOffer, {}, strong);
  await make('offerEn', 'Priya Raman', 'en', 'IN', toOffer, {}, strong);
  // Accepted: support procedures under way.
  const support = { workPermit: true, visa: true, residenceCard: true, housing: true, citizenship: false, family: false };
  await make('permit', 'Lê Hoàng Nam', 'vi', 'CA', toOnboarding, { supportRequested: support }, strong);
  await make('exemption', 'Erik Johansson', 'en', 'SE', toOnboarding, { supportRequested: support }, strong);
  await make('visaOverdue', 'Trịnh Văn Quyết', 'vi', 'DE', toOnboarding, { supportRequested: support }, strong);
  await make('citizenship', 'Nguyễn Thị Lan', 'vi', 'US', toOnboarding, { supportRequested: { ...support, workPermit: false, citizenship: true } }, strong);
  await make('askOpen', 'Carlos Mendes', 'en', 'BR', toOnboarding, { supportRequested: support }, strong);
  // Held (one from screening, one from onboarding), arrived, rejected.
  await make('heldScreening', 'Đặng Mai Linh', 'vi', 'SG', [...THROUGH.screening!, ['put_on_hold', 'hr', { reason: 'Viện đang chờ phê duyệt ngân sách năm 2027.', reviewBy: vnEndOfDay(cal.addWorkingDays(now, 12)) }]]);
  await make('heldOnboarding', 'Oliver Smith', 'en', 'GB', [...toOnboarding, ['put_on_hold', 'hr', { reason: 'The laboratory building is not finished yet.', reviewBy: vnEndOfDay(cal.addWorkingDays(now, 15)) }]], { supportRequested: support }, strong);
  await make('rejected', 'Mark Taylor', 'en', 'US', [...THROUGH.screening!, ['reject', 'hr', { reason: 'The call requires at least five years of post-doctoral research.' }]]);

  // Procedures as the officers' pages leave them.
  const tracks = async (key: string, edit: (tr: Array<Record<string, unknown>>) => void) => {
    const c = (await Case.findById(cases[key]!._id).lean())!;
    const tr = (c.supportTracks ?? []).map((s) => ({ ...s })) as Array<Record<string, unknown>>;
    edit(tr);
    await Case.updateOne({ _id: c._id }, { $set: { supportTracks: tr } });
    cases[key] = (await Case.findById(c._id))!;
  };
  const set = (tr: Array<Record<string, unknown>>, kind: string, v: Record<string, unknown>) => {
    const found = tr.find((s) => s.kind === kind);
    if (found) Object.assign(found, v, { updatedAt: now });
    else tr.push({ kind, ...v, updatedAt: now });
  };
  const ago = (n: number) => cal.addWorkingDays(now, -n);
  const ahead = (n: number) => vnEndOfDay(cal.addWorkingDays(now, n));
  // A filing's decision clock as the procedure page keeps it: counted from the filing day.
  const filed = (kind: SupportKind, filedAt: Date, office: string) => {
    const dueCount = { from: filedAt, workingDays: deadlineDays(kind, 'filed')! };
    return { status: 'filed', filedAt, office, dueCount, dueAt: countedDeadline(cal, dueCount) };
  };
  await tracks('permit', (tr) => set(tr, 'work_permit', filed('work_permit', ago(4), 'Sở Nội vụ Hà Nội')));
  await tracks('exemption', (tr) => {
    set(tr, 'work_permit', { status: 'not_needed', dueAt: undefined, dueCount: undefined });
    set(tr, 'work_permit_exemption', filed('work_permit_exemption', ago(1), 'Department of Home Affairs, Hanoi'));
  });
  await tracks('visaOverdue', (tr) => {
    set(tr, 'work_permit', { status: 'approved', filedAt: ago(20), decidedAt: ago(12), dueAt: undefined, dueCount: undefined });
    // Filed 9 working days ago, decided within 5: 4 working days overdue.
    set(tr, 'visa', filed('visa', ago(9), 'Cục Quản lý xuất nhập cảnh'));
  });
  await tracks('citizenship', (tr) => set(tr, 'citizenship', { status: 'preparing', dueAt: ahead(25), dueCount: undefined }));
  await tracks('askOpen', (tr) => {
    const wp = tr.find((s) => s.kind === 'work_permit')!;
    wp.status = 'preparing';
    wp.asks = [{ _id: new Types.ObjectId(), text: 'Please send a 4x6 photo with a white background.', askedAt: ago(3), askedBy: hr1._id, dueAt: ahead(2), documentType: 'photo', stopsClock: false }];
  });
  return { institute, call, hr1, hr2, leader, panel, cases, applicants };
}
