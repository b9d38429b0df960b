// What the applicant sends reaches someone in HR, over HTTP with the real in-process SMTP server: a
// message on their application is e-mailed to the case's officer (one e-mail per message after a
// quiet period, via the case's outbox, its key naming the message), else to the institute's HR lead(s), else its HR
// officers, each in their language; the page tells the applicant where it went. An answer to an
// information request on a case with no officer reaches the HR lead, and the applicant's receipt
// is still written.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser, withOnlyAdmins } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import type { Agent } from '../support/http.ts';

describe('cases: what the applicant sends reaches HR', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  async function caseIn(institute: InstituteDoc, applicant: UserDoc, assignee?: UserDoc, stage: 'screening' | 'awaiting_applicant' = 'screening', extra: Record<string, unknown> = {}): Promise<CaseDoc> {
    const call = await createCall({ institute, checklist: [] });
    return createCase({ applicant, call, stage, ...(assignee ? { assignee } : {}), profile: { fullName: 'Trần Văn Bình' }, ...extra });
  }

  const url = (c: CaseDoc) => `/applications/${c._id}/messages`;
  const formKeyIn = (html: string, action: string) => new RegExp(`action="${action}"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(html)![1]!;

  /** The applicant's message sent from their page (twice when `twice`: a double submit); the page they land on. */
  async function send(a: Agent, c: CaseDoc, message: string, twice = false) {
    const mine = await page(a, `/applications/${c._id}`);
    const key = formKeyIn(mine.text, url(c));
    const res = await post(a, mine.text, url(c), { text: message, formKey: key });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/applications/${c._id}#messages`);
    if (twice) expect((await post(a, mine.text, url(c), { text: message, formKey: key })).status).to.equal(303);
    return page(a, `/applications/${c._id}`);
  }

  const itemsOf = async (c: CaseDoc) => (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'applicant_message');

  it('e-mails the case’s officer once per message (a double submit: one), in their language, and tells the applicant so', async () => {
    const institute = await createInstitute();
    await createUser({ role: 'hr_officer', institute, isHrLead: true });
    const officer = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'Lê Thị Hoa' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant, officer);
    const a = await signedIn(t, applicant);
    const before = await page(a, `/applications/${c._id}`);
    expect(text(before.text)).to.include('Each message is e-mailed to the HR officer handling your application');

    const after = await send(a, c, 'When will the panel meet?', true);
    expect(text(after.text)).to.include('Your message was sent. The HR officer handling your application has been notified by e-mail; you will get an e-mail when they reply.');
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.messages).to.have.length(1);
    const items = await itemsOf(c);
    expect(items.map((i) => [i.to, i.key])).to.deep.equal([[officer.email, `${c._id}.message.${stored.messages[0]!._id}`]]);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] Tin nhắn của ứng viên Trần Văn Bình`));
    expect(mail.text).to.match(/^Kính gửi Anh\/Chị Lê Thị Hoa,/);
    expect(mail.text).to.include('When will the panel meet?');
    expect(mail.text).to.match(new RegExp(`/cases/${c._id}\\?lang=vi#messages`));
    expect(mail.text).not.to.include('chưa có cán bộ phụ trách');
    expect(mail.text + mail.html).not.to.include('Ông/Bà');
    // A second message soon after waits for the e-mail gathering those written within minutes of the
    // first one's (test/cases/message-digest.test.ts).
    await send(a, c, 'And may I bring my family?');
    expect(await itemsOf(c)).to.have.length(1);
    expect((await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'applicant_message_digest')).to.have.length(1);
  });

  it('with no officer, e-mails the HR lead (not the other officers, nor a disabled lead), saying no one has the case; the applicant is told the HR office was notified', async () => {
    const institute = await createInstitute();
    const lead = await createUser({ role: 'hr_officer', institute, isHrLead: true, locale: 'en', name: 'Lead Nguyen' });
    const disabledLead = await createUser({ role: 'hr_officer', institute, isHrLead: true, disabled: true });
    const officer = await createUser({ role: 'hr_officer', institute });
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await caseIn(institute, applicant);
    const a = await signedIn(t, applicant);
    const after = await send(a, c, 'Tôi đã gửi bằng qua bưu điện.');
    expect(text(after.text)).to.include('Hồ sơ chưa có cán bộ phụ trách nên bộ phận nhân sự của viện đã được thông báo qua e-mail');
    const items = await itemsOf(c);
    const messageId = (await Case.findById(c._id).lean())!.messages[0]!._id;
    expect(items.map((i) => [i.to, i.key])).to.deep.equal([[lead.email, `${c._id}.message.${messageId}.${lead._id}`]]);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(lead.email, new RegExp(`\\[${c.reference}\\] Message from the applicant`));
    expect(mail.text).to.match(/^Dear Lead Nguyen,/);
    expect(mail.text).to.include('No officer is assigned to this case yet');
    for (const other of [disabledLead, officer]) expect(t.smtp.to(other.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });

  it('with no officer and no lead, e-mails each HR officer of the institute (one item and key each); with no HR at all, says no one could be e-mailed', async () => {
    const institute = await createInstitute();
    const one = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const two = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
    const elsewhere = await createUser({ role: 'hr_officer', institute: await createInstitute() });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant);
    await send(await signedIn(t, applicant), c, 'Hello HR.');
    const items = await itemsOf(c);
    expect(items.map((i) => i.to).sort()).to.deep.equal([one.email, two.email].sort());
    expect(new Set(items.map((i) => i.key)).size).to.equal(2);
    expect(items.map((i) => i.to)).not.to.include(elsewhere.email);

    // No HR at all, no HR e-mail, and (for this moment) no enabled administrator, who would be told
    // (test/cases/hr-office-fallback.test.ts): other test files leave administrators in the database.
    const empty = await createInstitute();
    const lonely = await createUser({ role: 'applicant', locale: 'en' });
    const d = await caseIn(empty, lonely);
    const a = await signedIn(t, lonely);
    const landed = await withOnlyAdmins([], () => send(a, d, 'Is anyone there?'));
    expect(text(landed.text)).to.include('Your message is saved on your application, but no one in the HR office could be e-mailed about it.');
    expect(landed.text).to.include('flash-warning');
    expect((await Case.findById(d._id).lean())!.messages).to.have.length(1);
    expect(await itemsOf(d)).to.have.length(0);
  });

  it('an answer to an information request on a case with no officer reaches the HR lead, and the applicant still gets their receipt', async () => {
    const institute = await createInstitute();
    const lead = await createUser({ role: 'hr_officer', institute, isHrLead: true, locale: 'vi', name: 'Trưởng nhóm' });
    const officer = await createUser({ role: 'hr_officer', institute });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const due = new Date(Date.now() + 10 * 86_400_000);
    const c = await caseIn(institute, applicant, undefined, 'awaiting_applicant', { stageDueAt: due, infoRequest: { items: ['Your diploma'], dueAt: due, requestedAt: new Date() } });
    const a = await signedIn(t, applicant);
    const mine = await page(a, `/applications/${c._id}`);
    const action = `/applications/${c._id}/answer`;
    const res = await post(a, mine.text, action, { version: versionIn(mine.text, action), answer: 'I sent it by post yesterday.' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.stage).to.equal('screening');
    expect(stored.outbox.map((o) => [o.template, o.to]).sort()).to.deep.equal([['info_answer_received', applicant.email], ['info_answered', lead.email]]);
    expect(stored.outbox.find((o) => o.template === 'info_answered')!.key).to.equal(`${c._id}.${c.version + 1}.info_answered.${lead._id}`);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(lead.email, new RegExp(`\\[${c.reference}\\]`));
    expect(mail.text).to.match(/^Kính gửi Anh\/Chị Trưởng nhóm,/);
    expect(mail.text).to.include('Hồ sơ này chưa có cán bộ phụ trách');
    await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
    expect(t.smtp.to(officer.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });
});
