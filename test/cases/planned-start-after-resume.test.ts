// Onboarding held and resumed gets back the working days its clock had left (hold-keeps-clock.test.ts);
// moving the planned start afterwards recounted a fresh 40 working days from the resume, handing the
// case days the hold never took. The deadline after a move is the later of the clock as the resume
// gave it back and the new planned start: the working days left, read on the case page, before and
// after each move. Real database, the real form and page.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { countedDeadline, loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { signedIn, page, post, postConfirmed, versionIn, text } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

describe('cases: moving the planned start after a resume keeps the clock the hold gave back', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock = vn('2027-03-01');
  let hr: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Resume', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  /** The working days the case page says the stage has left (its deadline line). */
  async function daysLeftOnPage(caseId: unknown): Promise<number> {
    const shown = words((await page(await signedIn(t, hr), `/cases/${caseId}`)).text);
    const m = /(\d+) working days? left/.exec(shown);
    expect(m, shown.slice(0, 600)).to.not.equal(null);
    return Number(m![1]);
  }

  async function moveStart(caseId: unknown, day: string) {
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${caseId}`);
    const u = `/cases/${caseId}/planned-start`;
    const res = await post(a, p.text, u, { version: versionIn(p.text, u), plannedStart: day, plannedStartReason: 'The expert wrote with a new day.' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    return (await Case.findById(caseId).lean())!;
  }

  it('the days left before and after each move: earlier start keeps the resumed clock, a later one is the deadline, and back again', async () => {
    const calendar = await loadCalendar();
    const accepted = vn('2027-03-01');
    const count = { from: accepted, workingDays: 40 };
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Resumed Onboarding' });
    // Accepted Mon 1 Mar 2027 with a start sooner than the count: due 40 working days later.
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, stageEnteredAt: accepted, stageDueAt: countedDeadline(calendar, count), stageDueCount: count, profile: { fullName: 'Resumed Onboarding', nationality: 'DE', plannedArrival: new Date('2027-03-15T00:00:00.000Z') } as never });

    // Held Mon 8 Mar (5 working days gone: 35 left), resumed Mon 22 Mar: 35 left again.
    clock = vn('2027-03-08');
    const held = calendar.workingDaysBetween(clock, countedDeadline(calendar, count));
    expect(held).to.equal(35);
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const { confirmed } = await postConfirmed(a, p.text, c._id, 'put_on_hold', { version: versionIn(p.text, `/cases/${c._id}/actions/put_on_hold`), reason: 'Waiting for the visa office.', reviewBy: '2027-03-19' });
    expect(confirmed.status).to.equal(303);
    clock = vn('2027-03-22');
    const b = await signedIn(t, hr);
    const q = await page(b, `/cases/${c._id}`);
    expect((await post(b, q.text, `/cases/${c._id}/actions/resume`, { version: versionIn(q.text, `/cases/${c._id}/actions/resume`) })).status).to.equal(303);
    const resumed = (await Case.findById(c._id).lean())!;
    expect(resumed.stage).to.equal('onboarding');
    expect(await daysLeftOnPage(c._id)).to.equal(35);

    // A start moved to a day still before that deadline: the clock stays (35 left), not a fresh 40 from the resume.
    const earlier = await moveStart(c._id, '2027-04-05');
    expect(vnDateKey(earlier.stageDueAt!)).to.equal(vnDateKey(resumed.stageDueAt!));
    expect(await daysLeftOnPage(c._id)).to.equal(35);

    // A start after it: the start is the deadline, its working days left counted to it.
    const later = await moveStart(c._id, '2027-07-01');
    expect(vnDateKey(later.stageDueAt!)).to.equal('2027-07-01');
    const toStart = calendar.workingDaysBetween(clock, later.stageDueAt!);
    expect(toStart).to.be.greaterThan(35);
    expect(await daysLeftOnPage(c._id)).to.equal(toStart);

    // Back to an early start (the stored count was dropped while the start was the deadline): the
    // resumed clock again, read from the hold's event, not 40 from the resume.
    clock = vn('2027-03-24');
    const back = await moveStart(c._id, '2027-04-05');
    expect(vnDateKey(back.stageDueAt!)).to.equal(vnDateKey(resumed.stageDueAt!));
    expect(await daysLeftOnPage(c._id)).to.equal(33);
  });
});
