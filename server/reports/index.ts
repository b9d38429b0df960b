// The steering-committee report: the dashboard's figures for a period, as labelled tables in one
// language, exported as CSV (Excel-friendly) and PDF (with a font that has Vietnamese glyphs).
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Context } from '../context.ts';
import { translator, type Locale } from '../i18n/index.ts';
import { recordAudit } from '../audit/index.ts';
import { formatDateTime, formatDay } from '../views/time.ts';
import { computeDashboard, type DashboardData } from '../dashboard/index.ts';
import { cellText, figureTables, type FigureTable, type Cell } from '../dashboard/tables.ts';
import { resolveDashboardFilter, type FilterQuery, type ResolvedFilter } from '../dashboard/filter.ts';
import { decisionsWithoutScores } from '../dashboard/decisions.ts';

export interface SteeringReport {
  locale: Locale;
  title: string;
  /** Label, value as people read it (the page, the PDF), and where it differs, the value a machine reads (the CSV: ISO days). */
  meta: Array<[string, string] | [string, string, string]>;
  tables: FigureTable[];
  data: DashboardData;
  resolved: ResolvedFilter;
}

function pick(v: { vi?: string | null; en?: string | null } | null | undefined, locale: Locale): string {
  return (v && (v[locale] || v.en || v.vi)) || '';
}

export interface SteeringReportOptions {
  ctx: Context;
  query: FilterQuery;
  /** The report's language (it may differ from the page's: ?lang=). */
  locale: Locale;
}

export async function buildSteeringReport({ ctx, query, locale }: SteeringReportOptions): Promise<SteeringReport> {
  const now = ctx.now;
  const resolved = await resolveDashboardFilter({ ctx, query });
  // Reports are the record sent to the committee: always computed fresh, never from the page cache.
  const [data, unseen] = await Promise.all([computeDashboard({ filter: resolved.filter, now }), decisionsWithoutScores(resolved.filter)]);
  const t = translator(locale);
  const f = resolved.filter;
  const period = (day: (d: string | undefined) => string) => (f.from || f.to ? `${day(f.from)} – ${day(f.to)}` : t('reports.meta.allTime'));
  const meta: SteeringReport['meta'] = [
    [t('reports.meta.institute'), resolved.instituteName ? pick(resolved.instituteName, locale) : t('dashboard.allInstitutes')],
    [t('reports.meta.call'), resolved.callTitle ? pick(resolved.callTitle, locale) : t('dashboard.allCalls')],
    // As the page and the PDF say it, in the CSV too (walk s36: the Vietnamese CSV said 2026-11-30 – 2026-12-07
    // beside a PDF's 30/11/2026): a range in one cell is text to a spreadsheet, so ISO days there served no
    // machine. Machines read the period from the file name (reportFileName) and the XLSX's two date cells.
    [t('reports.meta.period'), period((d) => (d ? formatDay(d, locale) : '…'))],
    [t('reports.meta.generated'), formatDateTime(now, locale)],
    // Said in the file: texts kept in two languages (institutes, calls) are given in this one, or the other where it is blank.
    [t('reports.meta.language'), t('reports.meta.languageName')],
    [t('reports.meta.total'), String(data.total)],
    // The committee sees decisions taken without the panel's scores (lead s35: recorded on each decision's audit).
    [t('reports.meta.blindDecisions'), String(unseen.blind)],
    [t('reports.meta.closedScorings'), String(unseen.closedScoring)],
  ];
  return { locale, title: t('reports.title'), meta, tables: figureTables(data, t, locale), data, resolved };
}

// ---- CSV ----

/**
 * One CSV field: quoted when needed (RFC 4180); text that a spreadsheet would run as a formula is
 * prefixed with '. So is such text after a ";" or a line break inside the field: a spreadsheet
 * whose list separator is ";" (Vietnamese Windows) reads quotes only at a cell's start, so it
 * splits `Call,"Physics;=cmd|…"` at the ";" and would run the second part as a cell of its own.
 */
