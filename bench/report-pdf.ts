// The steering report's PDF, timed apart from the database (the figures of a busy institute, fixed):
//   node --import tsx bench/report-pdf.ts [runs per language]
// Prints the time to load PDFKit (and read the fonts), the first render of each language (fonts read and parsed, code
// warmed) and the median and p90 of the next runs, in ms, for vi and en (ORDER=en: English first):
// the Vietnamese report draws much of its text with glyphs beyond Latin-1 from DejaVu Sans.
import { translator, type Locale } from '../server/i18n/index.ts';
import { figureTables } from '../server/dashboard/tables.ts';
import { loadPdfEngine, steeringPdf, type SteeringReport } from '../server/reports/index.ts';
import type { DashboardData } from '../server/dashboard/index.ts';
import { STAGES, TRACKS } from '../models/constants.ts';

const runs = Number(process.argv[2] ?? 20);
const data: DashboardData = {
  generatedAt: new Date('2026-12-05T03:00:00Z'),
  filter: {},
  total: 412,
  stages: STAGES.filter((s) => s !== 'draft').map((stage, i) => ({ stage, now: 10 + i, reached: 400 - i * 20 })),
  timeInStage: STAGES.filter((s) => s !== 'draft').map((stage, i) => ({ stage, stays: 300 - i, medianDays: 3 + i, p90Days: 9 + i })),
  overdue: ['work_permit', 'work_permit_exemption', 'visa', 'trc', 'housing', 'citizenship'].map((kind, i) => ({ kind, open: 20 + i, overdue: i })),
  byCountry: ['DE', 'JP', 'US', 'FR', 'KR', 'GB', 'AU', 'CA', 'SG', 'IN', 'CN', 'RU'].map((key, i) => ({ key, n: 60 - i * 4 })),
  byTrack: TRACKS.map((key, i) => ({ key, n: 100 - i * 10 })),
  byField: {
    vi: ['Vật lý', 'Hoá học', 'Sinh học', 'Khoa học máy tính', 'Toán học', 'Kỹ thuật điện', 'Y sinh'].map((key, i) => ({ key, n: 50 - i * 5 })),
    en: ['Physics', 'Chemistry', 'Biology', 'Computer science', 'Mathematics', 'Electrical engineering', 'Biomedicine'].map((key, i) => ({ key, n: 50 - i * 5 })),
  },
  arrivals: Array.from({ length: 12 }, (_, i) => ({ month: `2026-${String(i + 1).padStart(2, '0')}`, n: i % 4 })),
};

function report(locale: Locale): SteeringReport {
  const t = translator(locale);
  return {
    locale,
    title: t('reports.title'),
    meta: [[t('reports.meta.institute'), 'Viện Hàn lâm Khoa học và Công nghệ Việt Nam'], [t('reports.meta.period'), '1/1/2026 – 31/12/2026'], [t('reports.meta.total'), '412']],
    tables: figureTables(data, t, locale),
    data,
    resolved: { filter: {}, values: { call: '', from: '', to: '', institute: '' }, calls: [], institutes: [] },
  };
}

const ms = async (locale: Locale) => {
  const t0 = performance.now();
  await steeringPdf(report(locale));
  return performance.now() - t0;
};
const t0 = performance.now();
await loadPdfEngine();
console.log(`load PDFKit and read the fonts ${(performance.now() - t0).toFixed(0)} ms`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
for (const locale of (process.env.ORDER === 'en' ? ['en', 'vi'] : ['vi', 'en']) as Locale[]) {
  const first = await ms(locale);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await ms(locale));
  console.log(`${locale}: first ${first.toFixed(0)} ms, then median ${pct(times, 0.5).toFixed(1)} ms, p90 ${pct(times, 0.9).toFixed(1)} ms (${runs} runs)`);
}
