// Dates, months and numbers in the page's language, through the shared helpers (server/views/time.ts,
// server/views/numbers.ts): each language writes a day one way everywhere (pages, e-mails, tables,
// the planner's sentences, beside a time): "5/12/2026" in Vietnamese, "5 Dec 2026" in English; a month
// "tháng 12/2026" / "December 2026"; a decimal comma in Vietnamese ("4,40"). Display only: the CSV
// keeps numbers and months machine-readable.
import { expect } from 'chai';
import Handlebars from 'handlebars';
import { helpers } from '../../server/views/engine.ts';
import { dayText, formatDateTime, formatDay, monthText } from '../../server/views/time.ts';
import { formatDecimal, formatNumber } from '../../server/views/numbers.ts';
import { formatScore } from '../../server/evaluations/present.ts';
import { cellText, withCells, type FigureTable } from '../../server/dashboard/tables.ts';
import { csvField } from '../../server/reports/index.ts';
import { presentForecastArrivals } from '../../server/planner/arrivals.ts';
import { systemContext } from '../../server/context.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { builtinParts } from '../../server/mail/templates.ts';

// Sat 5 Dec 2026, 10:00 in Vietnam.
const at = new Date('2026-12-05T03:00:00Z');

describe('platform: dates and numbers in Vietnamese and English', () => {
  const hb = Handlebars.create();
  hb.registerHelper(helpers as never);
  const render = (source: string, data: Record<string, unknown>) => hb.compile(source)(data);

  it('writes a day one way in each language: 5/12/2026 (Vietnamese), 5 Dec 2026 (English)', () => {
    expect(dayText(at, 'vi-VN')).to.equal('5/12/2026');
    expect(dayText(new Date('2027-03-26T00:00:00+07:00'), 'vi-VN')).to.equal('26/3/2027');
    expect(dayText(at, 'en-GB')).to.equal('5 Dec 2026');
    // The day in Vietnam, not in UTC: 23:30 UTC on the 4th is already the 5th.
    expect(dayText(new Date('2026-12-04T23:30:00Z'), 'vi-VN')).to.equal('5/12/2026');
    expect(dayText(new Date('2026-12-04T23:30:00Z'), 'en-GB')).to.equal('5 Dec 2026');
    expect(formatDay(at, 'vi')).to.equal('5/12/2026');
    expect(formatDay(at, 'en')).to.equal('5 Dec 2026');
    // A calendar day as stored ('YYYY-MM-DD', holidays, the dashboard's period): the same day.
    expect(formatDay('2026-12-05', 'en')).to.equal('5 Dec 2026');
    expect(formatDay('2026-12-05', 'vi')).to.equal('5/12/2026');
    expect(formatDay(undefined, 'en')).to.equal('');
  });

  it('writes a date and time with the same day form and the zone', () => {
    expect(formatDateTime(at, 'vi')).to.equal('5/12/2026, 10:00 (UTC+7)');
    expect(formatDateTime(new Date('2026-12-05T16:05:00Z'), 'vi')).to.equal('5/12/2026, 23:05 (UTC+7)');
    expect(formatDateTime(at, 'en')).to.equal('5 Dec 2026, 10:00 (UTC+7)');
  });

  it('renders the date and dateTime helpers of pages and e-mails in the page language', () => {
    const source = '{{date d}} | {{dateTime d}}';
    expect(render(source, { d: at, locale: 'vi' })).to.equal('5/12/2026 | 5/12/2026, 10:00 (UTC+7)');
    expect(render(source, { d: at, locale: 'en' })).to.equal('5 Dec 2026 | 5 Dec 2026, 10:00 (UTC+7)');
    expect(render(source, { d: at, locale: 'vi' })).not.to.match(/thg|tháng/);
  });

  it('puts the Vietnamese day form in e-mail subjects', async () => {
    const data = { reference: 'TA-2026-000123', documentType: 'Hộ chiếu', expiresOn: at, name: 'Lan', link: 'https://x.test/a' };
    const vi = await renderEmail('document_expiring', 'vi', data, { parts: builtinParts('document_expiring', 'vi') });
    expect(vi.subject).to.equal('[TA-2026-000123] Hộ chiếu của Ông/Bà hết hạn ngày 5/12/2026');
    const en = await renderEmail('document_expiring', 'en', data, { parts: builtinParts('document_expiring', 'en') });
    expect(en.subject).to.equal('[TA-2026-000123] Your Hộ chiếu expires on 5 Dec 2026');
  });

  it('writes a month as "tháng 3/2027" (Vietnamese) and "March 2027" (English), on the dashboard and the planner alike', () => {
    expect(monthText('2027-03', 'vi')).to.equal('tháng 3/2027');
    expect(monthText('2026-12', 'vi')).to.equal('tháng 12/2026');
    expect(monthText('2027-03', 'en')).to.equal('March 2027');
    const rows = [{ month: '2027-03', n: 2, pipeline: 0 }];
    expect(presentForecastArrivals(systemContext({ now: at, locale: 'vi' }), rows).rows[0]!.label).to.equal('tháng 3/2027');
    expect(presentForecastArrivals(systemContext({ now: at, locale: 'en' }), rows).rows[0]!.label).to.equal('March 2027');
    expect(cellText({ month: '2027-03' }, 'vi')).to.equal('tháng 3/2027');
  });

  it('writes scores and figures with a decimal comma in Vietnamese, a point in English', () => {
    expect(formatScore(4.4, 'vi')).to.equal('4,40');
    expect(formatScore(3.456, 'vi')).to.equal('3,46');
    expect(formatScore(4.4, 'en')).to.equal('4.40');
    expect(formatScore(null, 'vi')).to.equal('');
    expect(formatDecimal(5, 'vi', 2)).to.equal('5,00');
    expect(formatNumber(2.5, 'vi')).to.equal('2,5');
    expect(formatNumber(12, 'vi')).to.equal('12');
    expect(formatNumber(1234.5, 'vi', 1)).to.equal('1.234,5');
    expect(formatNumber(1234.5, 'en', 1)).to.equal('1,234.5');
    expect(render('{{number m 2}} · {{number w}} · {{number none 2}}', { m: 3.3333333, w: 1.5, locale: 'vi' })).to.equal('3,33 · 1,5 · ');
    expect(render('{{number m 2}} · {{number w}}', { m: 3.3333333, w: 1.5, locale: 'en' })).to.equal('3.33 · 1.5');
  });

  it('shows the dashboard tables in the language, and keeps the CSV machine-readable', () => {
    const table: FigureTable = {
      id: 'arrivals',
      title: 'x',
      columns: ['a', 'b', 'c'],
      rows: [[{ month: '2026-12' }, 2.5, null], ['Sơ tuyển', 1234, 3]],
      chart: { kind: 'bar', labels: [], series: [] },
    };
    expect(withCells([table], 'vi')[0]!.cells).to.deep.equal([['tháng 12/2026', '2,5', '—'], ['Sơ tuyển', '1.234', '3']]);
    expect(withCells([table], 'en')[0]!.cells).to.deep.equal([['December 2026', '2.5', '—'], ['Sơ tuyển', '1,234', '3']]);
    expect(table.rows.map((r) => r.map(csvField).join(','))).to.deep.equal(['2026-12,2.5,', 'Sơ tuyển,1234,3']);
  });
});
