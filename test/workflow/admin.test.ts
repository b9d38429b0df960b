// The administration pages over real HTTP: admin only; institutes, calls with checklist and
// scorecard rows (including "add row" without JavaScript and errors kept beside the fields),
// holidays, and requeueing a dead e-mail.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { addHoliday, agent, csrfFrom, removeHoliday, submitForm, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, uniqueSuffix } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Institute } from '../../models/institute.ts';
import { Call } from '../../models/call.ts';
import { Case } from '../../models/case.ts';
import { Holiday } from '../../models/holiday.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { caseEmail } from '../../server/outbox/index.ts';
import { isWorkingDay, seedHolidays } from '../../server/calendar/index.ts';

describe('admin: institutes, calls, holidays and dead e-mails', () => {
  let t: TestApp;
  let a: Agent;

  before(async () => {
    t = await startTestApp();
    await seedHolidays(); // main.ts does this at boot
    const admin = await createUser({ role: 'admin' });
    a = agent(t.app);
    await signIn(a, admin);
  });
  after(async () => {
    await t?.close();
  });

  it('is for administrators only', async () => {
    for (const role of ['applicant', 'hr_officer', 'leader'] as const) {
      const u = await createUser({ role });
      const other = agent(t.app);
      await signIn(other, u);
      for (const path of ['/admin', '/admin/institutes', '/admin/calls', '/admin/calls/new', '/admin/holidays', '/admin/outbox']) {
        const res = await other.get(path).set('Accept', 'text/html');
        expect(res.status, `${role} ${path}`).to.equal(403);
      }
      const page = await other.get('/account').set('Accept', 'text/html');
      const post = await other.post('/admin/institutes').type('form').send({ _csrf: csrfFrom(page.text), code: 'HACK', nameVi: 'x', nameEn: 'x' });
      expect(post.status).to.equal(403);
    }
    expect(await Institute.exists({ code: 'HACK' })).to.equal(null);
  });

  it('shows the index with a link to every admin section', async () => {
    const res = await a.get('/admin').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(res.status).to.equal(200);
    for (const href of ['/admin/users', '/admin/institutes', '/admin/calls', '/admin/holidays', '/admin/outbox']) expect(res.text).to.include(`href="${href}"`);
  });

  it('creates and edits an institute, refusing a bad or duplicate code with the values kept', async () => {
    const code = `T-${uniqueSuffix()}`.toUpperCase().slice(0, 20);
    const bad = await submitForm(a, '/admin/institutes', { code: 'x', nameVi: 'Viện A', nameEn: '' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('value="Viện A"');
    expect(bad.text).to.include('field-error');
    const ok = await submitForm(a, '/admin/institutes', { code, nameVi: 'Viện Thử nghiệm', nameEn: 'Test Institute' });
    expect(ok.status).to.equal(303);
    const inst = await Institute.findOne({ code }).lean();
    expect(inst?.name?.vi).to.equal('Viện Thử nghiệm');
    const dup = await submitForm(a, '/admin/institutes', { code, nameVi: 'B', nameEn: 'B' });
    expect(dup.status).to.equal(422);
    const edit = await submitForm(a, `/admin/institutes/${inst!._id}`, { code, nameVi: 'Viện Đổi tên', nameEn: 'Renamed Institute' });
    expect(edit.status).to.equal(303);
    expect((await Institute.findById(inst!._id).lean())?.name?.en).to.equal('Renamed Institute');
    expect(await AuditEvent.exists({ action: 'institute.update', targetId: String(inst!._id) })).to.not.equal(null);
  });

  it('creates a call with checklist and scorecard rows, adds rows without JavaScript, and keeps typed values on errors', async () => {
    const institute = await createInstitute();
    const base = {
      institute: String(institute._id), code: 'C-1', titleVi: 'Chuyên gia vật liệu', titleEn: 'Materials expert', descriptionVi: 'Mô tả', descriptionEn: 'Description',
      track: 'expert', fieldVi: 'Vật liệu', fieldEn: 'Materials', opensAt: '2026-03-01', closesAt: '2099-04-30', status: 'open',
      checklistRows: '2', cl_type_0: 'cv', cl_phase_0: 'application', cl_required_0: 'on', cl_maxMb_0: '10', cl_type_1: 'passport', cl_phase_1: 'application', cl_required_1: 'on',
      scorecardRows: '1', sc_key_0: 'research', sc_labelVi_0: 'Nghiên cứu', sc_labelEn_0: 'Research', sc_weight_0: '70',
    };
    // "Add a criterion row" re-renders the form with one more row and nothing saved.
    const added = await submitForm(a, '/admin/calls/new', { ...base, op: 'addCriterionRow' });
    expect(added.status).to.equal(200);
    expect(added.text).to.include('name="sc_key_1"');
    expect(added.text).to.include('value="Research"');
    expect(await Call.exists({ institute: institute._id })).to.equal(null);

    // An invalid row and a closing date before the opening date: 422, errors beside the fields, values kept.
    const bad = await submitForm(a, '/admin/calls/new', { ...base, closesAt: '2026-02-01', scorecardRows: '2', sc_key_1: 'Bad Key', sc_labelVi_1: 'X', sc_labelEn_1: 'X', sc_weight_1: '30', op: 'save' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('value="Bad Key"');
    expect(bad.text).to.match(/sc-error-1/);
    expect(bad.text).to.include('f-closesAt-error');

    // A key every JavaScript object already has names no score: refused, with why.
    for (const key of ['constructor', '__proto__', 'prototype']) {
      const reserved = await submitForm(a, '/admin/calls/new', { ...base, scorecardRows: '2', sc_key_1: key, sc_labelVi_1: 'X', sc_labelEn_1: 'X', sc_weight_1: '30', op: 'save' });
      expect(reserved.status, key).to.equal(422);
      expect(reserved.text, key).to.include('reserved name');
      expect(reserved.text, key).to.include(`value="${key}"`);
    }
    expect(await Call.exists({ institute: institute._id })).to.equal(null);

    const ok = await submitForm(a, '/admin/calls/new', { ...base, scorecardRows: '2', sc_key_1: 'fit', sc_labelVi_1: 'Phù hợp', sc_labelEn_1: 'Fit', sc_weight_1: '30', op: 'save' });
    expect(ok.status).to.equal(303);
    const call = await Call.findOne({ institute: institute._id }).lean();
    expect(ok.headers.location).to.equal(`/admin/calls/${call!._id}`);
    expect(call!.title?.en).to.equal('Materials expert');
    expect(call!.status).to.equal('open');
    expect(call!.checklist.map((c) => [c.type, c.required, c.maxMb ?? null])).to.deep.equal([['cv', true, 10], ['passport', true, null]]);
    expect(call!.scorecard.map((s) => [s.key, s.label?.vi, s.weight])).to.deep.equal([['research', 'Nghiên cứu', 70], ['fit', 'Phù hợp', 30]]);
    // Dates are days in Vietnam: open from the start of 1 March, closed at the end of 30 April.
    expect(call!.opensAt.toISOString()).to.equal('2026-02-28T17:00:00.000Z');
    expect(call!.closesAt.toISOString()).to.equal('2099-04-30T16:59:59.999Z');

    // Editing shows the stored rows; blanking a row's type removes it.
    const edit = await a.get(`/admin/calls/${call!._id}`).set('Accept', 'text/html');
    expect(edit.text).to.include('value="01/03/2026"');
    expect(edit.text).to.include('value="fit"');
    const saved = await submitForm(a, `/admin/calls/${call!._id}`, { ...base, cl_type_1: '', scorecardRows: '1', status: 'closed', op: 'save' });
    expect(saved.status).to.equal(303);
    const after = await Call.findById(call!._id).lean();
    expect(after!.checklist.map((c) => c.type)).to.deep.equal(['cv']);
    expect(after!.status).to.equal('closed');

    const list = await a.get('/admin/calls').set('Accept', 'text/html');
    expect(list.text).to.include('Materials expert');
    expect(list.text).to.include(`/admin/calls/${call!._id}/panel`);
  });

  it('lists, adds and removes holidays', async () => {
    const page = await a.get('/admin/holidays?year=2026').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('2026-02-17');
    expect(page.text).to.include('Lunar New Year');
    const dup = await submitForm(a, '/admin/holidays', { date: '2026-02-17', nameVi: 'x', nameEn: 'x' });
    expect(dup.status).to.equal(422);
    // A day that is not on the calendar is refused, not stored as it was typed (nor rolled into March).
    const impossible = await submitForm(a, '/admin/holidays', { date: '2031-02-31', nameVi: 'x', nameEn: 'Impossible day' });
    expect(impossible.status).to.equal(422);
    expect(impossible.text).to.include('Impossible day');
    expect(impossible.text).to.include('There is no such day on the calendar'); // it said "Please enter a date"
    const blank = await submitForm(a, '/admin/holidays', { date: '', nameVi: 'x', nameEn: 'No day' });
    expect(blank.status).to.equal(422);
    expect(blank.text).to.include('Please enter a date.');
    expect(await Holiday.exists({ date: '2031-02-31' })).to.equal(null);
    const ok = await addHoliday(a, { date: '2032-11-24', nameVi: 'Ngày Văn hóa Việt Nam', nameEn: 'Vietnamese Culture Day' });
    expect(ok.status).to.equal(303);
    const h = await Holiday.findOne({ date: '2032-11-24' }).lean();
    expect(h?.name?.en).to.equal('Vietnamese Culture Day');
    expect(h?.kind).to.equal('day_off'); // a form without the choice adds a day off, as it always did
    // A make-up working day is a Saturday or Sunday; a weekday is refused beside the choice.
    const weekday = await submitForm(a, '/admin/holidays', { date: '2032-11-23', kind: 'working_day', nameVi: 'Làm bù', nameEn: 'Worked Tuesday' });
    expect(weekday.status).to.equal(422);
    expect(weekday.text).to.match(/id="f-kind-error"[^>]*>A make-up working day is a Saturday or Sunday/);
    expect(weekday.text).to.include('Worked Tuesday');
    const saturday = await addHoliday(a, { date: '2032-11-20', kind: 'working_day', nameVi: 'Làm bù', nameEn: 'Worked Saturday' });
    expect(saturday.status).to.equal(303);
    expect((await Holiday.findOne({ date: '2032-11-20' }).lean())?.kind).to.equal('working_day');
    const listed = await a.get('/admin/holidays?year=2032').set('Accept', 'text/html');
    expect(listed.text).to.include('Make-up working day');
    expect(await isWorkingDay(new Date('2032-11-20T03:00:00Z'))).to.equal(true);
    await Holiday.deleteOne({ date: '2032-11-20' });
    const removed = await removeHoliday(a, String(h!._id));
    expect(removed.status).to.equal(303);
    expect(await Holiday.exists({ date: '2032-11-24' })).to.equal(null);
  });

  it('lists dead e-mails across cases and requeues one', async () => {
    const institute = await createInstitute();
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute });
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const item = { ...caseEmail(applicant, 'application_submitted', { reference: c.reference, link: 'x' }, `dead-${c._id}`), status: 'dead', attempts: 8, lastError: '550 Mailbox unavailable' };
    await Case.updateOne({ _id: c._id }, { $push: { outbox: item } });
    const page = await a.get('/admin/outbox').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.include(c.reference);
    // Explained, the server's text kept as details.
    expect(page.text).to.include('The receiving mail server refused this address').and.include('Details: 550 Mailbox unavailable');
    const res = await submitForm(a, '/admin/outbox', { caseId: String(c._id), key: `dead-${c._id}` }, '/admin/outbox/requeue');
    expect(res.status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!.outbox.find((i) => i.key === `dead-${c._id}`)!;
    expect(stored.status).to.equal('pending');
    expect(stored.attempts).to.equal(0);
    expect(await AuditEvent.exists({ action: 'email.requeue', targetId: String(c._id) })).to.not.equal(null);
  });
});
