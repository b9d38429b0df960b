// Who in HR hears of what an applicant sends on a case no officer has, when the institute has no HR
// lead (server/institutes/hr-staff.ts hrOfficeToTell): its officers only when they are few (≤ 5),
// else the institute's HR e-mail, else the administrators, whose e-mail says the institute has no
// HR lead. Every HR e-mail sent so says no officer has the case, in both languages and both parts.
// And the administrators' institutes page warns of an institute with no HR lead, saying where such
// news goes. Real database, real HTTP, the real in-process SMTP server.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser, withOnlyAdmins } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { sampleData } from '../../server/mail/templates.ts';
import { MAX_ADMINS, FEW_OFFICERS } from '../../server/institutes/hr-staff.ts';
import { signedIn, page, post, deliver, text } from '../applications/support.ts';

// Every template sent to HR through officersToTell/emailsToHr (server/cases/commands.ts,
// server/cases/message-digest.ts, server/workflow/index.ts, server/procedures/asks.ts).
const HR_TEMPLATES = ['applicant_message', 'applicant_message_digest', 'info_answered', 'procedure_ask_replied', 'offer_answered'];
const LINES = {
  en: { hr: "No officer is assigned to this case yet, so the institute's HR office is told", admins: 'its institute has no HR lead, so the administrators are told' },
  vi: { hr: 'Hồ sơ này chưa có cán bộ phụ trách nên thông báo được gửi tới bộ phận nhân sự của viện', admins: 'viện chưa có trưởng bộ phận nhân sự nên thông báo được gửi tới quản trị viên' },
} as const;

