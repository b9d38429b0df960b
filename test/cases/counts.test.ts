// English counts read as English at one and at two: "1 working day left", "2 working days left",
// never "1 working days" or "day(s)", on the HR queue's rows, in the case page's procedures, and in
// the e-mails the daily reminder job sends (the assignee's "due soon", the HR lead's digest);
// Vietnamese has one form for every count ("còn 1 ngày làm việc"). Also the other counts a person
// reads in a sentence: the sign-in pause, the panel's scorecards, the measured days of the forecast.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { signedIn, page } from '../applications/support.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { runReminders } from '../../server/reminders/index.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { translator } from '../../server/i18n/index.ts';
import { lockedMessage } from '../../server/accounts/present.ts';
import { outsideWindowMessage, savedWarnings } from '../../server/procedures/page.ts';
import { systemContext } from '../../server/context.ts';
import { presentPlan } from '../../server/planner/present.ts';
import type { UserDoc } from '../../models/user.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

/** The visible text of the table row (or list item) that carries `marker`. */
function rowOf(html: string, marker: string, end = '</tr>'): string {
  const from = html.indexOf(marker);
  expect(from, marker).to.be.greaterThan(-1);
  return html.slice(from, html.indexOf(end, from)).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

describe('cases: counts in English plurals (1 and 2) and in Vietnamese', () => {
  // Monday 1 March 2027: Tuesday 2 is 1 working day away, Wednesday 3 is 2, Friday 26 February was 1 ago.
  const clock = vn('2027-03-01');
  let t: TestApp;
  useTestApp((app) => (t = app), { now: () => clock });
  let hr: UserDoc;
  let hrVi: UserDoc;

  before(async () => {
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
  });

  it("says '1 working day left' and '2 working days left' on the queue's rows and the case page's procedures", async () => {
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute: hr.institute!, checklist: [] });
    const mk = (kind: string, dueAt: Date) =>
      createCase({ applicant, call, stage: 'onboarding', stageDueAt: vn('2027-06-30'), supportTracks: [{ kind, status: 'filed', filedAt: vn('2027-02-20'), dueAt }] });
    const one = await mk('work_permit', vn('2027-03-02'));
    const two = await mk('visa', vn('2027-03-03'));
    const late = await mk('residence_card', vn('2027-02-26'));

    const queue = (await page(await signedIn(t, hr), '/cases?size=100&sort=due')).text;
    expect(rowOf(queue, `data-case="${one._id}"`)).to.include('Work permit: the authority&#x27;s decision 1 working day left');
    expect(rowOf(queue, `data-case="${two._id}"`)).to.include('Visa: the authority&#x27;s decision 2 working days left');
    expect(rowOf(queue, `data-case="${late._id}"`)).to.include('1 working day overdue');

    const a = await signedIn(t, hr);
    const deadlineOf = async (c: { _id: unknown }, kind: string) => rowOf((await page(a, `/cases/${c._id}`)).text, `data-track="${kind}"`);
    expect(await deadlineOf(one, 'work_permit')).to.include('1 working day left');
    expect(await deadlineOf(two, 'visa')).to.include('2 working days left');
    expect(await deadlineOf(late, 'residence_card')).to.include('1 working day overdue');

    const vi = await signedIn(t, hrVi);
    expect(rowOf((await page(vi, '/cases?size=100&sort=due')).text, `data-case="${one._id}"`)).to.include('còn 1 ngày làm việc');
    expect(rowOf((await page(vi, `/cases/${two._id}`)).text, 'data-track="visa"')).to.include('còn 2 ngày làm việc');
  });

  it("e-mails '1 working day left' and '2 working days left' to the assignee, and '1 overdue case' to the HR lead", async () => {
    const institute = await createInstitute();
    const officer = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const lead = await createUser({ role: 'hr_officer', institute, locale: 'en', isHrLead: true });
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute, checklist: [] });
    const mk = (stageDueAt: Date) => createCase({ applicant, call, stage: 'screening', assignee: officer, stageDueAt });
    const one = await mk(vn('2027-03-02'));
    const two = await mk(vn('2027-03-03'));
    const late = await mk(vn('2027-02-26'));

    await runReminders(t.ctx, clock);
    await dispatchOnce(t.ctx, { owner: 'test', caseIds: [one._id, two._id, late._id] });
    const soon1 = await t.smtp.waitForTo(officer.email, new RegExp(one.reference));
    expect(soon1.text).to.include('(1 working day left)');
    expect(soon1.html).to.include('(1 working day left)');
    const soon2 = await t.smtp.waitForTo(officer.email, new RegExp(two.reference));
    expect(soon2.text).to.include('(2 working days left)');
    const digest = await t.smtp.waitForTo(lead.email, /overdue/);
    expect(digest.subject).to.equal('1 overdue case in your institute');
    expect(digest.text).to.include(`${late.reference}`);
    expect(digest.text).to.include('(1 working day overdue)');
  });

  it('words the other counts of a sentence at one and at two', () => {
    const en = translator('en');
    const vi = translator('vi');
    // The sign-in pause (seconds rounded up to minutes).
    expect(en(lockedMessage(60).key, lockedMessage(60).params)).to.include('paused for about 1 minute.');
    expect(en(lockedMessage(61).key, lockedMessage(61).params)).to.include('paused for about 2 minutes.');
    expect(vi(lockedMessage(60).key, lockedMessage(60).params)).to.include('khoảng 1 phút');
    // The panel's scorecards before a decision.
    expect(en('shortlists.decide.errors.tooFewScorecards', { count: 1, required: 2 })).to.match(/^Only 1 complete panel scorecard: at least 2 needed/);
    expect(en('shortlists.decide.errors.tooFewScorecards', { count: 2, required: 3 })).to.match(/^Only 2 complete panel scorecards: at least 3 needed/);
    // A filing a day before (or after) the planned start, and the flash that nests that sentence.
    const before1 = (locale: 'en' | 'vi') => savedWarnings(systemContext({ now: new Date(), locale }), { outsideWindow: { days: 1, min: 10, max: 60 } }).join(' ');
    expect(en('procedures.flash.updatedWithWarnings', { warnings: before1('en') })).to.equal('The procedure was updated. The filing date recorded is 1 day before the planned start: outside the 60 to 10 days the decree allows. Check the date, or expect the authority to return the file.');
    const after2 = outsideWindowMessage('procedures.rule.outsideWindow', { days: -2, min: 10, max: 60 });
    expect(en(after2.key, after2.params)).to.match(/^The filing date recorded is 2 days after the planned start/);
    expect(before1('vi')).to.include('1 ngày trước ngày dự kiến');
    // Retention, the documents accepted, the achievements, the candidates, the applications.
    expect(en('privacy.consent.hint', { count: 1 })).to.include('deleted 1 day after');
    expect(en('privacy.consent.hint', { count: 2 })).to.include('deleted 2 days after');
    expect(en('documents.summary', { accepted: 1, count: 1 })).to.equal('1 of 1 document accepted');
    expect(en('documents.summary', { accepted: 1, count: 2 })).to.equal('1 of 2 documents accepted');
    expect(en('applications.review.publications', { count: 1 })).to.equal('1 publication');
    expect(en('applications.review.projectsLed', { count: 2 })).to.equal('2 projects led');
    expect(en('shortlists.results', { count: 1 })).to.equal('1 candidate');
    expect(en('dashboard.total', { count: 1 })).to.equal('1 submitted application');
    expect(vi('dashboard.total', { count: 1 })).to.equal('1 hồ sơ đã nộp');
  });

  it("words the institute's measured days as '1 day' and '2 days' in the forecast's explanation", () => {
    const view = presentPlan(systemContext({ now: clock, locale: 'en' }), {
      forecast: { earliest: clock, likely: clock, latest: clock, explain: [{ key: 'measured', params: { stage: 'screening', median: 1, p90: 2 } }], steps: [] },
      windows: [],
    });
    expect(view.forecast!.explain).to.deep.equal(["Screening: the institute's median 1 day, 90% within 2 days"]);
  });
});
