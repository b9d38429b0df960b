// Vietnam's public holidays as days off for 2026 and 2027. Labour Code 2019 (45/2019/QH14)
// Art. 112(1): New Year 1 day (1 Jan), Tết 5 days, Victory Day 30 Apr, Labour Day 1 May, National
// Day 2 days (2 Sep and the day before or after), Hùng Kings 1 day (10th of the 3rd lunar month);
// Art. 112(3): the Prime Minister fixes the Tết and National Day days each year. Lunar
// dates are converted; a holiday falling on a weekend is followed by a compensating weekday
// (Art. 111(3)). Art. 112 checked again 7 Dec 2026 as quoted by vinanet.vn 723430 and
// thuvienphapluat.vn ("b) Tết Âm lịch: 05 ngày; … đ) Quốc khánh: 02 ngày (ngày 02 tháng 9 dương lịch
// và 01 ngày liền kề trước hoặc sau); e) Ngày Giỗ Tổ Hùng Vương: 01 ngày (ngày 10 tháng 3 âm lịch)";
// "3. Hằng năm, căn cứ vào điều kiện thực tế, Thủ tướng …"): matches. Art. 112(2), a foreign worker's
// extra day off for their own New Year and national day, is the employer's and not counted here:
// the authorities' working days are what deadlines run on. The days are the public sector's (civil servants and public employees, as the
// Ministry of Home Affairs announces them once the Prime Minister has decided): the authorities
// whose deadlines are counted work on it, and so do public research institutes. Private employers
// choose their own within the law. Administrators correct or add days on /admin/holidays.
// 24 November, Vietnam Culture Day, from 2026: National Assembly Resolution 28/2026/QH16 on the
// development of Vietnamese culture, Art. 2: "Ngày 24 tháng 11 hằng năm là Ngày Văn hóa Việt Nam;
// người lao động được nghỉ làm việc và hưởng nguyên lương" (in force 1 July 2026). Checked with the
// search tool against public repositories quoting the text published on xaydungchinhsach.chinhphu.vn
// ("toan-van-nghi-quyet-so-28-2026-qh16-ve-phat-trien-van-hoa-viet-nam", read there 26 Sep 2026)
// and quochoi.vn (ItemID=99708); not read in the gazette itself. It is not a day of Labour Code
// Art. 112(1), so the Art. 111(3) make-up does not reach it (it falls on weekdays in 2026 and 2027).
// The day, off on full pay, was first chosen in the Politburo's Resolution 80-NQ/TW of 7 Jan 2026 on
// Vietnamese culture (tienphong.vn post1812508, baotintuc.vn 20260113202440189, via the search tool);
// the Assembly's resolution made it law. Resolution 80's paid day off checked again 7 Dec 2026 (s40):
// vietnam-aujourdhui.info 2026/01/13 ("Vietnam will officially mark Nov. 24 as 'Vietnam Culture
// Day,' a paid public holiday, under a Politburo resolution"), chaohanoi.com 2026/01/14; the
// Assembly's Resolution 28/2026/QH16 itself was not found again in that search (pages: "Vietnam
// Culture Day 24 November day off paid holiday National Assembly resolution 2026").
// A swap around 24 November 2026 (Monday 23 off, Saturday 28 worked) was proposed in September
// 2026; no decision was found, so it is not seeded (an administrator adds it on /admin/holidays).
import type { HolidayKind } from '../../models/holiday.ts';

export interface HolidaySeed {
  date: string;
  vi: string;
  en: string;
  /** A weekend day worked in exchange for a weekday off ('working_day'); default a day off. */
  kind?: HolidayKind;
  /** Where the day comes from, shown to the administrator (admin.holidays.known.basis.<basis>). */
  basis: HolidayBasis;
  /**
   * The day is the Labour Code's default, not yet fixed by the Prime Minister (Art. 112(3): which days
   * make Tết's five and National Day's second): /admin/holidays says so beside it until the schedule is
   * out and this list is corrected (a decided day drops the flag).
   */
  provisional?: true;
}

/**
 * The legal basis of a known day: a holiday of Labour Code 2019 Art. 112(1); a weekday off in place
 * of a holiday on the weekly rest day (Art. 111(3)); a swap the Prime Minister decided (Art. 112(3),
 * announced by the Ministry of Home Affairs / Government Office); Vietnam Culture Day (Resolution
 * 28/2026/QH16 Art. 2).
 */
export type HolidayBasis = 'labourCode112' | 'labourCode111' | 'swap' | 'resolution28';

