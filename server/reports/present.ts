// The printable steering report page, wholly in the report's language, with its downloads and the
// same report in the other language.
import { withCells } from '../dashboard/tables.ts';
import { filterParams } from '../dashboard/present.ts';
import type { SteeringReport } from './index.ts';

export function steeringPage({ report: r }: { report: SteeringReport }) {
  const locale = r.locale;
  const query = filterParams(r.resolved.values);
  const qs = (lang: string) => {
    const p = new URLSearchParams(query);
    p.set('lang', lang);
    return `?${p.toString()}`;
  };
  return {
    title: r.title,
    report: r,
    tables: withCells(r.tables, locale),
    reportLocale: locale,
    csvUrl: `/reports/steering.csv${qs(locale)}`,
    pdfUrl: `/reports/steering.pdf${qs(locale)}`,
    xlsxUrl: `/reports/steering.xlsx${qs(locale)}`,
    otherLangUrl: `/reports/steering${qs(locale === 'vi' ? 'en' : 'vi')}`,
    dashboardUrl: `/dashboard${query.toString() ? `?${query}` : ''}`,
    styles: ['/static/css/leaders.css'],
  };
}
