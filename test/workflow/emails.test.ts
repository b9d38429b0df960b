// Every workflow e-mail exists in Vietnamese and English (subject, text, HTML), renders with the
// case reference and link, and the two languages differ. The built-in templates (version 0), not
// the version in use: that one is read from the database (an administrator's edit, which another
// test file may have saved), and this file, with no database of its own, waited for a connection
// nobody made when run alone.
import { expect } from 'chai';
import { renderEmail as render } from '../../server/mail/render.ts';

const renderEmail = (template: string, locale: 'vi' | 'en', data: Record<string, unknown>) => render(template, locale, data, { version: 0 });
import { WORKFLOW_TEMPLATES } from '../../server/workflow/index.ts';

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
      }
      expect(vi.subject).to.not.equal(en.subject);
      expect(vi.html).to.include('lang="vi"');
    });
  }

  it('renders the overdue digest in both languages', async () => {
    const vi = await renderEmail('overdue_digest', 'vi', data);
    const en = await renderEmail('overdue_digest', 'en', data);
    expect(vi.subject).to.equal('1 hồ sơ quá hạn tại đơn vị của bạn');
    expect(en.subject).to.equal('1 overdue case in your institute');
    expect((await renderEmail('overdue_digest', 'en', { ...data, count: 2 })).subject).to.equal('2 overdue cases in your institute');
    expect(en.text).to.include('http://talent.test/cases/abc?lang=en');
  });
});
