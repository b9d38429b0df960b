// Walk s36: no e-mail told a panel member a case awaited their scorecard. The daily job now sends
// each member who can score one e-mail listing the candidates new before the panel (entered
// evaluation since the previous working day began), not those they scored or declared a conflict
// on, in their language, with the call, the scoring deadline and the shortlist's case page; nothing
// of the applicant's contacts. Disabled members, HR off the panel and the applicant get nothing.
import { expect } from 'chai';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { runReminders } from '../../server/reminders/index.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { Case } from '../../models/case.ts';
import { MailLog } from '../../models/mail-log.ts';
import { User } from '../../models/user.ts';
import { workflowContext, APP_URL, type WorkflowTestContext } from './context.ts';

const vn = (s: string) => new Date(`${s}+07:00`);

describe('workflow: the panel\'s daily e-mail of new candidates to score (walk s36)', () => {
  let w: WorkflowTestContext;

  before(async () => {
    // Monday 7 December 2026, 08:00 in Vietnam: the previous working day is Friday 4 December.
    w = await workflowContext(vn('2026-12-07T08:00:00'));
  });
  after(async () => {
    await w?.close();
  });

  it('e-mails each member who can score the new candidates once a day, in their language, with the call, the deadline and the shortlist link', async () => {
    const institute = await createInstitute();
    const elsewhere = await createInstitute();
    const call = await createCall({ institute, checklist: [], title: { vi: 'Kỹ sư trưởng lưu trữ năng lượng', en: 'Chief engineer, energy storage' } });
    const leader = await createUser({ role: 'leader', institute, locale: 'vi', name: 'GS. Lê Văn Minh' });
    const member = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'TS. Phạm Hội Đồng', panelCalls: [call._id] });
    const outsider = await createUser({ role: 'hr_officer', institute: elsewhere, locale: 'en', name: 'Dr. Ingrid Hale', panelCalls: [call._id] });
    const gone = await createUser({ role: 'hr_officer', institute: elsewhere, locale: 'en', name: 'Dr. Gone', panelCalls: [call._id], disabled: true });
    const offPanel = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'Trần Thu Hà' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const due = vnEndOfDay(vn('2026-12-21T12:00:00'));
    const mk = (entered: string, fullName: string) => createCase({ applicant, call, stage: 'evaluation', stageEnteredAt: vn(entered), stageDueAt: due, profile: { fullName, phone: '+46 70 555 0136', dateOfBirth: new Date('1984-03-17') } });
    const astrid = await mk('2026-12-04T10:00:00', 'Astrid Lindgren-Berg'); // Friday: new
    const hung = await mk('2026-12-05T09:00:00', 'Nguyễn Văn Hùng'); // Saturday: new
    const older = await mk('2026-12-02T09:00:00', 'Older Candidate'); // Wednesday: listed on Thursday's e-mail
    const today = await mk('2026-12-07T07:30:00', 'Today Candidate'); // today: tomorrow's e-mail
    await PanelConflict.create({ case: hung._id, call: call._id, member: member._id, reason: 'Former colleague at Pacific Grid Storage.', declaredAt: new Date() });
    await Evaluation.create({ case: astrid._id, call: call._id, member: member._id, recommendation: 'yes', submittedAt: new Date() });
    const ids = [astrid, hung, older, today].map((c) => c._id);

    const now = w.clock.now;
    const first = await runReminders(w.ctx, now);
    // The leader and the outsider: both new candidates; the member: none (scored one, conflicted on the other).
    expect(first.panelDigests).to.equal(2);
    expect((await runReminders(w.ctx, new Date(now.getTime() + 3_600_000))).panelDigests, 'once a day').to.equal(0);
    // The leader scores the case that carried their e-mail: the next hour's run finds it sent on it, no second e-mail.
    await Evaluation.create({ case: astrid._id, call: call._id, member: leader._id, recommendation: 'yes', submittedAt: new Date() });
    expect((await runReminders(w.ctx, new Date(now.getTime() + 2 * 3_600_000))).panelDigests, 'once a day, the carrier scored since').to.equal(0);
    await dispatchOnce(w.ctx, { owner: 'test', caseIds: ids });

    const vi = await w.smtp.waitForTo(leader.email, /chờ Anh\/Chị chấm điểm/);
    expect(vi.subject).to.equal('2 ứng viên mới đang chờ Anh/Chị chấm điểm');
    expect(vi.text).to.include('Kính gửi Anh/Chị GS. Lê Văn Minh');
    expect(vi.text).to.include(`Astrid Lindgren-Berg (${astrid.reference}), “Kỹ sư trưởng lưu trữ năng lượng”: chấm điểm trước 21/12/2026 ${APP_URL}/shortlists/${call._id}/cases/${astrid._id}`);
    expect(vi.text).to.include(`Nguyễn Văn Hùng (${hung.reference})`);
    expect(vi.text).to.include('Ứng viên từ những ngày trước vẫn chờ phiếu chấm điểm của Anh/Chị: 1.');
    expect(vi.text).not.to.include('Today Candidate').and.not.include('Older Candidate');

    const en = await w.smtp.waitForTo(outsider.email, /wait for your scorecard/);
    expect(en.subject).to.equal('2 new candidates wait for your scorecard');
    expect(en.text).to.include('Dear Dr. Ingrid Hale');
    expect(en.text).to.include(`Astrid Lindgren-Berg (${astrid.reference}), “Chief engineer, energy storage”: scoring by 21 Dec 2026 ${APP_URL}/shortlists/${call._id}/cases/${astrid._id}`);
    expect(en.html).to.include(`href="${APP_URL}/shortlists/${call._id}/cases/${hung._id}?lang`);
    // What evaluation needs only: no contact, no birth date, no link to HR's case file.
    for (const mail of [vi, en]) {
      expect(mail.text).not.to.include('+46 70').and.not.include('1984').and.not.include(`${APP_URL}/cases/`);
      expect(mail.html).not.to.include(`${APP_URL}/cases/`);
    }
    for (const none of [member, gone, offPanel, applicant]) expect(w.smtp.to(none.email), none.name).to.have.length(0);
  });

  it('does not send a queued e-mail to a member disabled before it went out (security s37); the mail log says why', async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [] });
    const member = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Dr. Leaving Soon', panelCalls: [call._id] });
    const kept = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Dr. Staying', panelCalls: [call._id] });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'evaluation', stageEnteredAt: vn('2026-12-07T09:00:00'), stageDueAt: vnEndOfDay(vn('2026-12-21T12:00:00')), profile: { fullName: 'Candidate Named In It' } });
    // Queued by Tuesday morning's run (new since Monday; SMTP down, say); the member leaves before the dispatcher sends it.
    const tuesday = new Date(w.clock.now.getTime() + 26 * 3_600_000);
    const queued = await runReminders(w.ctx, tuesday);
    expect(queued.panelDigests).to.be.at.least(2);
    await User.updateOne({ _id: member._id }, { $set: { disabledAt: new Date() } });
    await dispatchOnce(w.ctx, { owner: 'test', caseIds: [c._id], now: tuesday });
    await w.smtp.waitForTo(kept.email, /Candidate Named In It|new candidate/);
    const items = ((await Case.findById(c._id, { outbox: 1 }).lean())!.outbox ?? []).filter((i) => i.template === 'panel_digest');
    const toGone = items.find((i) => i.to === member.email.toLowerCase());
    expect(toGone?.status, 'the disabled member\'s e-mail').to.equal('dead');
    expect(toGone?.lastError).to.match(/account was disabled/);
    expect(w.smtp.messages.filter((m) => m.to.includes(member.email.toLowerCase())), 'nothing reached the disabled member').to.have.length(0);
    const row = await MailLog.findOne({ source: 'case', key: toGone!.key } as never).lean();
    expect(row?.status).to.equal('dead');
  });
});
