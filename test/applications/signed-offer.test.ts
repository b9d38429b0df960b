// The signed offer or contract is collected (walk 26 #3): once the offer is accepted, when the call's
// checklist asks for it back, the offer_accepted e-mail asks the applicant to sign and upload it (in
// their language), their application page says so while none is uploaded, and HR's next step names
// it until it is accepted (missing, then "check it" once uploaded), linked to the documents. A call
// that does not ask for it asks nothing. Real database, real in-process SMTP, the real pages.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, deliver, text } from './support.ts';

/** The "what happens next" line of a case page, as text. */
function nextLine(html: string): string {
  const m = /<p class="next-step" id="next-step">([\s\S]*?)<\/p>/.exec(html);
  expect(m, 'a next-step line').to.not.equal(null);
  return text(m![1]!.replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ').trim();
}

describe('applications: the signed offer or contract is asked for after the acceptance', () => {
  let t: TestApp;
  let hr: UserDoc;
  let hrVi: UserDoc;
  let applicantEn: UserDoc;
  let applicantVi: UserDoc;
  let asking: CallDoc;
  let silent: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer One', locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Hai', locale: 'vi' });
    applicantEn = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Weber' });
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    asking = await createCall({ institute, checklist: [{ type: 'signed_offer', phase: 'offer', required: true }] });
    silent = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  async function accepted(who: UserDoc, call: CallDoc): Promise<CaseDoc> {
    const c = await createCase({ applicant: who, call, stage: 'offer', assignee: hr, offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() } });
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, who), caseId: c._id, action: 'accept_offer', expectedVersion: c.version });
  }

  const signedOffer = (c: CaseDoc, who: UserDoc, status: 'pending' | 'accepted') =>
    CaseDocument.create({ case: c._id, type: 'signed_offer', slot: 0, version: 1, current: true, storage: 'disk', storageKey: 'f'.repeat(32), originalName: 'signed.pdf', mimeType: 'application/pdf', size: 10, sha256: 'a'.repeat(64), uploadedBy: who._id, status });

  it('asks for it in the offer_accepted e-mail, in English and in Vietnamese', async () => {
    const en = await accepted(applicantEn, asking);
    await deliver(t, en._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, new RegExp(`\\[${en.reference}\\] Welcome`));
    expect(mail.text).to.include('Please sign the offer letter and upload the signed copy on your application page, under “Signed offer or contract”.\n');
    expect(mail.html).to.include('id="signed-offer-ask"');

    const vi = await accepted(applicantVi, asking);
    await deliver(t, vi._id);
    const viMail = await t.smtp.waitForTo(applicantVi.email, new RegExp(`\\[${vi.reference}\\]`));
    expect(viMail.text).to.include('Vui lòng ký thư mời làm việc và tải bản đã ký lên trang hồ sơ của Ông/Bà, tại mục “Thư mời làm việc hoặc hợp đồng đã ký”.');
  });

  it('says it on the applicant’s page and in HR’s next step until it is accepted', async () => {
    const c = await accepted(applicantEn, asking);
    const applicantPage = text((await page(await signedIn(t, applicantEn), `/applications/${c._id}`)).text);
    expect(applicantPage).to.include('Action needed: sign the offer letter and upload the signed copy under “Signed offer or contract”.');

    const h = await signedIn(t, hr);
    const missing = (await page(h, `/cases/${c._id}`)).text;
    expect(nextLine(missing)).to.match(/^Next: HR\. The signed offer or contract is not in yet: ask the applicant for it\. HR runs the support procedures/);
    expect(missing).to.include('href="#documents" id="next-step-link"');
    expect(nextLine((await page(await signedIn(t, hrVi), `/cases/${c._id}`)).text)).to.include('Chưa nhận được thư mời làm việc hoặc hợp đồng đã ký: đề nghị ứng viên gửi.');

    // Uploaded: HR checks it; the applicant is no longer asked.
    const doc = await signedOffer(c, applicantEn, 'pending');
    expect(nextLine((await page(h, `/cases/${c._id}`)).text)).to.include('The signed offer or contract is in: check it under Documents.');
    expect(text((await page(await signedIn(t, applicantEn), `/applications/${c._id}`)).text)).to.not.include('sign the offer letter and upload');

    // Accepted: the line is the procedures' again.
    await CaseDocument.updateOne({ _id: doc._id }, { $set: { status: 'accepted' } });
    const done = nextLine((await page(h, `/cases/${c._id}`)).text);
    expect(done).to.not.include('signed offer');
    expect(done).to.match(/^Next: HR\. HR runs the support procedures/);
  });

  it('asks nothing when the call does not ask for it back, or when it is in already', async () => {
    const c = await accepted(applicantEn, silent);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, new RegExp(`\\[${c.reference}\\] Welcome`));
    expect(mail.text).to.not.include('Please sign the offer letter');
    expect(nextLine((await page(await signedIn(t, hr), `/cases/${c._id}`)).text)).to.not.include('signed offer');

    // Signed and accepted while the offer waited: the acceptance e-mail does not ask again.
    const early = await createCase({ applicant: applicantEn, call: asking, stage: 'offer', assignee: hr, offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() } });
    await signedOffer(early, applicantEn, 'accepted');
    const accept = await transition({ app: t.ctx, ctx: actorContext(t.ctx, applicantEn), caseId: early._id, action: 'accept_offer', expectedVersion: early.version });
    await deliver(t, accept._id);
    const earlyMail = await t.smtp.waitForTo(applicantEn.email, new RegExp(`\\[${early.reference}\\] Welcome`));
    expect(earlyMail.text).to.not.include('Please sign the offer letter');
  });
});
