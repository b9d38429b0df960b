// A text kept in both languages ({vi, en}), as calls' titles and fields and the HR office's
// address and hours are. A language left blank shows the other one: an administrator may know a
// research field or an office's hours in one language only, and a page saying nothing would hide
// it from the reader, where the other language still tells them something. A plain string is a text
// stored before it had two languages (server/calls/bilingual-backfill.ts turns those into {vi, en}
// once per database): it reads the same in both until then.
import type { Locale } from '../i18n/index.ts';

export interface LocalizedText {
  vi?: string | null;
  en?: string | null;
}

/** A string stored where {vi, en} goes: a hydrated document's nested path gives it as a String object. */
function isOneString(value: unknown): value is string | String {
  return typeof value === 'string' || value instanceof String;
}

/** The text in `locale`, else in the other language; '' when there is none. */
export function textIn(value: unknown, locale: Locale): string {
  if (isOneString(value)) return String(value);
  if (!value || typeof value !== 'object') return '';
  const v = value as LocalizedText;
  const own = locale === 'vi' ? v.vi : v.en;
  const other = locale === 'vi' ? v.en : v.vi;
  return (typeof own === 'string' && own) || (typeof other === 'string' && other) || '';
}

/** Both languages as stored ({vi, en}, '' for a blank one); a plain string is both. */
export function bothLanguages(value: unknown): { vi: string; en: string } {
  if (isOneString(value)) return { vi: String(value), en: String(value) };
  const v = (value && typeof value === 'object' ? value : {}) as LocalizedText;
  return { vi: typeof v.vi === 'string' ? v.vi : '', en: typeof v.en === 'string' ? v.en : '' };
}

/** The languages given ({vi, en} without blanks), or undefined when neither is: what is stored. */
export function storedText(vi: string, en: string): { vi?: string; en?: string } | undefined {
  const out = { ...(vi ? { vi } : {}), ...(en ? { en } : {}) };
  return Object.keys(out).length ? out : undefined;
}
