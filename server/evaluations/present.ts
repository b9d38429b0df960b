// Small display helpers shared by the shortlist, dashboard and report pages.
import type { Locale } from '../i18n/index.ts';

const regionNames = new Map<string, Intl.DisplayNames>();

/** 'DE' → 'Germany' / 'Đức'; unknown or empty codes come back as given. */
export function countryName(code: string | null | undefined, locale: Locale): string {
  if (!code) return '';
  let names = regionNames.get(locale);
  if (!names) {
    names = new Intl.DisplayNames([locale === 'vi' ? 'vi' : 'en'], { type: 'region', fallback: 'code' });
    regionNames.set(locale, names);
  }
  try {
    return names.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

export function formatScore(n: number | null | undefined): string {
  return typeof n === 'number' ? n.toFixed(2) : '';
}
