// Two fixes of issue 11 on the applicant's form: a double click on "submit application" (two
// identical POSTs with the same version) lands both on the success page, while a genuinely stale
// submit still gets the 409 page; and the repeatable achievement rows take any number of rows up
// to the cap (five publications posted are five stored), with the page script that adds rows.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { MAX_ROWS } from '../../server/applications/steps.ts';
import { signedIn, page, post, versionIn, text } from './support.ts';

describe('applications: double submit and repeatable rows', () => {
  let t: TestApp;
  let call: CallDoc;
  const applicants: Record<'en' | 'vi', UserDoc> = {} as never;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    call = await createCall({ institute, checklist: [] });
    applicants.en = await createUser({ role: 'applicant', locale: 'en' });
    applicants.vi = await createUser({ role: 'applicant', locale: 'vi' });
  });
  after(async () => {
    await t?.close();
  });

  const SUCCESS = { en: 'Your application was submitted', vi: 'Hồ sơ đã được nộp' };

  for (const lang of ['en', 'vi'] as const) {
    it(`sends both of two identical submits (a double click) to the success page, submitting once (${lang})`, async () => {
      const applicant = applicants[lang];
      const c = await createCase({ applicant, call });
      const a = await signedIn(t, applicant);
      const review = await page(a, `/applications/${c._id}/edit/review`);
      expect(review.status).to.equal(200);
      const version = versionIn(review.text, `/applications/${c._id}/submit`);
      const [r1, r2] = await Promise.all([
        post(a, review.text, `/applications/${c._id}/submit`, { version }),
        post(a, review.text, `/applications/${c._id}/submit`, { version }),
      ]);
      for (const r of [r1, r2]) {
        expect(r.status).to.equal(303);
        expect(r.headers.location).to.equal(`/applications/${c._id}`);
      }
      const stored = (await Case.findById(c._id).lean())!;
      expect(stored.stage).to.equal('submitted');
      expect(stored.version).to.equal(c.version + 1);
      expect(stored.history.filter((h) => h.action === 'submit')).to.have.length(1);
      expect(stored.outbox.filter((o) => o.template === 'application_submitted')).to.have.length(1);
      const shown = await page(a, `/applications/${c._id}`);
      expect(text(shown.text)).to.include(SUCCESS[lang]);
      expect(shown.text).not.to.include('id="conflict"');
    });
  }

  it('still answers a stale submit (the draft changed in another tab) with the 409 page, and submits nothing', async () => {
    const applicant = applicants.en;
    const c = await createCase({ applicant, call });
    const a = await signedIn(t, applicant);
    const review = await page(a, `/applications/${c._id}/edit/review`);
    const version = versionIn(review.text, `/applications/${c._id}/submit`);
    // Another tab saves a step: the review page's version is now old.
    const sup = await page(a, `/applications/${c._id}/edit/support`);
    expect((await post(a, sup.text, `/applications/${c._id}/edit/support`, { visa: 'on' })).status).to.equal(303);
    const stale = await post(a, review.text, `/applications/${c._id}/submit`, { version });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.include('id="conflict"');
    expect((await Case.findById(c._id).lean())!.stage).to.equal('draft');
  });

  it('stores five publications posted at once, and offers the page script that adds and removes rows', async () => {
    const applicant = applicants.en;
    const c = await createCase({ applicant, call });
    const a = await signedIn(t, applicant);
    const url = `/applications/${c._id}/edit/achievements`;
    const form = await page(a, url);
    expect(form.status).to.equal(200);
    expect(form.text).to.include('<script src="/static/js/rows.js" defer></script>');
    expect(form.text).to.include(`data-rows="pub" data-max="${MAX_ROWS}"`);
    expect(form.text).to.include('data-add-label="Add a row"');
    const fields: Record<string, string> = { pub_rows: '5', pat_rows: '0', proj_rows: '0' };
    for (let i = 0; i < 5; i++) {
      fields[`pub_${i}_title`] = `Paper number ${i + 1}`;
      fields[`pub_${i}_year`] = String(2015 + i);
    }
    const saved = await post(a, form.text, url, fields);
    expect(saved.status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.achievements?.publications?.map((p) => p.title)).to.deep.equal(['Paper number 1', 'Paper number 2', 'Paper number 3', 'Paper number 4', 'Paper number 5']);
    expect(stored.achievements?.publicationsCount).to.equal(5);
    // The page shows the five again, with blank rows to add more without JavaScript.
    const again = await page(a, url);
    for (let i = 0; i < 5; i++) expect(again.text).to.include(`value="Paper number ${i + 1}"`);
    expect(again.text).to.include('name="pub_5_title"');
  });

  it('keeps every typed row when the row count is missing, not a number or too small', async () => {
    const applicant = applicants.en;
    const c = await createCase({ applicant, call });
    const a = await signedIn(t, applicant);
    const url = `/applications/${c._id}/edit/achievements`;
    const form = await page(a, url);
    // A count of abc, -1 or nothing read no row at all: the publication typed was stored as none.
    for (const pubRows of ['abc', '-1', '', undefined]) {
      const fields: Record<string, string> = { pub_0_title: 'A', pub_0_year: '2020', pat_0_title: 'Sensor', proj_rows: 'x', proj_0_title: 'Lab' };
      if (pubRows !== undefined) fields.pub_rows = pubRows;
      expect((await post(a, form.text, url, fields)).status, String(pubRows)).to.equal(303);
      const stored = (await Case.findById(c._id).lean())!.achievements;
      expect(stored?.publications?.map((p) => [p.title, p.year]), String(pubRows)).to.deep.equal([['A', 2020]]);
      expect(stored?.patents?.map((p) => p.title), String(pubRows)).to.deep.equal(['Sensor']);
      expect(stored?.projectsLed?.map((p) => p.title), String(pubRows)).to.deep.equal(['Lab']);
    }
    // A count of 1 dropped a third row typed after a blank one.
    expect((await post(a, form.text, url, { pub_rows: '1', pub_0_title: 'First', pub_2_title: 'Third', pub_2_year: '2021' })).status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.achievements?.publications?.map((p) => p.title)).to.deep.equal(['First', 'Third']);
  });

  it(`reads no more than ${MAX_ROWS} rows however many are claimed`, async () => {
    const applicant = applicants.vi;
    const c = await createCase({ applicant, call });
    const a = await signedIn(t, applicant);
    const url = `/applications/${c._id}/edit/achievements`;
    const form = await page(a, url);
    const fields: Record<string, string> = { pub_rows: '100000' };
    for (let i = 0; i < MAX_ROWS + 5; i++) fields[`pub_${i}_title`] = `P${i}`;
    const saved = await post(a, form.text, url, fields);
    expect(saved.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.achievements?.publicationsCount).to.equal(MAX_ROWS);
  });
});
