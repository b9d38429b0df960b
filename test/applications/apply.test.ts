// The applicant's journey over HTTP: open calls, apply (one draft per call), the steps with
// validation errors that keep what was typed, the review listing every missing part, submit with
// the confirmation e-mail, and refusals for anyone who is not the owner.
import { dayFirst } from '../../server/support/calendar-day.ts';
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { linkIn } from '../support/smtp.ts';
import { signedIn, page, post, versionIn, deliver, text, expectTranslated } from './support.ts';

describe('applications: calls, apply, steps, review and submit over HTTP', () => {
  let t: TestApp;
  let institute: InstituteDoc;
  let call: CallDoc;
  let applicant: UserDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    institute = await createInstitute();
    call = await createCall({ institute, checklist: [], track: 'researcher', field: 'Quantum optics', title: { vi: 'Nghiên cứu viên quang lượng tử', en: 'Quantum optics researcher' } });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Lan Tran' });
  });
  after(async () => {
    await t?.close();
  });

  it('lists open calls to anyone, in the visitor language, with track filter; drafts and closed calls are not listed', async () => {
    const draft = await createCall({ institute, status: 'draft', title: { vi: 'Nháp ẩn', en: 'Hidden draft call' } });
    const closed = await createCall({ institute, closesAt: new Date(Date.now() - 86_400_000), title: { vi: 'Đã đóng', en: 'Closed call xyz' } });
    const en = await request(t.app).get('/calls').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(en.status).to.equal(200);
    expect(en.text).to.include('Quantum optics researcher');
    expect(en.text).not.to.include('Hidden draft call');
    expect(en.text).not.to.include('Closed call xyz');
    const vi = await request(t.app).get('/calls').set('Accept', 'text/html').set('Accept-Language', 'vi');
    expect(vi.text).to.include('Nghiên cứu viên quang lượng tử');
    expectTranslated(vi.text, '/calls (vi)');
    expectTranslated(en.text, '/calls (en)');
    expectTranslated((await request(t.app).get(`/calls/${call._id}`).set('Accept', 'text/html').set('Accept-Language', 'vi')).text, '/calls/:id (vi)');
    const filtered = await request(t.app).get('/calls?track=chief_architect').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(filtered.text).not.to.include('Quantum optics researcher');
    const byField = await request(t.app).get('/calls?field=Quantum%20optics').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(byField.text).to.include('Quantum optics researcher');
    const details = await request(t.app).get(`/calls/${call._id}`).set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(details.status).to.equal(200);
    expect(details.text).to.include(`/calls/${call._id}/apply`);
    expect((await request(t.app).get(`/calls/${draft._id}`).set('Accept', 'text/html')).status).to.equal(404);
    expect((await request(t.app).get(`/calls/${closed._id}`).set('Accept', 'text/html')).text).not.to.include(`/calls/${closed._id}/apply"`);
  });

  it('sends an anonymous visitor who wants to apply to sign in first, and refuses staff', async () => {
    const anon = await request(t.app).get(`/calls/${call._id}/apply`).set('Accept', 'text/html');
    expect(anon.status).to.equal(303);
    expect(anon.headers.location).to.equal(`/signin?next=${encodeURIComponent(`/calls/${call._id}/apply`)}`);
    const hr = await createUser({ role: 'hr_officer', institute });
    const a = await signedIn(t, hr);
    expect((await page(a, `/calls/${call._id}/apply`)).status).to.equal(403);
    expect((await page(a, '/applications')).status).to.equal(403);
  });

  it('creates one draft per applicant and call: applying again opens the same draft', async () => {
    const a = await signedIn(t, applicant);
    const confirm = await page(a, `/calls/${call._id}/apply`);
    expect(confirm.status).to.equal(200);
    const res = await post(a, confirm.text, `/calls/${call._id}/apply`, {});
    expect(res.status).to.equal(303);
    const c = await Case.findOne({ applicant: applicant._id, call: call._id }).lean();
    expect(c, 'a draft case').to.not.equal(null);
    expect(c!.stage).to.equal('draft');
    expect(c!.reference).to.match(/^TA-\d{4}-\d{6}$/);
    expect(c!.institute.toString()).to.equal(institute._id.toString());
    expect(c!.track).to.equal('researcher');
    expect(res.headers.location).to.equal(`/applications/${c!._id}/edit/profile`);
    // A second click and a second visit both land on the same draft.
    const again = await post(a, confirm.text, `/calls/${call._id}/apply`, {});
    expect(again.status).to.equal(303);
    expect(again.headers.location).to.equal(`/applications/${c!._id}/edit/profile`);
    const revisit = await page(a, `/calls/${call._id}/apply`);
    expect(revisit.status).to.equal(303);
    expect(await Case.countDocuments({ applicant: applicant._id, call: call._id })).to.equal(1);
    const list = await page(a, '/applications');
    expect(list.text).to.include(c!.reference);
    for (const step of ['profile', 'eligibility', 'achievements', 'dependants', 'support', 'review']) {
      expectTranslated((await page(a, `/applications/${c!._id}/edit/${step}`)).text, `step ${step}`);
    }
    expectTranslated(list.text, 'my applications');
    expectTranslated(confirm.text, 'the apply page');
    expect(list.text).to.include('Draft');
  });

  it('says which rule a date of birth or a planned arrival breaks, not a rule it keeps', async () => {
    const owner = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant: owner, call });
    const a = await signedIn(t, owner);
    const url = `/applications/${c._id}/edit/profile`;
    const form = await page(a, url);
    // 1800-01-01 is in the past: the rule it breaks is the year; 2099 is from today on, but too far.
    for (const [field, value, message] of [
      ['dateOfBirth', '1800-01-01', 'Enter a date of birth from 1900 on.'],
      ['dateOfBirth', '0000-01-01', 'Enter a date of birth from 1900 on.'],
      ['dateOfBirth', '1990-02-30', '“30/02/1990” is not a date: type it as day/month/year, for example 05/12/2026.'],
      ['dateOfBirth', '01.02.1990', '“01.02.1990” is not a date: type it as day/month/year, for example 05/12/2026.'],
      ['plannedArrival', '2099-01-01', 'Enter a date at most 10 years ahead.'],
      ['plannedArrival', '2020-01-01', 'Enter a date from today on.'],
    ] as const) {
      const res = await post(a, form.text, url, { fullName: 'Lan Tran', [field]: value, go: 'stay' });
      expect(res.status, value).to.equal(422);
      expect(res.text, value).to.match(new RegExp(`id="f-${field}-error"[^>]*>${message.replace(/[.()]/g, '\\$&')}`));
      expect(res.text, value).to.include(`value="${dayFirst(value)}"`);
    }
  });

  it('keeps what was typed and shows errors beside the fields (422) when a step is invalid; nothing is saved', async () => {
    const a = await signedIn(t, applicant);
    const c = (await Case.findOne({ applicant: applicant._id, call: call._id }).lean())!;
    const url = `/applications/${c._id}/edit/profile`;
    const form = await page(a, url);
    expect(form.status).to.equal(200);
    const bad = await post(a, form.text, url, {
      fullName: 'Lan Tran Ngoc\u202E',
      dateOfBirth: '2999-01-01',
      nationality: 'XX',
      countryOfResidence: 'DE',
      overseasVietnamese: 'yes',
      phone: 'call me maybe',
      currentPosition: 'Group leader',
      highestDegree: 'phd',
      field: 'Quantum optics',
      go: 'stay',
    });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('value="Lan Tran Ngoc\u202E"');
    expect(bad.text).to.match(/id="f-fullName-error"[^>]*>This name holds an invisible control character/);
    expect(bad.text).to.include('value="call me maybe"');
    expect(bad.text).to.match(/id="f-dateOfBirth-error"[^>]*>Enter a date of birth in the past/);
    expect(bad.text).to.match(/id="f-phone-error"/);
    expect(bad.text).to.match(/id="f-nationality-error"/);
    expect(bad.text).to.match(/<option value="DE" selected>/);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.profile?.fullName).to.equal('Lan Tran'); // prefilled from the account, unchanged
    expect(after.version).to.equal(c.version);

    const good = await post(a, form.text, url, {
      fullName: 'Lan Tran Ngoc',
      dateOfBirth: '1986-04-12',
      nationality: 'DE',
      countryOfResidence: 'DE',
      overseasVietnamese: 'yes',
      phone: '+49 30 1234567',
      currentPosition: 'Group leader',
      currentEmployer: 'TU Berlin',
      highestDegree: 'phd',
      field: 'Quantum optics',
      go: 'next',
    });
    expect(good.status).to.equal(303);
    expect(good.headers.location).to.equal(`/applications/${c._id}/edit/eligibility`);
    const saved = (await Case.findById(c._id).lean())!;
    expect(saved.profile?.fullName).to.equal('Lan Tran Ngoc');
    expect(saved.profile?.dateOfBirth?.toISOString().slice(0, 10)).to.equal('1986-04-12');
    expect(saved.profile?.overseasVietnamese).to.equal(true);
    expect(saved.profile?.highestDegree).to.equal('phd');
  });

  it('saves repeatable achievement rows with their counts, and reports a half-filled row without losing it', async () => {
    const a = await signedIn(t, applicant);
    const c = (await Case.findOne({ applicant: applicant._id, call: call._id }).lean())!;
    const url = `/applications/${c._id}/edit/achievements`;
    const form = await page(a, url);
    expect(form.text).to.include('name="pub_2_title"'); // blank rows offered
    const rows = { pub_rows: '3', pat_rows: '3', proj_rows: '3' };
    const bad = await post(a, form.text, url, { ...rows, pub_0_title: 'Squeezed light', pub_0_year: '2021', pub_1_venue: 'Nature Photonics', pub_1_year: '20x1' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('value="Nature Photonics"');
    expect(bad.text).to.match(/id="f-pub_1_title-error"/);
    expect(bad.text).to.match(/id="f-pub_1_year-error"/);
    const ok = await post(a, form.text, url, {
      ...rows,
      pub_0_title: 'Squeezed light',
      pub_0_year: '2021',
      pub_1_title: 'Entangled photons',
      pub_1_venue: 'Nature Photonics',
      pub_1_year: '2023',
      pat_0_title: 'Optical cavity',
      pat_0_number: 'EP1234567',
      proj_0_title: 'ERC Starting Grant',
      proj_0_funder: 'ERC',
      proj_0_budgetUsd: '1,500,000',
      go: 'stay',
    });
    expect(ok.status).to.equal(303);
    const saved = (await Case.findById(c._id).lean())!;
    expect(saved.achievements!.publications.map((p) => p.title)).to.deep.equal(['Squeezed light', 'Entangled photons']);
    expect(saved.achievements!.publicationsCount).to.equal(2);
    expect(saved.achievements!.patentsCount).to.equal(1);
    expect(saved.achievements!.projectsLed[0]!.budgetUsd).to.equal(1_500_000);
    const again = await page(a, url);
    expect(again.text).to.include('value="Entangled photons"');
    expect(again.text).to.include('name="pub_4_title"'); // two filled + three blank
  });

  it('lists every missing part on the review step with links, and refuses to submit until complete (422)', async () => {
    const a = await signedIn(t, applicant);
    const c = (await Case.findOne({ applicant: applicant._id, call: call._id }).lean())!;
    // Ask for family support without naming anyone: that is missing too.
    const supportUrl = `/applications/${c._id}/edit/support`;
    const sp = await page(a, supportUrl);
    expect((await post(a, sp.text, supportUrl, { workPermit: 'on', visa: 'on', family: 'on', go: 'stay' })).status).to.equal(303);

    const review = await page(a, `/applications/${c._id}/edit/review`);
    expect(review.status).to.equal(200);
    const missing = text(review.text.slice(review.text.indexOf('id="missing-parts"')));
    expect(missing).to.include(`/applications/${c._id}/edit/eligibility#f-met_doctoral_degree`);
    expect(missing).to.include('Answer the criterion “Holds a doctorate or equivalent”');
    expect(missing).to.include(`/applications/${c._id}/edit/dependants`);
    expect(missing).not.to.include('Full name is missing');
    expect(review.text).to.not.include('id="document-warnings"');

    // A passport that has run out is one of the things to fix before submitting (a link to the documents):
    // HR's first check would send it back, so it is not left to be asked for right after.
    const passport = (expiresAt: Date) => CaseDocument.create({ case: c._id, type: 'passport', slot: 0, version: 1, current: true, storage: 'disk', storageKey: 'c'.repeat(32), originalName: 'passport.pdf', mimeType: 'application/pdf', size: 10, sha256: 'd'.repeat(64), uploadedBy: applicant._id, expiresAt });
    const expired = await passport(new Date(Date.now() - 5 * 86_400_000));
    const warned = await page(a, `/applications/${c._id}/edit/review`);
    const listed = warned.text.slice(warned.text.indexOf('id="missing-parts"'), warned.text.indexOf('</ul>', warned.text.indexOf('id="missing-parts"')));
    expect(text(listed)).to.match(/<a href="\/applications\/[0-9a-f]{24}#documents">Your Passport expired on \d{1,2} \w{3} \d{4}: upload a valid one<\/a>/);
    expect(warned.text).to.not.include('id="document-warnings"');
    const withExpired = await post(a, warned.text, `/applications/${c._id}/submit`, { version: versionIn(warned.text, `/applications/${c._id}/submit`) });
    expect(withExpired.status).to.equal(422);
    expect(text(withExpired.text)).to.match(/Your Passport expired on \d{1,2} \w{3} \d{4}: upload a valid one/);
    await CaseDocument.deleteOne({ _id: expired._id });
    // One valid today but not long enough (a work card's 2 years and 30 days after the planned start)
    // is said as a document to send again, without holding the submission back (a renewal takes months).
    const short = await passport(new Date(Date.now() + 400 * 86_400_000));
    const shortPage = await page(a, `/applications/${c._id}/edit/review`);
    const warnings = text(shortPage.text.slice(shortPage.text.indexOf('id="document-warnings"'), shortPage.text.indexOf('</section>', shortPage.text.indexOf('id="document-warnings"'))));
    expect(warnings).to.include(`href="/applications/${c._id}#documents"`);
    expect(warnings).to.match(/Your Passport is valid only until \d{1,2} \w{3} \d{4}; it must be valid until/);
    expect(text(shortPage.text.slice(shortPage.text.indexOf('id="missing-parts"')))).to.not.include('Passport');
    await CaseDocument.deleteOne({ _id: short._id });

    const version = versionIn(review.text, `/applications/${c._id}/submit`);
    const refused = await post(a, review.text, `/applications/${c._id}/submit`, { version });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('id="missing-parts"');
    // Said first, not left to be noticed: the page looked the same as before sending.
    expect(review.text).not.to.include('id="not-submitted"');
    expect(refused.text).to.match(/id="not-submitted"[^>]*>\s*<p>Your application was not submitted/);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('draft');
  });

  it('submits a complete application: stage, history, and the confirmation e-mail in the applicant language with a link', async () => {
    const a = await signedIn(t, applicant);
    const c = (await Case.findOne({ applicant: applicant._id, call: call._id }).lean())!;
    const eligUrl = `/applications/${c._id}/edit/eligibility`;
    const el = await page(a, eligUrl);
    expect((await post(a, el.text, eligUrl, { met_doctoral_degree: 'yes', evidence_doctoral_degree: 'PhD 2014, Berlin', met_publications: 'yes', met_research_plan: 'no', go: 'next' })).status).to.equal(303);
    const depUrl = `/applications/${c._id}/edit/dependants`;
    const dp = await page(a, depUrl);
    const badDep = await post(a, dp.text, depUrl, { dep_rows: '3', dep_0_fullName: 'Minh Tran', dep_0_relationship: 'cousin' });
    expect(badDep.status).to.equal(422);
    expect(badDep.text).to.include('value="Minh Tran"');
    expect((await post(a, dp.text, depUrl, { dep_rows: '3', dep_0_fullName: 'Minh Tran', dep_0_relationship: 'child', dep_0_dateOfBirth: '2015-02-01', dep_0_nationality: 'DE' })).status).to.equal(303);

    // Complete, with a passport too short for the stay: it can be submitted, but the page does not call it complete above the warning.
    const short = await CaseDocument.create({ case: c._id, type: 'passport', slot: 0, version: 1, current: true, storage: 'disk', storageKey: 'e'.repeat(32), originalName: 'passport.pdf', mimeType: 'application/pdf', size: 10, sha256: 'd'.repeat(64), uploadedBy: applicant._id, expiresAt: new Date(Date.now() + 400 * 86_400_000) });
    const warned = await page(a, `/applications/${c._id}/edit/review`);
    expect(warned.text).not.to.include('id="missing-parts"');
    expect(text(warned.text)).to.match(/id="review-complete">\s*(<!--[^>]*-->\s*)?<p>Your application can be submitted\. Before you do, look at the documents to send again above/);
    await CaseDocument.deleteOne({ _id: short._id });

    const review = await page(a, `/applications/${c._id}/edit/review`);
    expect(review.text).not.to.include('id="missing-parts"');
    expect(text(review.text)).to.include('Your application is complete and can be submitted.');
    const version = versionIn(review.text, `/applications/${c._id}/submit`);
    const res = await post(a, review.text, `/applications/${c._id}/submit`, { version });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/applications/${c._id}`);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('submitted');
    expect(after.history.at(-1)!.action).to.equal('submit');
    expect(after.dependants).to.have.length(1);

    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /received/i);
    expect(mail.subject).to.include(after.reference);
    expect(linkIn(mail.text, `/applications/${c._id}`)).to.equal(`${t.baseUrl}/applications/${c._id}?lang=en`); // in the e-mail's language

    // The same form sent again (a double click) changes nothing and lands on the same success as the first.
    const again = await post(a, review.text, `/applications/${c._id}/submit`, { version });
    expect(again.status).to.equal(303);
    expect(again.headers.location).to.equal(`/applications/${c._id}`);
    expect((await Case.findById(c._id).lean())!.version).to.equal(after.version);
    expect((await Case.findById(c._id).lean())!.history.filter((h) => h.action === 'submit')).to.have.length(1);

    const detail = await page(a, `/applications/${c._id}`);
    expect(detail.status).to.equal(200);
    expect(detail.text).to.include('Submitted');
    // After submission the steps are closed: a page visit is sent back, a post is refused.
    const step = await page(a, `/applications/${c._id}/edit/profile`);
    expect(step.status).to.equal(303);
    const late = await post(a, detail.text, `/applications/${c._id}/edit/profile`, { fullName: 'Changed' });
    expect(late.status).to.equal(409);
    expect((await Case.findById(c._id).lean())!.profile?.fullName).to.equal('Lan Tran Ngoc');
  });

  it('refuses to submit for an applicant who has not confirmed their e-mail address (403), and changes nothing', async () => {
    const unverified = await createUser({ role: 'applicant', locale: 'en', verified: false });
    const c = await createCase({ applicant: unverified, call, stage: 'draft' });
    const a = await signedIn(t, unverified);
    const review = await page(a, `/applications/${c._id}/edit/review`);
    expect(review.status).to.equal(200);
    const res = await post(a, review.text, `/applications/${c._id}/submit`, { version: String(c.version) });
    expect(res.status).to.equal(403);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('draft');
    expect(after.version).to.equal(c.version);
  });

  it("refuses another applicant's case (404) and changes nothing", async () => {
    const c = (await Case.findOne({ applicant: applicant._id, call: call._id }).lean())!;
    const other = await createUser({ role: 'applicant' });
    const a = await signedIn(t, other);
    expect((await page(a, `/applications/${c._id}`)).status).to.equal(404);
    expect((await page(a, `/applications/${c._id}/edit/profile`)).status).to.equal(404);
    const own = await page(a, '/applications');
    expect(own.text).not.to.include(c.reference);
    for (const [action, form] of [
      [`/applications/${c._id}/edit/profile`, { fullName: 'Hijack' }],
      [`/applications/${c._id}/withdraw`, { version: String(c.version) }],
      [`/applications/${c._id}/messages`, { text: 'hello' }],
      [`/applications/${c._id}/submit`, { version: String(c.version) }],
    ] as const) {
      const res = await post(a, own.text, action, form);
      expect(res.status, action).to.equal(404);
    }
    const after = (await Case.findById(c._id).lean())!;
    expect(after.version).to.equal(c.version);
    expect(after.stage).to.equal(c.stage);
    expect(after.messages).to.have.length(c.messages.length);
  });

  it("answers a stale form with the 409 page naming the role that changed the case, never a staff member's name", async () => {
    const person = await createUser({ role: 'applicant', locale: 'en' });
    const leader = await createUser({ role: 'leader', institute, name: 'Prof. Secret Leader' });
    const c = await createCase({ applicant: person, call, stage: 'evaluation' });
    const a = await signedIn(t, person);
    const confirm = await page(a, `/applications/${c._id}/withdraw`);
    const version = versionIn(confirm.text, `/applications/${c._id}/withdraw`);
    // Meanwhile the leader shortlists the case.
    await Case.updateOne({ _id: c._id }, { $set: { stage: 'shortlisted' }, $inc: { version: 1 }, $push: { history: { at: new Date(), actor: leader._id, actorRole: 'leader', action: 'shortlist', from: 'evaluation', to: 'shortlisted' } } });
    const stale = await post(a, confirm.text, `/applications/${c._id}/withdraw`, { version });
    expect(stale.status).to.equal(409);
    expect(text(stale.text)).to.include('Institute leader');
    expect(stale.text).not.to.include('Secret Leader');
    expect((await Case.findById(c._id).lean())!.stage).to.equal('shortlisted');
  });

  it('keeps a long answer sent from a stale page on the 409 page, to copy, in the language of the page', async () => {
    const person = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant: person, call, stage: 'awaiting_applicant', infoRequest: { items: ['Bản sao bằng tiến sĩ'], dueAt: new Date(Date.now() + 5 * 86_400_000), requestedAt: new Date() } });
    const a = await signedIn(t, person);
    const show = await page(a, `/applications/${c._id}`);
    const version = versionIn(show.text, `/applications/${c._id}/answer`);
    // Meanwhile HR changes the case (the same stage, a newer version).
    await Case.updateOne({ _id: c._id }, { $inc: { version: 1 }, $push: { history: { at: new Date(), actorRole: 'hr_officer', action: 'assign' } } });
    const answer = 'Tôi đã gửi bản sao có chứng thực qua bưu điện hôm thứ Hai.\nMã vận đơn: VN123456789.';
    const stale = await post(a, show.text, `/applications/${c._id}/answer`, { version, answer });
    expect(stale.status).to.equal(409);
    expect(text(stale.text)).to.include('Nội dung đã viết');
    expect(stale.text).to.match(/<textarea id="kept-answer"[^>]*readonly>Tôi đã gửi bản sao có chứng thực qua bưu điện hôm thứ Hai.\nMã vận đơn: VN123456789.<\/textarea>/);
    expect((await Case.findById(c._id).lean())!.infoRequest?.answer ?? null).to.equal(null);
  });

  it('withdraws after a confirmation page', async () => {
    const a = await signedIn(t, applicant);
    const c = (await Case.findOne({ applicant: applicant._id, call: call._id }).lean())!;
    const confirm = await page(a, `/applications/${c._id}/withdraw`);
    expect(confirm.status).to.equal(200);
    const version = versionIn(confirm.text, `/applications/${c._id}/withdraw`);
    const res = await post(a, confirm.text, `/applications/${c._id}/withdraw`, { version });
    expect(res.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('withdrawn');
    // A withdrawn application no longer blocks a new one for the same call.
    const apply = await page(a, `/calls/${call._id}/apply`);
    expect(apply.status).to.equal(200);
  });
});
