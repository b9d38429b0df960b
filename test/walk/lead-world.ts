// The leader's week (walk s37): one institute, two calls, twelve candidates, each moved to its stage
// through the workflow (transition, the leaders' decideCase, the panel's submitEvaluation) as in
// ./world.ts, so histories, deadlines and e-mails are the app's own. Two leaders: the director and
// a deputy (a second leader account of the institute: the product has no delegation of its own).
// Two procedures are filed near their legal deadlines (one overdue), as the procedure pages leave them.
import type { TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { countedDeadline, loadCalendar, seedHolidays } from '../../server/calendar/index.ts';
import { deadlineDays } from '../../server/procedures/service.ts';
import type { SupportKind } from '../../models/constants.ts';
import { systemContext } from '../../server/context.ts';
import { transition, type Action } from '../../server/workflow/index.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { decideCase, type Decision } from '../../server/evaluations/case.ts';
import { Types } from 'mongoose';
import { holdReviewDay } from '../support/hold.ts';

export interface LeadWorld {
  institute: InstituteDoc;
  /** A: the semiconductor call (a panel minimum of 2 scorecards); B: the battery call. */
  callA: CallDoc;
  callB: CallDoc;
  hr: UserDoc;
  leader: UserDoc;
  deputy: UserDoc;
  panel: [UserDoc, UserDoc];
  cases: Record<string, CaseDoc>;
  applicants: Record<string, UserDoc>;
}

type Marks = [number, number][];

export async function leadWorld(t: TestApp): Promise<LeadWorld> {
  await seedHolidays();
  const cal = await loadCalendar();
  const now = t.ctx.now();
  const institute = await createInstitute({ name: { vi: 'Viện Khoa học Vật liệu', en: 'Institute of Materials Science' }, hrContact: { email: 'nhansu@walk37.example.vn', phone: '+84 24 3000 0037', address: { vi: '18 Hoàng Quốc Việt, Hà Nội', en: '18 Hoang Quoc Viet, Hanoi' }, hours: { vi: 'Thứ Hai–Thứ Sáu 8:00–17:00', en: 'Mon–Fri 8:00–17:00' } } });
  const hr = await createUser({ role: 'hr_officer', institute, name: 'Trần Thu Hà', locale: 'vi', isHrLead: true });
  const scorecard = [
    { key: 'research', label: { vi: 'Thành tích nghiên cứu', en: 'Research record' }, weight: 60 },
    { key: 'fit', label: { vi: 'Phù hợp với định hướng của viện', en: 'Fit with the institute' }, weight: 40 },
  ];
  const callA = await createCall({ institute, checklist: [], scorecard, minScorecards: 2, title: { vi: 'Chuyên gia vật liệu bán dẫn', en: 'Semiconductor materials expert' } });
  const callB = await createCall({ institute, checklist: [], scorecard, title: { vi: 'Kỹ sư pin lưu trữ', en: 'Battery storage engineer' } });
  const calls = [callA._id, callB._id];
  const leader = await createUser({ role: 'leader', institute, name: 'GS. Lê Văn Minh', locale: 'vi' });
  const deputy = await createUser({ role: 'leader', institute, name: 'PGS. Đỗ Thị Hạnh', locale: 'vi' });
  const panel: [UserDoc, UserDoc] = [
    await createUser({ role: 'hr_officer', institute, name: 'TS. Phạm Hội Đồng', locale: 'vi', panelCalls: calls }),
    await createUser({ role: 'hr_officer', institute, name: 'Dr. Panel Okafor', locale: 'en', panelCalls: calls }),
  ];
  const cases: Record<string, CaseDoc> = {};
  const applicants: Record<string, UserDoc> = {};
  const ctxOf = (u: UserDoc) => systemContext({ now, actor: u, locale: u.locale === 'en' ? 'en' : 'vi' });

  const toEvaluation: Array<[Action, 'applicant' | 'hr']> = [['submit', 'applicant'], ['start_screening', 'hr'], ['send_to_evaluation', 'hr']];
  async function make(key: string, call: CallDoc, fullName: string, locale: 'vi' | 'en', nationality: string, upTo: 'screening' | 'evaluation', marks: Marks = [], decisions: Array<[Decision, Record<string, string>]> = [], extra: Record<string, unknown> = {}): Promise<void> {
    const owner = await createUser({ role: 'applicant', locale, name: fullName });
    let c = await createCase({ applicant: owner, call, assignee: hr._id, profile: { fullName, nationality, countryOfResidence: nationality, overseasVietnamese: locale === 'vi', dateOfBirth: new Date('1984-04-12'), gender: 'undisclosed', phone: '+84 24 3756 1234', currentPosition: 'Senior researcher', currentEmployer: 'University research centre', highestDegree: 'phd', field: 'Materials science', plannedArrival: new Date(Date.UTC(now.getUTCFullYear() + 1, 3, 1)) }, ...extra });
    for (const [action, who] of toEvaluation.slice(0, upTo === 'screening' ? 2 : 3)) c = await transition({ app: t.ctx, ctx: ctxOf(who === 'hr' ? hr : owner), caseId: c._id, action, expectedVersion: c.version });
    for (const [k, [research, fit]] of marks.entries()) {
      const m = panel[k]!;
      await submitEvaluation({ ctx: ctxOf(m), caseId: String(c._id), callId: String(call._id), input: { scores: { research, fit }, recommendation: research >= 4 ? 'strong_yes' : research >= 3 ? 'yes' : 'no', comment: m.locale === 'vi' ? 'Hồ sơ đã được hội đồng xem xét.' : 'Reviewed by the panel.' } });
    }
    for (const [action, p] of decisions) {
      if (action === 'approve_offer') {
        await Case.updateOne({ _id: c._id }, { $set: { offerTerms: { position: locale === 'vi' ? 'Nghiên cứu viên chính' : 'Principal researcher', contractLength: '3 năm', startOn: new Date(Date.UTC(now.getUTCFullYear() + 1, 3, 1)), letter: new Types.ObjectId(), updatedAt: now, updatedBy: hr._id } } });
        c = (await Case.findById(c._id))!;
      }
      c = (await decideCase({ app: t.ctx, ctx: ctxOf(leader), call, caseId: c._id, action, version: c.version, reason: p.reason!, ...(p.toldReason ? { toldReason: p.toldReason } : {}), ...(p.reviewBy ? { reviewBy: p.reviewBy } : {}), withoutScores: true }).catch((e) => { throw new Error(`${key} ${action}: ${JSON.stringify(e.fields)}`); })).caseDoc;
    }
    cases[key] = c;
    applicants[key] = owner;
  }
  const shortlist: [Decision, Record<string, string>] = ['shortlist', { reason: 'Hội đồng chấm đủ; hồ sơ vững.' }];
  const offer: [Decision, Record<string, string>] = ['approve_offer', { reason: 'Ngân sách 2027 đã duyệt cho vị trí này.' }];

  // Call A: three shortlisted to compare (two tied on the panel's marks), one still in evaluation with
  // one scorecard of the two the call asks, one in evaluation fully scored, one offered, one rejected.
  await make('kenji', callA, 'Kenji Watanabe', 'en', 'JP', 'evaluation', [[5, 4], [5, 5]], [shortlist]);
  await make('trang', callA, 'Lê Thu Trang', 'vi', 'CA', 'evaluation', [[4, 4], [4, 3]], [shortlist]);
  await make('lukas', callA, 'Lukas Becker', 'en', 'DE', 'evaluation', [[4, 3], [4, 4]], [shortlist]);
  await make('huy', callA, 'Đỗ Quang Huy', 'vi', 'KR', 'evaluation', [[3, 4]]);
  await make('sofia', callA, 'Sofia Lindqvist', 'en', 'SE', 'evaluation', [[4, 4], [3, 4]]);
  await make('chau', callA, 'Ngô Bảo Châu', 'vi', 'FR', 'evaluation', [[5, 5], [5, 4]], [shortlist, offer]);
  await make('mark', callA, 'Mark Taylor', 'en', 'US', 'evaluation', [[2, 2], [2, 3]], [['reject', { reason: 'Kinh nghiệm chưa đủ năm năm sau tiến sĩ.', toldReason: 'The panel found fewer than five years of post-doctoral research.' }]]);
  // Call B: one in evaluation, two in onboarding with procedures near their deadline, one at screening, one held.
  await make('minh', callB, 'Phan Văn Minh', 'vi', 'US', 'evaluation', [[4, 4]]);
  const support = { workPermit: true, visa: true, residenceCard: true, housing: false, citizenship: false, family: false };
  await make('priya', callB, 'Priya Raman', 'en', 'IN', 'evaluation', [[5, 4]], [shortlist, offer], { supportRequested: support });
  await make('erik', callB, 'Erik Johansson', 'en', 'SE', 'evaluation', [[4, 5]], [shortlist, offer], { supportRequested: support });
  for (const key of ['priya', 'erik']) cases[key] = await transition({ app: t.ctx, ctx: ctxOf(applicants[key]!), caseId: cases[key]!._id, action: 'accept_offer', expectedVersion: cases[key]!.version });
  await make('anh', callB, 'Trần Đức Anh', 'vi', 'FR', 'screening');
  await make('linh', callB, 'Đặng Mai Linh', 'vi', 'SG', 'evaluation', [[4, 4]], [shortlist, ['put_on_hold', { reason: 'Chờ ngân sách năm 2027.', reviewBy: holdReviewDay(now, 15) }]]);

  // Procedures as the officers' pages leave them: a work permit filed 4 working days ago, a visa overdue.
  const filed = (kind: SupportKind, filedAt: Date, office: string) => {
    const dueCount = { from: filedAt, workingDays: deadlineDays(kind, 'filed')! };
    return { status: 'filed', filedAt, office, dueCount, dueAt: countedDeadline(cal, dueCount), updatedAt: now };
  };
  const setTrack = async (key: string, kind: SupportKind, v: Record<string, unknown>) => {
    const c = (await Case.findById(cases[key]!._id).lean())!;
    const tr = (c.supportTracks ?? []).map((s) => ({ ...s })) as Array<Record<string, unknown>>;
    const found = tr.find((s) => s.kind === kind);
    if (found) Object.assign(found, v);
    else tr.push({ kind, ...v });
    await Case.updateOne({ _id: c._id }, { $set: { supportTracks: tr } });
    cases[key] = (await Case.findById(c._id))!;
  };
  await setTrack('priya', 'work_permit', filed('work_permit', cal.addWorkingDays(now, -4), 'Sở Nội vụ Hà Nội'));
  await setTrack('erik', 'work_permit', { status: 'approved', filedAt: cal.addWorkingDays(now, -20), decidedAt: cal.addWorkingDays(now, -12), updatedAt: now });
  // Filed 9 working days ago, decided within 5: overdue.
  await setTrack('erik', 'visa', filed('visa', cal.addWorkingDays(now, -9), 'Cục Quản lý xuất nhập cảnh'));
  return { institute, callA, callB, hr, leader, deputy, panel, cases, applicants };
}
