// "Export my data" includes the e-mails sent to the applicant about their cases: date, subject,
// status and the text as the dispatcher sent it (kept on the mail log row), or a note when the row
// predates the kept copy. E-mails about the same case to staff (an officer's mention of an internal
// note) and e-mails to other applicants stay out. Real dispatcher, in-process SMTP, real HTTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, uniqueSuffix } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { MailLog } from '../../models/mail-log.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { caseEmail, dispatchOnce, messageIdFor } from '../../server/outbox/index.ts';

const HOLD_REASON = 'Waiting for the institute budget';
const OLD_REASON = 'Sent before copies were kept';
const INTERNAL_NOTE = 'INTERNAL-NOTE: referee sounded unsure';
const OTHER_REASON = 'Another applicant’s hold reason';

describe('privacy: the export includes the e-mails sent to the applicant', function () {
  this.timeout(60_000);
  let t: TestApp;
  let applicant: UserDoc;
  let hr: UserDoc;
  let other: UserDoc;
  let c: CaseDoc;
  let otherCase: CaseDoc;
  const tag = uniqueSuffix();

  async function send(caseDoc: CaseDoc, to: UserDoc, template: string, data: Record<string, unknown>, key: string) {
    await Case.updateOne({ _id: caseDoc._id }, { $push: { outbox: caseEmail(to, template, { reference: caseDoc.reference, link: `${t.baseUrl}/applications/${caseDoc._id}`, name: to.name, ...data }, key) } });
    await dispatchOnce(t.ctx, { owner: 'export-mail-test', caseIds: [caseDoc._id] });
    const received = t.smtp.messages.find((m) => m.messageId === messageIdFor(key));
    expect(received, `delivered ${key}`).to.not.equal(undefined);
    return received!;
  }

  async function exportOf(user: UserDoc) {
    const a = agent(t.app);
    await signIn(a, user);
    const res = await a.get('/account/export').buffer(true).parse((r, cb) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => (body += chunk));
      r.on('end', () => cb(null, body));
    });
    expect(res.status).to.equal(200);
    return res.body as string;
  }

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    const call = await createCall({ institute });
    applicant = await createUser({ role: 'applicant', locale: 'en', email: `export-mail-${tag}@example.test`, name: 'Lan' });
    other = await createUser({ role: 'applicant', locale: 'en', email: `export-mail-other-${tag}@example.test` });
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    c = await createCase({ applicant, call, stage: 'on_hold' });
    otherCase = await createCase({ applicant: other, call, stage: 'on_hold' });
  });
  after(async () => {
    await t?.close();
  });

  it('lists each e-mail to the applicant with its date, subject, status and text as sent; none to staff or to others', async () => {
    const sent = await send(c, applicant, 'on_hold', { reason: HOLD_REASON }, `xm.${tag}.hold`);
    await send(c, applicant, 'on_hold', { reason: OLD_REASON }, `xm.${tag}.old`);
    // A row written before the dispatcher kept what it sent.
    await MailLog.updateOne({ key: `xm.${tag}.old` }, { $unset: { sentText: 1, sentHtml: 1, sentCut: 1 } });
    await send(c, hr, 'note_mention', { author: 'Officer Binh', excerpt: INTERNAL_NOTE }, `xm.${tag}.mention`);
    await send(otherCase, other, 'on_hold', { reason: OTHER_REASON }, `xm.${tag}.other`);

    const text = await exportOf(applicant);
    const data = JSON.parse(text);
    expect(data.cases).to.have.length(1);
    const emails = data.cases[0].emails as Array<Record<string, unknown>>;
    expect(emails).to.have.length(2);
    const [withCopy, old] = emails;
    expect(withCopy).to.include({ subject: sent.subject, status: 'sent' });
    expect(new Date(withCopy!.sentAt as string).getTime()).to.be.a('number').and.not.NaN;
    expect((withCopy!.text as string).replace(/\r\n/g, '\n').trim()).to.equal(sent.text.replace(/\r\n/g, '\n').trim());
    expect(withCopy!.text).to.include(`Reason: ${HOLD_REASON}`);
    expect(withCopy).to.not.have.property('note');
    expect(old).to.include({ status: 'sent' });
    expect(old).to.not.have.property('text');
    expect(old!.note).to.equal('A copy of this e-mail as sent was not kept: it was sent before the Talent Programme kept copies of the e-mails it sends.');

    for (const secret of [INTERNAL_NOTE, OTHER_REASON, OLD_REASON, hr.email, `xm.${tag}.hold`, '"html"', '"lastError"', '"messageId"']) {
      expect(text, secret).not.to.include(secret);
    }
  });

  it('words the note in the applicant’s language (vi), addressing them properly', async () => {
    await User.updateOne({ _id: applicant._id }, { $set: { locale: 'vi' } });
    const data = JSON.parse(await exportOf(applicant));
    const old = (data.cases[0].emails as Array<{ note?: string }>).find((e) => e.note);
    expect(old?.note).to.match(/Ông\/Bà|thư/);
    expect(old?.note).to.not.match(/\bbạn\b/);
  });

  it('gives another applicant only their own e-mail', async () => {
    const data = JSON.parse(await exportOf(other));
    const emails = data.cases[0].emails as Array<{ text?: string }>;
    expect(emails).to.have.length(1);
    expect(emails[0]!.text).to.include(OTHER_REASON);
  });
});
