// Times as people in Vietnam read them, always with their zone: "3 Dec 2026, 14:05 (UTC+7)" in
// English and "3/12/2026, 14:05 (UTC+7)" in Vietnamese on pages, e-mails and reports, and ISO 8601
// with the offset ("2026-12-03T14:05:00+07:00") for <time datetime>.
//
// Each language has one form for a day everywhere, prose, e-mails and tables alike, alone or with a
// time. Vietnamese: day/month/year without leading zeros ("5/12/2026"), as Vietnamese forms and
// letters write it (ICU's own vi-VN styles mix "05 thg 12, 2026" and "5 tháng 12, 2026", neither of
// which is how a date is written in Vietnamese). English: "5 Dec 2026", en-GB's day, short month and
// year (the pages mixed "05 Dec 2026", "5 December 2026" and ISO days). A month is "tháng 12/2026" /
// "December 2026". ISO days ("2026-12-05") are for machines only: <time datetime>, date inputs, CSV
// and ICS. Every day a person reads comes from formatDay (or the `date` helper, which calls it).
export const APP_TIME_ZONE = 'Asia/Ho_Chi_Minh';
/** Vietnam has kept UTC+7 since 13 June 1975, 00:00 local time (IANA tz, Asia/Ho_Chi_Minh); it was UTC+8 just before, and changed several times earlier. */
const UTC7_SINCE = Date.UTC(1975, 5, 12, 17);
export const VN_OFFSET_MS = 7 * 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * The day in Vietnam of an instant, as days since 1970-01-01 at UTC+7 (the offset of every date the
 * product handles; the working-day calendar counts on these numbers).
 */
export function vnDayNumber(d: Date): number {
  const t = d.getTime();
  if (Number.isNaN(t)) throw new RangeError('Invalid time value');
  return Math.floor((t + VN_OFFSET_MS) / DAY_MS);
}

const formats = new Map<string, Intl.DateTimeFormat>();
/**
 * One Intl.DateTimeFormat per locale and options, made once: `toLocaleDateString` builds a new one
 * on every call, which a queue page of 50 rows with several dates each felt (a CPU profile's top
 * entry among the view helpers).
 */
export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formats.set(key, f);
  }
  return f;
}

/** The zone's offset from UTC at that instant, in minutes (Vietnam: +420, no daylight saving). */
export function zoneOffsetMinutes(d: Date, timeZone = APP_TIME_ZONE): number {
  // Known without asking Intl (formatToParts on every date and time shown on a case page).
  if (timeZone === APP_TIME_ZONE && d.getTime() >= UTC7_SINCE) return 420;
  const name = dateFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/** "UTC+7", "UTC+5:30", "UTC". */
export function zoneLabel(d: Date, timeZone = APP_TIME_ZONE): string {
  const off = zoneOffsetMinutes(d, timeZone);
  if (off === 0) return 'UTC';
  const a = Math.abs(off);
  return `UTC${off < 0 ? '-' : '+'}${Math.floor(a / 60)}${a % 60 ? `:${String(a % 60).padStart(2, '0')}` : ''}`;
}

/** ISO 8601 in the app's zone with its offset, to the second. */
export function isoWithOffset(d: Date, timeZone = APP_TIME_ZONE): string {
  const off = zoneOffsetMinutes(d, timeZone);
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  const a = Math.abs(off);
  return `${local}${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const VI_DAY: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'numeric', year: 'numeric' };
const EN_DAY: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', year: 'numeric' };

/** "5/12/2026": the day in the zone, put together from its parts (ICU's separators vary by version). */
function viDay(d: Date, timeZone: string): string {
  const parts = dateFormat('vi-VN', { ...VI_DAY, timeZone }).formatToParts(d);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return `${part('day')}/${part('month')}/${part('year')}`;
}

/** The day in the zone in one language's form: "5/12/2026" or "5 Dec 2026". */
function dayFormatted(d: Date, locale: 'vi-VN' | 'en-GB', timeZone = APP_TIME_ZONE): string {
  return locale === 'vi-VN' ? viDay(d, timeZone) : dateFormat('en-GB', { ...EN_DAY, timeZone }).format(d);
}

/** Date and time in the page's language, with the zone: "3 Dec 2026, 14:05 (UTC+7)", "3/12/2026, 14:05 (UTC+7)": the day as formatDay writes it. */
export function formatDateTime(d: Date, locale: string, timeZone = APP_TIME_ZONE): string {
  const lang = locale === 'vi' ? 'vi-VN' : 'en-GB';
  const day = timeZone === APP_TIME_ZONE ? dayText(d, lang) : dayFormatted(d, lang, timeZone);
  return `${day}, ${dateFormat(lang, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(d)} (${zoneLabel(d, timeZone)})`;
}

const DAY_TEXTS_MAX = 20_000;
/** Texts of days already shown, by day in Vietnam and locale (day × 2 + locale). */
const dayTexts = new Map<number, string>();

/**
 * A day in Vietnam in one language's form: "5 Dec 2026" (en-GB), "5/12/2026" (vi-VN). Remembered per
 * locale and day (each instant of a day gives the same text), as Intl's format was 3 % of the queue
 * page (two dates on each of 50 rows); instants before the zone's last change are always formatted.
 */
export function dayText(d: Date, locale: 'vi-VN' | 'en-GB'): string {
  const t = d.getTime();
  if (t < UTC7_SINCE) return dayFormatted(d, locale);
  const key = vnDayNumber(d) * 2 + (locale === 'vi-VN' ? 1 : 0);
  let text = dayTexts.get(key);
  if (text === undefined) {
    text = dayFormatted(d, locale);
    if (dayTexts.size >= DAY_TEXTS_MAX) dayTexts.clear();
    dayTexts.set(key, text);
  }
  return text;
}

/** A value from a template or a document as a valid Date, or undefined. */
export function asDate(value: unknown): Date | undefined {
  if (!value) return undefined;
  const d = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * A day for a person to read, in the page's language ('vi' | 'en'): "5/12/2026", "5 Dec 2026". Takes
 * an instant, or a calendar day as stored ('2026-12-05': midnight UTC, the same day in Vietnam);
 * nothing for nothing. The `date` helper of pages and e-mails, and every presenter that writes a day
 * into a sentence.
 */
export function formatDay(value: unknown, locale: string): string {
  const d = asDate(value);
  return d ? dayText(d, locale === 'vi' ? 'vi-VN' : 'en-GB') : '';
}

/**
 * A calendar month ('YYYY-MM', as the figures group them) in the page's language: "tháng 12/2026",
 * "December 2026". Every month label of the dashboard and the planner comes from here.
 */
export function monthText(month: string, locale: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return month;
  if (locale === 'vi') return `tháng ${Number(m[2])}/${m[1]}`;
  return dateFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-15T00:00:00Z`));
}
