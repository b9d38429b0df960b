// Every workflow e-mail exists in Vietnamese and English (subject, text, HTML), renders with the
// case reference and link, and the two languages differ. The built-in templates (version 0), not
// the version in use: that one is read from the database (an administrator's edit, which another
// test file may have saved), and this file, with no database of its own, waited for a connection
// nobody made when run alone.
import { expect } from 'chai';
import { renderEmail as render } from '../../server/mail/render.ts';

const renderEmail = (template: string, locale: 'vi' | 'en', data: Record<string, unknown>) => render(template, locale, data, { version: 0 });
import { WORKFLOW_TEMPLATES } from '../../server/workflow/index.ts';
import { builtinParts, listTemplateNames, sampleData } from '../../server/mail/templates.ts';
import { procedureWords, type TrackState } from '../../server/procedures/service.ts';
import { loadResources, translator } from '../../server/i18n/index.ts';
import { WorkingCalendar } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';

describe('workflow: e-mail templates', () => {
  const data = {
    name: 'Lan',
    reference: 'TA-2026-000042',
    link: 'http://talent.test/applications/abc',
    applicantName: 'Nguyễn Thị Lan',
    callTitle: { vi: 'Kỹ sư trưởng', en: 'Chief engineer' },
    items: ['Diploma'],
    dueAt: new Date('2026-03-10T16:59:59.999Z'),
    reason: 'Budget',
    supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: new Date('2026-03-10T16:59:59.999Z') }],
    stage: 'screening',
    workingDaysLeft: 2,
    count: 1,
    cases: [{ reference: 'TA-2026-000042', applicantName: 'Lan', stage: 'screening', dueAt: new Date(), workingDaysLate: 1, link: 'http://talent.test/cases/abc' }],
  };

  it('has all the transition templates the table names, plus the reminders', () => {
    expect(WORKFLOW_TEMPLATES).to.include.members([
      'application_submitted', 'screening_started', 'info_requested', 'info_answered', 'sent_to_evaluation', 'shortlisted',
      'offer_made', 'rejected', 'offer_accepted', 'offer_declined', 'arrived', 'closed', 'on_hold', 'resumed', 'withdrawn',
    ]);
  });

  for (const template of [...WORKFLOW_TEMPLATES, 'case_due_soon']) {
    it(`renders ${template} in vi and en with the reference and the link, in the e-mail's language`, async () => {
      const vi = await renderEmail(template, 'vi', data);
      const en = await renderEmail(template, 'en', data);
      for (const [locale, m] of [['vi', vi], ['en', en]] as const) {
        expect(m.subject).to.include('TA-2026-000042');
        expect(m.text).to.include(`http://talent.test/applications/abc?lang=${locale}`);
        expect(m.html).to.include(`href="http://talent.test/applications/abc?lang&#x3D;${locale}"`); // Handlebars escapes '='
        expect(m.text).not.to.match(/\{\{|\[object Object\]|undefined/);
        // One blank line between paragraphs at most (walk s34: the offer's text had two before its reference).
        expect(m.text, 'two blank lines in a row').not.to.match(/\n[ \t]*\n[ \t]*\n/);
      }
      expect(vi.subject).to.not.equal(en.subject);
      expect(vi.html).to.include('lang="vi"');
    });
  }

  it('the shortlisted e-mail says by when the leadership decides, with its working days, as the institute\'s own target, and what the applicant does meanwhile (walk s35)', async () => {
    const due = { ...data, dueAt: new Date('2026-03-10T16:59:59.999Z') };
    const vi = await renderEmail('shortlisted', 'vi', { ...due, dueLeft: 'còn 10 ngày làm việc' });
    const en = await renderEmail('shortlisted', 'en', { ...due, dueLeft: '10 working days left' });
    for (const m of [vi.text, vi.html]) expect(m).to.include('chậm nhất vào ngày').and.include('10/3/2026').and.include('(còn 10 ngày làm việc)').and.include('không phải thời hạn do pháp luật quy định').and.include('Ông/Bà không cần làm gì thêm');
    for (const m of [en.text, en.html]) expect(m).to.include('10 Mar 2026').and.include('(10 working days left)').and.include('not a time limit set by law').and.include('nothing for you to do');
  });

  it('the on-hold e-mail says a procedure already lodged with an authority goes on being decided (walk s35)', async () => {
    const vi = await renderEmail('on_hold', 'vi', { ...data, reviewBy: '20/1/2027', filedContinue: 'Hồ sơ Thẻ tạm trú đã nộp cho cơ quan có thẩm quyền không dừng theo.' });
    const en = await renderEmail('on_hold', 'en', { ...data, reviewBy: '20 Jan 2027', filedContinue: 'Your Temporary residence card file does not stop.' });
    for (const m of [vi.text, vi.html]) expect(m).to.include('Hồ sơ Thẻ tạm trú đã nộp cho cơ quan có thẩm quyền không dừng theo.');
    for (const m of [en.text, en.html]) expect(m).to.include('Your Temporary residence card file does not stop.');
    expect(vi.text, 'two blank lines in a row').not.to.match(/\n[ \t]*\n[ \t]*\n/);
  });

  it('keeps one blank line between paragraphs whichever optional parts an e-mail has (walk s34: the offer e-mails had two)', async () => {
    const base = { ...data, received: 'We received your answer on 1 Mar 2027.', reason: 'My family cannot move this year.' };
    for (const [template, extra] of [
      ['offer_declined', { received: 'We received your answer on 1 Mar 2027.', reason: 'My family cannot move this year.' }],
      ['offer_declined', { received: 'We received your answer on 1 Mar 2027.', reason: undefined }],
      ['offer_accepted', { signedOfferAsked: true, supportTracks: [{ kind: 'visa', dueAt: new Date() }], plannedStart: new Date() }],
      ['offer_accepted', { signedOfferAsked: false, supportTracks: [{ kind: 'visa', dueAt: new Date() }] }],
      ['offer_made', { hasLetter: true, dueAt: new Date(), dueLeft: '5 working days left' }],
      ['offer_made', { termsPending: true }],
    ] as const) {
      for (const locale of ['vi', 'en'] as const) {
        const m = await renderEmail(template, locale, { ...base, ...extra });
        expect(m.text, `${template} ${locale} ${JSON.stringify(extra)}`).not.to.match(/\n[ \t]*\n[ \t]*\n/);
      }
    }
  });

  it('renders the overdue digest in both languages', async () => {
    const vi = await renderEmail('overdue_digest', 'vi', data);
    const en = await renderEmail('overdue_digest', 'en', data);
    expect(vi.subject).to.equal('1 hồ sơ quá hạn tại đơn vị của Anh/Chị');
    expect(en.subject).to.equal('1 overdue case in your institute');
    expect((await renderEmail('overdue_digest', 'en', { ...data, count: 2 })).subject).to.equal('2 overdue cases in your institute');
    expect(en.text).to.include('http://talent.test/cases/abc?lang=en');
    // No hold past its review date: no holds heading.
    expect(en.text).not.to.include('Holds past their review date');
    expect(vi.text).not.to.include('tạm dừng');
  });

  it('lists holds past their review date under their own heading (who put them on hold, the date, the working days past), and only them when no other case is late', async () => {
    const holds = [{ reference: 'TA-2026-000077', applicantName: 'Anna Berg', heldByName: 'Officer Minh', reviewDate: new Date('2026-03-10T16:59:59.999Z'), workingDaysLate: 3, link: 'http://talent.test/cases/held' }];
    const both = await renderEmail('overdue_digest', 'en', { ...data, count: 2, holds, holdsMore: 0 });
    expect(both.text).to.include('These cases are past their working-day deadline:\n- TA-2026-000042');
    expect(both.text).to.include('Holds past their review date:\n- TA-2026-000077 Anna Berg, put on hold by Officer Minh: review by 10 Mar 2026 (3 working days overdue) http://talent.test/cases/held?lang=en');
    expect(both.html).to.include('<a href="http://talent.test/cases/held?lang&#x3D;en">TA-2026-000077</a> Anna Berg, put on hold by Officer Minh: review by 10 Mar 2026 (3 working days overdue)');
    const vi = await renderEmail('overdue_digest', 'vi', { ...data, count: 2, holds, holdsMore: 2 });
    expect(vi.text).to.include('Hồ sơ tạm dừng đã quá ngày xem xét lại:\n- TA-2026-000077 Anna Berg, tạm dừng bởi Officer Minh: xem xét lại trước 10/3/2026 (trễ 3 ngày làm việc)');
    expect(vi.text).to.include('… và 2 hồ sơ khác.');
    // Only holds late: the heading of late stages is not shown over an empty list.
    const onlyHolds = await renderEmail('overdue_digest', 'en', { ...data, count: 1, cases: [], more: 0, holds, holdsMore: 0 });
    expect(onlyHolds.subject).to.equal('1 overdue case in your institute');
    expect(onlyHolds.text).not.to.include('working-day deadline');
    expect(onlyHolds.html).not.to.include('working-day deadline');
    expect(onlyHolds.text).to.include('TA-2026-000077');
    expect(onlyHolds.text).not.to.match(/\{\{|\[object Object\]|undefined|\n\n\n/);
  });

  // A research institute writes to scientists formally ("Ông/Bà"), to its own staff as colleagues
  // ("Anh/Chị"); never "bạn" (a consumer app's "you"), in its e-mails as on its pages.
  const BAN = /(?<!\p{L})bạn(?!\p{L})/iu;

  describe('Vietnamese e-mails address the reader formally', () => {
    const STAFF_ONLY = new Set(['applicant_message', 'applicant_message_digest', 'case_due_soon', 'invitation', 'note_mention', 'role_changed', 'overdue_digest', 'info_answered', 'offer_answered', 'procedure_ask_replied', 'procedure_escalation', 'panel_digest']);

    it('says "Ông/Bà" to applicants and "Anh/Chị" to staff in every built-in template, never "bạn"', () => {
      const names = listTemplateNames();
      expect(names.length).to.be.greaterThan(40);
      for (const name of names) {
        const all = Object.values(builtinParts(name, 'vi')).join('\n');
        expect(all, name).not.to.match(BAN);
        if (STAFF_ONLY.has(name)) expect(all, name).not.to.include('Ông/Bà');
        else expect(all, name).not.to.include('Anh/Chị');
      }
      // Account e-mails name their reader by role ({{you}}: server/accounts/mail.ts youFor).
      expect(builtinParts('verify_email', 'vi').text).to.include('Cảm ơn {{you}} đã đăng ký');
      expect(builtinParts('note_mention', 'vi').subject).to.include('đã nhắc đến Anh/Chị');
    });

    it('greets by title and name ("Kính gửi Ông/Bà …", staff "Kính gửi Anh/Chị …", account e-mails by role), in English "Dear …"', async () => {
      for (const name of listTemplateNames()) {
        const vi = builtinParts(name, 'vi');
        const title = STAFF_ONLY.has(name) ? 'Anh/Chị' : vi.text.includes('{{you}}') ? '{{you}}' : 'Ông/Bà';
        expect(vi.text.split('\n')[0], name).to.equal(`Kính gửi ${title} {{name}},`);
        expect(vi.html, name).to.include(`<p>Kính gửi ${title} {{name}},</p>`);
        expect(builtinParts(name, 'en').text.split('\n')[0], name).to.equal('Dear {{name}},');
      }
      const rendered = await renderEmail('screening_started', 'vi', { ...data, name: 'Trần Văn Bình' });
      expect(rendered.text).to.match(/^Kính gửi Ông\/Bà Trần Văn Bình,\n/);
      expect((await renderEmail('screening_started', 'en', { ...data, name: 'Trần Văn Bình' })).text).to.match(/^Dear Trần Văn Bình,\n/);
      expect((await renderEmail('info_answered', 'vi', { ...data, name: 'Lê Thị Hoa' })).text).to.match(/^Kính gửi Anh\/Chị Lê Thị Hoa,\n/);
    });

    it('renders every Vietnamese e-mail, its layout and the words put into it, without "bạn"', async () => {
      for (const name of listTemplateNames()) {
        const m = await renderEmail(name, 'vi', sampleData(name));
        expect(`${m.subject}\n${m.text}\n${m.html}`, name).not.to.match(BAN);
      }
      expect((await renderEmail('verify_email', 'vi', sampleData('verify_email'))).text).to.include('Cảm ơn Ông/Bà đã đăng ký');
      const digest = await renderEmail('overdue_digest', 'vi', { ...data, count: 3 });
      expect(digest.subject).to.equal('3 hồ sơ quá hạn tại đơn vị của Anh/Chị');
      const roles = await renderEmail('role_changed', 'vi', { ...sampleData('role_changed'), panelsLeft: 2 });
      expect(roles.text).to.include('Với vai trò mới, Anh/Chị đã rời 2 hội đồng đánh giá; các phiếu chấm Anh/Chị đã nộp vẫn được lưu giữ.');
    });

    it('heads a started procedure "cho Ông/Bà", in the e-mail as on the applicant\'s page', () => {
      const track = { kind: 'visa', status: 'requested' } as unknown as TrackState;
      const clock = { calendar: WorkingCalendar.of(VN_HOLIDAYS), now: new Date('2027-03-01T03:00:00Z') };
      const vi = procedureWords('vi', 'visa', track, { from: 'not_needed', to: 'requested' }, clock);
      expect(vi.headline).to.equal('Thị thực: viện đã bắt đầu thủ tục này cho Ông/Bà');
      expect(translator('vi')('procedures.applicant.requested', { kind: 'Thị thực' })).to.equal(vi.headline);
      const en = procedureWords('en', 'visa', track, { from: 'not_needed', to: 'requested' }, clock);
      expect(en.headline).to.match(/: the institute has started this procedure for you$/);
    });
  });

  // The pages speak as the e-mails do: "Ông/Bà" where only applicants read, "Anh/Chị" where only
  // staff do, and no pronoun at all where anyone may (sign-in, errors, the 409 page, timelines).
  describe('Vietnamese pages address the reader formally', () => {
    // "bạn" as part of another word, were one ever needed ("bạn bè" friends, "bạn đời" spouse).
    const NOT_THE_PRONOUN = /(?<!\p{L})bạn (?:bè|đời)(?!\p{L})/giu;
    const strings = (node: unknown, key: string): Array<[string, string]> =>
      typeof node === 'string' ? [[key, node]] : node && typeof node === 'object' ? Object.entries(node).flatMap(([k, v]) => strings(v, `${key}.${k}`)) : [];
    const vi = Object.entries(loadResources().vi).flatMap(([ns, tree]) => strings(tree, ns));

    it('never says "bạn" in any Vietnamese string', () => {
      expect(vi.length).to.be.greaterThan(2000);
      const offending = vi.filter(([, text]) => BAN.test(text.replace(NOT_THE_PRONOUN, ''))).map(([key]) => key);
      expect(offending).to.deep.equal([]);
      expect('Bạn đã chấp nhận'.replace(NOT_THE_PRONOUN, '')).to.match(BAN);
      expect('gia đình, bạn bè'.replace(NOT_THE_PRONOUN, '')).not.to.match(BAN);
    });

    it('says "Anh/Chị" only to staff and "Ông/Bà" only to applicants, where a page has one reader', () => {
      const t = translator('vi');
      for (const ns of ['mentions', 'queue', 'calendarFeed', 'mailLog']) expect(vi.filter(([key, text]) => key.startsWith(`${ns}.`) && text.includes('Ông/Bà')).map(([key]) => key), ns).to.deep.equal([]);
      for (const ns of ['applications', 'calls', 'planner', 'privacy']) expect(vi.filter(([key, text]) => key.startsWith(`${ns}.`) && text.includes('Anh/Chị')).map(([key]) => key), ns).to.deep.equal([]);
      // The applicant's timeline names them as the e-mails do; the staff home calls its reader "Anh/Chị".
      expect(t('cases.people.you')).to.equal('Ông/Bà');
      expect(t('mentions.home.by', { name: 'Lan' })).to.equal('Lan đã nhắc đến Anh/Chị');
      expect(t('applications.flash.offerAccepted')).to.equal('Ông/Bà đã chấp nhận lời mời làm việc. Xin chào mừng Ông/Bà!');
      // Read by anyone: no pronoun.
      expect(t('errors.forbidden')).not.to.match(/Ông\/Bà|Anh\/Chị/);
      expect(t('accounts.signin.disabled', { contactEmail: 'a@b.vn' })).to.match(/^Tài khoản này đã bị vô hiệu hóa/);
    });
  });
});
