// The applicant's answer to an offer reaches HR when the case has no officer: the institute's HR
// lead(s), else its HR officers, each in their own language, one outbox item (own key) each.
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
    expect(mail.text).to.include('Kính gửi Trưởng nhóm,');
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
    const viMail = await t.smtp.waitForTo(vi.email, new RegExp(`\\[${c.reference}\\] Ứng viên đã từ chối lời mời làm việc`));
    expect(viMail.text).to.include('Kính gửi Cán bộ Hai,');
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
});
