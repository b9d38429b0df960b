// A day field is a text input typed day first (dd/mm/yyyy), as its label says in the page's
// language: a native date input showed the browser's own order (12/05/2026 in an en-US Chromium,
// checked: neither the page's nor the input's `lang` changes it) beside pages that write 5/12/2026.
// The server reads dd/mm/yyyy and YYYY-MM-DD alike, on url-encoded and multipart forms and on
// filter addresses; a day that is not one is refused beside its field (422), what was typed kept.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { agent } from '../support/http.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { dayFirst, isoDay, readDayFields } from '../../server/support/calendar-day.ts';
import { signedIn, page, post, versionIn, text } from '../applications/support.ts';
import { makePng, tokenOf } from '../documents/support.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

describe('platform: day fields are typed day first (dd/mm/yyyy)', function () {
  this.timeout(60_000);

  describe('reading and showing a day', () => {
    it('isoDay reads dd/mm/yyyy (one or two digits) as YYYY-MM-DD and leaves anything else as it is', () => {
      expect(isoDay('05/12/2026')).to.equal('2026-12-05');
      expect(isoDay(' 5/1/2027 ')).to.equal('2027-01-05');
      expect(isoDay('2026-12-05')).to.equal('2026-12-05');
      // Not checked here: calendarDayProblem says 2027-02-31 is no such day.
      expect(isoDay('31/02/2027')).to.equal('2027-02-31');
      for (const v of ['12.05.2026', '5/12/26', '05/12/2026/1', 'tomorrow', '']) expect(isoDay(v)).to.equal(v);
      expect(isoDay(['05/12/2026'])).to.deep.equal(['05/12/2026']);
    });

    it('dayFirst shows YYYY-MM-DD as dd/mm/yyyy and any other text as typed', () => {
      expect(dayFirst('2026-12-05')).to.equal('05/12/2026');
      expect(dayFirst('abc')).to.equal('abc');
      expect(dayFirst(undefined)).to.equal('');
    });

    it("readDayFields rewrites only the day fields the form declares: a reason, or a day-named field it does not declare, stays as typed", () => {
      const body: Record<string, unknown> = { plannedStart: '01/06/2027', reason: '01/06/2027', passport_expiresAt: '1/1/2040', dep_0_dateOfBirth: '02/03/2015', reviewBy: ['01/02/2027', 'x'], from: '01/01/2020', date: '01/01/2020' };
      const read = readDayFields(body, ['plannedStart', 'reviewBy', /_expiresAt$/, /^dep_\d{1,3}_dateOfBirth$/]);
      expect(read).to.deep.equal({ plannedStart: '2027-06-01', reason: '01/06/2027', passport_expiresAt: '2040-01-01', dep_0_dateOfBirth: '2015-03-02', reviewBy: ['01/02/2027', 'x'], from: '01/01/2020', date: '01/01/2020' });
      expect(body.plannedStart, 'a copy: the body is as sent').to.equal('01/06/2027');
      for (const odd of [undefined, null, 'x', ['a']]) expect(readDayFields(odd, ['plannedStart'])).to.deep.equal({});
    });
  });

  describe('over HTTP', () => {
    let t: TestApp;
    const clock = vn('2027-03-01');
    let hr: UserDoc;
    let hrVi: UserDoc;
    let call: CallDoc;

    before(async () => {
      t = await startTestApp({ now: () => clock, env: { UPLOAD_RATE_PER_HOUR: '1000' } });
      await seedHolidays();
      const institute = await createInstitute();
      hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
      hrVi = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
      call = await createCall({ institute, checklist: [{ type: 'passport', phase: 'application', required: true }] as never });
    });
    after(async () => {
      await t?.close();
    });

    it('the field is a text input that says its order in the label (en, vi), its value day first', async () => {
      const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'onboarding', assignee: hr._id, stageEnteredAt: vn('2027-02-15'), stageDueAt: vn('2027-04-12'), stageDueCount: { from: vn('2027-02-15'), workingDays: 40 }, profile: { fullName: 'Day First', nationality: 'DE', plannedArrival: new Date('2027-03-15T00:00:00.000Z') } as never });
      const en = (await page(await signedIn(t, hr), `/cases/${c._id}`)).text;
      const input = /<input id="f-plannedStart"[^>]*>/.exec(en)![0];
      expect(input).to.include('type="text"').and.include('inputmode="numeric"').and.include('placeholder="dd/mm/yyyy"').and.not.include('type="date"');
      expect(text(/<label for="f-plannedStart">[\s\S]*?<\/label>/.exec(en)![0])).to.include('(day/month/year)');
      const vi = (await page(await signedIn(t, hrVi), `/cases/${c._id}`)).text;
      expect(text(/<label for="f-plannedStart">[\s\S]*?<\/label>/.exec(vi)![0])).to.include('(ngày/tháng/năm)');
      // A day the server gives (the request's default answer date) is shown day first.
      const asked = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening', assignee: hr._id });
      const form = (await page(await signedIn(t, hr), `/cases/${asked._id}/request-info`)).text;
      expect(form).to.match(/name="dueAt" type="text" value="\d{2}\/\d{2}\/2027"/);
    });

    it('a day typed dd/mm/yyyy is read (the planned start); one that is not a day is refused beside it, kept as typed (en, vi)', async () => {
      const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'onboarding', assignee: hr._id, stageEnteredAt: vn('2027-02-15'), stageDueAt: vn('2027-04-12'), stageDueCount: { from: vn('2027-02-15'), workingDays: 40 } });
      const u = `/cases/${c._id}/planned-start`;
      for (const [user, typed, message] of [
        [hr, '31/02/2027', 'This is not a date: type it as day/month/year, for example 05/12/2026.'],
        [hrVi, '2027/06/01', 'Đây không phải là một ngày: hãy nhập theo dạng ngày/tháng/năm, ví dụ 05/12/2026.'],
      ] as const) {
        const a = await signedIn(t, user);
        const p = await page(a, `/cases/${c._id}`);
        const bad = await post(a, p.text, u, { version: versionIn(p.text, u), plannedStart: typed, plannedStartReason: 'The expert wrote.' });
        expect(bad.status, typed).to.equal(422);
        expect(text(bad.text), typed).to.include(message);
        expect(bad.text, typed).to.match(new RegExp(`name="plannedStart" type="text" value="${typed.replace(/\//g, '\\/')}"[^>]*aria-invalid="true"`));
        expect((await Case.findById(c._id).lean())!.profile?.plannedArrival ?? null, typed).to.equal(null);
      }
      const a = await signedIn(t, hr);
      const p = await page(a, `/cases/${c._id}`);
      const ok = await post(a, p.text, u, { version: versionIn(p.text, u), plannedStart: '01/06/2027', plannedStartReason: 'The expert wrote.' });
      expect(ok.status).to.equal(303);
      const stored = (await Case.findById(c._id).lean())!;
      expect(stored.profile!.plannedArrival!.toISOString()).to.equal('2027-06-01T00:00:00.000Z');
      expect(vnDateKey(stored.stageDueAt!)).to.equal('2027-06-01');
    });

    it('a multipart form reads it too: a passport expiry typed 01/01/2040 beside the file', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call, stage: 'draft' });
      const a = agent(t.app);
      await signIn(a, applicant);
      const res = await a.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'text/html').field('passport_expiresAt', '01/01/2040').attach('passport', makePng(), 'passport.png');
      expect(res.status, res.text.slice(0, 300)).to.equal(303);
      const d = await CaseDocument.findOne({ case: c._id, type: 'passport' }).lean();
      expect(d!.expiresAt!.toISOString().slice(0, 10)).to.equal('2040-01-01');
    });

    it("a filter address reads it (the dashboard's period), shown day first", async () => {
      const a = await signedIn(t, hr);
      const res = await page(a, '/dashboard?from=05/01/2027&to=2027-02-05');
      expect(res.status).to.equal(200);
      expect(res.text).to.include('name="from" type="text" value="05/01/2027"');
      expect(res.text).to.include('name="to" type="text" value="05/02/2027"');
      expect(res.text).not.to.include('field-error');
    });
  });
});
