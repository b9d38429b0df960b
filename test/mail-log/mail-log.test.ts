// The mail log over real HTTP, filled by the real dispatcher sending to the in-process SMTP server:
// administrators see every e-mail (account e-mails without their body), HR officers their
// institute's case e-mails only; search by recipient, reference and template; paging by cursor;
// the message rendered again as it was sent, its HTML escaped into a sandboxed frame; requeueing
// a dead e-mail (CSRF, audit); applicants and leaders refused, in Vietnamese and in English.
import { expect } from 'chai';
import { listTemplateNames } from '../../server/mail/templates.ts';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, submitForm, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, uniqueSuffix } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { MailLog } from '../../models/mail-log.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import { caseEmail, dispatchOnce, messageIdFor } from '../../server/outbox/index.ts';
import { sendPasswordResetMail } from '../../server/accounts/mail.ts';
import { systemContext } from '../../server/context.ts';

describe('mail log: every e-mail with its status and message, scoped to HR officers\' institutes', function () {
  this.timeout(60_000);
  let t: TestApp;
  let admin: Agent;
  let hrA: Agent;
  let hrB: Agent;
  let caseA: CaseDoc;
  let caseB: CaseDoc;
  let applicantA: UserDoc;
  let applicantB: UserDoc;
  let bounce: UserDoc;
  let caseBounce: CaseDoc;
  const tag = uniqueSuffix();

  async function queue(c: CaseDoc, to: UserDoc, template: string, data: Record<string, unknown>, key: string) {
    await Case.updateOne({ _id: c._id }, { $push: { outbox: caseEmail(to, template, { reference: c.reference, link: `${t.baseUrl}/applications/${c._id}`, name: to.name, ...data }, key) } });
  }

  before(async () => {
    t = await startTestApp();
    const [instA, instB] = [await createInstitute(), await createInstitute()];
    applicantA = await createUser({ role: 'applicant', locale: 'en', email: `ml-a-${tag}@example.test`, name: '<script>alert("x")</script> Lan' });
    applicantB = await createUser({ role: 'applicant', locale: 'vi', email: `ml-b-${tag}@example.test`, name: 'Trần Bình' });
    bounce = await createUser({ role: 'applicant', locale: 'en', email: `ml-bounce-${tag}@example.test` });
    const [callA, callB] = [await createCall({ institute: instA }), await createCall({ institute: instB })];
    caseA = await createCase({ applicant: applicantA, call: callA, stage: 'submitted' });
    caseB = await createCase({ applicant: applicantB, call: callB, stage: 'submitted' });
    caseBounce = await createCase({ applicant: bounce, call: callA, stage: 'submitted' });
    await queue(caseA, applicantA, 'screening_started', {}, `ml.${caseA._id}.screening`);
    await queue(caseB, applicantB, 'screening_started', {}, `ml.${caseB._id}.screening`);
    await queue(caseBounce, bounce, 'on_hold', { reason: 'Waiting for the budget' }, `ml.${caseBounce._id}.hold`);
    // The real dispatcher, the real SMTP server: the bounce recipient gets a permanent 550.
    t.smtp.decide = (address) => (address === bounce.email ? 'permfail' : undefined);
    const r = await dispatchOnce(t.ctx, { owner: 'mail-log-test', caseIds: [caseA._id, caseB._id, caseBounce._id] });
    expect(r).to.deep.equal({ sent: 2, retried: 0, dead: 1 });
    t.smtp.decide = undefined;

    const adminUser = await createUser({ role: 'admin', locale: 'en' });
    admin = agent(t.app);
    await signIn(admin, adminUser);
    hrA = agent(t.app);
    await signIn(hrA, await createUser({ role: 'hr_officer', institute: instA, locale: 'en' }));
    hrB = agent(t.app);
    await signIn(hrB, await createUser({ role: 'hr_officer', institute: instB, locale: 'vi' }));
  });
  after(async () => {
    await t?.close();
  });

  const rowOf = (html: string, key: string) => new RegExp(`<tr data-id="([0-9a-f]{24})" data-key="${key.replace(/\./g, '\\.')}">([\\s\\S]*?)</tr>`).exec(html);

  it('records each outcome at the moment the dispatcher records it: sent with its Message-ID, dead with the server\'s error', async () => {
    const sent = await MailLog.findOne({ key: `ml.${caseA._id}.screening` }).lean();
    expect(sent).to.include({ source: 'case', status: 'sent', attempts: 1, to: applicantA.email, template: 'screening_started', locale: 'en', reference: caseA.reference, templateVersion: 0 });
    expect(sent!.messageId).to.equal(messageIdFor(`ml.${caseA._id}.screening`));
    expect(String(sent!.institute)).to.equal(String(caseA.institute));
    const dead = await MailLog.findOne({ key: `ml.${caseBounce._id}.hold` }).lean();
    expect(dead).to.include({ status: 'dead', attempts: 1 });
    expect(dead!.lastError).to.match(/550/);
    const item = (await Case.findById(caseBounce._id).lean())!.outbox[0]!;
    expect(item.status).to.equal('dead');
  });

  it('lists every e-mail for an administrator with recipient, template, language, status, attempts and error', async () => {
    const page = await admin.get(`/mail-log?to=ml-`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const a = rowOf(page.text, `ml.${caseA._id}.screening`);
    const b = rowOf(page.text, `ml.${caseB._id}.screening`);
    const d = rowOf(page.text, `ml.${caseBounce._id}.hold`);
    expect(a && b && d, 'the three e-mails are listed').to.be.ok;
    expect(a![2]).to.include(applicantA.email).and.include('(en)').and.include(caseA.reference).and.include('badge ok').and.include('Sent');
    expect(b![2]).to.include('(vi)');
    expect(d![2]).to.include('badge err').and.include('Dead').and.include('550');
    // Every kind of e-mail offered as a filter has a name in the page's language, never its code;
    // account e-mails are offered to the administrator, the only one their entries are listed to.
    const options = [...page.text.matchAll(/<option value="([a-z_]+)"[^>]*>([^<]*)<\/option>/g)].filter((m) => listTemplateNames().includes(m[1]!));
    expect(options.length).to.be.above(20);
    for (const [, name, label] of options) expect(label, name).not.to.equal(name);
    expect(options.map((m) => m[1])).to.include.members(['password_reset', 'account_disabled']);
    expect(options.map((m) => m[1])).to.include.members(['procedure_update', 'note_mention', 'document_rejected']);
  });

  it('searches by recipient (whole address or its beginning), by case reference and by template', async () => {
    const byAddress = await admin.get(`/mail-log?to=${encodeURIComponent(applicantB.email.toUpperCase())}`).set('Accept', 'text/html');
    expect(rowOf(byAddress.text, `ml.${caseB._id}.screening`)).to.not.equal(null);
    expect(rowOf(byAddress.text, `ml.${caseA._id}.screening`)).to.equal(null);
    const byPrefix = await admin.get(`/mail-log?to=ml-bounce-${tag}`).set('Accept', 'text/html');
    expect(rowOf(byPrefix.text, `ml.${caseBounce._id}.hold`)).to.not.equal(null);
    expect(rowOf(byPrefix.text, `ml.${caseA._id}.screening`)).to.equal(null);
    const byRef = await admin.get(`/mail-log?reference=${caseA.reference.toLowerCase()}`).set('Accept', 'text/html');
    expect(rowOf(byRef.text, `ml.${caseA._id}.screening`)).to.not.equal(null);
    expect(rowOf(byRef.text, `ml.${caseB._id}.screening`)).to.equal(null);
    const byTemplate = await admin.get(`/mail-log?template=on_hold&to=ml-`).set('Accept', 'text/html');
    expect(rowOf(byTemplate.text, `ml.${caseBounce._id}.hold`)).to.not.equal(null);
    expect(rowOf(byTemplate.text, `ml.${caseA._id}.screening`)).to.equal(null);
    const byStatus = await admin.get(`/mail-log?status=dead&to=ml-`).set('Accept', 'text/html');
    expect(rowOf(byStatus.text, `ml.${caseBounce._id}.hold`)).to.not.equal(null);
    expect(rowOf(byStatus.text, `ml.${caseA._id}.screening`)).to.equal(null);
    // Hostile filters are dropped, never passed to the database as operators.
    const hostile = await admin.get('/mail-log?to[$ne]=x&template=../../etc&status=%7B%7D&before=zzz').set('Accept', 'text/html');
    expect(hostile.status).to.be.oneOf([200, 400]);
  });

  it('pages newest first by cursor, 50 to a page, without repeating or skipping a row', async () => {
    const prefix = `pg-${tag}`;
    const base = Date.parse('2026-01-10T00:00:00Z');
    const rows = Array.from({ length: 61 }, (_, i) => ({
      source: 'case',
      key: `${prefix}.${i}`,
      case: new Types.ObjectId(),
      reference: 'TA-2026-999999',
      institute: caseA.institute,
      template: 'closed',
      to: `${prefix}-${String(i).padStart(2, '0')}@example.test`,
      locale: 'en',
      status: 'sent',
      attempts: 1,
      // three rows share each time, so the cursor's tie-break on _id matters
      at: new Date(base + Math.floor(i / 3) * 1000),
    }));
    await MailLog.insertMany(rows);
    const seen: string[] = [];
    let url: string | undefined = `/mail-log?to=${prefix}`;
    let pages = 0;
    while (url) {
      const page: { status: number; text: string } = await admin.get(url).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      const keys = [...page.text.matchAll(/data-key="([^"]+)"/g)].map((m) => m[1]!);
      seen.push(...keys);
      pages += 1;
      if (pages === 1) expect(keys).to.have.length(50);
      url = /<a href="([^"]+)" rel="next">/.exec(page.text)?.[1]?.replace(/&#x3D;/g, "=").replace(/&amp;/g, "&");
      expect(pages).to.be.below(4);
    }
    expect(pages).to.equal(2);
    expect(seen).to.have.length(61);
    expect(new Set(seen).size).to.equal(61);
    // newest first
    expect(seen[0]).to.be.oneOf([`${prefix}.60`]);
    expect(seen[60]).to.be.oneOf([`${prefix}.0`, `${prefix}.1`, `${prefix}.2`]);
  });

  it('shows the message as it was sent: subject, text and the HTML escaped into a sandboxed frame', async () => {
    const entry = (await MailLog.findOne({ key: `ml.${caseA._id}.screening` }).lean())!;
    const page = await admin.get(`/mail-log/${entry._id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const received = t.smtp.messages.find((m) => m.messageId === messageIdFor(`ml.${caseA._id}.screening`))!;
    expect(page.text).to.include(`<span id="mail-subject">${escapeHtml(received.subject)}</span>`);
    expect(received.subject).to.include(caseA.reference);
    // The HTML part is a document of its own in a sandboxed frame (no allow-scripts): inside the
    // page (srcdoc) it inherited the site's policy, which refuses the e-mail's inline styles.
    expect(page.text).to.include(`<iframe class="mail-html" id="mail-html" sandbox="" referrerpolicy="no-referrer" title="HTML (shown without scripts)" src="/mail-log/${entry._id}/preview"></iframe>`);
    expect(page.text).not.to.include('srcdoc');
    expect(page.text).to.not.include('<script>alert');
    const preview = await admin.get(`/mail-log/${entry._id}/preview`);
    expect(preview.status).to.equal(200);
    expect(preview.headers['content-type']).to.match(/^text\/html/);
    // Its own strict policy: the e-mail's inline styles and data: images, nothing else, sandboxed.
    const own = String(preview.headers['content-security-policy']);
    expect(own).to.equal("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox");
    expect(own).not.to.include('script-src');
    // The applicant's hostile name stays escaped, as the HTML part has it.
    expect(preview.text).to.include('&lt;script&gt;alert');
    expect(preview.text).not.to.include('<script>alert');
    expect(preview.text).to.match(/style="/);
    // One time line: "Sent" once sent, not "Time" with the same moment beside it.
    const facts = /<dl class="facts">([\s\S]*?)<\/dl>/.exec(page.text)![1]!;
    expect(facts).to.include('<dt>Sent</dt>');
    expect(facts).not.to.include('<dt>Time</dt>');
    // The text part is shown as text (escaped once by the page).
    expect(page.text).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Lan');
    expect(received.text).to.include('<script>alert("x")</script> Lan');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).to.include("script-src 'self'");
  });

  it("shows a procedure e-mail in the recipient's language only, also one stored with both languages' words before it was written in one", async () => {
    const words = (lang: string) => ({ kind: `${lang}-kind`, status: `${lang}-status`, headline: `${lang}-headline`, legalBasis: `${lang}-basis`, office: `${lang}-office`, filedAt: `${lang}-filed`, dueAt: `${lang}-due`, reasonsDueAt: '', cardStartsAt: '', cardEndsAt: '' });
    const key = `ml.${caseA._id}.procedure.legacy`;
    await queue(caseA, applicantA, 'procedure_update', { kind: 'work_permit', status: 'filed', vi: words('vi'), en: words('en'), message: '' }, key);
    await dispatchOnce(t.ctx, { owner: 'mail-log-test', caseIds: [caseA._id] });
    const received = t.smtp.messages.find((m) => m.messageId === messageIdFor(key))!;
    expect(received.subject).to.equal(`[${caseA.reference}] en-headline`);
    const entry = (await MailLog.findOne({ key }).lean())!;
    const page = await admin.get(`/mail-log/${entry._id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.include(`<span id="mail-subject">[${caseA.reference}] en-headline</span>`);
    const shown = /<pre class="mail-text" id="mail-text">([\s\S]*?)<\/pre>/.exec(page.text)![1]!;
    expect(shown).to.include('Procedure: en-kind — en-status').and.include('Filed on: en-filed').and.include('Decision expected by: en-due').and.include('Legal basis: en-basis');
    expect(shown).not.to.include('vi-').and.not.to.include('Tiếng Việt');
  });

  it('limits an HR officer to their institute\'s case e-mails (list and message), never account e-mails', async () => {
    await sendPasswordResetMail({ app: t.ctx, ctx: systemContext({ now: new Date() }), user: applicantA });
    const account = await MailLog.findOne({ source: 'account', to: applicantA.email }).lean();
    expect(account, 'account e-mail logged').to.not.equal(null);
    expect(account).to.include({ status: 'sent', template: 'password_reset' });

    const list = await hrA.get('/mail-log?to=ml-').set('Accept', 'text/html');
    expect(list.status).to.equal(200);
    // The officer reaches it from the main navigation.
    expect(list.text).to.match(/<nav class="main-nav"[\s\S]*<a href="\/mail-log">Mail log<\/a>[\s\S]*<\/nav>/);
    expect(rowOf(list.text, `ml.${caseA._id}.screening`)).to.not.equal(null);
    expect(rowOf(list.text, `ml.${caseBounce._id}.hold`)).to.not.equal(null);
    expect(rowOf(list.text, `ml.${caseB._id}.screening`)).to.equal(null);
    expect(list.text).to.not.include(account!.key);
    expect(list.text, 'account e-mails are not offered as a filter to HR').to.not.include('<option value="password_reset"');
    const other = (await MailLog.findOne({ key: `ml.${caseB._id}.screening` }).lean())!;
    expect((await hrA.get(`/mail-log/${other._id}`).set('Accept', 'text/html')).status).to.equal(404);
    expect((await hrA.get(`/mail-log/${account!._id}`).set('Accept', 'text/html')).status).to.equal(404);
    expect((await hrA.get(`/mail-log/${account!._id}/preview`).set('Accept', 'text/html')).status).to.equal(404);
    expect((await hrA.post(`/mail-log/${account!._id}/requeue`).type('form').send({ _csrf: csrfFrom(list.text) }).set('Accept', 'text/html')).status).to.be.oneOf([403, 404]);
    // Asked for by hand (the filter not offered, the address typed whole): still none.
    for (const q of [`template=password_reset`, `template=password_reset&to=${encodeURIComponent(applicantA.email)}`]) {
      const byHand = await hrA.get(`/mail-log?${q}`).set('Accept', 'text/html');
      expect(byHand.status, q).to.equal(200);
      expect(byHand.text, q).to.not.include(account!.key);
    }
    // HR B, in Vietnamese, sees their own.
    const listB = await hrB.get('/mail-log?to=ml-').set('Accept', 'text/html');
    expect(listB.text).to.include('Nhật ký thư điện tử').and.include('Đã gửi');
    expect(rowOf(listB.text, `ml.${caseB._id}.screening`)).to.not.equal(null);
    expect(rowOf(listB.text, `ml.${caseA._id}.screening`)).to.equal(null);

    // The administrator sees the account e-mail, without its body (it carries a one-time link).
    const shown = await admin.get(`/mail-log/${account!._id}`).set('Accept', 'text/html');
    expect(shown.status).to.equal(200);
    expect(shown.text).to.include('id="mail-not-kept"');
    expect(shown.text).to.not.include('/password/reset/');
  });

  it('requeues a dead e-mail from the log (CSRF, audit), which the dispatcher then delivers; others may not', async () => {
    const entry = (await MailLog.findOne({ key: `ml.${caseBounce._id}.hold` }).lean())!;
    const url = `/mail-log/${entry._id}`;
    // No CSRF token: refused, nothing changes.
    const noToken = await admin.post(`${url}/requeue`).type('form').set('Accept', 'text/html').send({});
    expect(noToken.status).to.equal(403);
    // HR of another institute: not found; HR B sees nothing of it.
    const page = await hrB.get('/mail-log').set('Accept', 'text/html');
    const other = await hrB.post(`${url}/requeue`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text) });
    expect(other.status).to.equal(404);
    expect((await MailLog.findById(entry._id).lean())!.status).to.equal('dead');

    const res = await submitForm(admin, url, {}, `${url}/requeue`);
    expect(res.status).to.equal(303);
    expect((await MailLog.findById(entry._id).lean())!.status).to.equal('pending');
    expect((await Case.findById(caseBounce._id).lean())!.outbox[0]!.status).to.equal('pending');
    expect(await AuditEvent.exists({ action: 'email.requeue', targetId: String(caseBounce._id) })).to.not.equal(null);
    // Twice: nothing more to requeue, said so.
    const again = await submitForm(admin, url, {}, `${url}/requeue`);
    expect(again.status).to.equal(303);
    const after = await admin.get(url).set('Accept', 'text/html');
    expect(after.text).to.include('not dead (any more)');

    await dispatchOnce(t.ctx, { owner: 'mail-log-test', caseIds: [caseBounce._id] });
    const delivered = (await MailLog.findById(entry._id).lean())!;
    expect(delivered.status).to.equal('sent');
    expect(delivered.attempts).to.equal(1);
    expect(t.smtp.messages.filter((m) => m.messageId === messageIdFor(`ml.${caseBounce._id}.hold`))).to.have.length(1);
  });

  it('refuses applicants and leaders, in Vietnamese and in English', async () => {
    for (const [role, locale, text] of [
      ['applicant', 'en', 'You do not have access to this page.'],
      ['applicant', 'vi', 'Tài khoản đang dùng không có quyền truy cập trang này.'],
      ['leader', 'en', 'You do not have access to this page.'],
      ['leader', 'vi', 'Tài khoản đang dùng không có quyền truy cập trang này.'],
    ] as const) {
      const a = agent(t.app);
      await signIn(a, await createUser({ role, locale }));
      const entry = (await MailLog.findOne({ key: `ml.${caseA._id}.screening` }).lean())!;
      for (const path of ['/mail-log', `/mail-log/${entry._id}`]) {
        const res = await a.get(path).set('Accept', 'text/html');
        expect(res.status, `${role} ${path}`).to.equal(403);
        expect(res.text, `${role} (${locale}) ${path}`).to.include(text);
      }
      const home = await a.get('/account').set('Accept', 'text/html');
      const post = await a.post(`/mail-log/${entry._id}/requeue`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(home.text) });
      expect(post.status, `${role} requeue`).to.equal(403);
    }
  });
});

/** As Handlebars escapes text. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;');
}
