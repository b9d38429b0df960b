// The mail log shows what the applicant received: the dispatcher keeps the subject, text and HTML it
// sent (bounded) on the row when the SMTP server accepts it, and the message page shows that copy even
// when rendering the e-mail again today would say something else. A row recorded before the copy was
// kept says plainly that its message is rendered again from today's template. The copy is never read
// by the list. Real dispatcher, the in-process SMTP server, real HTTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, uniqueSuffix } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { UserDoc } from '../../models/user.ts';
import { caseEmail, dispatchOnce, messageIdFor } from '../../server/outbox/index.ts';
import { KEPT_HTML_MAX, KEPT_TEXT_MAX } from '../../server/mail-log/record.ts';
import { text } from '../applications/support.ts';

describe('mail log: the message as it was sent, not rendered again', function () {
  this.timeout(60_000);
  let t: TestApp;
  let admin: Agent;
  let hrVi: Agent;
  let applicant: UserDoc;
  let c: CaseDoc;
  const tag = uniqueSuffix();

  async function send(key: string, reason: string) {
    await Case.updateOne({ _id: c._id }, { $push: { outbox: caseEmail(applicant, 'on_hold', { reference: c.reference, link: `${t.baseUrl}/applications/${c._id}`, name: applicant.name, reason }, key) } });
    await dispatchOnce(t.ctx, { owner: 'sent-copy-test', caseIds: [c._id] });
    const received = t.smtp.messages.find((m) => m.messageId === messageIdFor(key));
    expect(received, 'delivered').to.not.equal(undefined);
    return { received: received!, entry: (await MailLog.findOne({ key }).lean())! };
  }
  /** What rendering it again reads, changed after the sending (as a template edited since, or facts lines added since, would change it). */
  const changeLater = (key: string, reason: string) => Case.updateOne({ _id: c._id, 'outbox.key': key }, { $set: { 'outbox.$.data.reason': reason } });
  const shownText = (html: string) => text(/<pre class="mail-text" id="mail-text">([\s\S]*?)<\/pre>/.exec(html)![1]!);

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    applicant = await createUser({ role: 'applicant', locale: 'en', email: `sent-copy-${tag}@example.test`, name: 'Lan' });
    c = await createCase({ applicant, call: await createCall({ institute }), stage: 'submitted' });
    admin = agent(t.app);
    await signIn(admin, await createUser({ role: 'admin', locale: 'en' }));
    hrVi = agent(t.app);
    await signIn(hrVi, await createUser({ role: 'hr_officer', institute, locale: 'vi' }));
  });
  after(async () => {
    await t?.close();
  });

  it('keeps the sent subject, text and HTML on the row (not read by the list) and shows them, whatever a render today says', async () => {
    const key = `sc.${c._id}.hold`;
    const { received, entry } = await send(key, 'Waiting for the budget');
    // The list's reads leave the copy out (select: false): fifty rows never carry fifty messages.
    expect(entry).to.not.have.property('sentText');
    const kept = (await MailLog.findById(entry._id).select('+sentText +sentHtml').lean())!;
    expect(kept.subject).to.equal(received.subject);
    expect(kept.sentText!.replace(/\r\n/g, '\n').trim()).to.equal(received.text.replace(/\r\n/g, '\n').trim());
    expect(kept.sentHtml).to.include('Waiting for the budget');

    await changeLater(key, 'Rendered today, never sent');
    const page = await admin.get(`/mail-log/${entry._id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(shownText(page.text)).to.include('Reason: Waiting for the budget');
    expect(page.text).to.not.include('Rendered today, never sent');
    expect(text(page.text)).to.include('The message as it was sent');
    const preview = await admin.get(`/mail-log/${entry._id}/preview`).set('Accept', 'text/html');
    expect(preview.status).to.equal(200);
    expect(preview.text).to.include('Waiting for the budget').and.not.include('Rendered today');
    // HR, in Vietnamese, reads the same copy, told so in their language.
    const vi = await hrVi.get(`/mail-log/${entry._id}`).set('Accept', 'text/html');
    expect(shownText(vi.text)).to.include('Reason: Waiting for the budget');
    expect(text(vi.text)).to.include('Nội dung thư đúng như đã gửi');
  });

  it('says plainly that a row recorded before the copy was kept is rendered again from today\'s template (en, vi)', async () => {
    const key = `sc.${c._id}.hold.old`;
    const { entry } = await send(key, 'Sent long ago');
    await MailLog.updateOne({ _id: entry._id }, { $unset: { sentText: 1, sentHtml: 1 } });
    await changeLater(key, 'What today renders');
    const page = await admin.get(`/mail-log/${entry._id}`).set('Accept', 'text/html');
    expect(shownText(page.text)).to.include('What today renders');
    expect(text(page.text)).to.include("Recorded before the mail log kept what was sent: rendered again from today's template, it may differ from what the recipient received.");
    const vi = await hrVi.get(`/mail-log/${entry._id}`).set('Accept', 'text/html');
    expect(text(vi.text)).to.include('Thư này được ghi trước khi nhật ký lưu nội dung đã gửi');
    expect(text(vi.text)).to.not.match(/\bbạn\b/);
  });

  it('bounds the copy: a text over the limit is cut (and said so), an HTML part over it is not kept', async () => {
    const key = `sc.${c._id}.hold.long`;
    const long = 'x'.repeat(KEPT_HTML_MAX + 1000);
    await send(key, long);
    const kept = (await MailLog.findOne({ key }).select('+sentText +sentHtml +sentCut').lean())!;
    expect(kept.sentText!.length).to.equal(KEPT_TEXT_MAX);
    expect(kept.sentHtml ?? null).to.equal(null);
    expect(kept.sentCut).to.equal(true);
    const page = await admin.get(`/mail-log/${kept._id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(text(page.text)).to.include(`The text is shown up to its first ${KEPT_TEXT_MAX.toLocaleString('en')} characters`);
    expect((await admin.get(`/mail-log/${kept._id}/preview`).set('Accept', 'text/html')).status).to.equal(404);
  });
});
