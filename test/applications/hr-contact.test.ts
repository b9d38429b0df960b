// The institute's HR contact: an administrator sets and clears it (a bad e-mail or phone refused
// with what was typed kept, in both languages); the applicant sees it on their page ("Contact HR")
// and in the e-mails asking for papers handed over outside the upload list (the information
// request, the certificate window), in their language; an edited template without it still fits.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Institute, type InstituteDoc } from '../../models/institute.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import { loadCalendar, seedHolidays, vnDateKey, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { runCertificateWindowReminders } from '../../server/planner/jobs.ts';
import { editMisfit } from '../../server/mail/render.ts';
import { builtinParts } from '../../server/mail/templates.ts';
import { signedIn, page, post, versionIn, deliver, text } from './support.ts';

const CONTACT = { hrEmail: 'HR@ims.example.vn', hrPhone: '+84 24 3756 4321', hrAddressVi: '18 Hoàng Quốc Việt\nCầu Giấy, Hà Nội', hrAddressEn: '18 Hoang Quoc Viet\nCau Giay, Hanoi', hrHoursVi: 'Thứ Hai–Thứ Sáu 8:00–11:30', hrHoursEn: 'Mon–Fri 8:00–11:30' };
/** The contact as stored, each text in both languages. */
const STORED = { email: 'hr@ims.example.vn', phone: '+84 24 3756 4321', address: { vi: '18 Hoàng Quốc Việt\nCầu Giấy, Hà Nội', en: '18 Hoang Quoc Viet\nCau Giay, Hanoi' }, hours: { vi: 'Thứ Hai–Thứ Sáu 8:00–11:30', en: 'Mon–Fri 8:00–11:30' } };
const WHERE_EN = '18 Hoang Quoc Viet, Cau Giay, Hanoi · hr@ims.example.vn · +84 24 3756 4321';
const WHERE = '18 Hoàng Quốc Việt, Cầu Giấy, Hà Nội · hr@ims.example.vn · +84 24 3756 4321';