const tet = { vi: 'Tết Nguyên Đán', en: 'Lunar New Year (Tết)', basis: 'labourCode112' as const };
const cultureDay = { vi: 'Ngày Văn hóa Việt Nam', en: 'Vietnam Culture Day', basis: 'resolution28' as const };

export const VN_HOLIDAYS: readonly HolidaySeed[] = [
  // 2026: Tết (16–20 Feb) and National Day (31 Aug–2 Sep, Saturday 22 Aug worked for Monday 31 Aug) as
  // the Ministry of Home Affairs' Notice 9441/TB-BNV of 16 Oct 2025 sets them for the public sector
  // (english.luatvietnam.vn, the notice; vietnamnews.vn 1727514).
  { date: '2026-01-01', vi: 'Tết Dương lịch', en: "New Year's Day", basis: 'labourCode112' },
  // New Year 2026: Friday 2 January off, swapped for Saturday 10 January worked (Government Office
  // letter 12729/VPCP-KGVX, December 2025, as public repositories carrying the 2026 notices cite it
  // and xaydungchinhsach.chinhphu.vn "Lịch nghỉ Tết Dương lịch 2026" reports it; letter not read).
  // Checked 7 Dec 2026 (s40): a republished news item (collector.com.tr 965292743) dates the letter
  // 25 Dec 2025, the Deputy Prime Minister approving the Ministry's proposal: "nghỉ 4 ngày liên tục từ
  // thứ năm (ngày 1/1/2026) đến hết chủ nhật (ngày 4/1/2026); hoán đổi từ ngày làm việc thứ sáu (ngày
  // 2/1/2026) sang ngày nghỉ hằng tuần thứ bảy (ngày 10/1/2026)": matches.
  { date: '2026-01-02', vi: 'Nghỉ hoán đổi dịp Tết Dương lịch (làm bù thứ Bảy 10/1)', en: "New Year holiday (swapped for Saturday 10 January)", basis: 'swap' },
  { date: '2026-01-10', vi: 'Làm bù cho ngày 2/1', en: 'Working Saturday (in exchange for 2 January)', kind: 'working_day', basis: 'swap' },
  // Tết Bính Ngọ: New Year's Day is 17 Feb; official break Sat 14 Feb – Sun 22 Feb, weekdays 16–20
  // (Ministry of Home Affairs, approved by the Prime Minister; Việt Nam News 2025,
  // vietnamnews.vn/politics-laws/1727514; congan.com.vn 388656: "từ thứ Bảy 14/2/2026 (tức 27 tháng
  // Chạp, năm Ất Tỵ) đến hết Chủ nhật 22/2/2026 … tổng cộng 9 ngày liên tục", checked 7 Dec 2026).
  ...['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20'].map((date) => ({ date, ...tet })),
  // 10th day of the 3rd lunar month is Sunday 26 April: observed Monday 27 April.
  { date: '2026-04-26', vi: 'Giỗ Tổ Hùng Vương', en: 'Hùng Kings Commemoration', basis: 'labourCode112' },
  { date: '2026-04-27', vi: 'Nghỉ bù Giỗ Tổ Hùng Vương', en: 'Hùng Kings Commemoration (observed)', basis: 'labourCode111' },
  { date: '2026-04-30', vi: 'Ngày Giải phóng miền Nam', en: 'Reunification Day', basis: 'labourCode112' },
  { date: '2026-05-01', vi: 'Ngày Quốc tế Lao động', en: "International Workers' Day", basis: 'labourCode112' },
  // National Day: Sat 29 Aug – Wed 2 Sep off, Monday 31 Aug swapped for Saturday 22 Aug worked
  // (same announcement: "employees will work on Saturday, August 22, in compensation for Monday,
  // August 31").
  { date: '2026-08-22', vi: 'Làm bù cho ngày 31/8', en: 'Working Saturday (in exchange for 31 August)', kind: 'working_day', basis: 'swap' },
  { date: '2026-08-31', vi: 'Nghỉ lễ Quốc khánh (hoán đổi, làm bù thứ Bảy 22/8)', en: 'National Day holiday (swapped for Saturday 22 August)', basis: 'swap' },
  { date: '2026-09-01', vi: 'Nghỉ lễ Quốc khánh', en: 'National Day holiday', basis: 'labourCode112' },
  { date: '2026-09-02', vi: 'Quốc khánh', en: 'National Day', basis: 'labourCode112' },
  // Resolution 28/2026/QH16 Art. 2 (above): a Tuesday.
  { date: '2026-11-24', ...cultureDay },
  // 2027: Tết and National Day not yet decided by the Prime Minister. Searched again on 6 Dec 2026
  // (pages, code): found only the Ministry of Home Affairs' two proposals for Tết, 7 or 10 days in a
  // row, reported on xaydungchinhsach.chinhphu.vn on 22 Sep 2026 (as a public repository's source
  // list cites it, "not yet issued"), and no decision. The days below are the Labour Code's (Art.
  // 112(1), Art. 111(3)); those the Prime Minister fixes are `provisional` (the admin page says so),
  // to be corrected once the schedule is out. Fixed by law, not provisional: 1 Jan, Hùng Kings, 30 Apr,
  // 1 May and its make-up on Monday 3 May, 2 Sep, 24 Nov.
  { date: '2027-01-01', vi: 'Tết Dương lịch', en: "New Year's Day", basis: 'labourCode112' },
  // Tết Đinh Mùi: New Year's Day is Saturday 6 Feb 2027 (Hồ Ngọc Đức's lunar algorithm at UTC+7, run
  // here, gives 6 Feb; public repositories' Tết tables agree); eve (5 Feb) + days 1–4, the two weekend
  // days made up on 10 and 11 Feb. Provisional: the 7-day proposal would be these days (Fri 5 – Thu 11
  // Feb); the 10-day one was not found in detail. Checked again 7 Dec 2026 with a second method: the
  // new moons from Meeus' series (Astronomical Algorithms ch. 49, main terms) at UTC+7 fall on
  // 8 Jan 2027 03:26 (month 12 of Bính Ngọ, 29 days, so the eve is 5 Feb), 6 Feb 2027 22:57 (month 1:
  // Tết on 6 Feb, an hour before midnight, inside the series' minutes of error) and 7 Apr 2027 06:54
  // (month 3: its 10th day is 16 Apr). Searched pages again for a 2027 decision ("lịch nghỉ Tết
  // Nguyên đán 2027", "Tet holiday 2027 schedule approved Prime Minister"): none found, so still
  // provisional. Searched again 7 Dec 2026 (s40, pages: "lịch nghỉ Tết Nguyên đán 2027 Thủ tướng đồng
  // ý", "Vietnam Tet holiday 2027 schedule Ministry of Home Affairs proposal days off", "Vietnam 2027
  // public holidays Lunar New Year Tet 2027 days off approved", "Tết Đinh Mùi 2027 nghỉ 9 ngày công
  // chức viên chức Bộ Nội vụ phương án"): only the 2026 schedule and older years came back; no 2027
  // decision. An amendment to Labour Code Art. 112 adding days (searched "sửa đổi Bộ luật Lao động
  // Điều 112 tăng ngày nghỉ lễ tết 2026"): nothing relevant found, so none is assumed beyond Culture
  // Day (unverified, not ruled out).
  ...['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11'].map((date) => ({ date, ...tet, provisional: true as const })),
  // 10th day of the 3rd lunar month: Friday 16 April 2027 (same algorithm; it gives 26 April 2026, the
  // day the Ministry announced for 2026).
  { date: '2027-04-16', vi: 'Giỗ Tổ Hùng Vương', en: 'Hùng Kings Commemoration', basis: 'labourCode112' },
  { date: '2027-04-30', vi: 'Ngày Giải phóng miền Nam', en: 'Reunification Day', basis: 'labourCode112' },
  { date: '2027-05-01', vi: 'Ngày Quốc tế Lao động', en: "International Workers' Day", basis: 'labourCode112' },
  { date: '2027-05-03', vi: 'Nghỉ bù Ngày Quốc tế Lao động', en: "International Workers' Day (observed)", basis: 'labourCode111' },
  { date: '2027-09-02', vi: 'Quốc khánh', en: 'National Day', basis: 'labourCode112' },
  // National Day's second day is the day before or after 2 Sep (Art. 112(1)(đ)), the Prime Minister's
  // choice: Friday 3 Sep is assumed (a long weekend), Wednesday 1 Sep as likely. Provisional.
  { date: '2027-09-03', vi: 'Nghỉ lễ Quốc khánh', en: 'National Day holiday', basis: 'labourCode112', provisional: true },
  // Resolution 28/2026/QH16 Art. 2 (above): a Wednesday.
  { date: '2027-11-24', ...cultureDay },
];

/** The known days of `year` the Prime Minister has not fixed yet (HolidaySeed.provisional), in date order. */
export function provisionalDays(year: string): string[] {
  return VN_HOLIDAYS.filter((h) => h.provisional && h.date.startsWith(`${year}-`)).map((h) => h.date);
}
