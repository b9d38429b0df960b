// HR hears of an applicant's messages once per window, not once per message
// (server/cases/message-digest.ts), over HTTP with the real database and the real in-process SMTP
// server, the clock moved by hand: the first message after a quiet period is e-mailed at once;
// those written within 10 minutes of that e-mail are gathered into one e-mail sent when the window
// ends, listing each in order; a restarted app (two dispatchers at once) sends it once; it goes to
// whoever is to be told when it is sent.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { createInstitute, createUser, withOnlyAdmins } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Types } from 'mongoose';
import { Case, type CaseDoc } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { signedIn, page, post, deliver, text } from '../applications/support.ts';
import type { Agent } from '../support/http.ts';

const MINUTE = 60_000;
const WINDOW = 10 * MINUTE;

describe('cases: the applicant’s messages reach HR in one e-mail per window', function () {
  this.timeout(120_000);
  let smtp: TestSmtp;
  let t: TestApp;
  // The app's clock (requests and the dispatcher); moved forward by the tests.
  let clock = Date.now();
  const now = () => new Date(clock);

  before(async () => {
    smtp = await startTestSmtp();
    t = await startTestApp({ now, smtp });
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  async function caseIn(institute: InstituteDoc, applicant: UserDoc, assignee?: UserDoc): Promise<CaseDoc> {
    const call = await createCall({ institute, checklist: [] });
    return createCase({ applicant, call, stage: 'screening', ...(assignee ? { assignee } : {}), profile: { fullName: 'Trần Văn Bình' } });
  }

  const url = (c: CaseDoc) => `/applications/${c._id}/messages`;
  /** The newest message the case page showed, sent back with HR's reply (server/cases/message-digest.ts dropAnsweredDigest). */
  const seenIn = (html: string) => /name="seenMessage" value="([a-f0-9]{24})"/.exec(html)?.[1] ?? '';
  const formKeyIn = (html: string, action: string) => new RegExp(`action="${action}"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(html)![1]!;

  /** The applicant's message from their page; the text of the page they land on (its flash). */
  async function send(a: Agent, c: CaseDoc, words: string): Promise<string> {
    const mine = await page(a, `/applications/${c._id}`);
    const res = await post(a, mine.text, url(c), { text: words, formKey: formKeyIn(mine.text, url(c)) });
    expect(res.status, words).to.equal(303);
    return text((await page(a, `/applications/${c._id}`)).text);
  }

  const outbox = async (c: CaseDoc) => (await Case.findById(c._id).lean())!.outbox;
  const digests = async (c: CaseDoc) => (await outbox(c)).filter((o) => o.template === 'applicant_message_digest');
  const prompts = async (c: CaseDoc) => (await outbox(c)).filter((o) => o.template === 'applicant_message');
  const mailsOf = (c: CaseDoc, to: string) => smtp.to(to).filter((m) => m.subject.includes(c.reference));

  /** A case with its officer, its first message e-mailed at once (the window opens when it is sent). */
  async function opened(officerLocale: 'en' | 'vi' = 'en') {
    const institute = await createInstitute();
    const lead = await createUser({ role: 'hr_officer', institute, isHrLead: true, locale: 'en', name: 'Lead Pham' });
    const officer = await createUser({ role: 'hr_officer', institute, locale: officerLocale, name: 'Officer Hoa' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant, officer);
    const a = await signedIn(t, applicant);
    await send(a, c, 'First question: when does the panel meet?');
    expect(await prompts(c)).to.have.length(1);
    expect(await digests(c)).to.have.length(0);
    await deliver(t, c._id);
    await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] (Message from the applicant|Tin nhắn của ứng viên)`));
    return { institute, lead, officer, applicant, c, a, sentAt: clock };
  }

  it('gathers five messages written within 10 minutes of the first one’s e-mail into one e-mail, sent when the window ends, listing each in order with one link', async () => {
    const { officer, c, a, sentAt } = await opened();
    const words = ['Second: may I bring my family?', 'Third: is housing offered?', 'Fourth: <b>urgent</b> & important', 'Fifth: which visa?', 'Sixth: thank you.'];
    for (const w of words) {
      clock += MINUTE;
      // The applicant is told it waits, and for how long at most.
      expect(await send(a, c, w)).to.include('Your message was sent. The HR officer handling your application was e-mailed about your messages a short while ago: this one reaches them within 10 minutes, in one e-mail with any others you write meanwhile.');
    }
    const [digest, ...more] = await digests(c);
    expect(more).to.have.length(0);
    expect(await prompts(c)).to.have.length(1);
    expect(digest!.nextAttemptAt.getTime()).to.equal(sentAt + WINDOW);
    expect((digest!.data as { messages: Array<{ text: string }> }).messages.map((m) => m.text)).to.deep.equal(words);

    // HR's case page lists it as waiting, addressed when sent (the officer known now may change), not to the officer of now.
    const waiting = (await (await signedIn(t, officer)).get(`/cases/${c._id}`).set('Accept', 'text/html')).text;
    const waitingRow = waiting.slice(waiting.indexOf('Messages from the applicant gathered into one e-mail'));
    expect(waitingRow.slice(0, waitingRow.indexOf('</tr>'))).to.include('HR: who handles the case when it is sent').and.not.include(officer.email);

    // Not before the window ends.
    await deliver(t, c._id);
    expect(mailsOf(c, officer.email)).to.have.length(1);
    clock = sentAt + WINDOW;
    await deliver(t, c._id);
    const mail = await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] 5 messages from the applicant Trần Văn Bình`));
    expect(mailsOf(c, officer.email)).to.have.length(2);
    expect(mail.messageId).to.equal(`<${digest!.key}@talent.local>`);
    expect(mail.text).to.match(/^Dear Officer Hoa,\n\nThe applicant Trần Văn Bình has written 5 messages on their application since HR was last e-mailed/);
    const at = words.map((w) => mail.text.indexOf(w));
    expect(at.every((p) => p > 0), 'every message is listed').to.equal(true);
    expect([...at].sort((x, y) => x - y)).to.deep.equal(at);
    // Each with its time, in the reader's language (Vietnam's time zone).
    expect(mail.text.match(/\d{1,2} \w{3} \d{4}, \d\d:\d\d \(UTC\+7\)/g)).to.have.length(5);
    const link = `/cases/${c._id}?lang=en#messages`;
    expect(mail.text.split(link)).to.have.length(2);
    expect(mail.html.split(`/cases/${c._id}?lang&#x3D;en#messages`)).to.have.length(2);
    expect(mail.html).to.include('Fourth: &lt;b&gt;urgent&lt;/b&gt; &amp; important');
    expect(mail.text).not.to.include('No officer is assigned');
    // Sent once: the dispatcher runs again, nothing more.
    await deliver(t, c._id);
    expect(mailsOf(c, officer.email)).to.have.length(2);
    expect((await digests(c))[0]!.status).to.equal('sent');

    // The mail log lists it like any other e-mail, by its name; its page shows what was sent.
    const staff = await signedIn(t, officer);
    const log = await staff.get(`/mail-log?reference=${c.reference}`).set('Accept', 'text/html');
    const row = new RegExp(`<tr data-id="([0-9a-f]{24})" data-key="${digest!.key.replace(/\./g, '\\.')}">([\\s\\S]*?)</tr>`).exec(log.text);
    expect(row, 'the digest is in the mail log').to.not.equal(null);
    expect(row![2]).to.include('Messages from the applicant gathered into one e-mail').and.include(officer.email).and.include('Sent');
    const shown = await staff.get(`/mail-log/${row![1]}`).set('Accept', 'text/html');
    expect(shown.status).to.equal(200);
    expect(shown.text).to.include('Sixth: thank you.');
  });

  it('e-mails a message after a quiet window at once again; one written within the window of a digest waits for the next', async () => {
    const { officer, c, a, sentAt } = await opened();
    clock = sentAt + WINDOW + MINUTE;
    await send(a, c, 'After a quiet spell.');
    expect(await digests(c)).to.have.length(0);
    expect(await prompts(c)).to.have.length(2);
    await deliver(t, c._id);
    await smtp.waitFor((m) => m.to.includes(officer.email) && m.text.includes('After a quiet spell.'));
    const secondAt = clock;
    // Two messages sent at the same moment: one digest lists both.
    clock += 2 * MINUTE;
    const pages = await Promise.all([page(a, `/applications/${c._id}`), page(a, `/applications/${c._id}`)]);
    const sent = await Promise.all(pages.map((p, i) => post(a, p.text, url(c), { text: `Together ${i}`, formKey: formKeyIn(p.text, url(c)) })));
    expect(sent.map((r) => r.status)).to.deep.equal([303, 303]);
    const [digest, ...more] = await digests(c);
    expect(more).to.have.length(0);
    expect((digest!.data as { messages: Array<{ text: string }> }).messages.map((m) => m.text).sort()).to.deep.equal(['Together 0', 'Together 1']);
    expect(digest!.nextAttemptAt.getTime()).to.equal(secondAt + WINDOW);
    clock = secondAt + WINDOW;
    await deliver(t, c._id);
    const mail = await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] 2 messages`));
    // Within 10 minutes of that digest: the next one gathers it.
    clock += 4 * MINUTE;
    await send(a, c, 'One more, soon after.');
    expect((await digests(c)).map((d) => d.status)).to.deep.equal(['sent', 'pending']);
    expect((await digests(c))[1]!.nextAttemptAt.getTime()).to.equal(secondAt + 2 * WINDOW);
    clock = secondAt + 2 * WINDOW;
    await deliver(t, c._id);
    const one = await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] 1 message from the applicant`));
    expect(one.text).to.include('has written 1 message on their application');
    expect(one.messageId).not.to.equal(mail.messageId);
    expect(mailsOf(c, officer.email)).to.have.length(4);
  });

  // Walk (walk-staff #12): the officer answered on the case at once, and ten minutes later still got
  // "1 message from the applicant … please answer it on the case page" about the message answered.
  it('drops a gathering digest once HR answers on the case: no e-mail asks them to answer what they answered; a message after the answer is still gathered and sent', async () => {
    const { officer, applicant, c, a, sentAt } = await opened();
    clock = sentAt + 2 * MINUTE;
    await send(a, c, 'Second: may I bring my family?');
    expect(await digests(c)).to.have.length(1);
    clock += MINUTE;
    const h = await signedIn(t, officer);
    const casePage = await page(h, `/cases/${c._id}`);
    const reply = await post(h, casePage.text, `/cases/${c._id}/messages`, { message: 'Yes: family support is part of the offer.', formKey: formKeyIn(casePage.text, `/cases/${c._id}/messages`), seenMessage: seenIn(casePage.text) });
    expect(reply.status, reply.text.slice(0, 300)).to.equal(303);
    expect(await digests(c), 'the answered digest is dropped').to.have.length(0);
    await deliver(t, c._id);
    await smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
    // The case's e-mails list no digest waiting for the officer.
    expect(text((await page(h, `/cases/${c._id}`)).text)).not.to.include('Waiting to be sent');

    // Written after the answer, within the window of the first e-mail: gathered, and sent at its end.
    clock = sentAt + 5 * MINUTE;
    await send(a, c, 'Third: and schooling?');
    const [next, ...more] = await digests(c);
    expect(more).to.have.length(0);
    expect((next!.data as { messages: Array<{ text: string }> }).messages.map((m) => m.text)).to.deep.equal(['Third: and schooling?']);
    clock = sentAt + WINDOW;
    await deliver(t, c._id);
    const mail = await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] 1 message from the applicant`));
    expect(mail.text).to.include('Third: and schooling?').and.not.to.include('may I bring my family');
    expect(mailsOf(c, officer.email), 'the first message’s e-mail and the digest of the third, none for the second').to.have.length(2);
  });

  it('survives a restart mid-window: a fresh app’s two dispatchers, at once, send the digest once', async () => {
    const { officer, c, a, sentAt } = await opened();
    clock += MINUTE;
    await send(a, c, 'Written before the restart.');
    clock += MINUTE;
    await send(a, c, 'Also before it.');
    // The web process stops; two new ones start on the same database.
    await t.close();
    t = await startTestApp({ now, smtp });
    const other = await startTestApp({ now, smtp });
    try {
      clock = sentAt + WINDOW;
      const runs = await Promise.all([t.ctx, other.ctx, t.ctx].map((ctx, i) => dispatchOnce(ctx, { owner: `instance-${i}`, caseIds: [c._id] })));
      expect(runs.reduce((n, r) => n + r.sent, 0)).to.equal(1);
      const mail = await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] 2 messages`));
      expect(mail.text.indexOf('Written before the restart.')).to.be.lessThan(mail.text.indexOf('Also before it.'));
      await Promise.all([dispatchOnce(t.ctx, { owner: 'again', caseIds: [c._id] }), dispatchOnce(other.ctx, { owner: 'again-2', caseIds: [c._id] })]);
      expect(mailsOf(c, officer.email)).to.have.length(2);
    } finally {
      await other.close();
    }
  });

  it('a message written while the digest is being sent is not lost nor slipped into it: the next digest lists it', async () => {
    const { officer, c, a, sentAt } = await opened();
    clock += MINUTE;
    await send(a, c, 'Before the send.');
    clock = sentAt + WINDOW;
    // The SMTP server holds its answer: the dispatcher has claimed the digest and is sending it.
    let release!: () => void;
    smtp.held = new Promise<void>((r) => (release = r));
    const sending = deliver(t, c._id);
    try {
      for (let i = 0; i < 100 && !(await digests(c))[0]?.leaseOwner; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await digests(c))[0]!.leaseOwner, 'the digest is claimed').to.be.a('string');
      clock += 1000;
      await send(a, c, 'During the send.');
    } finally {
      smtp.held = undefined;
      release();
    }
    await sending;
    const first = await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] 1 message`));
    expect(first.text).to.include('Before the send.').and.not.include('During the send.');
    const [, next, ...more] = await digests(c);
    expect(more).to.have.length(0);
    expect(next!.status).to.equal('pending');
    expect(next!.nextAttemptAt.getTime()).to.equal(sentAt + 2 * WINDOW);
    clock = sentAt + 2 * WINDOW;
    await deliver(t, c._id);
    await smtp.waitFor((m) => m.to.includes(officer.email) && m.text.includes('During the send.'));
    expect(mailsOf(c, officer.email)).to.have.length(3);
  });

  it('goes to whoever is to be told when it is sent: an officer assigned meanwhile (in their language), or the HR lead once the case is back in the queue', async () => {
    const { lead, officer, c, a, sentAt, institute } = await opened('en');
    const newcomer = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'Lê Thị Mai' });
    clock += MINUTE;
    await send(a, c, 'Written while Officer Hoa had the case.');
    // The lead gives the case to another officer mid-window.
    const staff = await signedIn(t, lead);
    const shown = await page(staff, `/cases/${c._id}`);
    expect((await post(staff, shown.text, `/cases/${c._id}/assign`, { assignee: String(newcomer._id) })).status).to.equal(303);
    clock = sentAt + WINDOW;
    await deliver(t, c._id);
    const mail = await smtp.waitForTo(newcomer.email, new RegExp(`\\[${c.reference}\\] 1 tin nhắn của ứng viên Trần Văn Bình`));
    expect(mail.text).to.match(/^Kính gửi Anh\/Chị Lê Thị Mai,\n/);
    expect(mail.text).to.include('Written while Officer Hoa had the case.');
    expect(mail.text).to.match(/\d{1,2}\/\d{1,2}\/\d{4}, \d\d:\d\d \(UTC\+7\)/);
    expect(mail.text).to.include(`/cases/${c._id}?lang=vi#messages`);
    expect(mail.text + mail.html).not.to.match(/Ông\/Bà|(?<!\p{L})bạn(?!\p{L})/iu);
    expect(mailsOf(c, officer.email)).to.have.length(1);

    // Back in the queue mid-window: the HR lead hears of it, told no officer has the case.
    const digestSentAt = clock;
    clock += MINUTE;
    await send(a, c, 'Written after the case went back to the queue.');
    const again = await page(staff, `/cases/${c._id}`);
    expect((await post(staff, again.text, `/cases/${c._id}/assign`, { assignee: '' })).status).to.equal(303);
    clock = digestSentAt + WINDOW;
    await deliver(t, c._id);
    const toLead = await smtp.waitForTo(lead.email, new RegExp(`\\[${c.reference}\\] 1 message`));
    expect(toLead.text).to.match(/^Dear Lead Pham,/);
    expect(toLead.text).to.include('Written after the case went back to the queue.');
    expect(toLead.text).to.include("No officer is assigned to this case yet, so the institute's HR office is told");
    expect(mailsOf(c, newcomer.email)).to.have.length(1);
  });

  it('is recorded as failed, saying why, when no one in HR is left to tell at the window’s end (the mail log lists it to requeue)', async () => {
    const institute = await createInstitute();
    const only = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Only Officer' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant, only);
    const a = await signedIn(t, applicant);
    await send(a, c, 'Hello.');
    await deliver(t, c._id);
    const sentAt = clock;
    clock += MINUTE;
    await send(a, c, 'Still there?');
    // The officer's account is disabled and (for this moment) no administrator is enabled either:
    // other test files leave administrators in the database.
    await User.updateOne({ _id: only._id }, { $set: { disabledAt: new Date() } });
    clock = sentAt + WINDOW;
    await withOnlyAdmins([], () => deliver(t, c._id));
    const [digest] = await digests(c);
    expect(digest!.status).to.equal('dead');
    expect(digest!.lastError).to.match(/no one in HR to tell/);
    expect(await MailLog.findOne({ key: digest!.key }).lean()).to.include({ status: 'dead', template: 'applicant_message_digest' });
  });

  it('with MESSAGE_DIGEST_MINUTES=0, e-mails every message at once, as before', async () => {
    const own = await startTestApp({ now, smtp, env: { MESSAGE_DIGEST_MINUTES: '0' } });
    try {
      const institute = await createInstitute();
      const officer = await createUser({ role: 'hr_officer', institute, locale: 'en' });
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await caseIn(institute, applicant, officer);
      const a = await signedIn(own, applicant);
      expect(await send(a, c, 'One.')).to.include('The HR officer handling your application has been notified by e-mail');
      expect(await send(a, c, 'Two.')).to.include('The HR officer handling your application has been notified by e-mail');
      expect((await prompts(c)).length).to.equal(2);
      expect(await digests(c)).to.have.length(0);
    } finally {
      await own.close();
    }
  });

  it('is an e-mail template administrators can open and preview in both languages, addressing staff as "Anh/Chị"', async () => {
    const admin = await signedIn(t, await createUser({ role: 'admin', locale: 'en' }));
    for (const [locale, greeting] of [['en', 'Dear {{name}},'], ['vi', 'Kính gửi Anh/Chị {{name}},']] as const) {
      const editor = await admin.get(`/admin/email-templates/applicant_message_digest/${locale}`).set('Accept', 'text/html');
      expect(editor.status, locale).to.equal(200);
      expect(editor.text, locale).to.include(greeting);
    }
    // The preview (sample data): the list of messages, in the page's language, to staff.
    const vi = await admin.get('/admin/email-templates/applicant_message_digest/vi/preview').set('Accept', 'text/html');
    expect(vi.status).to.equal(200);
    expect(vi.text).to.include('Kính gửi Anh/Chị').and.include('2 tin nhắn').and.not.include('Ông/Bà');
    const list = await admin.get('/admin/email-templates').set('Accept', 'text/html');
    expect(list.text).to.include('applicant_message_digest');
  });

  it('with no officer and no lead, each of the few HR officers gets the digest once, under their own Message-ID', async () => {
    const institute = await createInstitute();
    const one = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'One' });
    const two = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'Hai' });
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await caseIn(institute, applicant);
    const a = await signedIn(t, applicant);
    await send(a, c, 'Hello HR.');
    await deliver(t, c._id);
    const sentAt = clock;
    clock += MINUTE;
    expect(await send(a, c, 'Anyone there?')).to.include('Hồ sơ chưa có cán bộ phụ trách; bộ phận nhân sự của viện vừa được thông báo qua e-mail về tin nhắn của Ông/Bà: tin nhắn này sẽ được báo tới bộ phận nhân sự trong vòng 10 phút');
    clock = sentAt + WINDOW;
    await deliver(t, c._id);
    const en = await smtp.waitForTo(one.email, new RegExp(`\\[${c.reference}\\] 1 message`));
    const vi = await smtp.waitForTo(two.email, new RegExp(`\\[${c.reference}\\] 1 tin nhắn`));
    expect(en.messageId).not.to.equal(vi.messageId);
    for (const m of [en, vi]) expect(m.text).to.include('Anyone there?');
    await deliver(t, c._id);
    expect(mailsOf(c, one.email)).to.have.length(2);
    expect(mailsOf(c, two.email)).to.have.length(2);
    expect((await digests(c)).map((d) => d.status)).to.deep.equal(['sent', 'sent']);
  });

  // trust-fix #3: the reply dropped the whole digest, with it a message that came after the officer's
  // page was opened: that message then reached HR by no e-mail, only on the page.
  it('a reply drops only the messages the officer’s page showed: one written after the page was opened is still e-mailed; stale or hostile values drop nothing', async () => {
    const { officer, c, a, sentAt } = await opened();
    clock = sentAt + MINUTE;
    await send(a, c, 'SEEN-ONE: may I bring my family?');
    const h = await signedIn(t, officer);
    const url = `/cases/${c._id}/messages`;
    const opened1 = await page(h, `/cases/${c._id}`);
    expect(text(opened1.text)).to.include('SEEN-ONE');
    // Written while the officer reads their page.
    clock += MINUTE;
    await send(a, c, 'UNSEEN-TWO: and is housing offered?');
    const listed = async () => ((await digests(c))[0]?.data as { messages?: Array<{ text: string }> } | undefined)?.messages?.map((m) => m.text);
    expect(await listed()).to.deep.equal(['SEEN-ONE: may I bring my family?', 'UNSEEN-TWO: and is housing offered?']);

    // Stale or hostile values of the field drop nothing (each reply its own form).
    const other = await caseIn(await createInstitute(), await createUser({ role: 'applicant', locale: 'en' }));
    await Case.updateOne({ _id: other._id }, { $push: { messages: { _id: new Types.ObjectId(), at: now(), author: other.applicant, fromApplicant: true, text: 'elsewhere' } } });
    const otherId = String((await Case.findById(other._id).lean())!.messages[0]!._id);
    for (const hostile of [{ seenMessage: otherId }, { seenMessage: 'zz' }, { 'seenMessage[$gt]': '' }, { seenMessage: [seenIn(opened1.text), seenIn(opened1.text)] }, { '__proto__[seenMessage]': seenIn(opened1.text) }, {}]) {
      const form = await page(h, `/cases/${c._id}`);
      const res = await post(h, form.text, url, { message: `A reply (${JSON.stringify(hostile)})`, formKey: formKeyIn(form.text, url), ...(hostile as Record<string, string>) });
      // A `$` key is refused before the route (400); any other value is a reply that drops nothing.
      expect(res.status, JSON.stringify(hostile)).to.equal(JSON.stringify(hostile).includes('$') ? 400 : 303);
      expect(await listed(), JSON.stringify(hostile)).to.deep.equal(['SEEN-ONE: may I bring my family?', 'UNSEEN-TWO: and is housing offered?']);
    }

    // The reply from the page opened before the second message: only the first is answered.
    const reply = await post(h, opened1.text, url, { message: 'Yes: family support is part of the offer.', formKey: formKeyIn(opened1.text, url), seenMessage: seenIn(opened1.text) });
    expect(reply.status).to.equal(303);
    expect(await listed()).to.deep.equal(['UNSEEN-TWO: and is housing offered?']);
    clock = sentAt + WINDOW;
    await deliver(t, c._id);
    const mail = await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] 1 message from the applicant`));
    expect(mail.text).to.include('UNSEEN-TWO').and.not.include('SEEN-ONE');

    // A page showing every message answers them all: the digest is dropped, no e-mail.
    clock += MINUTE;
    await send(a, c, 'THIRD: and schooling?');
    const all = await page(h, `/cases/${c._id}`);
    expect((await post(h, all.text, url, { message: 'Schools: yes.', formKey: formKeyIn(all.text, url), seenMessage: seenIn(all.text) })).status).to.equal(303);
    expect(await digests(c).then((d) => d.filter((x) => x.status === 'pending'))).to.have.length(0);
  });

  // Security review s32: two officers answering at once, each from a page that showed a different
  // newest message, with one written after both pages: each drops what its page showed, the last stays.
  it('two officers replying at once drop what each page showed, together; a message neither saw is still e-mailed', async () => {
    const { lead, officer, c, a, sentAt } = await opened();
    clock = sentAt + MINUTE;
    await send(a, c, 'ALPHA: first');
    const hOfficer = await signedIn(t, officer);
    const hLead = await signedIn(t, lead);
    const url = `/cases/${c._id}/messages`;
    const pageOfficer = await page(hOfficer, `/cases/${c._id}`);
    clock += MINUTE;
    await send(a, c, 'BRAVO: second');
    const pageLead = await page(hLead, `/cases/${c._id}`);
    clock += MINUTE;
    await send(a, c, 'CHARLIE: third, after both pages');
    const listed = async () => ((await digests(c))[0]?.data as { messages?: Array<{ text: string }> } | undefined)?.messages?.map((m) => m.text);
    expect(await listed()).to.deep.equal(['ALPHA: first', 'BRAVO: second', 'CHARLIE: third, after both pages']);
    const [r1, r2] = await Promise.all([
      post(hOfficer, pageOfficer.text, url, { message: 'Answer to alpha.', formKey: formKeyIn(pageOfficer.text, url), seenMessage: seenIn(pageOfficer.text) }),
      post(hLead, pageLead.text, url, { message: 'Answer to bravo.', formKey: formKeyIn(pageLead.text, url), seenMessage: seenIn(pageLead.text) }),
    ]);
    expect([r1.status, r2.status]).to.deep.equal([303, 303]);
    expect(await listed()).to.deep.equal(['CHARLIE: third, after both pages']);
    clock = sentAt + WINDOW;
    await deliver(t, c._id);
    const mail = await smtp.waitForTo(officer.email, new RegExp(`\\[${c.reference}\\] 1 message from the applicant`));
    expect(mail.text).to.include('CHARLIE').and.not.include('ALPHA').and.not.include('BRAVO');
  });

  // trust-fix #2: a digest that needed a third attempt (SMTP refusing one reader twice) listed to
  // another reader, in a further copy, the messages their first copy had already told them.
  it('a digest tried three times reaches each reader of the HR office with each message exactly once, never lost, across a restart', async () => {
    const institute = await createInstitute();
    const one = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'One' });
    const two = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Two' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant);
    const a = await signedIn(t, applicant);
    const words = ['MSG-A first', 'MSG-B second', 'MSG-C third', 'MSG-D fourth', 'MSG-E fifth'];
    await send(a, c, words[0]!);
    await deliver(t, c._id);
    const sentAt = clock;
    clock += MINUTE;
    await send(a, c, words[1]!);
    smtp.decide = (to) => (to === one.email ? 'tempfail' : undefined);
    try {
      // Attempt 1: refused for One; Two's copy goes.
      clock = sentAt + WINDOW;
      await deliver(t, c._id);
      await smtp.waitFor((m) => m.to.includes(two.email) && m.text.includes('MSG-B'));
      clock += MINUTE;
      await send(a, c, words[2]!);
      // The web process stops; a new one takes over on the same database.
      await t.close();
      t = await startTestApp({ now, smtp });
      // Attempt 2: refused again; a message after it.
      clock += 10 * MINUTE;
      await deliver(t, c._id);
      clock += MINUTE;
      await send(a, c, words[3]!);
      clock += 10 * MINUTE;
      await deliver(t, c._id);
      clock += MINUTE;
      await send(a, c, words[4]!);
    } finally {
      smtp.decide = undefined;
    }
    // Attempt 3 and whatever else is owed, SMTP accepting again.
    for (let i = 0; i < 4; i++) {
      clock += 3 * WINDOW;
      await deliver(t, c._id);
    }
    expect((await outbox(c)).filter((o) => o.status !== 'sent').map((o) => `${o.template} ${o.status} ${o.to}`)).to.deep.equal([]);
    for (const reader of [one, two]) {
      const mails = mailsOf(c, reader.email);
      for (const w of words) expect(mails.filter((m) => m.text.includes(w)).length, `${reader.name}: ${w}`).to.equal(1);
      expect(new Set(mails.map((m) => m.messageId)).size, `${reader.name}: one Message-ID per e-mail`).to.equal(mails.length);
    }
  });

  it('a retried digest whose reader is no longer to be told, every other reader having had their copy, is not sent again to anyone: recorded as not sent, saying why', async () => {
    const institute = await createInstitute();
    const one = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'One' });
    const two = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Two' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant);
    const a = await signedIn(t, applicant);
    await send(a, c, 'COVER-A first');
    await deliver(t, c._id);
    const sentAt = clock;
    clock += MINUTE;
    await send(a, c, 'COVER-B second');
    smtp.decide = (to) => (to === one.email ? 'tempfail' : undefined);
    try {
      clock = sentAt + WINDOW;
      await deliver(t, c._id);
      await smtp.waitFor((m) => m.to.includes(two.email) && m.text.includes('COVER-B'));
    } finally {
      smtp.decide = undefined;
    }
    // One leaves; Two, the only reader now, has had their copy.
    await User.updateOne({ _id: one._id }, { $set: { disabledAt: new Date() } });
    clock += 3 * WINDOW;
    await deliver(t, c._id);
    await deliver(t, c._id);
    expect(mailsOf(c, two.email).filter((m) => m.text.includes('COVER-B'))).to.have.length(1);
    expect(mailsOf(c, one.email).filter((m) => m.text.includes('COVER-B'))).to.have.length(0);
    const [digest] = (await digests(c)).filter((d) => !d.data?.fannedOut);
    expect(digest!.status).to.equal('dead');
    expect(digest!.lastError).to.match(/every HR reader to be told has these messages in their own e-mail/);
    expect(await MailLog.findOne({ key: digest!.key }).lean()).to.include({ status: 'dead' });
  });
});
