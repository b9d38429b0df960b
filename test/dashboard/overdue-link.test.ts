// The leader's dashboard counts overdue support procedures and links to the cases behind the count
// (walk-proc #8: the figure was a bare number; the queue's "overdue procedures" filter lists each case
// with its deadline and working days). The leader follows the link and sees the overdue case.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { seedHolidays, vnEndOfDay } from '../../server/calendar/index.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { computeFigures } from '../../server/dashboard/stored.ts';
import { signedIn, page } from '../applications/support.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

describe('dashboard: the overdue support procedures open the cases behind them', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2026-12-07');

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
  });
  after(async () => {
    await t?.close();
  });

  for (const [locale, label] of [
    ['en', 'Open the cases with an overdue support procedure'],
    ['vi', 'Mở các hồ sơ có thủ tục hỗ trợ quá hạn'],
  ] as const) {
    it(`links the leader from the overdue figure to the queue listing the overdue case (${locale})`, async () => {
      const institute = await createInstitute();
      const leader = await createUser({ role: 'leader', institute, locale });
      const call = await createCall({ institute, checklist: [] });
      const late = await createCase({
        applicant: await createUser({ role: 'applicant' }),
        call,
        stage: 'onboarding',
        stageEnteredAt: vn('2026-11-02'),
        stageDueAt: vn('2027-01-29'),
        profile: { fullName: 'Overdue Permit', plannedArrival: new Date('2027-01-04T00:00:00.000Z') } as never,
        supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2026-12-01')), updatedAt: vn('2026-11-02') }] as never,
      });
      await clearDashboardCache();
      await computeFigures({ institute: institute._id }, clock);
      const a = await signedIn(t, leader);
      const dash = await page(a, '/dashboard');
      expect(dash.status).to.equal(200);
      // The address as the page writes it (Handlebars escapes "=" as &#x3D;; the browser reads it back).
      expect(dash.text.replaceAll('&#x3D;', '=')).to.match(new RegExp(`<a href="/cases\\?procedures=1" id="overdue-cases">${label}`));
      const queue = await page(a, '/cases?procedures=1');
      expect(queue.status).to.equal(200);
      expect(queue.text).to.include(late.reference);
    });
  }
});
