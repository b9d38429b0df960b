import { expect } from 'chai';
import { translator } from '../../server/i18n/index.ts';
import { csvField } from '../../server/reports/index.ts';
import { pdfTextPieces } from './pdf-text.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import type { CallDoc } from '../../models/call.ts';
import type { Stage } from '../../models/constants.ts';
import { percentileFromHistogram, clearDashboardCache, computeDashboard } from '../../server/dashboard/index.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const d = (s: string) => new Date(`${s}T00:00:00Z`);

/** A history of transitions: [stage, date] pairs, each entering `stage` at `date`. */
function history(applicant: unknown, steps: [Stage, string][]) {
  return steps.map(([to, at], i) => ({ at: d(at), actor: applicant, actorRole: 'system', action: i === 0 ? 'submit' : 'move', from: i === 0 ? 'draft' : steps[i - 1]![0], to }));
}

/**
 * The seeded set (one institute; period 2026-01-01 to 2026-03-31):
 *  A arrived (DE, expert) · B onboarding (JP, expert; work permit overdue, visa open)
 *  C rejected after a day awaiting the applicant (DE, researcher) · D in evaluation, submitted in May (outside the period) · E a draft.
 * Fields are the calls' (A, B: Physics; C, D: Chemistry); the applicants typed theirs in either
 * language, or something else, which the figures do not read.
 */
async function seed(inst: InstituteDoc): Promise<CallDoc> {
  const call = await createCall({ institute: inst._id, track: 'expert', status: 'closed', field: { vi: 'Vật lý', en: 'Physics' } });
  const call2 = await createCall({ institute: inst._id, track: 'researcher', status: 'closed', field: { vi: 'Hoá học', en: 'Chemistry' } });
  const mk = async (c: CallDoc, stage: Stage, country: string | undefined, field: string, steps: [Stage, string][], over: Record<string, unknown> = {}) => {
    const applicant = await createUser({ role: 'applicant' });
    return createCase({
      applicant: applicant._id,
      call: c,
      stage,
      profile: { fullName: 'X', countryOfResidence: country, nationality: 'VN', highestDegree: 'phd', field },
      history: history(applicant._id, steps),
      submittedAt: d(steps[0]![1]),
      ...over,
    });
  };
  await mk(call, 'arrived', 'DE', 'Physics', [['submitted', '2026-01-10'], ['screening', '2026-01-12'], ['evaluation', '2026-01-15'], ['shortlisted', '2026-01-25'], ['offer', '2026-01-27'], ['onboarding', '2026-02-01'], ['arrived', '2026-03-01']], { arrivedAt: new Date('2026-03-01T03:00:00Z') });
  await mk(call, 'onboarding', 'JP', 'Vật lý', [['submitted', '2026-01-20'], ['screening', '2026-01-21'], ['evaluation', '2026-01-25'], ['shortlisted', '2026-02-04'], ['offer', '2026-02-05'], ['onboarding', '2026-02-10']], {
    supportTracks: [
      { kind: 'work_permit', status: 'requested', dueAt: d('2026-02-20') },
      { kind: 'visa', status: 'filed', dueAt: d('2026-12-01') },
      { kind: 'housing', status: 'approved', dueAt: d('2026-02-01') },
    ],
  });
  // C waited a day for the applicant's answer before its rejection: both side stages count as reached.
  await mk(call2, 'rejected', 'DE', 'Materials chemistry', [['submitted', '2026-02-01'], ['screening', '2026-02-03'], ['awaiting_applicant', '2026-02-04'], ['screening', '2026-02-05'], ['rejected', '2026-02-08']]);
  await mk(call2, 'evaluation', undefined, 'Hoá học', [['submitted', '2026-05-01'], ['screening', '2026-05-02'], ['evaluation', '2026-05-06']]);
  const applicant = await createUser({ role: 'applicant' });
  await createCase({ applicant: applicant._id, call, stage: 'draft' });
  return call;
}

