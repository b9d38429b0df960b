// The applicant's answer to an offer reaches HR when the case has no officer: the institute's HR
// lead(s), else its HR officers, each in their own language, one outbox item (own key) each.
// And an answer HR records from e-mail or post reaches the case's officer when another officer recorded it.
// Real database, real in-process SMTP, the applicant's real confirmation form.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn, deliver } from './support.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { formatDay } from '../../server/views/time.ts';

describe('applications: the answer to an offer reaches HR without an assigned officer', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  /** A case in `institute` offered by its leader, with no officer; the offer e-mail delivered. */
  async function offered(institute: InstituteDoc, applicant: UserDoc): Promise<CaseDoc> {
    const leader = await createUser({ role: 'leader', institute });
    const call = await createCall({ institute, checklist: [] });
    // HR prepared the offer's terms and letter beforehand (an acceptance needs them: offerTermsAttached).
    const c = await createCase({ applicant, call, stage: 'shortlisted', offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId(), updatedAt: new Date() } });
    const made = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'Ranked first.' }, asDecision: true });
    await deliver(t, c._id);
    return made;
  }

  async function answer(who: UserDoc, c: CaseDoc, kind: 'accept' | 'decline') {
    const a = await signedIn(t, who);
    const url = `/applications/${c._id}/offer/${kind}`;
    const confirm = await page(a, url);
    const res = await post(a, confirm.text, url, { version: versionIn(confirm.text, url) });
    expect(res.status).to.equal(303);
  }

  const noticesOf = async (c: CaseDoc) => (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'offer_answered');

  it('goes to the HR lead (not the other officers, nor a disabled lead), in the lead’s language', async () => {
    const institute = await createInstitute();
    const lead = await createUser({ role: 'hr_officer', institute, isHrLead: true, locale: 'vi', name: 'Trưởng nhóm' });
    await createUser({ role: 'hr_officer', institute, isHrLead: true, disabled: true });
    const officer = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(institute, applicant);
    await answer(applicant, c, 'accept');

    const notices = await noticesOf(c);
    expect(notices.map((n) => n.to)).to.deep.equal([lead.email]);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(lead.email, new RegExp(`\\[${c.reference}\\] Ứng viên đã chấp nhận lời mời làm việc`));
    expect(mail.text).to.include('Kính gửi Anh/Chị Trưởng nhóm,');
    // Like every HR e-mail sent for want of an officer: it says no one has the case (both parts).
    expect(mail.text).to.include('Hồ sơ này chưa có cán bộ phụ trách nên thông báo được gửi tới bộ phận nhân sự của viện');
    expect(mail.html).to.include('Hồ sơ này chưa có cán bộ phụ trách nên thông báo được gửi tới bộ phận nhân sự của viện');
    expect((await noticesOf(c)).map((n) => n.status)).to.deep.equal(['sent']);
    expect(t.smtp.to(officer.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });

  it('with no HR lead, goes to every HR officer of the institute, each in their language, one item and key each', async () => {
    const institute = await createInstitute();
    const en = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Officer One' });
    const vi = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'Cán bộ Hai' });
    const gone = await createUser({ role: 'hr_officer', institute, disabled: true });
    const elsewhere = await createUser({ role: 'hr_officer', institute: await createInstitute() });
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await offered(institute, applicant);
    await answer(applicant, c, 'decline');

    const notices = await noticesOf(c);
    expect(notices.map((n) => n.to).sort()).to.deep.equal([en.email, vi.email].sort());
    expect(new Set(notices.map((n) => n.key)).size).to.equal(2);
    await deliver(t, c._id);
    const enMail = await t.smtp.waitForTo(en.email, new RegExp(`\\[${c.reference}\\] The applicant declined the offer`));
    expect(enMail.text).to.include('Dear Officer One,');
    expect(enMail.text).to.include("No officer is assigned to this case yet, so the institute's HR office is told");
    expect(enMail.html).to.include('No officer is assigned to this case yet');
    const viMail = await t.smtp.waitForTo(vi.email, new RegExp(`\\[${c.reference}\\] Ứng viên đã từ chối lời mời làm việc`));
    expect(viMail.text).to.include('Kính gửi Anh/Chị Cán bộ Hai,');
    expect((await noticesOf(c)).map((n) => n.status)).to.deep.equal(['sent', 'sent']);
    for (const other of [gone, elsewhere]) expect(t.smtp.to(other.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });

  it('with an officer on the case, goes to that officer only, under the same key as before', async () => {
    const institute = await createInstitute();
    await createUser({ role: 'hr_officer', institute, isHrLead: true });
    const assignee = await createUser({ role: 'hr_officer', institute });
    const applicant = await createUser({ role: 'applicant' });
    const c = await offered(institute, applicant);
    await Case.updateOne({ _id: c._id }, { $set: { assignee: assignee._id } });
    await answer(applicant, c, 'accept');
    const notices = await noticesOf(c);
    expect(notices.map((n) => n.to)).to.deep.equal([assignee.email]);
    expect(notices[0]!.key).to.equal(`${c._id}.${c.version + 1}.offer_answered`);
  });

  /** HR records, over HTTP, an acceptance that came by e-mail today. */
  async function recordAcceptance(who: UserDoc, c: CaseDoc) {
    const h = await signedIn(t, who);
    const url = `/cases/${c._id}/actions/record_acceptance`;
    const shown = await page(h, `/cases/${c._id}`);
    const res = await post(h, shown.text, url, { version: versionIn(shown.text, url), receivedVia: 'email', receivedOn: vnDateKey(new Date()), reason: 'Accepted by e-mail.' });
    expect(res.status).to.equal(303);
  }

  it('an answer HR records: the assigned officer who recorded it gets no notice (nor the HR lead)', async () => {
    const institute = await createInstitute();
    const lead = await createUser({ role: 'hr_officer', institute, isHrLead: true });
    const assignee = await createUser({ role: 'hr_officer', institute });
    const applicant = await createUser({ role: 'applicant' });
    const c = await offered(institute, applicant);
    await Case.updateOne({ _id: c._id }, { $set: { assignee: assignee._id } });
    await recordAcceptance(assignee, c);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('onboarding');
    expect(await noticesOf(c)).to.have.length(0);
    await deliver(t, c._id);
    await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\] Welcome: offer accepted`));
    for (const hr of [assignee, lead]) expect(t.smtp.to(hr.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });

  it('an answer HR records: recorded by another officer, the assigned one is told (who recorded it, how and when it came), in their language', async () => {
    const institute = await createInstitute();
    const lead = await createUser({ role: 'hr_officer', institute, isHrLead: true });
    const assignee = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'Cán bộ Phụ trách' });
    const colleague = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Colleague Ba' });
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Weber' });
    const c = await offered(institute, applicant);
    await Case.updateOne({ _id: c._id }, { $set: { assignee: assignee._id } });
    await recordAcceptance(colleague, c);
    const notices = await noticesOf(c);
    expect(notices.map((n) => n.to)).to.deep.equal([assignee.email]);
    expect(notices[0]!.key).to.equal(`${c._id}.${c.version + 1}.offer_answered`);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(assignee.email, new RegExp(`\\[${c.reference}\\] Ứng viên đã chấp nhận lời mời làm việc`));
    expect(mail.text).to.include('Kính gửi Anh/Chị Cán bộ Phụ trách,');
    expect(mail.text).to.match(/Ứng viên .* đã chấp nhận lời mời làm việc/);
    expect(mail.text).to.include(`Do Colleague Ba ghi nhận. Câu trả lời nhận qua e-mail ngày ${formatDay(new Date(), 'vi')}.`);
    expect(mail.text).not.to.include('Muộn');
    expect((await noticesOf(c)).map((n) => n.status)).to.deep.equal(['sent']);
    for (const hr of [colleague, lead]) expect(t.smtp.to(hr.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });

  it('a decline HR records from the post, by another officer: the assigned officer is told, with the applicant’s reason', async () => {
    const institute = await createInstitute();
    const assignee = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Officer Assigned' });
    const colleague = await createUser({ role: 'hr_officer', institute, name: 'Colleague Ba' });
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Văn B' });
    const c = await offered(institute, applicant);
    await Case.updateOne({ _id: c._id }, { $set: { assignee: assignee._id } });
    const fresh = (await Case.findById(c._id))!;
    await transition({ app: t.ctx, ctx: actorContext(t.ctx, colleague), caseId: c._id, action: 'record_decline', expectedVersion: fresh.version, payload: { receivedVia: 'post', receivedOn: vnDateKey(new Date()), note: 'Letter received.', reason: 'Family reasons' } });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(assignee.email, new RegExp(`\\[${c.reference}\\] The applicant declined the offer`));
    expect(mail.text).to.match(/The applicant .* declined the offer/);
    expect(mail.text).to.include('Their reason: Family reasons');
    expect(mail.text).to.include(`Recorded by Colleague Ba. It came by post on ${formatDay(new Date(), 'en')}.`);
    // The applicant's own confirmation, as before.
    await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
    expect(t.smtp.to(colleague.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });
});
