// How the Vietnamese account e-mails call their reader: applicants (scientists) "Ông/Bà", staff
// "Anh/Chị", as received over the in-process SMTP server; an administrator's edited template still
// sends (with `{{you}}` it follows the role too), and an e-mail composed before the variable existed
// renders as it was sent ("Ông/Bà").
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createUser } from '../support/factories.ts';
import { postForm } from './helpers.ts';
import { EmailTemplate } from '../../models/email-template.ts';
import { systemContext } from '../../server/context.ts';
import { builtinParts, invalidateOverrides } from '../../server/mail/templates.ts';
import { saveEmailTemplate } from '../../server/email-templates/service.ts';
import { renderEmail } from '../../server/mail/render.ts';

describe('accounts: Vietnamese account e-mails address staff "Anh/Chị" and applicants "Ông/Bà"', function () {
  this.timeout(30_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await EmailTemplate.deleteMany({ template: 'password_reset', locale: 'vi' });
    invalidateOverrides();
    await t.close();
  });

  async function resetMail(email: string) {
    const res = await postForm(agent(t.app), '/password/forgot', '/password/forgot', { email });
    expect(res.status).to.equal(200);
    return t.smtp.waitForTo(email);
  }

  it('a staff member\'s reset e-mail says "Anh/Chị", an applicant\'s "Ông/Bà"', async () => {
    for (const role of ['hr_officer', 'leader', 'admin'] as const) {
      const mail = await resetMail((await createUser({ role, locale: 'vi' })).email);
      expect(mail.text, role).to.include('đặt lại mật khẩu cho tài khoản của Anh/Chị');
      expect(mail.html, role).to.include('Anh/Chị');
      expect(mail.text + mail.html, role).not.to.include('Ông/Bà');
    }
    const applicant = await resetMail((await createUser({ role: 'applicant', locale: 'vi' })).email);
    expect(applicant.text).to.include('đặt lại mật khẩu cho tài khoản của Ông/Bà');
    expect(applicant.text + applicant.html).not.to.include('Anh/Chị');
  });

  it('sends an administrator\'s edited template: with {{you}} by role, with the words typed as typed', async () => {
    const admin = await createUser({ role: 'admin', locale: 'vi' });
    const ctx = systemContext({ now: new Date(), actor: admin as never });
    const builtin = builtinParts('password_reset', 'vi');
    const edited = { ...builtin, text: `Thân gửi {{you}} {{name}}.\n\n${builtin.text}` };
    const saved = await saveEmailTemplate({ app: t.ctx, ctx, template: 'password_reset', locale: 'vi', parts: edited, baseVersion: 0 });
    expect(saved.ok, JSON.stringify(saved)).to.equal(true);
    const staff = await resetMail((await createUser({ role: 'hr_officer', locale: 'vi' })).email);
    expect(staff.text).to.include('Thân gửi Anh/Chị');
    // An edit saved before the variable existed, with "Ông/Bà" typed in: it still sends as edited.
    const typed = { ...builtin, text: 'Kính gửi Ông/Bà {{name}}: {{link}} ({{minutes}} phút).' };
    const again = await saveEmailTemplate({ app: t.ctx, ctx, template: 'password_reset', locale: 'vi', parts: typed, baseVersion: saved.ok ? saved.version : 0 });
    expect(again.ok, JSON.stringify(again)).to.equal(true);
    const old = await resetMail((await createUser({ role: 'applicant', locale: 'vi' })).email);
    expect(old.text).to.match(/^Kính gửi Ông\/Bà .+: https?:\/\/\S+ \(60 phút\)\.$/);
  });

  it('renders an e-mail kept from before (no "you" in its data) as it was sent: "Ông/Bà"', async () => {
    const r = await renderEmail('account_disabled', 'vi', { name: 'Trần Văn Minh', decidedAt: new Date('2026-03-16T03:00:00Z'), contactEmail: 'admin@talent.example' });
    expect(r.text).to.include('vô hiệu hóa tài khoản của Ông/Bà');
    expect(r.subject).to.equal('Tài khoản của Ông/Bà trong Chương trình Thu hút Nhân tài đã bị vô hiệu hóa');
  });
});
