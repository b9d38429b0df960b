// The staff home counts deadlines in working days, as every deadline elsewhere is (walk s34 #5): "in
// the next 7 working days" reads the holiday calendar (a case due 9 calendar days ahead but 7 working
// days ahead is counted; one 8 working days ahead is not), and "due today" is its own count. Each
// count's link lists the same cases. en + vi, on a test clock with the seeded holidays.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';
import type { UserDoc } from '../../models/user.ts';
import { seedHolidays, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, text as decoded } from '../applications/support.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
const due = (day: string) => vnEndOfDay(vnStartOfDay(day));
const text = (html: string) => decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
function countOf(html: string, key: string): { figure: string; href: string } {
  const m = html.match(new RegExp(`<li data-work="${key}"><a href="([^"]+)"><strong class="work-figure">([^<]+)</strong>`));
  expect(m, `count ${key}`).to.not.equal(null);
  return { href: decoded(m![1]!), figure: m![2]! };
}

describe('home: deadlines counted in working days, with a "due today" count', function () {
  this.timeout(60_000);
  let t: TestApp;
  let hr: UserDoc;
  let hrVi: UserDoc;

  before(async () => {
    // Mon 8 Mar 2027, no holiday near.
    t = await startTestApp({ now: () => vn('2027-03-08') });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Home', locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Nhà', locale: 'vi' });
    const call = await createCall({ institute, checklist: [] });
    const applicant = await createUser({ role: 'applicant' });
    // Due today (Mon 8 Mar), due Wed 17 Mar (7 working days, 9 calendar days), due Thu 18 Mar (8 working days: not soon).
    for (const day of ['2027-03-08', '2027-03-17', '2027-03-18']) await createCase({ applicant, call, stage: 'screening', assignee: hr._id, stageDueAt: due(day) });
    forgetKeptReads();
  });
  after(async () => {
    await t?.close();
  });

  it('English: 1 due today, 2 in the next 7 working days (said so), each link listing them', async () => {
    const a = await signedIn(t, hr);
    const home = await page(a, '/');
    const words = text(home.text);
    expect(countOf(home.text, 'today')).to.deep.equal({ figure: '1', href: '/cases?today=1' });
    expect(words).to.include('1 case due today');
    expect(countOf(home.text, 'soon')).to.deep.equal({ figure: '2', href: '/cases?soon=1' });
    expect(words).to.include('2 cases with a deadline in the next 7 working days');
    for (const [href, n] of [['/cases?today=1', 1], ['/cases?soon=1', 2]] as const) {
      expect((((await page(a, href)).text).match(/<tr data-case="/g) ?? []).length, href).to.equal(n);
    }
    expect((await page(a, '/cases?today=1')).text).to.match(/id="q-today" checked/);
  });

  it('Vietnamese: the same counts, in working days', async () => {
    const words = text((await page(await signedIn(t, hrVi), '/')).text);
    expect(words).to.include('1 hồ sơ đến hạn hôm nay');
    expect(words).to.include('2 hồ sơ có thời hạn trong 7 ngày làm việc tới');
  });
});
