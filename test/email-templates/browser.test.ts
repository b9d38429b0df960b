// In a real browser (Debian's Chromium): an administrator signs in with a second factor, opens the
// "screening started" e-mail in English, changes its subject, text and HTML, previews it on a real
// case (by reference), the HTML part styled as the e-mail will be, saves it; an HR officer then starts screening that case over HTTP, the
// dispatcher runs, and the edited e-mail arrives on the in-process SMTP server. The mail log shows
// it, with the edited version. An edit whose built-in template changed after it is found from the
// administration page, reviewed beside what changed, and kept, at 375 px.
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndWait, screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import { EmailTemplate } from '../../models/email-template.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { CaseDoc } from '../../models/case.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { builtinHash, builtinParts, invalidateOverrides } from '../../server/mail/templates.ts';

const T = 'screening_started';

describe('e-mail templates in the browser: edit, preview on a case, save, receive the edited e-mail', function () {
  this.timeout(120_000);
  let t: TestApp;
  const browser = useBrowser();
  let adminUser: UserDoc;
  let officer: UserDoc;
  let applicant: UserDoc;
  let c: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    adminUser = await createUser({ role: 'admin', locale: 'en', name: 'Admin Browser' });
    officer = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Đặng Thu Hà' });
    c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'submitted' });
  });
  after(async () => {
    // Back to the built-in template for any later test file in this process.
    await EmailTemplate.deleteMany({ template: T, savedBy: adminUser?._id });
    invalidateOverrides();
    await t?.close();
  });

  const click = clickAndWait;

  it('sends the edited e-mail after the administrator saved it', async () => {
    const errors: string[] = [];
    const page = await browser.page({ locale: 'en-GB' });
    page.on('console', (m) => {
      // The preview frame is a document of its own with its own policy: the e-mail's inline styles
      // are not refused there (a refusal is a console error and fails the test).
      if (m.type() === 'error' && !/status of (404|422)/.test(m.text())) errors.push(m.text());
    });
    // A missing resource of ours (a stylesheet, a script) is an error; the browser's favicon probe is not.
    page.on('response', (r) => {
      if (r.status() === 404 && !r.url().endsWith('/favicon.ico')) errors.push(`404 ${r.url()}`);
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await staffSignsIn(page, t.baseUrl, adminUser);

    await page.goto(`${t.baseUrl}/admin/email-templates`);
    await click(page, `tr[data-template="${T}"] a[href="/admin/email-templates/${T}/en"]`);
    expect(await page.inputValue('#f-subject')).to.include('{{reference}}');

    await page.fill('#f-subject', '[{{reference}}] Edited: we are reading your file, {{name}}');
    await page.fill('#f-text', 'Dear {{name}},\n\nEDITED TEXT: screening of {{reference}} has begun.\n{{link}}\n');
    const html = await page.inputValue('#f-html');
    await page.fill('#f-html', `<p id="styled" style="color: rgb(200, 0, 0); font-weight: 700">Styled for {{name}}</p>\n${html}`);
    await page.fill('#f-reference', c.reference);
    await click(page, '#preview-button');
    expect(await page.textContent('#preview-subject')).to.equal(`[${c.reference}] Edited: we are reading your file, Đặng Thu Hà`);
    expect(await page.textContent('#preview-text')).to.include(`EDITED TEXT: screening of ${c.reference} has begun.`);
    // The HTML part in its sandboxed frame, loaded from its own address: styled as the e-mail is.
    const frame = page.frameLocator('#preview-html');
    expect(await frame.locator('body').textContent()).to.include('Đặng Thu Hà');
    const styled = frame.locator('#styled');
    expect(await styled.textContent()).to.equal('Styled for Đặng Thu Hà');
    const computed = await styled.evaluate((el) => {
      const s = (globalThis as unknown as { getComputedStyle(e: unknown): { color: string; fontWeight: string } }).getComputedStyle(el);
      return [s.color, s.fontWeight];
    });
    expect(computed).to.deep.equal(['rgb(200, 0, 0)', '700']);
    // What was typed is still in the form; saving stores it.
    expect(await page.inputValue('#f-subject')).to.include('Edited:');
    await click(page, '#save-button');
    expect(await page.textContent('.flash')).to.include('Saved as version');
    expect(await page.textContent('#versions')).to.include('Admin Browser');
    await page.screenshot({ path: path.join(screenshotsDir, 'email-template-saved.png'), fullPage: true });
    expect(errors, errors.join('\n')).to.deep.equal([]);

    // HR starts screening over HTTP; the dispatcher sends what the case owes.
    const hr = agent(t.app);
    await signIn(hr, officer);
    const casePage = await hr.get(`/cases/${c._id}`).set('Accept', 'text/html');
    expect(casePage.status).to.equal(200);
    const version = /name="version" value="(\d+)"/.exec(casePage.text)![1]!;
    const acted = await hr.post(`/cases/${c._id}/actions/start_screening`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(casePage.text), version });
    expect(acted.status, acted.text.slice(0, 300)).to.equal(303);
    await dispatchOnce(t.ctx, { owner: 'browser-test', caseIds: [c._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /Edited:/);
    expect(mail.subject).to.equal(`[${c.reference}] Edited: we are reading your file, Đặng Thu Hà`);
    expect(mail.text).to.include(`EDITED TEXT: screening of ${c.reference} has begun.`);
    const logged = (await MailLog.findOne({ case: c._id, template: T }).lean())!;
    expect(logged.status).to.equal('sent');
    expect(logged.templateVersion).to.be.greaterThan(0);
  });

  it('leads the administrator from the administration page to an edit whose built-in template changed, shows what changed, and keeps it (375 px)', async () => {
    const R = 'offer_letter_ready';
    const now = builtinParts(R, 'en');
    // As a release finds it: written against a built-in template that had no "Please answer by" line.
    const old = { ...now, text: now.text.replace(/^.*\{\{date dueAt\}\}.*\n/m, '') };
    expect(old.text).to.not.equal(now.text);
    const base = { hash: 'f'.repeat(64), ...old };
    await EmailTemplate.create({ template: R, locale: 'en', version: 1, kind: 'edit', ...now, subject: 'Your letter {{reference}}', base, savedBy: adminUser._id, savedByName: 'Admin Browser', savedAt: new Date() });
    invalidateOverrides();
    try {
      const errors: string[] = [];
      const page = await browser.page({ locale: 'en-GB', viewport: { width: 375, height: 800 } });
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      await staffSignsIn(page, t.baseUrl, adminUser);
      await page.goto(`${t.baseUrl}/admin`);
      await click(page, '#templates-to-review a');
      await click(page, `tr[data-template="${R}"] a[data-drift]`);
      expect(new URL(page.url()).pathname).to.equal(`/admin/email-templates/${R}/en`);
      expect(await page.textContent('#template-drift h2')).to.equal('The built-in template changed after your edit');
      expect(await page.locator('#template-drift .diff-added').allTextContents()).to.satisfy((lines: string[]) => lines.some((l) => l.includes('{{date dueAt}}')));
      expect(await page.evaluate('document.documentElement.scrollWidth')).to.equal(375);
      await page.screenshot({ path: path.join(screenshotsDir, 'email-template-drift.png'), fullPage: true });
      await click(page, '#keep-edit button');
      expect(await page.textContent('.flash')).to.include('Your edit is kept as a new version');
      expect(await page.locator('#template-drift').count()).to.equal(0);
      const kept = (await EmailTemplate.findOne({ template: R, locale: 'en' }).sort({ version: -1 }).lean())!;
      expect(kept).to.include({ version: 2, kind: 'kept', subject: 'Your letter {{reference}}' });
      expect(kept.base?.hash).to.equal(builtinHash(R, 'en'));
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } finally {
      await EmailTemplate.deleteMany({ template: R });
      invalidateOverrides();
    }
  });
});
