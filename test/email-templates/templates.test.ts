// Editable e-mail templates over real HTTP: the list comes from the template folders; a save is a
// new version (who, when, audited) used at once by the dispatcher (delivered to the in-process
// SMTP server); versions can be reverted, to an earlier one or to the built-in template; a template
// that does not parse or render is refused with its line and reason (in the page's language) and
// the template in use stays; hostile input (partials, unknown helpers, prototype lookups, stale
// versions, oversize text, odd names) changes nothing; only administrators may edit.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, submitForm, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { EmailTemplate, EmailTemplatePreview } from '../../models/email-template.ts';
import { EMAIL_PREVIEW_CSP } from '../../server/http/email-preview.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { UserDoc } from '../../models/user.ts';
import { caseEmail, dispatchOnce, messageIdFor } from '../../server/outbox/index.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { builtinParts, checkTemplate, invalidateOverrides, listTemplateNames } from '../../server/mail/templates.ts';

// One template for this file alone (other files render the built-in ones): arrived.
const T = 'arrived';
const URL_EN = `/admin/email-templates/${T}/en`;

describe('e-mail templates: edit, version, revert, refuse what does not render', function () {
  this.timeout(60_000);
  let t: TestApp;
  let admin: Agent;
  let adminVi: Agent;
  let applicant: UserDoc;
  let c: CaseDoc;

  const data = () => ({ reference: c.reference, link: `${t.baseUrl}/applications/${c._id}`, name: applicant.name, callTitle: { vi: 'Chuyên gia', en: 'Expert' } });
  const head = async (locale: 'en' | 'vi' = 'en') => (await EmailTemplate.findOne({ template: T, locale }).sort({ version: -1 }).lean())?.version ?? 0;
  const form = (over: Record<string, string> = {}) => ({ ...builtinParts(T, 'en'), op: 'save', reference: '', ...over });

  before(async () => {
    t = await startTestApp();
    await EmailTemplate.deleteMany({ template: T });
    const institute = await createInstitute();
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Lê <b>Hoa</b> & co' });
    c = await createCase({ applicant, call: await createCall({ institute }), stage: 'onboarding' });
    admin = agent(t.app);
    await signIn(admin, await createUser({ role: 'admin', locale: 'en' }));
    adminVi = agent(t.app);
    await signIn(adminVi, await createUser({ role: 'admin', locale: 'vi' }));
  });
  after(async () => {
    await EmailTemplate.deleteMany({ template: T });
    await t?.close();
  });

  it('lists every template folder, in both languages', async () => {
    const page = await admin.get('/admin/email-templates').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const names = listTemplateNames();
    expect(names).to.include.members(['screening_started', 'offer_made', 'password_reset', 'document_too_short', T]);
    for (const n of names) {
      expect(page.text).to.include(`href="/admin/email-templates/${n}/vi"`);
      expect(page.text).to.include(`href="/admin/email-templates/${n}/en"`);
    }
    // Each under its name in the page's language (the passport notice of server/documents/reminders.ts).
    expect(page.text).to.match(/data-template="document_too_short">\s*<td>Passport not valid long enough<br>/);
  });

  it('shows the editor with the text in use and the variables of the event', async () => {
    const page = await admin.get(URL_EN).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const vars = /<ul id="variables">([\s\S]*?)<\/ul>/.exec(page.text)![1]!;
    for (const v of ['name', 'reference', 'link', 'locale']) expect(vars).to.include(`{{${v}}}`);
    expect(page.text).to.include('Never edited');
    // A list variable is shown with its items' fields (the overdue digest's cases).
    const digest = await admin.get('/admin/email-templates/overdue_digest/vi').set('Accept', 'text/html');
    expect(digest.text).to.include('{{#each cases}}').and.include('applicantName, dueAt, link, reference, stage, workingDaysLate');
  });

  it('saves an edit as version 1 (who, when, audited); the dispatcher sends it at once, escaping values in the HTML only', async () => {
    const res = await submitForm(admin, URL_EN, form({ subject: 'Welcome {{name}} [{{reference}}]', text: 'Hello {{name}},\nwelcome on board.\n{{link}}', html: '<p>Hello {{name}}, welcome.</p>', baseVersion: '0' }));
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    const v1 = (await EmailTemplate.findOne({ template: T, locale: 'en', version: 1 }).lean())!;
    expect(v1).to.include({ kind: 'edit', subject: 'Welcome {{name}} [{{reference}}]' });
    expect(v1.savedByName).to.be.a('string');
    expect(await AuditEvent.exists({ action: 'email_template.save', targetId: `${T}:en` })).to.not.equal(null);
    // Vietnamese untouched.
    expect((await renderEmail(T, 'vi', data())).version).to.equal(0);

    await Case.updateOne({ _id: c._id }, { $push: { outbox: caseEmail(applicant, T, data(), `tpl.${c._id}.1`) } });
    await dispatchOnce(t.ctx, { owner: 'templates-test', caseIds: [c._id] });
    const got = await t.smtp.waitForTo(applicant.email, /^Welcome /);
    expect(got.subject).to.equal(`Welcome Lê <b>Hoa</b> & co [${c.reference}]`);
    expect(got.text).to.include('Hello Lê <b>Hoa</b> & co,\nwelcome on board.');
    expect(got.html).to.include('<p>Hello Lê &lt;b&gt;Hoa&lt;/b&gt; &amp; co, welcome.</p>');
    expect(got.messageId).to.equal(messageIdFor(`tpl.${c._id}.1`));
    expect((await MailLog.findOne({ key: `tpl.${c._id}.1` }).lean())!.templateVersion).to.equal(1);
  });

  it('refuses a template that does not parse, with the line and the reason, in English and Vietnamese; the version in use stays', async () => {
    const before = await head();
    const broken = form({ subject: 'Broken', text: 'Line one\nLine two\n{{#if reference}}never closed', html: '<p>x</p>', baseVersion: String(before) });
    const res = await submitForm(admin, URL_EN, broken);
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/Text, line 3: /);
    // Said as what to do, where the block opens (the parser names the end of the text and its grammar).
    expect(res.text).to.include('Text, line 3: the block {{#if}} opened on this line is not closed: add {{/if}} where it ends');
    expect(res.text).to.not.include('Expecting');
    expect(res.text).to.include('never closed'); // what was typed is kept
    const vi = await submitForm(adminVi, URL_EN, broken);
    expect(vi.status).to.equal(422);
    expect(vi.text).to.include('Văn bản, dòng 3: khối {{#if}} mở ở dòng này chưa được đóng: thêm {{/if}} ở chỗ khối kết thúc');
    const crossed = await submitForm(admin, URL_EN, form({ subject: 'Crossed', text: 'a\n{{#if reference}}\n{{#each items}}x{{/if}}{{/each}}', html: '<p>x</p>', baseVersion: String(before) }));
    expect(crossed.status).to.equal(422);
    expect(crossed.text).to.include('{{#each}} is closed with {{/if}}: close it with {{/each}}');
    expect(await head()).to.equal(before);
    const r = await renderEmail(T, 'en', data());
    expect(r.version).to.equal(before);
    expect(r.subject).to.match(/^Welcome /);
  });

  it('refuses an unknown variable, an unknown helper, partials and decorators, each with its line', async () => {
    const before = await head();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ subject: 'Hi {{nmae}}' }, /Subject, line 1: “nmae” is not a variable of this e-mail/],
      [{ html: '<p>\n\n{{exec "rm -rf /"}}</p>' }, /HTML, line 3: .*unknown helper exec/],
      [{ text: 'a\n{{> ../../../etc/passwd}}' }, /Text, line 2: partials/],
      [{ text: '{{#> layout}}x{{/layout}}' }, /Text, line 1: partials/],
      [{ html: '{{* decorator}}' }, /HTML, line 1: decorators/],
      [{ subject: '' }, /Subject: must not be empty/],
      [{ text: 'x'.repeat(50_001) }, /Text: longer than 50000 characters/],
    ];
    for (const [over, re] of cases) {
      const res = await submitForm(admin, URL_EN, form({ baseVersion: String(before), ...over }));
      expect(res.status, JSON.stringify(over).slice(0, 80)).to.equal(422);
      expect(res.text.replace(/&#x27;|&quot;/g, "'"), JSON.stringify(over).slice(0, 80)).to.match(re);
    }
    expect(await head()).to.equal(before);
  });

  it('renders prototype lookups as nothing, and never reaches the filesystem through the template name', async () => {
    const before = await head();
    const res = await submitForm(admin, URL_EN, form({ subject: 'P {{constructor}}{{__proto__}}', text: '{{lookup this "constructor"}}.', baseVersion: String(before) }));
    expect(res.status).to.equal(303);
    const r = await renderEmail(T, 'en', data());
    expect(r.subject).to.equal('P');
    expect(r.text).to.equal('.');
    for (const path of ['/admin/email-templates/..%2F..%2Fetc/en', '/admin/email-templates/layout.en.html/en', '/admin/email-templates/nope/en', `/admin/email-templates/${T}/fr`]) {
      expect((await admin.get(path).set('Accept', 'text/html')).status, path).to.equal(404);
    }
    // revert to version 1 for the next tests
    await submitForm(admin, URL_EN, { toVersion: '1', baseVersion: String(before + 1) }, `${URL_EN}/revert`);
  });

  it('refuses a stale version and a double submit (409), and hostile fields', async () => {
    const current = await head();
    const stale = await submitForm(admin, URL_EN, form({ subject: 'Stale {{reference}}', baseVersion: String(current - 1) }));
    expect(stale.status).to.equal(409);
    const page = await admin.get(URL_EN).set('Accept', 'text/html');
    const token = csrfFrom(page.text);
    const body = { _csrf: token, ...form({ subject: 'Double {{reference}}', baseVersion: String(current) }) };
    const [a, b] = await Promise.all([admin.post(URL_EN).type('form').set('Accept', 'text/html').send(body), admin.post(URL_EN).type('form').set('Accept', 'text/html').send(body)]);
    expect([a.status, b.status].sort()).to.deep.equal([303, 409]);
    expect(await head()).to.equal(current + 1);
    const dollar = await admin.post(URL_EN).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(token)}&subject[$ne]=x&op=save&baseVersion=${current + 1}`);
    expect(dollar.status).to.equal(400);
    const proto = await admin.post(URL_EN).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(token)}&__proto__[subject]=x&op=save&baseVersion=${current + 1}`);
    expect(proto.status).to.be.oneOf([400, 422]);
    expect(await head()).to.equal(current + 1);
  });

  it('lists the versions and reverts to an earlier one, then to the built-in template (each a new version, audited)', async () => {
    const current = await head();
    const page = await admin.get(URL_EN).set('Accept', 'text/html');
    for (let v = 1; v <= current; v++) expect(page.text).to.include(`<tr data-version="${v}">`);
    let res = await submitForm(admin, URL_EN, { toVersion: '1', baseVersion: String(current) }, `${URL_EN}/revert`);
    expect(res.status).to.equal(303);
    const copy = (await EmailTemplate.findOne({ template: T, locale: 'en', version: current + 1 }).lean())!;
    expect(copy).to.include({ kind: 'revert', revertedFrom: 1, subject: 'Welcome {{name}} [{{reference}}]' });
    expect((await admin.get(URL_EN).set('Accept', 'text/html')).text).to.include(`Version 1 is back in use (saved as version ${current + 1})`);
    expect((await renderEmail(T, 'en', data())).subject).to.match(/^Welcome /);
    res = await submitForm(admin, URL_EN, { toVersion: '0', baseVersion: String(current + 1) }, `${URL_EN}/revert`);
    expect(res.status).to.equal(303);
    const r = await renderEmail(T, 'en', data());
    expect(r.version).to.equal(0);
    expect(r.subject).to.not.match(/^Welcome /);
    expect(await AuditEvent.countDocuments({ action: 'email_template.revert', targetId: `${T}:en` })).to.be.at.least(2);
    const after = await admin.get(URL_EN).set('Accept', 'text/html');
    expect(after.text).to.include('In use: the built-in template.');
    expect(after.text).to.include(`The built-in text is back in use (recorded as version ${current + 2})`).and.not.include('saved; e-mails');
  });

  it('previews the typed text on a real case by reference, and says when no case has it', async () => {
    const v = await head();
    const res = await submitForm(admin, URL_EN, form({ op: 'preview', subject: 'Preview for {{name}} {{reference}}', reference: c.reference.toLowerCase(), baseVersion: String(v) }));
    expect(res.status).to.equal(200);
    expect(res.text).to.include(`<span id="preview-subject">Preview for Lê &lt;b&gt;Hoa&lt;/b&gt; &amp; co ${c.reference}</span>`);
    expect(res.text).to.match(/<iframe class="mail-html" id="preview-html" sandbox=""/);
    expect(await head()).to.equal(v); // a preview stores no version
    const missing = await submitForm(admin, URL_EN, form({ op: 'preview', reference: 'TA-1999-000000', baseVersion: String(v) }));
    expect(missing.status).to.equal(422);
    expect(missing.text).to.include('No case has the reference TA-1999-000000');
  });

  it('shows the HTML part of the typed draft from its own address and strict policy (its inline styles kept, no script), to the administrator who typed it only', async () => {
    const v = await head();
    const html = '<p id="styled" style="color: rgb(200, 0, 0)">Hello {{name}}</p><script>alert(1)</script>';
    const res = await submitForm(admin, URL_EN, form({ op: 'preview', html, reference: c.reference, baseVersion: String(v) }));
    expect(res.status).to.equal(200);
    // Not srcdoc: inside the page the frame would take the site's policy, which refuses inline styles.
    expect(res.text).not.to.include('srcdoc');
    const src = /<iframe class="mail-html" id="preview-html" sandbox="" referrerpolicy="no-referrer" title="HTML" src="([^"]+)"><\/iframe>/.exec(res.text)?.[1]?.replace(/&#x3D;/g, '=');
    expect(src, res.text.slice(res.text.indexOf('id="preview"'), res.text.indexOf('id="preview"') + 800)).to.match(new RegExp(`^/admin/email-templates/${T}/en/preview\\?draft=[0-9a-f]{24}$`));
    const frame = await admin.get(src!);
    expect(frame.status).to.equal(200);
    expect(frame.headers['content-type']).to.match(/^text\/html/);
    expect(frame.headers['content-security-policy']).to.equal(EMAIL_PREVIEW_CSP);
    expect(frame.headers['cache-control']).to.equal('no-store');
    expect(frame.text).to.include('<p id="styled" style="color: rgb(200, 0, 0)">Hello Lê &lt;b&gt;Hoa&lt;/b&gt; &amp; co</p>');
    // What is kept is the draft (the template text and the reference), rendered afresh; no version.
    const kept = (await EmailTemplatePreview.findById(src!.split('=')[1]).lean())!;
    expect(kept).to.include({ template: T, locale: 'en', html, reference: c.reference });
    expect(await head()).to.equal(v);

    // Another administrator: the draft is not theirs (the frame says there is nothing to show, in their language).
    const other = await adminVi.get(src!);
    expect(other.status).to.equal(404);
    expect(other.headers['content-security-policy']).to.equal(EMAIL_PREVIEW_CSP);
    expect(other.text).to.include('Bản xem trước này đã hết hạn').and.not.include('Hello');
    // The same draft under another template or language, or a made-up id: nothing either.
    expect((await admin.get(src!.replace(`/${T}/en/`, `/${T}/vi/`))).status).to.equal(404);
    expect((await admin.get(src!.replace(`/${T}/en/`, '/offer_made/en/'))).status).to.equal(404);
    expect((await admin.get(`/admin/email-templates/${T}/en/preview?draft=../../etc`)).status).to.equal(404);
    // Expired (the sweep is lazy): gone.
    await EmailTemplatePreview.updateOne({ _id: kept._id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await admin.get(src!);
    expect(expired.status).to.equal(404);
    expect(expired.text).to.include('This preview has expired: press Preview again.');
    // Only administrators.
    const hr = agent(t.app);
    await signIn(hr, await createUser({ role: 'hr_officer', institute: c.institute }));
    expect((await hr.get(src!).set('Accept', 'text/html')).status).to.equal(403);
    // A refused draft keeps nothing.
    // Live drafts only: the expired one above may be removed meanwhile (the lazy sweep, the TTL monitor).
    const live = () => EmailTemplatePreview.countDocuments({ expiresAt: { $gt: new Date() } });
    const before = await live();
    const refused = await submitForm(admin, URL_EN, form({ op: 'preview', html: '{{#if name}}open', baseVersion: String(v) }));
    expect(refused.status).to.equal(422);
    expect(refused.text).not.to.include('id="preview-html"');
    expect(await live()).to.equal(before);
  });

  it('shows the HTML part of the text in use on a case named in the address from its own address too', async () => {
    const page = await admin.get(`${URL_EN}?reference=${c.reference}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const src = `/admin/email-templates/${T}/en/preview?reference=${c.reference}`;
    expect(page.text).to.include(`src="${src.replace('=', '&#x3D;')}"`);
    const frame = await admin.get(src);
    expect(frame.status).to.equal(200);
    expect(frame.headers['content-security-policy']).to.equal(EMAIL_PREVIEW_CSP);
    expect(frame.text).to.include('Lê &lt;b&gt;Hoa&lt;/b&gt; &amp; co');
    expect((await admin.get(`/admin/email-templates/${T}/en/preview?reference=TA-1999-000000`)).status).to.equal(404);
  });

  it('passes every built-in template, in both languages, through the check a save makes (so each can be previewed and saved)', () => {
    for (const name of listTemplateNames()) {
      for (const locale of ['vi', 'en'] as const) expect(checkTemplate(name, locale, builtinParts(name, locale)), `${name} ${locale}`).to.deep.equal([]);
    }
  });

  it("previews the procedure e-mail in the one language of the page, on sample data and on a case whose e-mail was stored in both languages' words", async () => {
    const url = '/admin/email-templates/procedure_update/vi';
    const parts = builtinParts('procedure_update', 'vi');
    const sample = await submitForm(admin, url, { ...parts, op: 'preview', reference: '', baseVersion: '0' });
    expect(sample.status).to.equal(200);
    expect(sample.text).to.include('<span id="preview-subject">[TA-2026-000123] [headline]</span>');
    // A procedure e-mail queued before it was written in one language: { vi: words, en: words }.
    const old = await createCase({ applicant, call: await createCall({ institute: await createInstitute() }), stage: 'onboarding' });
    const words = (lang: string) => ({ kind: `${lang} kind`, status: `${lang} status`, headline: `${lang} headline`, legalBasis: `${lang} basis`, office: `${lang} office`, filedAt: `${lang} filed`, dueAt: '', reasonsDueAt: '', cardStartsAt: '', cardEndsAt: '' });
    await Case.updateOne({ _id: old._id }, { $push: { outbox: caseEmail({ email: applicant.email, locale: 'vi' }, 'procedure_update', { reference: old.reference, name: 'Lan', kind: 'visa', status: 'filed', vi: words('vi'), en: words('en'), message: '', link: 'https://x.test/a' }, `tpl.${old._id}.legacy`) } });
    const real = await submitForm(admin, url, { ...parts, op: 'preview', reference: old.reference, baseVersion: '0' });
    expect(real.status).to.equal(200);
    expect(real.text).to.include(`<span id="preview-subject">[${old.reference}] vi headline</span>`);
    const shown = /<pre class="mail-text" id="preview-text">([\s\S]*?)<\/pre>/.exec(real.text)![1]!;
    expect(shown).to.include('Thủ tục: vi kind — vi status').and.include('Ngày nộp: vi filed').and.include('Căn cứ: vi basis');
    expect(shown).not.to.include('en ');
  });

  it('says on the editor when the edit in use no longer fits the e-mail (saved before its data changed), and the built-in one is what goes out', async () => {
    const version = (await head()) + 1;
    // As if saved when the e-mail carried an `arrivalDate` the template no longer gets.
    await EmailTemplate.create({ template: T, locale: 'en', version, kind: 'edit', subject: 'Old edit {{arrivalDate}}', text: 'Hello {{name}}, {{arrivalDate}}', html: '<p>{{arrivalDate}}</p>', savedBy: applicant._id, savedAt: new Date() });
    invalidateOverrides();
    try {
      const page = await admin.get(URL_EN).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      const box = /<div class="flash flash-error" role="alert" id="template-misfit">([\s\S]*?)<\/div>/.exec(page.text)?.[1] ?? '';
      expect(box).to.include('no longer fits').and.include('arrivalDate');
      const sent = await renderEmail(T, 'en', data());
      expect(sent.version).to.equal(0);
      expect(sent.subject).to.not.include('Old edit');
      const vi = await adminVi.get(URL_EN).set('Accept', 'text/html');
      expect(vi.text).to.include('không còn khớp');
    } finally {
      await EmailTemplate.deleteOne({ template: T, locale: 'en', version });
      invalidateOverrides();
    }
  });

  it('is for administrators only (403 for HR, leaders and applicants, in both languages)', async () => {
    for (const [role, locale, text] of [
      ['hr_officer', 'en', 'You do not have access to this page.'],
      ['leader', 'vi', 'Tài khoản đang dùng không có quyền truy cập trang này.'],
      ['applicant', 'en', 'You do not have access to this page.'],
    ] as const) {
      const a = agent(t.app);
      await signIn(a, await createUser({ role, locale }));
      for (const path of ['/admin/email-templates', URL_EN]) {
        const res = await a.get(path).set('Accept', 'text/html');
        expect(res.status, `${role} ${path}`).to.equal(403);
        expect(res.text).to.include(text);
      }
      const home = await a.get('/account').set('Accept', 'text/html');
      const post = await a.post(URL_EN).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(home.text), ...form({ baseVersion: String(await head()) }) });
      expect(post.status).to.equal(403);
    }
  });
});
