// The newest administration and reporting routes as an attacker sees them: the audit log's filters
// as hostile data, the holiday confirmation and recount pages (roles, CSRF, ids), the steering
// report's files with hostile names in them (CSV and Excel), and who is told of an answered offer
// when a case's institute is missing. Real database and HTTP.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, seenFrom, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Holiday } from '../../models/holiday.ts';
import { User } from '../../models/user.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { csvField } from '../../server/reports/index.ts';
import { hrOfficeToTell } from '../../server/institutes/hr-staff.ts';

/** How a spreadsheet set to read ";" as its list separator (Vietnamese Windows) splits a CSV line: quotes count only at a field's start. */
function semicolonCells(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let s = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') (s += '"'), (i += 2);
        else if (line[i] === '"') {
          i++;
          break;
        } else s += line[i++];
      }
      const end = line.indexOf(';', i);
      s += end < 0 ? line.slice(i) : line.slice(i, end);
      cells.push(s);
      i = end < 0 ? line.length + 1 : end + 1;
    } else {
      const end = line.indexOf(';', i);
      cells.push(end < 0 ? line.slice(i) : line.slice(i, end));
      i = end < 0 ? line.length + 1 : end + 1;
    }
  }
  return cells;
}
const FORMULA = /^[=+\-@\t\r]/;

