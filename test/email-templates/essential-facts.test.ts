// An administrator's edit of an e-mail template, saved before the built-in template gained a line the
// applicant must read (the hold e-mail's paused request with its working days left; the planned-start
// e-mail's moved procedure dates), would leave that line out for good. An applicant must never miss a
// deadline because a template was edited: what the edit leaves out of the facts the e-mail must carry
// (server/mail/templates.ts ESSENTIAL_VARIABLES) is added after the administrator's text, worded as
// the built-in template words it (views/emails/<template>/<locale>.facts.*.hbs); an edit that carries
// it gets nothing added; the editor says so. Real database, real pages, real SMTP.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { EmailTemplate } from '../../models/email-template.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { builtinParts, ESSENTIAL_VARIABLES, invalidateOverrides, sampleData, type TemplateParts } from '../../server/mail/templates.ts';
import { factsAdded } from '../../server/mail/render.ts';
import { seedHolidays, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, postConfirmed, versionIn, deliver, text } from '../applications/support.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
const hashOf = (p: TemplateParts) => createHash('sha256').update(JSON.stringify([p.subject, p.text, p.html])).digest('hex');

describe('e-mail templates: the facts an edit leaves out are added after it', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock = vn('2027-03-01');
  let adminUser: UserDoc;
  let hr: UserDoc;
  let call: CallDoc;

  /** An edit as an administrator saved it before the built-in template gained the line (its base: that older built-in text). */
  async function storeEdit(template: string, locale: 'en' | 'vi', parts: TemplateParts) {
    const head = await EmailTemplate.findOne({ template, locale }).sort({ version: -1 }).lean();
    const base = { subject: parts.subject, text: parts.text, html: parts.html };
    await EmailTemplate.create({ template, locale, version: (head?.version ?? 0) + 1, kind: 'edit', ...parts, base: { hash: hashOf(base), ...base }, savedBy: adminUser._id, savedByName: 'Earlier admin', savedAt: new Date() });
    invalidateOverrides();
  }

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    await EmailTemplate.deleteMany({ template: { $in: ['on_hold', 'planned_start_moved'] } });
    const institute = await createInstitute();
    adminUser = await createUser({ role: 'admin', name: 'Admin' });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Holds', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await EmailTemplate.deleteMany({ template: { $in: ['on_hold', 'planned_start_moved'] } });
    invalidateOverrides();
    await t?.close();
  });

  for (const [locale, edited, paused] of [
    ['en', 'Dear {{name}},\nYour application {{reference}} is paused for a while. We will be in touch.\nThe Institute team', 'The request for information (due 11 Mar 2027) waits with your application: you had 8 working days left to answer'],
    ['vi', 'Kính gửi {{name}},\nHồ sơ {{reference}} của Ông/Bà tạm dừng một thời gian. Chúng tôi sẽ liên hệ lại.\nViện', 'Đề nghị bổ sung thông tin (hạn 11/3/2027) cũng tạm dừng cùng hồ sơ: Ông/Bà còn 8 ngày làm việc để trả lời'],
  ] as const) {
    it(`${locale}: the hold e-mail of an edit without the paused request still tells the applicant its working days left, after the edit's text (SMTP)`, async () => {
      clock = vn('2027-03-01');
      await storeEdit('on_hold', locale, { subject: locale === 'en' ? 'On hold [{{reference}}]' : 'Tạm dừng [{{reference}}]', text: edited, html: `<p>${edited.split('\n').join('</p><p>')}</p>` });
      const applicant = await createUser({ role: 'applicant', locale });
      const due = vnEndOfDay(vnStartOfDay('2027-03-11'));
      const c = await createCase({ applicant, call, stage: 'awaiting_applicant', assignee: hr._id, stageDueAt: due, infoRequest: { items: ['PhD diploma'], dueAt: due, requestedAt: vn('2027-02-20') } });
      const a = await signedIn(t, hr);
      const p = await page(a, `/cases/${c._id}`);
      const { confirmed } = await postConfirmed(a, p.text, c._id, 'put_on_hold', { version: versionIn(p.text, `/cases/${c._id}/actions/put_on_hold`), reason: 'Budget approval pending.', reviewBy: '2027-03-29' });
      expect(confirmed.status).to.equal(303);
      await deliver(t, c._id);
      const mail = await t.smtp.waitForTo(applicant.email, locale === 'en' ? /On hold/ : /Tạm dừng/);
      // The administrator's text first, as written; the paused request's line after it.
      const at = mail.text.indexOf(locale === 'en' ? 'The Institute team' : 'Viện\n');
      expect(at, 'the edit is sent').to.be.greaterThan(-1);
      expect(mail.text.indexOf(paused), `the working days left, after it: ${mail.text}`).to.be.greaterThan(at);
      expect(text(mail.html)).to.include(paused);
      expect(mail.html).to.include('data-request-paused');
      if (locale === 'vi') expect(mail.text).not.to.match(/\bbạn\b/);
    });
  }

  it('adds the moved procedure dates to an edit of the planned-start e-mail that lacks them, nothing to an edit that has them, and not twice', async () => {
    const lacking = 'Dear {{name}},\nYour start is now {{date plannedStart}}.\nHR';
    await storeEdit('planned_start_moved', 'en', { subject: 'New start {{reference}}', text: lacking, html: '<p>Your start is now {{date plannedStart}}.</p>' });
    const data = { ...sampleData('planned_start_moved', 'http://talent.test'), procedures: [{ kindLabel: 'Work permit', dueLabel: 'file by', dueOn: '2 Apr 2027', dueLeft: '12 working days left', wasOn: '20 Mar 2027' }] };
    const mail = await renderEmail('planned_start_moved', 'en', data);
    expect(mail.version, 'the edit is sent').to.be.greaterThan(0);
    expect(mail.text.indexOf('Work permit: file by 2 Apr 2027 (12 working days left); it was 20 Mar 2027.')).to.be.greaterThan(mail.text.indexOf('HR'));
    expect(text(mail.html)).to.include('<strong>Work permit</strong>: file by <strong>2 Apr 2027</strong>');
    // The start day is carried by the edit: said once, not again below it.
    expect(mail.text.split('Your start is now').length - 1).to.equal(1);
    expect(mail.text).not.to.include('has changed your planned start');

    // An edit that carries every fact gets nothing added.
    const full = builtinParts('planned_start_moved', 'en');
    await storeEdit('planned_start_moved', 'en', { ...full, text: `${full.text}\nKind regards.` });
    const whole = await renderEmail('planned_start_moved', 'en', data);
    expect(whole.text.split('Work permit: file by').length - 1, 'said once').to.equal(1);
    // With no procedure moved, an edit lacking them gets nothing added either.
    await storeEdit('planned_start_moved', 'en', { subject: 'New start {{reference}}', text: lacking, html: '<p>Your start is now {{date plannedStart}}.</p>' });
    const none = await renderEmail('planned_start_moved', 'en', { ...data, procedures: [] });
    expect(none.text.trim().endsWith('HR'), none.text).to.equal(true);
  });

  it('adds, for every e-mail that must carry a fact, what a bare edit leaves out, in both languages and both parts (sample data)', async () => {
    const bare = { subject: 'x {{reference}}', text: 'Hello {{name}}', html: '<p>Hello {{name}}</p>' };
    for (const template of Object.keys(ESSENTIAL_VARIABLES)) {
      for (const locale of ['en', 'vi'] as const) {
        expect(factsAdded(template, locale), `${template} ${locale} has its facts`).to.equal(true);
        const mail = await renderEmail(template, locale, sampleData(template, 'http://talent.test'), { parts: bare });
        expect(mail.text.trim().length, `${template} ${locale}: text facts added`).to.be.greaterThan('Hello Nguyễn Thị Lan'.length + 10);
        expect(mail.html, `${template} ${locale}: html facts added`).to.match(/<p>Hello [^<]*<\/p>\s*<(p|ul)[ >][\s\S]*?<\/td><\/tr>/);
        expect(/<p>Hello [^<]*<\/p>([\s\S]*?)<\/td><\/tr>/.exec(mail.html)![1]!.replace(/<[^>]+>/g, '').trim().length, `${template} ${locale}: html facts have words`).to.be.greaterThan(0);
        if (locale === 'vi') expect(mail.text, `${template}: no "bạn"`).not.to.match(/\bbạn\b/);
      }
    }
  });

  it('says on the editor that what the edit leaves out is added after its text when sent (en, vi)', async () => {
    const admin: Agent = agent(t.app);
    await signIn(admin, adminUser);
    const en = await admin.get('/admin/email-templates/planned_start_moved/en').set('Accept', 'text/html');
    expect(en.status).to.equal(200);
    expect(text(en.text)).to.include('is added after your text when the e-mail is sent');
    expect(en.text).to.include('{{procedures}}');
    const vi = await admin.get('/admin/email-templates/planned_start_moved/en').set('Accept', 'text/html').set('Accept-Language', 'vi');
    expect(vi.status).to.equal(200);
  });
});
