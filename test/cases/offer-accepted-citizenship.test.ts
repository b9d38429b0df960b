// Walk s35 #2: a French national who never held Vietnamese nationality read, on accepting her offer,
// "Citizenship: we aim to file by … (60 working days left)", as if she could be naturalised now.
// Naturalisation needs 5 years' permanent residence in Vietnam unless an exemption applies (Law on
// Vietnamese Nationality Art. 19, as amended by Law 79/2025/QH15): the acceptance e-mail says so, as
// her page does; one restoring the nationality (an overseas Vietnamese, Art. 23) keeps the date.
// Real database, the real dispatcher, the in-process SMTP server.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { deliver, page, post, signedIn, versionIn } from '../applications/support.ts';

describe('cases: the acceptance e-mail does not give a foreigner a naturalisation filing date', function () {
  this.timeout(60_000);
  let t: TestApp;
  let call: CallDoc;
  // Monday 7 Dec 2026, 09:00 in Vietnam.
  const clock = new Date('2026-12-07T02:00:00Z');

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  async function accepted(applicant: UserDoc, overseasVietnamese: boolean) {
    const c = await createCase({
      applicant,
      call,
      stage: 'offer',
      stageEnteredAt: clock,
      stageDueAt: new Date('2026-12-21T16:59:59.999Z'),
      profile: { fullName: 'Claire Dubois', nationality: 'FR', countryOfResidence: 'FR', overseasVietnamese, highestDegree: 'phd' },
      supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: false, citizenship: true, family: false },
    });
    const a = await signedIn(t, applicant);
    const url = `/applications/${c._id}/offer/accept`;
    const confirm = await page(a, url);
    expect((await post(a, confirm.text, url, { version: versionIn(confirm.text, url) })).status).to.equal(303);
    await deliver(t, c._id);
    return t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
  }

  const words = {
    vi: { row: '- Quốc tịch:', residence: 'thường trú tại Việt Nam từ 5 năm', law: 'Điều 19 Luật Quốc tịch Việt Nam, sửa đổi bởi Luật 79/2025/QH15', told: 'bộ phận nhân sự sẽ báo Ông/Bà khi có thể nộp hồ sơ', date: /Quốc tịch: Dự kiến nộp hồ sơ trước/ },
    en: { row: '- Citizenship:', residence: '5 years of permanent residence in Vietnam', law: 'Law on Vietnamese Nationality Art. 19, as amended by Law 79/2025/QH15', told: 'the HR office will tell you when the file can be lodged', date: /Citizenship: We aim to file by/i },
  };

  for (const locale of ['vi', 'en'] as const) {
    it(`${locale}: a foreigner who never held the nationality: the residence condition and its exemption, no filing date`, async () => {
      const applicant = await createUser({ role: 'applicant', locale });
      const mail = await accepted(applicant, false);
      const w = words[locale];
      const row = mail.text.split('\n').find((l) => l.startsWith(w.row));
      expect(row, mail.text).to.be.a('string');
      expect(row).to.include(w.residence).and.include(w.law).and.include(w.told);
      expect(row).to.not.match(/working days|ngày làm việc/);
      expect(mail.text).to.not.match(w.date);
      expect(mail.html).to.include(w.residence);
      if (locale === 'vi') expect(mail.text).to.not.match(/(^|[^\p{L}])bạn([^\p{L}]|$)/iu);
    });
  }

  it('vi: an overseas Vietnamese restoring the nationality keeps the institute\'s target date', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const mail = await accepted(applicant, true);
    expect(mail.text).to.match(/- Quốc tịch: Dự kiến nộp hồ sơ trước \d+\/\d+\/\d{4} \(còn \d+ ngày làm việc\)/);
    expect(mail.text).to.not.include(words.vi.residence);
  });
});
