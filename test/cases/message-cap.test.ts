// A case keeps so many messages (server/cases/commands.ts): one account cannot grow its case toward
// MongoDB's 16 MB document limit. Over HTTP: the applicant's own messages stop at
// APPLICANT_MESSAGES_PER_CASE, refused (409) in their language with the HR office's e-mail to write
// to (or the page's HR contact), the text kept and nothing stored or owed; HR still answers past it;
// and every message stops at MESSAGES_PER_CASE, HR's refused the same way.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { APPLICANT_MESSAGES_PER_CASE, MESSAGES_PER_CASE } from '../../server/cases/commands.ts';
import { signedIn, page, post, text } from '../applications/support.ts';

describe('cases: how many messages a case keeps', function () {
  this.timeout(120_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  async function world(opts: { locale: 'en' | 'vi'; hrEmail?: string }) {
    const institute: InstituteDoc = await createInstitute(opts.hrEmail ? { hrContact: { email: opts.hrEmail } } : {});
    const officer = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const applicant = await createUser({ role: 'applicant', locale: opts.locale });
    const call = await createCall({ institute, checklist: [] });
    const c = await createCase({ applicant, call, stage: 'screening', assignee: officer });
    return { officer, applicant, c };
  }

  /** Messages written straight into the case, as weeks of conversation would have left them. */
  async function seed(c: CaseDoc, author: UserDoc, fromApplicant: boolean, n: number) {
    const at = new Date('2026-11-01T00:00:00Z');
    const messages = Array.from({ length: n }, (_, i) => ({ _id: new Types.ObjectId(), at, author: author._id, fromApplicant, text: `Earlier ${fromApplicant ? 'question' : 'answer'} ${i}` }));
    await Case.updateOne({ _id: c._id }, { $push: { messages: { $each: messages } } });
  }

  const stored = async (c: CaseDoc) => (await Case.findById(c._id, { messages: 1, outbox: 1 }).lean())!;

  it(`takes ${APPLICANT_MESSAGES_PER_CASE} of the applicant's own, then refuses one more saying to e-mail the HR office, the text kept; HR still answers`, async () => {
    const { officer, applicant, c } = await world({ locale: 'en', hrEmail: 'hr@cap-institute.test' });
    await seed(c, applicant, true, APPLICANT_MESSAGES_PER_CASE - 1);
    await seed(c, officer, false, 50);
    const a = await signedIn(t, applicant);
    const url = `/applications/${c._id}/messages`;

    const mine = await page(a, `/applications/${c._id}`);
    const formKey = new RegExp(`action="${url}"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(mine.text)![1]!;
    expect((await post(a, mine.text, url, { text: 'The last one that fits', formKey })).status).to.equal(303);
    // Sent twice (a double submit): answered as the first, not refused, and kept once.
    expect((await post(a, mine.text, url, { text: 'The last one that fits', formKey })).status).to.equal(303);
    const before = await stored(c);
    expect(before.messages.filter((m) => m.fromApplicant)).to.have.length(APPLICANT_MESSAGES_PER_CASE);

    const again = await page(a, `/applications/${c._id}`);
    const refused = await post(a, again.text, url, { text: 'One more question about the visa' });
    expect(refused.status).to.equal(409);
    expect(text(refused.text)).to.include('Your application already holds as many messages as it can keep, so this one cannot be sent here. Please write to the HR office by e-mail at hr@cap-institute.test instead: your text is kept below so you can copy it.');
    expect(refused.text).to.match(/<textarea[^>]*name="text"[^>]*>\s*One more question about the visa<\/textarea>/);
    const after = await stored(c);
    expect(after.messages).to.have.length(before.messages.length);
    expect(after.outbox).to.have.length(before.outbox.length);

    // HR's answers are not counted against the applicant's: the officer still writes, the applicant is e-mailed.
    const h = await signedIn(t, officer);
    const staff = await page(h, `/cases/${c._id}`);
    expect((await post(h, staff.text, `/cases/${c._id}/messages`, { message: 'Please e-mail us at hr@cap-institute.test from now on.' })).status).to.equal(303);
    const answered = await stored(c);
    expect(answered.messages).to.have.length(before.messages.length + 1);
    expect(answered.outbox.filter((o) => o.template === 'message_received').map((o) => o.to)).to.include(applicant.email);
  });

  it('refuses in Vietnamese, formally, pointing to the HR contact on the page when the institute has no HR e-mail', async () => {
    const { applicant, c } = await world({ locale: 'vi' });
    await seed(c, applicant, true, APPLICANT_MESSAGES_PER_CASE);
    const a = await signedIn(t, applicant);
    const mine = await page(a, `/applications/${c._id}`);
    const refused = await post(a, mine.text, `/applications/${c._id}/messages`, { text: 'Xin hỏi về thị thực' });
    expect(refused.status).to.equal(409);
    const shown = text(refused.text);
    expect(shown).to.include('Hồ sơ của Ông/Bà đã có số tin nhắn tối đa có thể lưu');
    expect(shown).to.include('Kính đề nghị Ông/Bà liên hệ bộ phận nhân sự');
    expect(shown).to.not.match(/\bbạn\b/i);
    expect(refused.text).to.include('Xin hỏi về thị thực</textarea>');
    expect((await stored(c)).messages).to.have.length(APPLICANT_MESSAGES_PER_CASE);
  });

  it(`stops every message at ${MESSAGES_PER_CASE}: HR is refused too, the text kept, and told to e-mail the applicant`, async () => {
    const { officer, applicant, c } = await world({ locale: 'en' });
    await seed(c, applicant, true, 100);
    await seed(c, officer, false, MESSAGES_PER_CASE - 100);
    const h = await signedIn(t, officer);
    const staff = await page(h, `/cases/${c._id}`);
    const refused = await post(h, staff.text, `/cases/${c._id}/messages`, { message: 'Your visa was approved.' });
    expect(refused.status).to.equal(409);
    expect(text(refused.text)).to.include('This case already holds as many messages as one case can keep. Please write to the applicant by e-mail instead.');
    expect(refused.text).to.match(/<textarea[^>]*name="message"[^>]*>\s*Your visa was approved\.<\/textarea>/);
    const after = await stored(c);
    expect(after.messages).to.have.length(MESSAGES_PER_CASE);
    expect(after.outbox.filter((o) => o.template === 'message_received')).to.have.length(0);
  });
});
