// Each form reads the day fields it declares (calendar-day.ts readDayFields), no longer a rewrite of
// every day-named field by the request pipeline. On every form that takes a day, a value that is no
// day is refused beside its field (422) in the person's language, what was typed shown back; a list
// sent for the field is refused beside it too; a field the form does not declare is not read as a day.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { agent, type Agent } from '../support/http.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { makePng, tokenOf } from '../documents/support.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

/** Typed by an attacker or by mistake: none is a day any form accepts. */
const NOT_DAYS = ['31/02/2027', '01/01/0000', '01/01/2027000000', '$gt', '__proto__', 'constructor'];
const VIETNAMESE = /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i;
const unescape = (html: string) => html.replace(/&#x3D;/g, '=').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** The refusal beside `field` (its error paragraph, the input marked invalid, the value as typed), in `lang`. */
function refusedBeside(html: string, field: string, typed: string | undefined, lang: 'en' | 'vi', what: string): void {
  const input = new RegExp(`<input[^>]* id="f-${field}"[^>]*>`).exec(html)?.[0];
  expect(input, `${what}: the field`).to.be.a('string');
  expect(input, `${what}: marked invalid`).to.include('aria-invalid="true"').and.include(`aria-describedby="f-${field}-error`);
  const message = new RegExp(`<p class="field-error" id="f-${field}-error">([^<]+)</p>`).exec(html)?.[1];
  expect(message, `${what}: a message beside the field`).to.be.a('string');
  expect(message, `${what}: not a key`).not.to.match(/^[a-z]+(\.[A-Za-z]+)+$/);
  if (lang === 'vi') expect(message, `${what}: in Vietnamese`).to.match(VIETNAMESE);
  else expect(message, `${what}: in English`).not.to.match(VIETNAMESE);
  if (typed !== undefined) expect(unescape(/value="([^"]*)"/.exec(input!)![1]!), `${what}: kept as typed`).to.equal(typed);
}

describe('platform: each form reads the day fields it declares', function () {
  this.timeout(120_000);
  let t: TestApp;
  const clock = vn('2027-03-01');
  let hr: UserDoc;
  let hrVi: UserDoc;
  let admin: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock, env: { UPLOAD_RATE_PER_HOUR: '1000' } });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
    admin = await createUser({ role: 'admin', locale: 'vi' });
    call = await createCall({ institute, checklist: [{ type: 'passport', phase: 'application', required: true }] as never });
  });
  after(async () => {
    await t?.close();
  });

  /** Posts each value that is no day, then the field sent twice, and checks the refusal beside it. */
  async function refusesEach(a: Agent, lang: 'en' | 'vi', pageUrl: string, action: string, field: string, rest: (html: string) => Record<string, string>) {
    const form = await page(a, pageUrl);
    expect(form.status, pageUrl).to.equal(200);
    for (const typed of NOT_DAYS) {
      const res = await post(a, form.text, action, { ...rest(form.text), [field]: typed });
      expect(res.status, `${action} ${typed}`).to.equal(422);
      refusedBeside(res.text, field, typed, lang, `${action} ${typed}`);
    }
    const twice = await post(a, form.text, action, { ...rest(form.text), [field]: ['01/06/2027', '02/06/2027'] });
    expect(twice.status, `${action} twice`).to.equal(422);
    refusedBeside(twice.text, field, undefined, lang, `${action} twice`);
  }

  it("the case's forms (planned start, a request's answer date, a procedure's decision day), en and vi", async () => {
    const onboarding = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'onboarding', assignee: hr._id, stageEnteredAt: vn('2027-02-15'), stageDueAt: vn('2027-04-12'), stageDueCount: { from: vn('2027-02-15'), workingDays: 40 }, supportTracks: [{ kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-16'), dueAt: vn('2027-03-10'), updatedAt: vn('2027-02-16') }] });
    const before = JSON.stringify(await Case.findById(onboarding._id).lean());
    const en = await signedIn(t, hr);
    const vi = await signedIn(t, hrVi);
    const start = `/cases/${onboarding._id}/planned-start`;
    await refusesEach(en, 'en', `/cases/${onboarding._id}`, start, 'plannedStart', (html) => ({ version: versionIn(html, start), plannedStartReason: 'The expert wrote.' }));
    await refusesEach(vi, 'vi', `/cases/${onboarding._id}`, start, 'plannedStart', (html) => ({ version: versionIn(html, start), plannedStartReason: 'Chuyên gia đã viết.' }));
    const procedure = `/cases/${onboarding._id}/procedures/work_permit`;
    await refusesEach(vi, 'vi', procedure, procedure, 'decidedAt', (html) => ({ version: versionIn(html, procedure), status: 'approved' }));
    expect(JSON.stringify(await Case.findById(onboarding._id).lean()), 'nothing saved').to.equal(before);

    const screening = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening', assignee: hr._id });
    const ask = `/cases/${screening._id}/request-info`;
    await refusesEach(en, 'en', ask, ask, 'dueAt', (html) => ({ version: versionIn(html, ask), items: 'Your passport, every page.' }));
    expect((await Case.findById(screening._id).lean())!.stage).to.equal('screening');
  });

  it("the administrator's holiday form (vi) and the applicant's profile (en)", async () => {
    const ad = await signedIn(t, admin);
    await refusesEach(ad, 'vi', '/admin/holidays', '/admin/holidays', 'date', () => ({ kind: 'day_off', nameVi: 'Ngày nghỉ', nameEn: 'A day off' }));
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'draft' });
    const profile = `/applications/${c._id}/edit/profile`;
    await refusesEach(await signedIn(t, applicant), 'en', profile, profile, 'dateOfBirth', () => ({ fullName: 'Lan Tran', go: 'stay' }));
  });

  it('a multipart upload: a document date that is no day is refused beside it (vi), no document kept', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant, call, stage: 'draft' });
    const a = agent(t.app);
    await signIn(a, applicant);
    const token = await tokenOf(a);
    for (const typed of NOT_DAYS) {
      const res = await a.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'text/html').field('passport_expiresAt', typed).attach('passport', makePng(), 'passport.png');
      expect(res.status, typed).to.equal(422);
      refusedBeside(res.text, 'passport_expiresAt', typed, 'vi', `upload ${typed}`);
    }
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
  });

  it("a field the form does not declare is not read as a day: a procedure's note typed 01/06/2027 is stored as typed", async () => {
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'onboarding', assignee: hr._id, stageEnteredAt: vn('2027-02-15'), stageDueAt: vn('2027-04-12'), stageDueCount: { from: vn('2027-02-15'), workingDays: 40 }, supportTracks: [{ kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-16'), dueAt: vn('2027-03-10'), updatedAt: vn('2027-02-16') }] });
    const a = await signedIn(t, hr);
    const u = `/cases/${c._id}/procedures/work_permit`;
    const form = await page(a, u);
    const res = await post(a, form.text, u, { version: versionIn(form.text, u), status: 'approved', decidedAt: '26/02/2027', note: '01/06/2027' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const track = (await Case.findById(c._id).lean())!.supportTracks!.find((s) => s.kind === 'work_permit')!;
    expect(track.note).to.equal('01/06/2027');
    expect(track.decidedAt!.toISOString().slice(0, 10)).to.equal('2027-02-26');
  });
});
