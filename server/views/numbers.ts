// Numbers as the page's language writes them: a decimal comma and dots between thousands in
// Vietnamese ("4,40", "1.234,5"), the en-GB forms in English ("4.40", "1,234.5"). Only for display:
// sorting, sums and CSV exports keep the numbers themselves.
const formats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string, min: number, max: number): Intl.NumberFormat {
  const key = `${locale}|${min}|${max}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', { minimumFractionDigits: min, maximumFractionDigits: max });
    formats.set(key, f);
  }
  return f;
}

/** Up to `maxDecimals` decimals, none shown when not needed: 12, 2,5 (vi) / 2.5 (en). */
export function formatNumber(n: number, locale: string, maxDecimals = 2): string {
  return Number.isFinite(n) ? numberFormat(locale, 0, maxDecimals).format(n) : '';
}

/** Exactly `decimals` decimals (scores: 4,40 / 4.40). */
export function formatDecimal(n: number, locale: string, decimals: number): string {
  return Number.isFinite(n) ? numberFormat(locale, decimals, decimals).format(n) : '';
}