describe('leaders: dashboard figures and the steering report', () => {
  let t: TestApp;
  let inst: InstituteDoc;
  let call: CallDoc;
  let leader: Agent;
  before(async () => {
    t = await startTestApp({ now: () => NOW });
    await clearDashboardCache();
    inst = await createInstitute();
    call = await seed(inst);
    const user = await createUser({ role: 'leader', institute: inst._id });
    leader = agent(t.app);
    await signIn(leader, user);
  });
  after(async () => {
    await t?.close();
  });

  it('computes nearest-rank percentiles from an hour histogram', () => {
    expect(percentileFromHistogram([], 0.5)).to.equal(null);
    expect(percentileFromHistogram([{ h: 48, n: 2 }, { h: 24, n: 1 }], 0.5)).to.equal(48);
    expect(percentileFromHistogram([{ h: 10, n: 9 }, { h: 100, n: 1 }], 0.9)).to.equal(10);
    expect(percentileFromHistogram([{ h: 10, n: 8 }, { h: 100, n: 2 }], 0.9)).to.equal(100);
  });

  it('exports the seeded set as CSV: UTF-8 with BOM, CRLF, one section per table, exact figures', async () => {
    const res = await leader.get('/reports/steering.csv?from=2026-01-01&to=2026-03-31&lang=en').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.equal('attachment; filename="steering-report-2026-01-01_2026-03-31-en.csv"');
    const body = res.body as Buffer;
    expect([...body.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const expected = [
      'Talent attraction: progress report to the steering committee',
      `Institute,Institute ${inst.code}`,
      'Call,All calls',
      'Period,1 Jan 2026 – 31 Mar 2026', // as the page and the PDF say it (walk s36); the file name keeps ISO days
      'Generated,"1 Jun 2026, 07:00 (UTC+7)"',
      'Language,English',
      'Submitted applications,3',
      "Leaders' decisions taken without the panel's scores (by decision date),0",
      "\"Scorings closed by a leader, the panel's scores then shown (by date closed)\",0",
      '',
      'Cases per stage',
      'Stage,Now in stage,Reached stage',
      'Submitted,0,3',
      'Screening,0,3',
      'Awaiting applicant,0,1',
      'Evaluation,0,2',
      'Shortlisted,0,2',
      'Offer,0,2',
      'Onboarding,1,2',
      'Arrived,1,1',
      'Closed,0,0',
      'Rejected,1,1',
      'Withdrawn,0,0',
      'On hold,0,0',
      '',
      'Time in each stage (days)',
      'Stage,Completed stays,Median (days),90th percentile (days)',
      'Submitted,3,2,2',
      'Screening,4,3,4',
      'Awaiting applicant,1,1,1',
      'Evaluation,2,10,10',
      'Shortlisted,2,1,2',
      'Offer,2,5,5',
      'Onboarding,1,28,28',
      'Arrived,0,,',
      '',
      'Support tracks: open and overdue',
      'Support track,Open,Overdue',
      'Work permit,1,1',
      'Visa,1,0',
      'Temporary residence card,0,0',
      'Housing,0,0',
      'Citizenship,0,0',
      'Work permit exemption certificate,0,0',
      '',
      'Cases by country',
      'Country,Cases',
      'Germany,2',
      'Japan,1',
      '',
      'Cases by track',
      'Track,Cases',
      'S&T expert (Decree 249/2025),2',
      'Chief engineer (Decree 231/2025),0',
      'Chief architect (Decree 231/2025),0',
      'Researcher,1',
      '',
      'Cases by field',
      'Field,Cases',
      'Physics,2',
      'Chemistry,1',
      '',
      'Arrivals per month',
      'Month,Arrivals',
      '2026-03,1',
      '',
    ].join('\r\n');
    expect(body.subarray(3).toString('utf8')).to.equal(expected);
  });

  it('exports in Vietnamese too, and filters by call', async () => {
    const res = await leader.get(`/reports/steering.csv?call=${call._id}&lang=vi`);
    expect(res.status).to.equal(200);
    const text = res.text.replace(/^\uFEFF/, '');
    expect(text).to.include('Thu hút nhân tài: báo cáo tiến độ gửi Ban Chỉ đạo');
    expect(text).to.include('Đợt tuyển,Đợt tuyển thử nghiệm');
    expect(text).to.include('Số hồ sơ đã nộp,2'); // the call has A and B (C and D are in the other call)
    expect(text).to.include('Giấy phép lao động,1,1');
    expect(text).to.include('Nhật Bản,1');
    expect(text).to.include('Hồ sơ theo lĩnh vực\r\nLĩnh vực,Số hồ sơ\r\nVật lý,2\r\n\r\n'); // the call's field in Vietnamese, whatever A and B typed
  });

  it('groups by the call field as the reader reads it: calls sharing a field in one language count together there', async () => {
    const other = await createInstitute();
    const c1 = await createCall({ institute: other._id, field: { vi: 'Vật lý', en: 'Physics' } });
    const c2 = await createCall({ institute: other._id, field: { vi: 'Vật lý', en: 'Applied physics' } });
    const c3 = await createCall({ institute: other._id, field: { en: 'Physics' } }); // no Vietnamese: read in English there
    for (const [c, typed] of [[c1, 'Physics'], [c2, 'Vật lý ứng dụng'], [c2, 'Applied physics'], [c3, 'physics']] as const) {
      const applicant = await createUser({ role: 'applicant' });
      await createCase({ applicant: applicant._id, call: c, stage: 'screening', profile: { fullName: 'X', nationality: 'VN', highestDegree: 'phd', field: typed }, submittedAt: d('2026-02-01') });
    }
    const data = await computeDashboard({ filter: { institute: other._id }, now: NOW });
    expect(data.byField.vi).to.deep.equal([{ key: 'Vật lý', n: 3 }, { key: 'Physics', n: 1 }]);
    expect(data.byField.en).to.deep.equal([{ key: 'Applied physics', n: 2 }, { key: 'Physics', n: 2 }]);
  });

  it('exports an Excel workbook: numbers as numbers, the period, months and generation time as dates, headers in the report language', async () => {
    const { default: ExcelJS } = await import('exceljs');
    const read = async (url: string) => {
      const res = await leader.get(url).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as Buffer as unknown as ArrayBuffer);
      return { res, ws: wb.worksheets[0]! };
    };
    const vi = await read('/reports/steering.xlsx?from=2026-01-01&to=2026-03-31&lang=vi');
    expect(vi.res.headers['content-disposition']).to.equal('attachment; filename="steering-report-2026-01-01_2026-03-31-vi.xlsx"');
    const { ws } = vi;
    const t = translator('vi');
    expect(ws.name).to.equal('Báo cáo');
    expect(ws.getCell('A1').value).to.equal('Thu hút nhân tài: báo cáo tiến độ gửi Ban Chỉ đạo');
    const rowOf = (label: string) => ws.getColumn(1).values.findIndex((v) => v === label);
    const period = ws.getRow(rowOf(t('reports.meta.period')));
    expect(period.getCell(2).value).to.deep.equal(new Date('2026-01-01T00:00:00Z'));
    expect(period.getCell(3).value).to.deep.equal(new Date('2026-03-31T00:00:00Z'));
    expect(period.getCell(2).numFmt).to.equal('d/m/yyyy');
    const generated = ws.getRow(rowOf(t('reports.meta.generated'))).getCell(2);
    expect(generated.value).to.deep.equal(new Date('2026-06-01T07:00:00Z')); // 1 Jun 2026 07:00 in Vietnam
    expect(generated.numFmt).to.include('(UTC+7)');
    expect(ws.getRow(rowOf(t('reports.meta.total'))).getCell(2).value).to.equal(3);
    // The stage table: its header in Vietnamese, its figures numbers.
    const header = ws.getRow(rowOf(t('dashboard.tables.funnel')) + 1);
    expect(header.getCell(1).value).to.equal(t('dashboard.cols.stage'));
    const submitted = ws.getRow(rowOf(t('workflow.stages.submitted')));
    expect(submitted.getCell(2).value).to.equal(0);
    expect(submitted.getCell(3).value).to.equal(3);
    expect(ws.getRow(rowOf(t('workflow.stages.arrived'))).getCell(2).type).to.equal(ExcelJS.ValueType.Number);
    // The arrivals' month is a date shown as a month.
    const month = ws.getRow(rowOf(t('dashboard.tables.arrivals')) + 2).getCell(1);
    expect(month.value).to.deep.equal(new Date('2026-03-01T00:00:00Z'));
    expect(month.numFmt).to.equal('m/yyyy');
    const en = await read('/reports/steering.xlsx?lang=en');
    expect(en.ws.getCell('A1').value).to.equal('Talent attraction: progress report to the steering committee');
    expect(en.ws.getRow(en.ws.getColumn(1).values.findIndex((v) => v === 'Generated')).getCell(2).numFmt).to.equal('d mmm yyyy hh:mm "(UTC+7)"');
  });

  it('guards CSV cells against formulas and quotes separators (RFC 4180)', () => {
    expect(csvField('=HYPERLINK("x")')).to.equal(`"'=HYPERLINK(""x"")"`);
    for (const s of ['+1', '-1', '@SUM(A1)']) expect(csvField(s)).to.equal(`'${s}`);
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('a\nb')).to.equal('"a\nb"');
    expect(csvField(-2)).to.equal('-2'); // a number is a number
  });

  it('renders a PDF that embeds DejaVu Sans for the Vietnamese text', async () => {
    const res = await leader.get('/reports/steering.pdf?lang=vi').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/pdf');
    const pdf = res.body as Buffer;
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const raw = pdf.toString('latin1');
    expect(raw).to.match(/\/BaseFont \/[A-Z]{6}\+DejaVuSans\b/);
    expect(raw).to.include('/FontFile2');
    expect(raw).not.to.include('/Helvetica');
  });

  for (const lang of ['vi', 'en'] as const) {
    it(`prints every column header of the PDF whole (wrapped, never cut) and the generation time with its zone (${lang})`, async () => {
      const res = await leader.get(`/reports/steering.pdf?lang=${lang}`).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).to.equal(200);
      const pieces = pdfTextPieces(res.body as Buffer);
      const text = pieces.join(' ').replace(/\s+/g, ' ');
      expect(text).not.to.include('…');
      const t = translator(lang);
      // The same tables as the CSV: the line after each table's title is its column headers.
      const csv = (await leader.get(`/reports/steering.csv?lang=${lang}`)).text.replace(/^\uFEFF/, '');
      const headers = csv.split('\r\n\r\n').slice(1).flatMap((section) => section.split('\r\n')[1]!.split(','));
      expect(headers.length).to.be.greaterThan(10);
      expect(headers).to.include(t('dashboard.cols.median'));
      for (const h of headers) expect(text, h).to.include(h);
      const generated = pieces.find((p) => p.startsWith(t('reports.meta.generated')))!;
      expect(generated).to.match(/\d{1,2}:\d{2}/);
      expect(generated).to.match(/\(UTC\+7\)$/);
      expect(generated).not.to.match(/\d{4}-\d{2}-\d{2}T/);
    });
  }

  it('shows the printable report and the dashboard with accessible tables and same-origin charts', async () => {
    const page = await leader.get('/reports/steering?from=2026-01-01&to=2026-03-31').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('<table class="figure-table" id="table-timeInStage">');
    const dash = await leader.get('/dashboard?from=2026-01-01&to=2026-03-31').set('Accept', 'text/html');
    expect(dash.status).to.equal(200);
    expect(dash.text).to.include('<script src="/vendor/chart.js" defer></script>');
    expect(dash.text).to.include('<script src="/static/js/dashboard.js" defer></script>');
    expect(dash.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(dash.text).to.include('data-charts="');
    expect(dash.text).to.match(/<th scope="row">Germany<\/th><td class="num">2<\/td>/);
    // The side stages say how many cases went through them, not "—".
    expect(dash.text).to.match(/<th scope="row">Awaiting applicant<\/th><td class="num">0<\/td><td class="num">1<\/td>/);
    expect(dash.text).to.match(/<th scope="row">Rejected<\/th><td class="num">1<\/td><td class="num">1<\/td>/);
    expect(dash.text).to.match(/<th scope="row">On hold<\/th><td class="num">0<\/td><td class="num">0<\/td>/);
    const js = await leader.get('/vendor/chart.js');
    expect(js.status).to.equal(200);
    expect(js.headers['content-type']).to.match(/javascript/);
    expect(js.text).to.include('Chart');
    const anon = await agent(t.app).get('/vendor/chart.js').set('Accept', 'application/json');
    expect(anon.status).to.equal(401);
  });
});
