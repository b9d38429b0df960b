// The dashboard figures as labelled tables in one language: the single shape the page's
// accessible tables, the CSV export and the PDF are all drawn from, so they always agree. The rows
// keep numbers and months as values (the CSV stays machine-readable); `withCells` writes them as
// the language does for the page and the PDF ("2,5", "tháng 3/2027").
import type { TFunction } from 'i18next';
import type { Locale } from '../i18n/index.ts';
import { countryName } from '../applications/countries.ts';
import type { DashboardData } from './index.ts';
import { withFields } from '../support/with-fields.ts';
import { formatNumber } from '../views/numbers.ts';
import { monthText } from '../views/time.ts';
import { FUNNEL_STAGES, inStages } from '../../models/constants.ts';

/** A calendar month, 'YYYY-MM' (as it is in the CSV); shown in words on the page and the PDF. */
export interface MonthCell {
  month: string;
}
export type Cell = string | number | null | MonthCell;

export interface FigureTable {
  id: 'funnel' | 'timeInStage' | 'overdue' | 'byCountry' | 'byTrack' | 'byField' | 'arrivals';
  title: string;
  columns: string[];
  rows: Cell[][];
  /** For charts: label and one numeric series per row. */
  chart: { labels: string[]; series: { label: string; values: number[] }[]; kind: 'bar' | 'line' | 'doughnut' };
}

export function figureTables(d: DashboardData, t: TFunction, locale: Locale): FigureTable[] {
  const stage = (s: string) => t(`workflow.stages.${s}`, { defaultValue: s });
  const other = (k: string) => (k === '*other' ? t('dashboard.other') : k === '' ? t('dashboard.unknown') : k);
  const funnel = d.stages;
  // The chart draws the main line only (a funnel); the table counts every stage.
  const funnelMain = funnel.filter((r) => inStages(r.stage, FUNNEL_STAGES));
  const tis = d.timeInStage;
  const byField = d.byField[locale];
  return [
    {
      id: 'funnel',
      title: t('dashboard.tables.funnel'),
      columns: [t('dashboard.cols.stage'), t('dashboard.cols.now'), t('dashboard.cols.reached')],
      rows: funnel.map((r) => [stage(r.stage), r.now, r.reached]),
      chart: {
        kind: 'bar',
        labels: funnelMain.map((r) => stage(r.stage)),
        series: [
          { label: t('dashboard.cols.reached'), values: funnelMain.map((r) => r.reached) },
          { label: t('dashboard.cols.now'), values: funnelMain.map((r) => r.now) },
        ],
      },
    },
    {
      id: 'timeInStage',
      title: t('dashboard.tables.timeInStage'),
      columns: [t('dashboard.cols.stage'), t('dashboard.cols.stays'), t('dashboard.cols.median'), t('dashboard.cols.p90')],
      rows: tis.map((r) => [stage(r.stage), r.stays, r.medianDays, r.p90Days]),
      chart: {
        kind: 'bar',
        labels: tis.map((r) => stage(r.stage)),
        series: [
          { label: t('dashboard.cols.median'), values: tis.map((r) => r.medianDays ?? 0) },
          { label: t('dashboard.cols.p90'), values: tis.map((r) => r.p90Days ?? 0) },
        ],
      },
    },
    {
      id: 'overdue',
      title: t('dashboard.tables.overdue'),
      columns: [t('dashboard.cols.supportTrack'), t('dashboard.cols.open'), t('dashboard.cols.overdue')],
      rows: d.overdue.map((r) => [t(`workflow.supportKinds.${r.kind}`, { defaultValue: r.kind }), r.open, r.overdue]),
      chart: {
        kind: 'bar',
        labels: d.overdue.map((r) => t(`workflow.supportKinds.${r.kind}`, { defaultValue: r.kind })),
        series: [
          { label: t('dashboard.cols.open'), values: d.overdue.map((r) => r.open) },
          { label: t('dashboard.cols.overdue'), values: d.overdue.map((r) => r.overdue) },
        ],
      },
    },
    {
      id: 'byCountry',
      title: t('dashboard.tables.byCountry'),
      columns: [t('dashboard.cols.country'), t('dashboard.cols.cases')],
      rows: d.byCountry.map((r) => [r.key === '*other' || r.key === '' ? other(r.key) : countryName(r.key, locale), r.n]),
      chart: { kind: 'bar', labels: d.byCountry.map((r) => (r.key === '*other' || r.key === '' ? other(r.key) : countryName(r.key, locale))), series: [{ label: t('dashboard.cols.cases'), values: d.byCountry.map((r) => r.n) }] },
    },
    {
      id: 'byTrack',
      title: t('dashboard.tables.byTrack'),
      columns: [t('dashboard.cols.track'), t('dashboard.cols.cases')],
      rows: d.byTrack.map((r) => [t(`dashboard.tracks.${r.key}`), r.n]),
      chart: { kind: 'doughnut', labels: d.byTrack.map((r) => t(`dashboard.tracks.${r.key}`)), series: [{ label: t('dashboard.cols.cases'), values: d.byTrack.map((r) => r.n) }] },
    },
    {
      id: 'byField',
      title: t('dashboard.tables.byField'),
      columns: [t('dashboard.cols.field'), t('dashboard.cols.cases')],
      rows: byField.map((r) => [other(r.key), r.n]),
      chart: { kind: 'bar', labels: byField.map((r) => other(r.key)), series: [{ label: t('dashboard.cols.cases'), values: byField.map((r) => r.n) }] },
    },
    {
      id: 'arrivals',
      title: t('dashboard.tables.arrivals'),
      columns: [t('dashboard.cols.month'), t('dashboard.cols.arrivals')],
      rows: d.arrivals.map((r) => [{ month: r.month }, r.n]),
      chart: { kind: 'line', labels: d.arrivals.map((r) => monthText(r.month, locale)), series: [{ label: t('dashboard.cols.arrivals'), values: d.arrivals.map((r) => r.n) }] },
    },
  ];
}

/** A cell as people read it in that language (an empty figure shows a dash): the HTML tables and the PDF. */
export function cellText(c: Cell, locale: Locale): string {
  if (c === null) return '—';
  if (typeof c === 'number') return formatNumber(c, locale, 1);
  if (typeof c === 'object') return monthText(c.month, locale);
  return c;
}

/** Rows as display strings, for the HTML tables. */
export function withCells<T extends FigureTable>(tables: T[], locale: Locale): (T & { cells: string[][] })[] {
  return tables.map((tb) => withFields(tb, { cells: tb.rows.map((r) => r.map((c) => cellText(c, locale))) }));
}