export function csvField(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'object') return v.month;
  const s = String(v).replace(/(^|[;\r\n])(?=[=+\-@\t\r])/g, "$1'");
  return /[",\r\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** UTF-8 with a byte-order mark (Excel then reads Vietnamese correctly), CRLF lines, one section per table separated by a blank line. */
export function steeringCsv(r: SteeringReport): string {
  const lines: string[] = [csvField(r.title)];
  for (const [k, v, machine] of r.meta) lines.push([csvField(k), csvField(machine ?? v)].join(','));
  for (const tb of r.tables) {
    lines.push('');
    lines.push(csvField(tb.title));
    lines.push(tb.columns.map(csvField).join(','));
    for (const row of tb.rows) lines.push(row.map(csvField).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

// ---- PDF ----

const require = createRequire(import.meta.url);
const fontDir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const REPORT_FONT = path.join(fontDir, 'DejaVuSans.ttf');
export const REPORT_FONT_BOLD = path.join(fontDir, 'DejaVuSans-Bold.ttf');

/**
 * PDFKit and its fonts' bytes, read once per process, on first use (PDFKit and the fonts cost
 * ~0.2–0.7 s to load, for a report opened weekly). PDFKit parses the registered bytes again for each
 * document; sharing one parsed fontkit font between documents was tried and dropped: a glyph keeps
 * the characters it was first laid out from, so a Vietnamese report's glyphs broke the next English
 * report's text layer, and the fix needed fontkit's private fields (bench/report-pdf.ts measures it).
 */
let pdfEngine: Promise<{ PDFDocument: typeof import('pdfkit'); body: Buffer; bold: Buffer }> | undefined;
export function loadPdfEngine() {
  pdfEngine ??= (async () => {
    const [body, bold, { default: PDFDocument }] = await Promise.all([readFile(REPORT_FONT), readFile(REPORT_FONT_BOLD), import('pdfkit')]);
    return { PDFDocument, body, bold };
  })().catch((err: unknown) => {
    pdfEngine = undefined;
    throw err;
  });
  return pdfEngine;
}

export async function steeringPdf(r: SteeringReport): Promise<Buffer> {
  const { PDFDocument, body, bold } = await loadPdfEngine();
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: r.title, Creator: 'Talent Programme' }, lang: r.locale === 'vi' ? 'vi-VN' : 'en-GB' } as PDFKit.PDFDocumentOptions);
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    // Helvetica, PDFKit's default, has no Vietnamese glyphs: DejaVu Sans is embedded (subset).
    doc.registerFont('body', body);
    doc.registerFont('bold', bold);
    const left = doc.page.margins.left;
    const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
    const bottom = () => doc.page.height - doc.page.margins.bottom;

    doc.font('bold').fontSize(16).text(r.title, { width });
    doc.moveDown(0.5);
    doc.font('body').fontSize(9);
    for (const [k, v] of r.meta) doc.text(`${k}: ${v}`, { width });
    doc.moveDown(1);

    for (const tb of r.tables) {
      const rowH = 16;
      const first = Math.max(width * 0.45, width - (tb.columns.length - 1) * 95);
      const rest = tb.columns.length > 1 ? (width - first) / (tb.columns.length - 1) : 0;
      const colX = (i: number) => left + (i === 0 ? 0 : first + (i - 1) * rest);
      const colW = (i: number) => (i === 0 ? first : rest);
      if (doc.y + rowH * 3 + 20 > bottom()) doc.addPage();
      doc.font('bold').fontSize(11).text(tb.title, left, doc.y, { width });
      doc.moveDown(0.3);
      // Every cell wraps (nothing is cut: a header such as "Thời gian trung vị (ngày làm việc)" keeps
      // all its words); the row is as tall as its tallest cell.
      const drawRow = (cells: string[], bold: boolean) => {
        doc.font(bold ? 'bold' : 'body').fontSize(8.5);
        const textH = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: colW(i) - 6 })));
        const h = Math.max(rowH, Math.ceil(textH) + 8);
        if (doc.y + h > bottom()) doc.addPage();
        const y = doc.y;
        doc.font(bold ? 'bold' : 'body').fontSize(8.5);
        cells.forEach((c, i) => {
          doc.text(c, colX(i) + 3, y + 4, { width: colW(i) - 6, align: i === 0 ? 'left' : 'right' });
        });
        doc.moveTo(left, y + h).lineTo(left + width, y + h).lineWidth(0.5).strokeColor(bold ? '#555555' : '#cccccc').stroke();
        doc.x = left;
        doc.y = y + h;
      };
      drawRow(tb.columns, true);
      if (tb.rows.length === 0) drawRow([translator(r.locale)('dashboard.noData')], false);
      for (const row of tb.rows) drawRow(row.map((c) => cellText(c, r.locale)), false);
      doc.moveDown(1);
    }
    doc.end();
  });
}

// ---- XLSX ----

