// A hold pauses the case's clock (walk s34 #1): holding an overdue screening case and resuming it the
// same day gave it a fresh 10 working days, so it no longer showed overdue. Resuming gives back the
// working days that were left when it was held: late stays late by the same days. Real database and pages.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnDateKey, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, post, postConfirmed, versionIn, deliver } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
const due = (day: string) => vnEndOfDay(vnStartOfDay(day));

describe('cases: a hold pauses the stage clock, resuming gives back the working days left (late stays late)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock = vn('2027-03-08');
  let hr: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Walk', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  async function holdAndResume(caseId: unknown, heldOn: string, resumedOn: string) {
    clock = vn(heldOn);
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${caseId}`);
    const { confirmed } = await postConfirmed(a, p.text, caseId, 'put_on_hold', { version: versionIn(p.text, `/cases/${caseId}/actions/put_on_hold`), reason: 'Waiting for the budget.', reviewBy: '2027-03-29' });
    expect(confirmed.status).to.equal(303);
    clock = vn(resumedOn);
    const b = await signedIn(t, hr);
    const q = await page(b, `/cases/${caseId}`);
    expect((await post(b, q.text, `/cases/${caseId}/actions/resume`, { version: versionIn(q.text, `/cases/${caseId}/actions/resume`) })).status).to.equal(303);
    return (await Case.findById(caseId).lean())!;
  }

  it('screening 3 working days overdue, held and resumed the same day: still 3 working days overdue', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Late Screening' });
    // Due Wed 3 Mar 2027; Mon 8 Mar is 3 working days after it (Thu 4, Fri 5, Mon 8).
    const c = await createCase({ applicant, call, stage: 'screening', assignee: hr._id, stageDueAt: due('2027-03-03') });
    const back = await holdAndResume(c._id, '2027-03-08', '2027-03-08');
    expect(back.stage).to.equal('screening');
    expect(vnDateKey(back.stageDueAt!)).to.equal('2027-03-03');
    const a = await signedIn(t, hr);
    expect((await page(a, `/cases/${c._id}`)).text).to.match(/3 working days overdue/);
    // The applicant reads the passed date as passed, not "by 3 Mar (3 working days overdue)".
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Your application continues/);
    expect(mail.text).to.include('We aimed to finish this stage by 3 Mar 2027; it is taking longer than planned (3 working days overdue).');
    expect(mail.text).not.to.include('We aim to finish this stage by');
  });

  it('screening with 4 working days left, held a week: resumed with 4 working days again', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Early Screening' });
    // Held Mon 8 Mar with due Fri 12 Mar (4 working days); resumed Mon 15 Mar: due Fri 19 Mar.
    const c = await createCase({ applicant, call, stage: 'screening', assignee: hr._id, stageDueAt: due('2027-03-12') });
    const back = await holdAndResume(c._id, '2027-03-08', '2027-03-15');
    expect(vnDateKey(back.stageDueAt!)).to.equal('2027-03-19');
  });

  it('screening 2 working days overdue when held, resumed a week later: 2 working days overdue again', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Held Late' });
    // Due Thu 4 Mar, held Mon 8 Mar (Fri 5, Mon 8: 2 late); resumed Mon 15 Mar: due Thu 11 Mar.
    const c = await createCase({ applicant, call, stage: 'screening', assignee: hr._id, stageDueAt: due('2027-03-04') });
    const back = await holdAndResume(c._id, '2027-03-08', '2027-03-15');
    expect(vnDateKey(back.stageDueAt!)).to.equal('2027-03-11');
  });
});
