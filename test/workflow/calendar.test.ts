import { expect } from 'chai';
import { testDatabase } from '../support/app.ts';
import { Holiday } from '../../models/holiday.ts';
import { addWorkingDays, forgetCalendar, isWorkingDay, loadCalendar, seedHolidays, vnDateKey, workingDayDeadline, workingDaysBetween } from '../../server/calendar/index.ts';

/** An instant at the given local time in Vietnam (UTC+7). */
const vn = (s: string) => new Date(`${s}+07:00`);

describe('workflow: working days on the Vietnamese holiday calendar', () => {
  before(async () => {
    await testDatabase();
    await seedHolidays();
  });

  it('seeds the 2026 and 2027 public holidays once (a second run adds nothing)', async () => {
    const before = await Holiday.countDocuments({ date: { $gte: '2026-01-01', $lte: '2027-12-31' } });
    expect(before).to.be.greaterThanOrEqual(25);
    expect(await seedHolidays()).to.equal(0);
    expect(await Holiday.countDocuments({ date: { $gte: '2026-01-01', $lte: '2027-12-31' } })).to.equal(before);
    const tet = await Holiday.findOne({ date: '2026-02-17' }).lean();
    expect(tet?.name?.vi).to.equal('Tết Nguyên Đán');
    expect(tet?.name?.en).to.match(/Lunar New Year/);
  });

  it('knows weekends, Tết, Hùng Kings (observed), Reunification and National Day as days off', async () => {
    expect(await isWorkingDay(vn('2026-02-13T10:00:00'))).to.equal(true); // Friday before Tết
    expect(await isWorkingDay(vn('2026-02-14T10:00:00'))).to.equal(false); // Saturday
    expect(await isWorkingDay(vn('2026-02-15T10:00:00'))).to.equal(false); // Sunday
    for (const d of ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20']) {
      expect(await isWorkingDay(vn(`${d}T10:00:00`)), d).to.equal(false);
    }
    expect(await isWorkingDay(vn('2026-02-23T10:00:00'))).to.equal(true);
    expect(await isWorkingDay(vn('2026-04-27T10:00:00'))).to.equal(false); // Hùng Kings observed on Monday
    expect(await isWorkingDay(vn('2026-04-30T10:00:00'))).to.equal(false);
    expect(await isWorkingDay(vn('2026-05-01T10:00:00'))).to.equal(false);
    expect(await isWorkingDay(vn('2026-09-02T10:00:00'))).to.equal(false);
    expect(await isWorkingDay(vn('2027-02-10T10:00:00'))).to.equal(false); // Tết 2027 compensation day
    expect(await isWorkingDay(vn('2027-02-12T10:00:00'))).to.equal(true);
  });

  it('knows Vietnam Culture Day (24 November, Resolution 28/2026/QH16) and the New Year 2026 swap as seeded', async () => {
    expect((await Holiday.findOne({ date: '2026-11-24' }).lean())?.name?.vi).to.equal('Ngày Văn hóa Việt Nam');
    expect(await isWorkingDay(vn('2026-11-24T10:00:00'))).to.equal(false); // Tuesday
    expect(await isWorkingDay(vn('2026-11-23T10:00:00'))).to.equal(true); // the proposed swap was not decided
    expect(await isWorkingDay(vn('2027-11-24T10:00:00'))).to.equal(false); // Wednesday
    // 10 working days from Friday 20 Nov 2026: 23, 25–27 Nov, 30 Nov–4 Dec, 7 Dec (24 Nov off).
    expect(vnDateKey(await addWorkingDays(vn('2026-11-20T10:00:00'), 10))).to.equal('2026-12-07');
    expect(vnDateKey(await addWorkingDays(vn('2027-11-23T10:00:00'), 1))).to.equal('2027-11-25');
    // 12729/VPCP-KGVX: Friday 2 January 2026 off, Saturday 10 January worked instead.
    expect(await isWorkingDay(vn('2026-01-02T10:00:00'))).to.equal(false);
    expect(await isWorkingDay(vn('2026-01-10T10:00:00'))).to.equal(true);
    expect(vnDateKey(await addWorkingDays(vn('2025-12-31T10:00:00'), 1))).to.equal('2026-01-05');
  });

  it('uses the date in Vietnam, not in UTC', async () => {
    // Friday 20:00 UTC is already Saturday 03:00 in Hanoi.
    const lateFriday = new Date('2026-03-06T20:00:00Z');
    expect(vnDateKey(lateFriday)).to.equal('2026-03-07');
    expect(await isWorkingDay(lateFriday)).to.equal(false);
    // Sunday 18:00 UTC is Monday 01:00 in Hanoi.
    expect(await isWorkingDay(new Date('2026-03-08T18:00:00Z'))).to.equal(true);
  });

  it('adds working days across a weekend', async () => {
    expect((await addWorkingDays(vn('2026-03-06T09:30:00'), 1)).getTime()).to.equal(vn('2026-03-09T09:30:00').getTime()); // Fri + 1 = Mon
    expect((await addWorkingDays(vn('2026-03-07T09:30:00'), 1)).getTime()).to.equal(vn('2026-03-09T09:30:00').getTime()); // Sat + 1 = Mon
    expect((await addWorkingDays(vn('2026-03-02T09:30:00'), 10)).getTime()).to.equal(vn('2026-03-16T09:30:00').getTime()); // two weeks
    expect((await addWorkingDays(vn('2026-03-04T09:30:00'), 0)).getTime()).to.equal(vn('2026-03-04T09:30:00').getTime());
  });

  it('adds working days across Tết 2026 (16–20 Feb) and Tết 2027 (5–11 Feb)', async () => {
    expect(vnDateKey(await addWorkingDays(vn('2026-02-13T10:00:00'), 1))).to.equal('2026-02-23');
    expect(vnDateKey(await addWorkingDays(vn('2026-02-12T10:00:00'), 3))).to.equal('2026-02-24');
    // 10 working days from 9 Feb 2026: 10–13 Feb (4), then 23 Feb–2 Mar (6).
    expect(vnDateKey(await addWorkingDays(vn('2026-02-09T10:00:00'), 10))).to.equal('2026-03-02');
    expect(vnDateKey(await addWorkingDays(vn('2027-02-04T10:00:00'), 1))).to.equal('2027-02-12');
    // 30 April and 1 May 2026 (Thu, Fri) then the weekend.
    expect(vnDateKey(await addWorkingDays(vn('2026-04-29T10:00:00'), 1))).to.equal('2026-05-04');
    // Backwards over Tết.
    expect(vnDateKey(await addWorkingDays(vn('2026-02-23T10:00:00'), -1))).to.equal('2026-02-13');
  });

  it('counts working days between two dates', async () => {
    expect(await workingDaysBetween(vn('2026-02-13T10:00:00'), vn('2026-02-27T10:00:00'))).to.equal(5);
    expect(await workingDaysBetween(vn('2026-02-27T10:00:00'), vn('2026-02-13T10:00:00'))).to.equal(-5);
    expect(await workingDaysBetween(vn('2026-03-06T08:00:00'), vn('2026-03-06T17:00:00'))).to.equal(0);
    expect(await workingDaysBetween(vn('2026-03-06T08:00:00'), vn('2026-03-09T08:00:00'))).to.equal(1);
    const cal = await loadCalendar();
    const start = vn('2026-02-10T10:00:00');
    for (const n of [1, 3, 7, 15]) expect(cal.workingDaysBetween(start, cal.addWorkingDays(start, n)), `n=${n}`).to.equal(n);
  });

  it('runs deadlines to the end of the working day in Vietnam', async () => {
    const due = await workingDayDeadline(vn('2026-02-13T10:00:00'), 1);
    expect(due.toISOString()).to.equal(vn('2026-02-23T23:59:59.999').toISOString());
  });

  it('takes holidays an administrator adds into account at once', async () => {
    const before = vnDateKey(await addWorkingDays(vn('2031-03-06T10:00:00'), 1));
    expect(before).to.equal('2031-03-07');
    await Holiday.create({ date: '2031-03-07', name: { vi: 'Ngày nghỉ thử', en: 'Test day off' } });
    try {
      expect(vnDateKey(await addWorkingDays(vn('2031-03-06T10:00:00'), 1))).to.equal('2031-03-10');
    } finally {
      await Holiday.deleteOne({ date: '2031-03-07' });
    }
  });

  it('reads the calendar once for many callers, and again after any write through the Holiday model', async () => {
    forgetCalendar();
    const [a, b] = await Promise.all([loadCalendar(), loadCalendar()]);
    expect(b).to.equal(a); // one read shared
    expect(await loadCalendar()).to.equal(a); // kept
    const day = '2032-05-11';
    const has = async () => (await loadCalendar()).holidays.has(day);
    // A read in flight when a write lands is not kept as current.
    const inFlight = (forgetCalendar(), loadCalendar());
    await Holiday.create({ date: day, name: { vi: 'Thử', en: 'Test' } });
    await inFlight;
    expect(await has()).to.equal(true);
    try {
      await Holiday.updateOne({ date: day }, { $set: { date: '2032-05-12' } });
      expect(await has()).to.equal(false);
      await Holiday.bulkWrite([{ updateOne: { filter: { date: '2032-05-12' }, update: { $set: { date: day } } } }]);
      expect(await has()).to.equal(true);
      await (await Holiday.findOne({ date: day }))!.deleteOne();
      expect(await has()).to.equal(false);
      await Holiday.insertMany([{ date: day, name: { vi: 'Thử', en: 'Test' } }]);
      expect(await has()).to.equal(true);
      await Holiday.findOneAndDelete({ date: day });
      expect(await has()).to.equal(false);
      // Behind the model's back (another app instance), a change is seen once the kept calendar
      // expires (seconds) or is forgotten.
      await Holiday.collection.insertOne({ date: day, name: { vi: 'Thử', en: 'Test' } });
      expect(await has()).to.equal(false);
      forgetCalendar();
      expect(await has()).to.equal(true);
    } finally {
      await Holiday.deleteMany({ date: { $in: [day, '2032-05-12'] } });
    }
    expect(await has()).to.equal(false);
  });

  it('counts by day numbers exactly as by Vietnamese date strings, across day, year and unknown-year edges', async () => {
    // The reference: the string arithmetic the calendar used before it counted day numbers.
    const cal = await loadCalendar();
    const key = (d: Date) => new Date(d.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
    const working = (d: Date) => {
      const wd = new Date(d.getTime() + 7 * 3_600_000).getUTCDay();
      if (wd === 0 || wd === 6) return cal.workedWeekendDays.has(key(d)); // a make-up Saturday is worked
      return !cal.knownYears.has(key(d).slice(0, 4)) || !cal.holidays.has(key(d));
    };
    const add = (d: Date, n: number) => {
      let x = new Date(d.getTime());
      for (let left = Math.abs(n); left > 0; ) {
        x = new Date(x.getTime() + (n >= 0 ? 86_400_000 : -86_400_000));
        if (working(x)) left -= 1;
      }
      return x;
    };
    const between = (a: Date, b: Date) => {
      const [ka, kb] = [key(a), key(b)];
      let count = 0;
      for (let t = Date.parse(`${ka < kb ? ka : kb}T00:00:00.000Z`) - 7 * 3_600_000 + 86_400_000; t <= Date.parse(`${ka < kb ? kb : ka}T00:00:00.000Z`) - 7 * 3_600_000; t += 86_400_000) if (working(new Date(t))) count += 1;
      return kb >= ka ? count : -count;
    };
    // Instants either side of midnight in Vietnam (17:00 UTC), around Tết 2026, New Year 2027 and
    // into 2030 (no holidays entered: weekends only), and before 1970.
    const instants = ['2026-02-13T16:59:59.999Z', '2026-02-13T17:00:00.000Z', '2026-12-31T16:59:59.999Z', '2026-12-31T17:00:00.000Z', '2027-04-29T23:30:00.000Z', '2029-12-28T10:00:00.000Z', '1969-12-31T16:59:59.999Z'].map((s) => new Date(s));
    for (const d of instants) {
      expect(vnDateKey(d), d.toISOString()).to.equal(key(d));
      expect(cal.isWorkingDay(d), d.toISOString()).to.equal(working(d));
      for (const n of [0, 1, 3, 10, 30, -1, -5, -30]) expect(cal.addWorkingDays(d, n).getTime(), `${d.toISOString()} ${n}`).to.equal(add(d, n).getTime());
      for (const e of instants) expect(cal.workingDaysBetween(d, e), `${d.toISOString()} → ${e.toISOString()}`).to.equal(between(d, e));
    }
    expect(() => vnDateKey(new Date(NaN))).to.throw(RangeError);
  });
});
