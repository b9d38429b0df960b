// The administrator's holidays page warns when the calendar has no entries for the coming 12 months
// (here: 2028, not yet entered), in Vietnamese and English, and says nothing when they are covered.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { Holiday } from '../../models/holiday.ts';
import { signedIn, page, text } from '../applications/support.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

describe('procedures: the holiday calendar warns before it runs out', () => {
  let t: TestApp;
  let clock = vn('2027-03-01');

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
  });
  after(async () => {
    await t?.close();
  });

  for (const locale of ['en', 'vi'] as const) {
    it(`shows the warning on /admin/holidays when a year of the next 12 months has no holidays (${locale})`, async () => {
      expect(await Holiday.exists({ date: { $gte: '2028-01-01', $lte: '2028-12-31' } })).to.equal(null);
      const admin = await createUser({ role: 'admin', locale });
      clock = vn('2027-03-01');
      const a = await signedIn(t, admin);
      const res = await page(a, '/admin/holidays');
      expect(res.status).to.equal(200);
      expect(res.text).to.include('id="calendar-warning"');
      expect(text(res.text)).to.include(locale === 'en' ? 'The holiday calendar has no entries for 2028 (1 Mar 2027 – 1 Mar 2028)' : 'Lịch nghỉ lễ chưa có ngày nào của năm 2028 (1/3/2027 – 1/3/2028)');
      // What to enter names Vietnam Culture Day beside the Labour Code's holidays (Resolution 28/2026/QH16).
      expect(text(res.text)).to.include(locale === 'en' ? 'Enter the public holidays of 2028 (Labour Code 2019 Art. 112, and Vietnam Culture Day on 24 November, National Assembly Resolution 28/2026/QH16)' : 'Hãy nhập các ngày nghỉ lễ năm 2028 (Bộ luật Lao động 2019, Điều 112, và Ngày Văn hóa Việt Nam 24/11 theo Nghị quyết 28/2026/QH16 của Quốc hội)');
      // On 1 March 2026 the next 12 months are 2026–2027, both entered: no warning.
      clock = vn('2026-03-01');
      const b = await signedIn(t, admin);
      const covered = await page(b, '/admin/holidays');
      expect(covered.status).to.equal(200);
      expect(covered.text).not.to.include('id="calendar-warning"');
    });
  }
});