describe('security: audit log, holiday confirmations, steering report files', function () {
  this.timeout(90_000);
  let t: TestApp;
  let admin: Agent;
  let hr: Agent;
  let leader: Agent;
  let applicant: Agent;

  before(async () => {
    t = await startTestApp();
    await clearDashboardCache();
    const inst = await createInstitute();
    admin = agent(t.app);
    await signIn(admin, await createUser({ role: 'admin', locale: 'en' }));
    hr = agent(t.app);
    await signIn(hr, await createUser({ role: 'hr_officer', institute: inst, locale: 'en' }));
    leader = agent(t.app);
    await signIn(leader, await createUser({ role: 'leader', institute: inst, locale: 'en' }));
    applicant = agent(t.app);
    await signIn(applicant, await createUser({ role: 'applicant', locale: 'en' }));
  });
  after(async () => {
    await t?.close();
  });

  describe('audit log filters as hostile data', () => {
    const hostile = [
      'actor[$ne]=x',
      'actor=%24ne',
      `actor=${'a'.repeat(5000)}%40example.org`,
      `actor=${'a'.repeat(60)}@${'b.'.repeat(2000)}org`,
      'action=constructor',
      'action=__proto__',
      'action[$regex]=.*',
      'reference=TA-2026-00000%2A',
      `reference=${'TA-'.repeat(3000)}`,
      'reference[$gt]=',
      'from=2026-13-40',
      `from=${'9'.repeat(5000)}`,
      'to=2026-01-01T00:00:00Z',
      '__proto__[x]=1',
      'constructor[prototype][x]=1',
      'before=999999999999999_ffffffffffffffffffffffff',
      'before=9999999999999999999_ffffffffffffffffffffffff',
      'before=1_zzzzzzzzzzzzzzzzzzzzzzzz',
      'before[$gt]=1',
      'before=-1_000000000000000000000000',
    ];
    it('answers every hostile filter with the page or what to fix, never a server error, and touches no prototype', async () => {
      for (const q of hostile) {
        const res = await admin.get(`/admin/audit?${q}`).set('Accept', 'text/html');
        expect(res.status, q).to.be.oneOf([200, 400, 422]);
        expect(({} as Record<string, unknown>).x, q).to.equal(undefined);
      }
    });
    it('refuses every other role whatever the filter (403), and a signed-out visitor is sent to sign in', async () => {
      for (const a of [hr, leader, applicant]) {
        for (const q of ['', '?actor=a%40b.test', '?before=1_000000000000000000000000']) expect((await a.get(`/admin/audit${q}`).set('Accept', 'text/html')).status, q).to.equal(403);
        // A bracketed name is refused before anything is read (the input guard): 400, the log not shown.
        const bracketed = await a.get('/admin/audit?actor[$ne]=x').set('Accept', 'text/html');
        expect(bracketed.status).to.be.oneOf([400, 403]);
        expect(bracketed.text).not.to.include('data-action=');
      }
      expect((await agent(t.app).get('/admin/audit').set('Accept', 'text/html')).status).to.be.oneOf([302, 303, 401]);
    });
  });

  describe('holiday confirmation and recount pages', () => {
    it('refuse every role but the administrator, and a form without its token, with nothing stored', async () => {
      const day = { date: '2033-09-01', kind: 'day_off', nameVi: 'Ngày thử', nameEn: 'Test day' };
      const stored = { date: '2033-09-02', kind: 'day_off' as const, name: { vi: 'Ngày thử', en: 'Test day' } };
      const holiday = await Holiday.create(stored);
      const holidays = () => Holiday.countDocuments({ date: { $in: ['2033-09-01', '2033-09-02'] } });
      const recounts = () => DeadlineRecount.countDocuments({});
      const before = { holidays: await holidays(), recounts: await recounts() };
      // A finished recount (as the job leaves it): no job picks it up.
      const recount = await DeadlineRecount.create({ date: '2033-09-02', change: 'added', name: stored.name, reason: 'Test', createdAt: new Date(), finishedAt: new Date(), moved: 0, kept: 0 });
      for (const a of [hr, leader, applicant]) {
        const home = await a.get('/').set('Accept', 'text/html');
        const token = csrfFrom(home.text);
        for (const url of [`/admin/holidays/add?${new URLSearchParams(day).toString()}`, `/admin/holidays/${String(holiday._id)}/delete`, `/admin/holidays/recounts/${String(recount._id)}`]) {
          expect((await a.get(url).set('Accept', 'text/html')).status, url).to.equal(403);
        }
        const add = await a.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send({ _csrf: token, ...day, reason: 'Because I can', seen: 'x' });
        expect(add.status).to.equal(403);
        const del = await a.post(`/admin/holidays/${String(holiday._id)}/delete`).type('form').set('Accept', 'text/html').send({ _csrf: token, reason: 'Because I can', seen: 'x' });
        expect(del.status).to.equal(403);
      }
      // The administrator's own session, from a cross-site form (no token): refused.
      const noToken = await admin.post(`/admin/holidays/${String(holiday._id)}/delete`).type('form').set('Accept', 'text/html').send({ reason: 'Cross-site form', seen: 'x' });
      expect(noToken.status).to.equal(403);
      const noTokenAdd = await admin.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send({ ...day, reason: 'Cross-site form', seen: 'x' });
      expect(noTokenAdd.status).to.equal(403);
      await DeadlineRecount.deleteOne({ _id: recount._id });
      expect(await holidays()).to.equal(before.holidays);
      expect(await recounts()).to.equal(before.recounts);
      await Holiday.deleteOne({ _id: holiday._id });
    });

    it('a confirmation sent twice at once (a double click, two tabs) has one effect, for an added day and a removed one', async () => {
      const day = { date: '2033-09-05', kind: 'day_off', nameVi: 'Ngày nghỉ bù', nameEn: 'Make-up day off' };
      const recounts = () => DeadlineRecount.countDocuments({ date: day.date });
      const confirm = await admin.get(`/admin/holidays/add?${new URLSearchParams(day).toString()}`).set('Accept', 'text/html');
      expect(confirm.status).to.equal(200);
      const form = { _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), ...day, reason: 'Decision of the Prime Minister on make-up days' };
      const added = await Promise.all([0, 1].map(() => admin.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send(form)));
      expect(added.map((r) => r.status).sort()).to.deep.equal([303, 409]);
      expect(await Holiday.countDocuments({ date: day.date })).to.equal(1);
      expect(await recounts()).to.equal(1);
      expect(await AuditEvent.countDocuments({ action: 'holiday.create', 'summary.date': day.date })).to.equal(1);

      const holiday = (await Holiday.findOne({ date: day.date }).lean())!;
      const page = await admin.get(`/admin/holidays/${String(holiday._id)}/delete`).set('Accept', 'text/html');
      const del = { _csrf: csrfFrom(page.text), seen: seenFrom(page.text), reason: 'Entered by mistake, the decree names another day' };
      const removed = await Promise.all([0, 1].map(() => admin.post(`/admin/holidays/${String(holiday._id)}/delete`).type('form').set('Accept', 'text/html').send(del)));
      expect(removed.map((r) => r.status).sort()).to.deep.equal([303, 409]);
      expect(await Holiday.countDocuments({ date: day.date })).to.equal(0);
      expect(await recounts()).to.equal(2);
      expect(await AuditEvent.countDocuments({ action: 'holiday.delete', 'summary.date': day.date })).to.equal(1);
    });

    it('answer hostile ids and dates with not found or what to fix, never a server error', async () => {
      for (const id of ['__proto__', 'constructor', '000000000000000000000000', 'x'.repeat(500), '%24where']) {
        expect((await admin.get(`/admin/holidays/recounts/${id}`).set('Accept', 'text/html')).status, id).to.equal(404);
        expect((await admin.get(`/admin/holidays/${id}/delete`).set('Accept', 'text/html')).status, id).to.equal(404);
      }
      for (const q of ['date=0000-01-01', 'date=9999-12-31', 'date=2033-02-30', `date=${'2'.repeat(5000)}`, 'date[$gt]=', 'kind=working_day&date=2033-09-07&nameVi=a&nameEn=a', 'kind=__proto__&date=2033-09-03&nameVi=a&nameEn=a']) {
        const res = await admin.get(`/admin/holidays/add?${q}`).set('Accept', 'text/html');
        expect(res.status, q).to.be.oneOf([400, 422]);
      }
      expect(await Holiday.countDocuments({ date: { $in: ['2033-09-03', '2033-09-07'] } })).to.equal(0);
      expect(await AuditEvent.countDocuments({ action: 'holiday.create', 'summary.date': { $in: ['2033-09-03', '2033-09-07'] } })).to.equal(0);
    });
  });

  describe('steering report files with hostile names', () => {
    // What an administrator could type as a call's title and field: a formula after a separator a
    // spreadsheet reading ";" splits on, and a new line (quoted in RFC 4180, not there).
    const title = 'Physics;=cmd|\' /C calc\'!A0';
    const field = 'Optics\n@SUM(1+1)*cmd|\' /C calc\'!A0';

    it('CSV: no cell a ";"-reading spreadsheet splits out starts as a formula', async () => {
      const inst = await createInstitute({ name: { vi: 'Viện;+1+1', en: 'Institute;-2+3' } });
      const call = await createCall({ institute: inst._id, title: { vi: title, en: title }, field: { vi: field, en: field } });
      await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening', submittedAt: new Date(), profile: { fullName: 'X', nationality: 'VN', highestDegree: 'phd', field: 'x' } });
      await clearDashboardCache();
      const res = await admin.get(`/reports/steering.csv?institute=${String(inst._id)}&call=${String(call._id)}&lang=en`);
      expect(res.status).to.equal(200);
      const text = res.text.replace(/^\uFEFF/, '');
      expect(text).to.include('Physics;');
      expect(text).to.include('Institute;');
      // Read as RFC 4180 (quoted new lines kept) by a "," spreadsheet, and line by line by a ";" one.
      for (const line of text.split(/\r\n|\n|\r/)) for (const cell of semicolonCells(line)) expect(cell, line).not.to.match(FORMULA);
    });

    it('reads hostile filter names and values as filters it cannot read (422) or ignores them, never a server error, for each format', async () => {
      const queries = ['__proto__[x]=1', 'constructor[prototype][x]=1', 'call[$ne]=', 'institute=constructor', 'institute=__proto__', 'lang=__proto__', 'lang=toString', 'from[$gt]=', 'hasOwnProperty=1', 'toString=1', `from=${'9'.repeat(3000)}`, 'call=000000000000000000000000'];
      for (const format of ['', '.csv', '.xlsx', '.pdf']) {
        for (const q of queries) {
          const res = await leader.get(`/reports/steering${format}?${q}`).set('Accept', 'text/html');
          expect(res.status, `${format} ${q}`).to.be.oneOf([200, 400, 404, 422]);
          expect(({} as Record<string, unknown>).x).to.equal(undefined);
          if (res.status === 200 && format) expect(res.headers['content-disposition'], q).to.match(/^attachment; filename="steering-report-(en|vi)\.(csv|xlsx|pdf)"$/);
        }
      }
    });

    it('CSV fields: a formula after ";" or a line break is defused as at the start; plain text kept', () => {
      expect(csvField('a;=1+1')).to.equal(`"a;'=1+1"`);
      expect(csvField('a\n+1')).to.equal(`"a\n'+1"`);
      expect(csvField('a\r\n-1')).to.equal(`"a\r\n'-1"`);
      expect(csvField('Vật lý; hoá học')).to.equal('"Vật lý; hoá học"');
      expect(csvField('2-3 years')).to.equal('2-3 years');
    });

    it('Excel: every hostile text is a text cell, never a formula or a link', async () => {
      const { default: ExcelJS } = await import('exceljs');
      const inst = await createInstitute({ name: { vi: '=HYPERLINK("http://evil.test","x")', en: '=HYPERLINK("http://evil.test","x")' } });
      const call = await createCall({ institute: inst._id, title: { vi: '+1+1', en: '@SUM(A1)' }, field: { vi: '-2+3', en: '\t=1+1' } });
      await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening', submittedAt: new Date(), profile: { fullName: 'X', nationality: 'VN', highestDegree: 'phd', field: 'x' } });
      await clearDashboardCache();
      const res = await admin
        .get(`/reports/steering.xlsx?institute=${String(inst._id)}&call=${String(call._id)}&lang=en`)
        .buffer(true)
        .parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        });
      expect(res.status).to.equal(200);
      expect(res.headers['content-disposition']).to.equal('attachment; filename="steering-report-en.xlsx"');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as Buffer as unknown as ArrayBuffer);
      expect(wb.worksheets.map((w) => w.name)).to.deep.equal(['Report']);
      const seen: string[] = [];
      wb.worksheets[0]!.eachRow((row) =>
        row.eachCell((cell) => {
          expect(cell.type, String(cell.value)).to.be.oneOf([ExcelJS.ValueType.String, ExcelJS.ValueType.Number, ExcelJS.ValueType.Date]);
          expect(cell.formula).to.equal(undefined);
          if (typeof cell.value === 'string') seen.push(cell.value);
        }),
      );
      expect(seen).to.include('=HYPERLINK("http://evil.test","x")');
      expect(seen).to.include('@SUM(A1)');
      expect(seen.filter((v) => v.includes('=1+1')), seen.join('|')).to.have.length.above(0);
    });
  });

  describe('who hears of an answered offer without an assigned officer', () => {
    it('no institute: nobody (never the HR officers who have no institute)', async () => {
      // An officer not (yet) placed in an institute.
      const unplaced = await createUser({ role: 'hr_officer', locale: 'en' });
      await User.updateOne({ _id: unplaced._id }, { $unset: { institute: 1 } });
      expect(await hrOfficeToTell(null)).to.deep.equal({ officers: [], route: 'nobody' });
      expect(await hrOfficeToTell(undefined)).to.deep.equal({ officers: [], route: 'nobody' });
      const inst = await createInstitute();
      const own = await createUser({ role: 'hr_officer', institute: inst });
      const told = await hrOfficeToTell(inst._id as Types.ObjectId);
      expect(told.route).to.equal('officers');
      expect(told.officers.map((u) => String(u._id))).to.deep.equal([String(own._id)]);
    });
  });
});