/** Vietnam's offset: Excel has no time zones, so the generation time is written as Vietnam's wall clock, its format naming the zone. */
const VN_OFFSET_MS = 7 * 3600 * 1000;
const ymdDate = (ymd: string) => new Date(`${ymd}T00:00:00Z`);
/** Cell formats in the report's language (the CSV's ISO days are for machines; these are for people). */
const XLSX_FORMATS = {
  en: { day: 'd mmm yyyy', month: 'mmm yyyy', dateTime: 'd mmm yyyy hh:mm "(UTC+7)"' },
  vi: { day: 'd/m/yyyy', month: 'm/yyyy', dateTime: 'd/m/yyyy hh:mm "(UTC+7)"' },
} as const;

/**
 * The report as an Excel workbook: the CSV's layout on one sheet, numbers as numbers, days, months
 * and the generation time as dates, headers in the report's language. A CSV opened in Excel on a
 * Vietnamese Windows (list separator ";", decimal mark ",") lands in one column; a workbook opens
 * the same everywhere. Text cells starting with = + - @ are written as text, never as formulas.
 */
export async function steeringXlsx(r: SteeringReport): Promise<Buffer> {
  // Loaded on first use, as PDFKit.
  const { default: ExcelJS } = await import('exceljs');
  const fmt = XLSX_FORMATS[r.locale];
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Talent Programme';
  wb.created = r.data.generatedAt;
  const ws = wb.addWorksheet(translator(r.locale)('reports.sheet'));
  ws.getColumn(1).width = 48;
  for (let c = 2; c <= 6; c++) ws.getColumn(c).width = 18;
  const title = ws.addRow([r.title]);
  title.font = { bold: true, size: 14 };
  const f = r.resolved.filter;
  const t = translator(r.locale);
  for (const [label, human] of r.meta) {
    // The period, the generation time and the total as dates and a number; the rest as the page says it.
    if (label === t('reports.meta.period') && (f.from || f.to)) {
      const row = ws.addRow([label, f.from ? ymdDate(f.from) : '…', f.to ? ymdDate(f.to) : '…']);
      for (const c of [2, 3]) row.getCell(c).numFmt = fmt.day;
    } else if (label === t('reports.meta.generated')) {
      ws.addRow([label, new Date(r.data.generatedAt.getTime() + VN_OFFSET_MS)]).getCell(2).numFmt = fmt.dateTime;
    } else if (label === t('reports.meta.total')) {
      ws.addRow([label, r.data.total]);
    } else if (label === t('reports.meta.blindDecisions') || label === t('reports.meta.closedScorings')) {
      ws.addRow([label, Number(human)]);
    } else ws.addRow([label, human]);
  }
  for (const tb of r.tables) {
    ws.addRow([]);
    ws.addRow([tb.title]).font = { bold: true, size: 12 };
    ws.addRow(tb.columns).font = { bold: true };
    for (const cells of tb.rows) {
      const row = ws.addRow(cells.map((c) => (c === null ? null : typeof c === 'object' ? ymdDate(`${c.month}-01`) : c)));
      cells.forEach((c, i) => {
        if (c !== null && typeof c === 'object') row.getCell(i + 1).numFmt = fmt.month;
      });
    }
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** File name for downloads, e.g. steering-report-2026-01-01_2026-06-30-vi.csv */
export function reportFileName(r: SteeringReport, ext: ReportFormat): string {
  const f = r.resolved.filter;
  const period = f.from || f.to ? `-${f.from ?? 'start'}_${f.to ?? 'today'}` : '';
  return `steering-report${period}-${r.locale}.${ext}`;
}

export const REPORT_FORMATS = ['csv', 'pdf', 'xlsx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
const CONTENT_TYPES: Record<ReportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export interface ReportFile {
  body: Buffer;
  contentType: string;
  fileName: string;
}

/** The report as a file to download; who exported what (personal figures leave the system) is audited. */
export async function exportSteeringReport(opts: SteeringReportOptions & { format: ReportFormat }): Promise<ReportFile> {
  const r = await buildSteeringReport(opts);
  const body = opts.format === 'csv' ? Buffer.from(steeringCsv(r), 'utf8') : opts.format === 'pdf' ? await steeringPdf(r) : await steeringXlsx(r);
  await recordAudit(opts.ctx, { action: 'report.export', targetType: 'report', targetId: 'steering', summary: { format: opts.format, ...r.resolved.values } });
  return { body, contentType: CONTENT_TYPES[opts.format], fileName: reportFileName(r, opts.format) };
}