describe('cases: an institute with no HR lead', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  describe('every HR e-mail sent for want of an officer says so', () => {
    for (const template of HR_TEMPLATES) {
      for (const locale of ['en', 'vi'] as const) {
        it(`${template} (${locale})`, async () => {
          const render = (extra: Record<string, unknown>) => renderEmail(template, locale, { ...sampleData(template), ...extra }, { version: 0 });
          const hr = await render({ unassigned: true, toAdmins: false });
          const admins = await render({ unassigned: true, toAdmins: true });
          const officer = await render({ unassigned: false, toAdmins: false });
          for (const part of ['text', 'html'] as const) {
            expect(text(hr[part]), `${part}: the HR office's line`).to.include(LINES[locale].hr).and.not.include(LINES[locale].admins);
            expect(text(admins[part]), `${part}: the administrators' line`).to.include(LINES[locale].admins).and.not.include(LINES[locale].hr);
            expect(text(officer[part]), `${part}: the case's officer reads neither`).not.to.include(LINES[locale].hr).and.not.include(LINES[locale].admins);
          }
        });
      }
    }
  });

  async function caseIn(institute: InstituteDoc, applicant: UserDoc): Promise<CaseDoc> {
    const call = await createCall({ institute, checklist: [] });
    return createCase({ applicant, call, stage: 'screening', profile: { fullName: 'Trần Văn Bình' } });
  }

  /** The applicant's message from their page; the outbox items it owes HR. */
  async function message(c: CaseDoc, applicant: UserDoc, words: string) {
    const a = await signedIn(t, applicant);
    const mine = await page(a, `/applications/${c._id}`);
    const action = `/applications/${c._id}/messages`;
    const key = new RegExp(`action="${action}"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(mine.text)![1]!;
    expect((await post(a, mine.text, action, { text: words, formKey: key })).status).to.equal(303);
    return (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'applicant_message');
  }

  const officers = (institute: InstituteDoc, n: number) => Promise.all(Array.from({ length: n }, (_, i) => createUser({ role: 'hr_officer', institute, locale: 'en', name: `Officer ${i + 1}` })));

  it(`with ${FEW_OFFICERS} officers or fewer, each of them is told`, async () => {
    const institute = await createInstitute({ hrContact: { email: 'hr-few@institute.example' } });
    const staff = await officers(institute, FEW_OFFICERS);
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const items = await message(await caseIn(institute, applicant), applicant, 'Hello.');
    expect(items.map((i) => i.to).sort()).to.deep.equal(staff.map((s) => s.email).sort());
  });

  it('with more officers, the institute’s HR e-mail gets one e-mail, in Vietnamese, addressed to its HR staff, saying no officer has the case', async () => {
    const institute = await createInstitute({ hrContact: { email: 'HR-Many@Institute.example' } });
    const staff = await officers(institute, FEW_OFFICERS + 1);
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant);
    const items = await message(c, applicant, 'Could someone call me?');
    expect(items.map((i) => [i.to, i.locale])).to.deep.equal([['hr-many@institute.example', 'vi']]);
    // Its own key (the institute's id), as a fallback reader's always is.
    expect(items[0]!.key).to.match(new RegExp(`\\.${institute._id}$`));
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo('hr-many@institute.example', new RegExp(`\\[${c.reference}\\]`));
    expect(mail.text).to.include(`Kính gửi Anh/Chị cán bộ nhân sự của ${institute.name!.vi},`);
    expect(mail.text).to.include(LINES.vi.hr);
    expect(mail.text).to.include('Could someone call me?');
    for (const s of staff) expect(t.smtp.to(s.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });

  it('with no officer at all, the HR e-mail is told too', async () => {
    const institute = await createInstitute({ hrContact: { email: 'hr-none@institute.example' } });
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const items = await message(await caseIn(institute, applicant), applicant, 'Xin chào.');
    expect(items.map((i) => i.to)).to.deep.equal(['hr-none@institute.example']);
  });

  it('with more officers and no HR e-mail, the administrators are told (not the officers, nor a disabled administrator), and asked to name an HR lead', async () => {
    const institute = await createInstitute();
    const staff = await officers(institute, FEW_OFFICERS + 2);
    const admin = await createUser({ role: 'admin', locale: 'en', name: 'Admin Ada' });
    const gone = await createUser({ role: 'admin', disabled: true });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant);
    // Other test files leave administrators in the database: set aside for this message, so these are
    // the only two (one enabled, one disabled).
    const items = await withOnlyAdmins([admin, gone], () => message(c, applicant, 'Anyone?'));
    expect(items.map((i) => i.to)).to.deep.equal([admin.email]);
    for (const s of staff) expect(t.smtp.to(s.email)).to.have.length(0);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(admin.email, new RegExp(`\\[${c.reference}\\]`));
    expect(mail.text).to.include('Dear Admin Ada,');
    expect(mail.text).to.include('No officer is assigned to this case yet and its institute has no HR lead, so the administrators are told: please name an HR lead');
    // The applicant is told the HR office was notified, as with a lead.
    expect(text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text)).not.to.include('no one in the HR office could be e-mailed');
  });

  it(`with many administrators, only the ${MAX_ADMINS} longest-standing are told: a notice to name a lead, not a mailing list`, async () => {
    const institute = await createInstitute();
    await officers(institute, FEW_OFFICERS + 2);
    const admins = [];
    for (let i = 0; i < MAX_ADMINS + 2; i++) admins.push(await createUser({ role: 'admin', locale: 'en' }));
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseIn(institute, applicant);
    const items = await withOnlyAdmins(admins, () => message(c, applicant, 'Is anyone there?'));
    expect(items.map((i) => i.to)).to.deep.equal(admins.slice(0, MAX_ADMINS).map((a) => a.email));
  });

  it('the administrators’ institutes page warns of each institute with no HR lead, saying where such news goes', async () => {
    const withLead = await createInstitute();
    await createUser({ role: 'hr_officer', institute: withLead, isHrLead: true });
    const few = await createInstitute();
    await officers(few, 2);
    const many = await createInstitute({ hrContact: { email: 'hr-page@institute.example' } });
    await officers(many, FEW_OFFICERS + 1);
    const empty = await createInstitute();
    // A disabled lead is no lead.
    await createUser({ role: 'hr_officer', institute: empty, isHrLead: true, disabled: true });
    const admin = await createUser({ role: 'admin', locale: 'en' });
    const html = (await page(await signedIn(t, admin), '/admin/institutes')).text;
    const row = (i: InstituteDoc) => {
      const at = html.indexOf(`/admin/institutes/${i._id}"`);
      return text(html.slice(html.lastIndexOf('<tr>', at), html.indexOf('</tr>', at)));
    };
    expect(row(withLead)).to.include('1 HR lead').and.not.include('data-no-hr-lead');
    expect(row(few)).to.include('data-no-hr-lead').and.include('No HR lead: what applicants send on a case no officer has goes to its 2 HR officers: Officer 1, Officer 2.');
    expect(row(few)).to.include(`/admin/users?role=hr_officer&institute=${few._id}`);
    // Why not its officers, for this institute: too many to write to each, or none.
    expect(row(many)).to.include(`goes to the HR e-mail hr-page@institute.example, as its ${FEW_OFFICERS + 1} HR officers are more than 5 to write to each.`);
    expect(row(empty)).to.include('goes to the administrators, as it has no HR officer and no HR e-mail.');

    const vi = await createUser({ role: 'admin', locale: 'vi' });
    const viHtml = text((await page(await signedIn(t, vi), '/admin/institutes')).text);
    expect(viHtml).to.include('Chưa có trưởng bộ phận nhân sự: tin nhắn và phản hồi của ứng viên trên hồ sơ chưa có cán bộ phụ trách sẽ được gửi tới 2 cán bộ nhân sự của viện: Officer 1, Officer 2.');
  });
});