describe('institutes: the HR contact the applicant is told', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock: Date | undefined;
  let admin: UserDoc;
  let institute: InstituteDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock ?? new Date() });
    await seedHolidays();
    admin = await createUser({ role: 'admin', locale: 'en' });
    institute = await createInstitute();
  });
  after(async () => {
    await t?.close();
  });

  const editForm = (i: InstituteDoc) => ({ code: i.code, nameVi: i.name!.vi, nameEn: i.name!.en });

  for (const [locale, words] of [
    ['en', { email: 'Enter an e-mail address such as hr@institute.vn, or leave it blank.', phone: 'Enter a phone number of at least 6 digits', hidden: 'HR office contact' }],
    ['vi', { email: 'Vui lòng nhập địa chỉ thư điện tử, ví dụ hr@institute.vn, hoặc để trống.', phone: 'Vui lòng nhập số điện thoại có ít nhất 6 chữ số', hidden: 'Liên hệ bộ phận nhân sự' }],
  ] as const) {
    it(`refuses a bad e-mail, a bad phone and hidden characters with what was typed kept, nothing stored (${locale})`, async () => {
      const a = await signedIn(t, await createUser({ role: 'admin', locale }));
      const url = `/admin/institutes/${institute._id}`;
      const form = await page(a, url);
      expect(form.text).to.include(words.hidden);
      const bad = await post(a, form.text, url, { ...editForm(institute), hrEmail: 'hr at ims', hrPhone: '12', hrAddressVi: 'Phòng 3\u202E01', hrHoursEn: 'Mon–Fri' });
      expect(bad.status).to.equal(422);
      const shown = text(bad.text);
      expect(shown).to.include(words.email);
      expect(shown).to.include(words.phone);
      expect(bad.text).to.match(/id="f-hrAddressVi-error"/);
      expect(bad.text).to.include('value="hr at ims"');
      expect(bad.text).to.include('value="12"');
      expect(bad.text).to.include('value="Mon–Fri"');
      expect((await Institute.findById(institute._id).lean())!.hrContact ?? {}).to.deep.equal({});
    });
  }

  it('sets the contact, shows it on the edit page, and clears it again (audited)', async () => {
    const a = await signedIn(t, admin);
    const url = `/admin/institutes/${institute._id}`;
    const set = await post(a, (await page(a, url)).text, url, { ...editForm(institute), ...CONTACT });
    expect(set.status).to.equal(303);
    expect((await Institute.findById(institute._id).lean())!.hrContact).to.deep.include(STORED);
    const again = await page(a, url);
    expect(again.text).to.include('value="hr@ims.example.vn"');
    expect(again.text).to.include('18 Hoàng Quốc Việt\nCầu Giấy, Hà Nội</textarea>');
    expect(again.text).to.include('18 Hoang Quoc Viet\nCau Giay, Hanoi</textarea>');

    const cleared = await post(a, again.text, url, { ...editForm(institute), hrEmail: '', hrPhone: '', hrAddressVi: '', hrAddressEn: '', hrHoursVi: '', hrHoursEn: '' });
    expect(cleared.status).to.equal(303);
    const stored = (await Institute.findById(institute._id).lean())!.hrContact ?? {};
    expect(Object.values(stored).filter(Boolean)).to.deep.equal([]);
    const audits = await AuditEvent.find({ action: 'institute.update', targetId: String(institute._id) }).sort({ at: 1 }).lean();
    expect(audits.map((e) => (e.summary as { after: { hrContact?: object } }).after.hrContact ?? {})).to.deep.equal([
      STORED,
      {},
    ]);
    // A new institute may be created with its contact at once.
    const created = await post(a, (await page(a, '/admin/institutes')).text, '/admin/institutes', { code: 'HRC-NEW', nameVi: 'Viện Mới', nameEn: 'New Institute', ...CONTACT, hrHoursVi: '' });
    expect(created.status).to.equal(303);
    // Hours in English only: stored so (the Vietnamese reader is shown the English).
    expect((await Institute.findOne({ code: 'HRC-NEW' }).lean())!.hrContact).to.deep.include({ email: 'hr@ims.example.vn', phone: '+84 24 3756 4321', hours: { en: 'Mon–Fri 8:00–11:30' } });
  });

  describe('what the applicant is told', () => {
    let withContact: InstituteDoc;
    before(async () => {
      withContact = await createInstitute({ hrContact: STORED });
    });

    it('shows a "Contact HR" box on the application page (en, vi), and none without a contact', async () => {
      const call = await createCall({ institute: withContact, checklist: [] });
      for (const [locale, title, hoursLabel] of [['en', 'Contact HR', 'Office hours'], ['vi', 'Liên hệ bộ phận nhân sự', 'Giờ làm việc']] as const) {
        const other = locale === 'en' ? 'vi' : 'en';
        const applicant = await createUser({ role: 'applicant', locale });
        const c = await createCase({ applicant, call, stage: 'screening' });
        const res = await page(await signedIn(t, applicant), `/applications/${c._id}`);
        const box = text(res.text.slice(res.text.indexOf('id="contact-hr"'), res.text.indexOf('</section>', res.text.indexOf('id="contact-hr"'))));
        expect(box).to.include(title);
        expect(box).to.include(withContact.name![locale]);
        // Whatever the institute's name ("Institute of …" has no article of its own), the English reads naturally.
        if (locale === 'en') expect(box).to.include(`contact the HR office (${withContact.name!.en}).`);
        expect(box).to.include('<a href="mailto:hr@ims.example.vn">hr@ims.example.vn</a>');
        expect(box).to.include('+84 24 3756 4321');
        // The address and the hours in the reader's language only.
        expect(box).to.include(STORED.address[locale]);
        expect(box).not.to.include(STORED.address[other]);
        expect(box).to.include(`${hoursLabel}`);
        expect(box).to.include(STORED.hours[locale]);
        expect(box).not.to.include(STORED.hours[other]);
      }
      const plain = await createCall({ institute: await createInstitute(), checklist: [] });
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call: plain, stage: 'screening' });
      expect((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text).not.to.include('id="contact-hr"');
    });

    it("says to answer on the application page, and where papers sent by post go, in the information request's e-mail, in the applicant's language", async () => {
      const call = await createCall({ institute: withContact, checklist: [] });
      const hr = await createUser({ role: 'hr_officer', institute: withContact, locale: 'en' });
      const due = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10));
      // The address labelled for what it is (papers sent by post): after "answer on your page" a bare
      // "Send it to: <address>" read as if the answer had to be posted.
      for (const [locale, line, subject, onPage] of [
        ['en', `Papers sent by post or handed in, and questions: ${WHERE_EN}. Office hours: Mon–Fri 8:00–11:30.`, /More information needed/, 'Write your answer on your application page (the link is below).'],
        ['vi', `Giấy tờ gửi qua bưu điện hoặc nộp trực tiếp, và câu hỏi: ${WHERE}. Giờ làm việc: Thứ Hai–Thứ Sáu 8:00–11:30.`, /Cần bổ sung thông tin/, 'Ông/Bà trả lời ngay trên trang hồ sơ của mình (đường dẫn ở cuối thư).'],
      ] as const) {
        const applicant = await createUser({ role: 'applicant', locale });
        const c = await createCase({ applicant, call, stage: 'screening' });
        const a = await signedIn(t, hr);
        const form = await page(a, `/cases/${c._id}/request-info`);
        const ok = await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: 'Certified translation of your PhD diploma', dueAt: due });
        expect(ok.status).to.equal(303);
        await deliver(t, c._id);
        const mail = await t.smtp.waitForTo(applicant.email, subject);
        expect(mail.text).to.include(`${onPage}\n${line}`);
        expect(mail.html).to.include(`<p>${line.replace(/·/g, '·')}</p>`);
      }
      // An institute without a contact: no empty line.
      const bare = await createCall({ institute: await createInstitute(), checklist: [] });
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call: bare, stage: 'screening' });
      const hr2 = await createUser({ role: 'hr_officer', institute: bare.institute, locale: 'en' });
      const a = await signedIn(t, hr2);
      const form = await page(a, `/cases/${c._id}/request-info`);
      await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: 'A list of patents', dueAt: due });
      await deliver(t, c._id);
      const mail = await t.smtp.waitForTo(applicant.email, /More information needed/);
      expect(mail.text).not.to.include('Papers sent by post');
      expect(mail.text).to.include('Write your answer on your application page');
      expect(mail.text, mail.text).to.match(/\.\n\nCase reference/);
    });

    it('says where to hand the certificate that is not on the upload list (certificate window e-mail)', async () => {
      const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);
      clock = at('2026-08-15');
      try {
        const call = await createCall({ institute: withContact, checklist: [] });
        const applicant = await createUser({ role: 'applicant', locale: 'vi' });
        const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: at('2026-08-01'), profile: { fullName: 'Trần Thị Bình', plannedArrival: at('2027-04-16') }, supportTracks: [{ kind: 'work_permit', status: 'preparing', dueAt: vnEndOfDay(vnStartOfDay('2027-02-15')) }] });
        await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
        await deliver(t, c._id);
        const mail = await t.smtp.waitForTo(applicant.email, /Đến lúc xin/);
        expect(mail.text).to.include('vui lòng gửi cho bộ phận nhân sự (giấy tờ này không có trong danh sách tải lên của hồ sơ)');
        expect(mail.text).to.include(`bộ phận nhân sự sẽ nộp hồ sơ.\n\nGiấy tờ gửi qua bưu điện hoặc nộp trực tiếp, và câu hỏi: ${WHERE}.`);
        expect(mail.text).to.match(/Giờ làm việc: Thứ Hai–Thứ Sáu 8:00–11:30\.\n\nMã hồ sơ/);
        expect(mail.html).to.include('Giấy tờ gửi qua bưu điện hoặc nộp trực tiếp, và câu hỏi: 18 Hoàng Quốc Việt');
      } finally {
        clock = undefined;
      }
    });

    it("accepts an administrator's edited template that does not use the new line (the editor's fit check)", () => {
      for (const template of ['info_requested', 'certificate_window', 'procedure_ask']) {
        for (const locale of ['en', 'vi'] as const) {
          const parts = builtinParts(template, locale);
          const strip = (s: string) => s.replace(/\{\{#if sendTo\}\}[\s\S]*?\{\{\/if\}\}/g, '');
          const edited = { subject: parts.subject, text: strip(parts.text), html: strip(parts.html), version: 9000 };
          expect(edited.text, `${template} ${locale}`).not.to.include('sendTo');
          expect(editMisfit(template, locale, edited), `${template} ${locale}`).to.deep.equal([]);
        }
      }
    });
  });
});
