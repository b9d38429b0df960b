// Adding or removing a day of the holiday calendar is a considered act: a page lists, before
// anything changes, the open deadlines it would move (case, applicant, deadline, old day → new day,
// working days left) and those that keep their date, computed by a dry run of the recount; a reason
// is required and audited; a second click has one effect; a day off on a weekend is pointed to the
// next working day (Labour Code 2019 Art. 111(3)). March 2035: a year no other test enters holidays in.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { csrfFrom, seenFrom, submitForm } from '../support/http.ts';
import { Case } from '../../models/case.ts';
import { Holiday } from '../../models/holiday.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { planHolidayChange } from '../../server/admin/holidays.ts';
import { systemContext } from '../../server/context.ts';
import { Call } from '../../models/call.ts';
import { signedIn, page, text, deliver } from '../applications/support.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import { procedureWorld, vn } from './support.ts';
import { screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';

const endOf = (day: string) => vnEndOfDay(vn(day));

/** The rows of a deadlines table on the page, each as its cells' text. */
function rows(html: string, id: string): string[][] {
  const table = new RegExp(`<table class="stack" id="${id}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr data-case[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => text(c[1]!.replace(/<[^>]+>/g, '').trim())));
}

describe('admin: a holiday change is confirmed on a page that says what it moves', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2035-03-05'); // a Monday
  let admin: UserDoc;
  let adminVi: UserDoc;
  let applicant: UserDoc;
  let c: CaseDoc;
  const day = { date: '2035-03-07', nameVi: 'Ngày nghỉ thử', nameEn: 'Test day off' }; // a Wednesday
  const stored = async () => (await Case.findById(c._id).lean())!;

  before(async () => {
    let call: CallDoc;
    ({ t, call } = await procedureWorld(() => clock));
    admin = await createUser({ role: 'admin', locale: 'en' });
    adminVi = await createUser({ role: 'admin', locale: 'vi' });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Marie Curie' });
    c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      stageDueAt: endOf('2035-03-30'), // typed by hand: no count, keeps its date
      supportTracks: [
        // Filed: the decision date the applicant was told, 5 working days from Monday 5 March.
        { kind: 'visa', status: 'filed', filedAt: vn('2035-03-05'), dueAt: endOf('2035-03-12'), dueCount: { from: vn('2035-03-05'), workingDays: 5 }, office: 'Immigration', updatedAt: vn('2035-03-05') },
        // An open request to the applicant, 4 working days.
        { kind: 'work_permit', status: 'preparing', updatedAt: vn('2035-03-05'), asks: [{ text: 'Your signed contract.', askedAt: vn('2035-03-05'), dueAt: endOf('2035-03-09'), dueCount: { from: vn('2035-03-05'), workingDays: 4 } }] },
        // A target stored without its count: keeps its date.
        { kind: 'residence_card', status: 'requested', dueAt: endOf('2035-03-20'), updatedAt: vn('2035-03-05') },
      ],
    });
  });
  after(async () => {
    await Holiday.deleteMany({ date: { $gte: '2035-01-01', $lte: '2035-12-31' } });
    await DeadlineRecount.deleteMany({ date: { $gte: '2035-01-01', $lte: '2035-12-31' } });
    await t?.close();
  });

  it('counts as e-mailed only applicants the recount e-mails: not one whose account is disabled', async () => {
    const disabled = await createUser({ role: 'applicant', locale: 'en', name: 'Disabled Applicant' });
    await disabled.updateOne({ disabledAt: vn('2036-01-05') });
    const call = (await Call.findById(c.call))!;
    await createCase({
      applicant: disabled,
      call,
      stage: 'onboarding',
      supportTracks: [{ kind: 'visa', status: 'filed', filedAt: vn('2036-03-05'), dueAt: endOf('2036-03-12'), dueCount: { from: vn('2036-03-05'), workingDays: 5 }, office: 'Immigration', updatedAt: vn('2036-03-05') }],
    });
    const plan = await planHolidayChange({ ctx: systemContext({ now: vn('2036-03-01') }), change: 'added', date: '2036-03-07', kind: 'day_off', name: { en: 'Test day off' } });
    expect(plan.moved.map((m) => m.applicantName)).to.deep.equal(['Disabled Applicant']);
    expect(plan.toEmail, 'a disabled account is not e-mailed by the recount').to.equal(0);
  });

  it('lists, before anything changes, the deadlines that would move and those that keep their date', async () => {
    const a = await signedIn(t, admin);
    const before = await stored();
    const form = await submitForm(a, '/admin/holidays', day);
    expect(form.status).to.equal(303);
    expect(form.headers.location).to.match(/^\/admin\/holidays\/add\?date=2035-03-07&kind=day_off&/);
    const confirm = await page(a, form.headers.location!);
    expect(confirm.status).to.equal(200);
    expect(rows(confirm.text, 'holiday-moved')).to.deep.equal([
      [c.reference, 'Marie Curie', 'Visa', '12 Mar 2035', '13 Mar 2035', '5 working days left'],
      [c.reference, 'Marie Curie', 'Work permit: request “Your signed contract.”', '9 Mar 2035', '12 Mar 2035', '4 working days left'],
    ]);
    expect(rows(confirm.text, 'holiday-kept')).to.deep.equal([
      [c.reference, 'Marie Curie', 'Stage deadline', '30 Mar 2035', '18 working days left'],
      [c.reference, 'Marie Curie', 'Temporary residence card', '20 Mar 2035', '10 working days left'],
    ]);
    const shown = text(confirm.text);
    expect(shown).to.include('2 open deadlines move').and.include('2 deadlines on or after this day keep their date');
    expect(shown).to.include('The applicant of 1 case will be e-mailed about the dates of theirs that move.');
    expect(confirm.text).to.not.include('id="holiday-weekend"');
    // Nothing changed yet.
    expect(await Holiday.exists({ date: day.date })).to.equal(null);
    expect(await DeadlineRecount.countDocuments({ date: day.date })).to.equal(0);
    expect((await stored()).version).to.equal(before.version);
  });

  it('requires a reason, keeping the form, and changes nothing without one', async () => {
    const a = await signedIn(t, admin);
    const confirm = await page(a, `/admin/holidays/add?${new URLSearchParams({ ...day, kind: 'day_off' })}`);
    const res = await a.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), ...day, kind: 'day_off', reason: ' ' });
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include('Give the reason for this change of the calendar.');
    expect(res.text).to.include('name="nameEn" value="Test day off"').and.include('name="date" value="2035-03-07"');
    expect(rows(res.text, 'holiday-moved')).to.have.length(2);
    const short = await a.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), ...day, kind: 'day_off', reason: 'PM' });
    expect(short.status).to.equal(422);
    expect(short.text).to.include('>PM</textarea>');
    expect(await Holiday.exists({ date: day.date })).to.equal(null);
    expect(await DeadlineRecount.countDocuments({ date: day.date })).to.equal(0);
  });

  it('on confirmation adds the day once, moves what it listed, audits the reason and e-mails the applicant once, even when confirmed twice', async () => {
    const a = await signedIn(t, admin);
    const confirm = await page(a, `/admin/holidays/add?${new URLSearchParams({ ...day, kind: 'day_off' })}`);
    const body = { _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), ...day, kind: 'day_off', reason: 'Decision of the Prime Minister, test day' };
    const res = await a.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send(body);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/admin\/holidays\/recounts\/[a-f0-9]{24}$/);
    const again = await a.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send(body);
    expect(again.status).to.equal(409);
    expect(text(again.text)).to.include('This day is already in the calendar');

    const result = await page(a, res.headers.location!);
    expect(result.status).to.equal(200);
    expect(rows(result.text, 'holiday-moved').map((r) => r.slice(0, 5))).to.deep.equal([
      [c.reference, 'Marie Curie', 'Visa', '12 Mar 2035', '13 Mar 2035'],
      [c.reference, 'Marie Curie', 'Work permit: request “Your signed contract.”', '9 Mar 2035', '12 Mar 2035'],
    ]);
    expect(text(result.text)).to.include('Deadlines moved: 2. Deadlines that kept their date: 2.').and.include('The applicant of 1 case is e-mailed');

    expect(await Holiday.countDocuments({ date: day.date })).to.equal(1);
    expect(await DeadlineRecount.countDocuments({ date: day.date })).to.equal(1);
    const s = await stored();
    expect(s.outbox.map((o) => o.template)).to.deep.equal(['procedure_dates_moved']);
    const audit = await AuditEvent.findOne({ action: 'holiday.create' }).sort({ _id: -1 }).lean();
    expect(audit?.summary).to.deep.include({ date: day.date, reason: 'Decision of the Prime Minister, test day', moved: 2, kept: 2, toEmail: 1 });
    expect((audit?.summary as { name?: unknown }).name).to.deep.equal({ vi: day.nameVi, en: day.nameEn });
    await deliver(t, c._id);
    const mail = await t.smtp.waitFor((m) => m.to.includes(applicant.email.toLowerCase()));
    expect(mail.text).to.include('13 Mar 2035');
    expect(t.smtp.messages.filter((m) => m.to.includes(applicant.email.toLowerCase()))).to.have.length(1);
  });

  it('removes the day through the same page, listing the way back, once', async () => {
    const a = await signedIn(t, admin);
    const h = (await Holiday.findOne({ date: day.date }).lean())!;
    const listed = await page(a, '/admin/holidays?year=2035');
    expect(listed.text).to.include(`href="/admin/holidays/${h._id}/delete"`);
    expect(listed.text).to.not.include(`action="/admin/holidays/${h._id}/delete"`);
    const confirm = await page(a, `/admin/holidays/${h._id}/delete`);
    expect(rows(confirm.text, 'holiday-moved').map((r) => r.slice(2, 5))).to.deep.equal([
      ['Visa', '13 Mar 2035', '12 Mar 2035'],
      ['Work permit: request “Your signed contract.”', '12 Mar 2035', '9 Mar 2035'],
    ]);
    expect(await Holiday.exists({ date: day.date })).to.not.equal(null);
    const body = { _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), reason: 'Entered by mistake in this test' };
    const res = await a.post(`/admin/holidays/${h._id}/delete`).type('form').set('Accept', 'text/html').send(body);
    expect(res.status).to.equal(303);
    const again = await a.post(`/admin/holidays/${h._id}/delete`).type('form').set('Accept', 'text/html').send(body);
    expect(again.status).to.equal(409);
    expect(await DeadlineRecount.countDocuments({ date: day.date, change: 'removed' })).to.equal(1);
    expect(await AuditEvent.countDocuments({ action: 'holiday.delete', targetId: String(h._id) })).to.equal(1);
    const s = await stored();
    expect(s.supportTracks.find((x) => x.kind === 'visa')?.dueAt?.toISOString()).to.equal(endOf('2035-03-12').toISOString());
  });

  it('shows the page again when the deadlines changed since it was shown (reason kept)', async () => {
    const a = await signedIn(t, admin);
    const other = { date: '2035-03-14', nameVi: 'Ngày khác', nameEn: 'Another day' };
    const confirm = await page(a, `/admin/holidays/add?${new URLSearchParams({ ...other, kind: 'day_off' })}`);
    await Case.updateOne({ _id: c._id, 'supportTracks.kind': 'residence_card' }, { $set: { 'supportTracks.$.dueAt': endOf('2035-03-21') }, $inc: { version: 1 } });
    const res = await a.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), ...other, kind: 'day_off', reason: 'Decision of the Prime Minister' });
    expect(res.status).to.equal(409);
    expect(text(res.text)).to.include('The deadlines changed since this page was shown');
    expect(res.text).to.include('Decision of the Prime Minister</textarea>');
    expect(rows(res.text, 'holiday-kept').map((r) => r[3])).to.include('21 Mar 2035');
    expect(seenFrom(res.text)).to.not.equal(seenFrom(confirm.text));
    expect(await Holiday.exists({ date: other.date })).to.equal(null);
  });

  for (const who of ['en', 'vi'] as const) {
    it(`says a day off on a Saturday moves nothing and offers the next working day (${who})`, async () => {
      const a = await signedIn(t, who === 'en' ? admin : adminVi);
      const form = await submitForm(a, '/admin/holidays', { date: '2035-03-10', nameVi: 'Ngày lễ', nameEn: 'Holiday on Saturday' });
      const confirm = await page(a, form.headers.location!);
      const shown = text(confirm.text);
      expect(confirm.text).to.include('id="holiday-weekend"');
      if (who === 'en') expect(shown).to.include('10 Mar 2035 is a Saturday').and.include('Art. 111(3)').and.include('12 Mar 2035 (Monday)').and.include('Add 12 Mar 2035 instead');
      else expect(shown).to.include('Ngày 10/3/2035 là Thứ Bảy').and.include('Điều 111 khoản 3').and.include('Thêm ngày 12/3/2035 thay thế');
      expect(rows(confirm.text, 'holiday-moved')).to.deep.equal([]);
      const href = /href="([^"]+)" id="holiday-switch"/.exec(confirm.text)?.[1];
      expect(href).to.be.a('string');
      const switched = await page(a, text(href!));
      expect(switched.status).to.equal(200);
      expect(switched.text).to.include('name="date" value="2035-03-12"').and.include('name="nameEn" value="Holiday on Saturday"');
      expect(switched.text).to.not.include('id="holiday-weekend"');
    });
  }

  it('still adds the Saturday if the administrator insists, moving nothing', async () => {
    const a = await signedIn(t, admin);
    const before = (await stored()).version;
    const confirm = await page(a, `/admin/holidays/add?${new URLSearchParams({ date: '2035-03-10', kind: 'day_off', nameVi: 'Ngày lễ', nameEn: 'Holiday on Saturday' })}`);
    const res = await a.post('/admin/holidays/add').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(confirm.text), seen: seenFrom(confirm.text), date: '2035-03-10', kind: 'day_off', nameVi: 'Ngày lễ', nameEn: 'Holiday on Saturday', reason: 'The decree names the Saturday itself' });
    expect(res.status).to.equal(303);
    expect(text((await page(a, res.headers.location!)).text)).to.include('Deadlines moved: 0.');
    expect((await stored()).version).to.equal(before);
  });
});

describe('admin: the holiday confirmation at 375 px', function () {
  this.timeout(60_000);
  const browser = useBrowser();
  let t: TestApp;
  let admin: UserDoc;
  const clock = vn('2035-06-04'); // a Monday

  before(async () => {
    let call: CallDoc;
    ({ t, call } = await procedureWorld(() => clock));
    admin = await createUser({ role: 'admin', locale: 'vi' });
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Thị Phương Hoa Trần Lê' });
    const track = { kind: 'visa', status: 'filed', filedAt: vn('2035-06-04'), dueAt: endOf('2035-06-11'), dueCount: { from: vn('2035-06-04'), workingDays: 5 }, office: 'Immigration', updatedAt: vn('2035-06-04') };
    for (let i = 0; i < 3; i += 1) await createCase({ applicant, call, stage: 'onboarding', stageDueAt: endOf('2035-06-29'), supportTracks: [track] });
  });
  after(async () => {
    await Holiday.deleteMany({ date: { $gte: '2035-01-01', $lte: '2035-12-31' } });
    await t?.close();
  });

  it('fits the screen in Vietnamese: the lists are stacked rows, nothing scrolls sideways', async () => {
    const p = await browser.page({ locale: 'vi-VN', viewport: { width: 375, height: 800 } });
    await staffSignsIn(p, t.baseUrl, admin);
    await p.goto(`${t.baseUrl}/admin/holidays/add?${new URLSearchParams({ date: '2035-06-06', kind: 'day_off', nameVi: 'Ngày nghỉ thử', nameEn: 'Test day' })}`);
    expect(await p.locator('#holiday-moved tbody tr').count()).to.equal(3);
    expect(await p.locator('#holiday-kept tbody tr').count()).to.equal(3);
    expect(await p.evaluate('document.documentElement.scrollWidth')).to.equal(375);
    // Each row is a card: its cells are one above the other, each with its label.
    const cells = (await p.evaluate(`[...document.querySelectorAll('#holiday-moved tbody tr:first-child td')].map((td) => Math.round(td.getBoundingClientRect().left))`)) as number[];
    expect(cells).to.have.length(6);
    expect(new Set(cells).size).to.equal(1);
    await p.screenshot({ path: `${screenshotsDir}/holiday-confirm-vi-375.png`, fullPage: true });
    await p.goto(`${t.baseUrl}/admin/holidays?year=2035`);
    expect(await p.locator('form.filters button').innerText()).to.equal('Xem năm');
  });
});
