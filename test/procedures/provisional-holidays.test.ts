// The 2027 days the Prime Minister fixes each year (Labour Code 2019 Art. 112(3): which days make Tết
// and National Day's second day) were seeded from the Labour Code's default before any decision was
// found: /admin/holidays says which they are, above the table and beside each, in both languages,
// and says nothing of the kind for 2026 (decided, Notice 9441/TB-BNV) nor for 2027's days fixed by
// law (1 Jan, Hùng Kings, 30 Apr, 1 May and its make-up, 2 Sep, 24 Nov). A day an administrator
// removes is not announced as provisional any more. Real database, real pages.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { Holiday } from '../../models/holiday.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { provisionalDays } from '../../server/calendar/holidays-vn.ts';
import { signedIn, page, text } from '../applications/support.ts';
import type { UserDoc } from '../../models/user.ts';
import { procedureWorld, vn } from './support.ts';

const notice = (html: string) => /<div class="flash flash-info" role="status" id="provisional-days">[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
/** The dates of the table's rows marked provisional. */
const marked = (html: string) =>
  [...html.matchAll(/<tr>\s*<td[^>]*><time datetime="([^"]+)">[\s\S]*?<\/tr>/g)].filter((m) => m[0].includes('data-provisional')).map((m) => m[1]);

describe('admin: the 2027 holidays the Prime Minister has not fixed yet are said to be provisional', function () {
  this.timeout(60_000);
  let t: TestApp;
  let admin: UserDoc;
  let adminVi: UserDoc;

  before(async () => {
    ({ t } = await procedureWorld(() => vn('2026-12-07')));
    admin = await createUser({ role: 'admin', locale: 'en' });
    adminVi = await createUser({ role: 'admin', locale: 'vi' });
  });
  after(async () => {
    await seedHolidays();
    await t?.close();
  });

  it('knows which 2027 days are provisional: Tết 5–11 Feb and 3 Sep, none of the days fixed by law, none in 2026', () => {
    expect(provisionalDays('2027')).to.deep.equal(['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11', '2027-09-03']);
    expect(provisionalDays('2026')).to.deep.equal([]);
  });

  it('says so above the table and beside each day, in English and in Vietnamese (addressing "Anh/Chị")', async () => {
    const en = await page(await signedIn(t, admin), '/admin/holidays?year=2027');
    expect(en.status, en.text.slice(0, 2000)).to.equal(200);
    const shown = text(notice(en.text));
    expect(shown).to.include('Not yet fixed by the Prime Minister: 5 Feb 2027, 6 Feb 2027, 7 Feb 2027, 8 Feb 2027, 9 Feb 2027, 10 Feb 2027, 11 Feb 2027, 3 Sept 2027.');
    expect(shown).to.include('Labour Code 2019, Art. 112(3)').and.include('Ministry of Home Affairs');
    expect(marked(en.text)).to.deep.equal(provisionalDays('2027'));
    expect(text(en.text)).to.include('provisional');

    const vi = await page(await signedIn(t, adminVi), '/admin/holidays?year=2027');
    const shownVi = text(notice(vi.text));
    expect(shownVi).to.include('Chưa được Thủ tướng quyết định: 5/2/2027, 6/2/2027, 7/2/2027, 8/2/2027, 9/2/2027, 10/2/2027, 11/2/2027, 3/9/2027.').and.include('khoản 3 Điều 112 Bộ luật Lao động 2019').and.include('Anh/Chị');
    expect(shownVi).to.not.match(/\bbạn\b/i);
    expect(marked(vi.text)).to.deep.equal(provisionalDays('2027'));
    expect(vi.text).to.include('dự kiến');
  });

  it('says nothing of the kind for 2026, whose days were decided', async () => {
    const en = await page(await signedIn(t, admin), '/admin/holidays?year=2026');
    expect(en.status).to.equal(200);
    expect(notice(en.text)).to.equal('');
    expect(en.text).to.not.include('data-provisional');
  });

  it('a provisional day removed from the calendar is no longer announced', async () => {
    await Holiday.deleteOne({ date: '2027-09-03' });
    const en = await page(await signedIn(t, admin), '/admin/holidays?year=2027');
    expect(marked(en.text)).to.deep.equal(provisionalDays('2027').filter((d) => d !== '2027-09-03'));
    expect(text(notice(en.text))).to.include('11 Feb 2027.').and.not.include('Sep');
    await Holiday.create({ date: '2027-09-03', kind: 'day_off', name: { vi: 'Nghỉ lễ Quốc khánh', en: 'National Day holiday' } });
  });
});
