// The HR officer's daily work (second walk-through): the language hint of the information request,
// honest bulk and single assignment, reloadable addresses after a refused step, the "send to
// evaluation" rule shown beside its button, flashes that do not claim a delivery, and a timeline
// that says each thing once.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, text } from '../applications/support.ts';

describe("cases: the HR officer's day", () => {
  let t: TestApp;
  let hr1: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    hr1 = await createUser({ role: 'hr_officer', institute, name: 'Officer One' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Trần Thu Hà', locale: 'vi' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  it("tells the officer on the information request form which language the applicant reads (en, vi), also when the form is refused", async () => {
    for (const [locale, en, vi] of [['en', 'English', 'tiếng Anh'], ['vi', 'Vietnamese', 'tiếng Việt']] as const) {
      const who = await createUser({ role: 'applicant', locale });
      const c = await createCase({ applicant: who, call, stage: 'screening' });
      const a = await signedIn(t, hr1);
      const form = await page(a, `/cases/${c._id}/request-info`);
      expect(form.status).to.equal(200);
      expect(text(form.text), locale).to.include(`One item per line. The applicant is told in ${en}: write the items in that language.`);
      const bad = await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: '', dueAt: '' });
      expect(bad.status).to.equal(422);
      expect(text(bad.text), locale).to.include(`The applicant is told in ${en}: write the items in that language.`);
      const viForm = await page(await signedIn(t, hrVi), `/cases/${c._id}/request-info`);
      expect(text(viForm.text), locale).to.include(`Ứng viên được báo bằng ${vi}: hãy viết các mục bằng ngôn ngữ đó.`);
    }
  });
});
