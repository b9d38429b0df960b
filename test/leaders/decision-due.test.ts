// The leader's decision on a shortlisted case (offer or reject) is due by the stage's deadline
// (stageDueAt, 10 working days): each shortlisted row of the ranked list and the leader's home say
// how many working days are left, or how many overdue, counted on the holiday calendar as HR's queue
// counts them (walk s37 #1). The window holds a weekend and public holidays: on Thu 29 Apr 2027,
// Fri 7 May is 4 working days away, not 8 (30 Apr, 1 May, the 3 May make-up day, and the weekend are
// off: server/calendar/holidays-vn.ts). en + vi, on a test clock with the seeded holidays.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';
import { seedHolidays, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import { signedIn, page, text as decoded } from '../applications/support.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

const due = (day: string) => vnEndOfDay(vnStartOfDay(day));
const words = (html: string) => decoded(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
function rowText(html: string, id: unknown): string {
  const m = new RegExp(`<tr data-case="${String(id)}">([\\s\\S]*?)</tr>`).exec(html);
  expect(m, `row ${String(id)}`).to.not.equal(null);
  return words(m![1]!);
}

describe('leaders: the decision deadline on the ranked shortlist and the home page, in working days', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leaderVi: UserDoc;
  let soon: CaseDoc;
  let late: CaseDoc;
  let inEvaluation: CaseDoc;

  before(async () => {
    // Thu 29 Apr 2027, 10:00 in Vietnam.
    t = await startTestApp({ now: () => new Date('2027-04-29T03:00:00.000Z') });
    await seedHolidays();
    w = await makeWorld();
    leaderVi = await createUser({ role: 'leader', institute: w.instituteId, name: 'Lãnh Đạo Hai', locale: 'vi' });
    soon = (await applicantCase(w.call, 'shortlisted', { score: 4.5, stageDueAt: due('2027-05-07'), profile: { fullName: 'Due Soon' } })).kase;
    // Mon 26 Apr: Tue 27, Wed 28, Thu 29 have passed since, 3 working days overdue.
    late = (await applicantCase(w.call, 'shortlisted', { score: 4.0, stageDueAt: due('2027-04-26'), profile: { fullName: 'Overdue Case' } })).kase;
    // Evaluation's deadline is the panel's (HR's queue shows it), not the leader's decision: not shown as one.
    inEvaluation = (await applicantCase(w.call, 'evaluation', { score: 3.0, stageDueAt: due('2027-05-04'), profile: { fullName: 'In Evaluation' } })).kase;
    forgetKeptReads();
  });
  after(async () => {
    await t?.close();
  });

  it('English: each shortlisted row says the due day and the working days left or overdue', async () => {
    const a = await signedIn(t, w.leader);
    const res = await page(a, `/shortlists/${String(w.call._id)}`);
    expect(rowText(res.text, soon._id)).to.include('Decision due 7 May 2027 · 4 working days left');
    expect(rowText(res.text, late._id)).to.include('Decision due 26 Apr 2027 · 3 working days overdue');
    expect(rowText(res.text, inEvaluation._id)).not.to.include('Decision due');
    // The overdue one is marked for the eye too, and the day is machine-readable.
    expect(res.text).to.match(/<div class="small row-due overdue"><time datetime="2027-04-26">/);
    expect(res.text).to.match(/<div class="small row-due"><time datetime="2027-05-07">/);
  });

  it('Vietnamese: the same count', async () => {
    const res = await page(await signedIn(t, leaderVi), `/shortlists/${String(w.call._id)}`);
    expect(rowText(res.text, soon._id)).to.include('Hạn quyết định: 7/5/2027 · còn 4 ngày làm việc');
    expect(rowText(res.text, late._id)).to.include('Hạn quyết định: 26/4/2027 · quá hạn 3 ngày làm việc');
  });

  it("the home's figure of shortlisted cases names the nearest decision deadline (en, vi)", async () => {
    forgetKeptReads();
    const en = await page(await signedIn(t, w.leader), '/');
    const li = /<li data-decisions="shortlisted">([\s\S]*?)<\/li>/.exec(en.text);
    expect(li, 'shortlisted figure').to.not.equal(null);
    expect(words(li![1]!)).to.include('2 shortlisted cases (offer or reject)');
    expect(words(li![1]!)).to.include('(next decision due 26 Apr 2027, 3 working days overdue)');
    expect(li![1]).to.include('decision-due overdue');
    // Evaluation's figure has no decision deadline.
    expect(/<li data-decisions="evaluation">([\s\S]*?)<\/li>/.exec(en.text)![1]).not.to.include('decision-due');
    const vi = await page(await signedIn(t, leaderVi), '/');
    expect(words(/<li data-decisions="shortlisted">([\s\S]*?)<\/li>/.exec(vi.text)![1]!)).to.include('(quyết định gần nhất đến hạn ngày 26/4/2027, quá hạn 3 ngày làm việc)');
  });

  it('the decision page says it too, beside the decision (en, vi); not on a case in evaluation (its deadline is the panel\'s)', async () => {
    const casePage = (c: CaseDoc) => `/shortlists/${String(w.call._id)}/cases/${String(c._id)}`;
    const en = await page(await signedIn(t, w.leader), casePage(soon));
    const due = /<p id="decision-due" class="decision-due"><time datetime="2027-05-07">([^<]+)<\/time><\/p>/.exec(en.text);
    expect(due, 'the decision due, beside the form').to.not.equal(null);
    expect(decoded(due![1]!)).to.equal('Decision due 7 May 2027 · 4 working days left');
    expect(en.text.indexOf('id="decision-due"')).to.be.below(en.text.indexOf('class="decision-form"'));
    const lateVi = await page(await signedIn(t, leaderVi), casePage(late));
    expect(lateVi.text).to.match(/<p id="decision-due" class="decision-due overdue"><time datetime="2027-04-26">Hạn quyết định: 26\/4\/2027 · quá hạn 3 ngày làm việc<\/time><\/p>/);
    expect((await page(await signedIn(t, w.leader), casePage(inEvaluation))).text).not.to.include('id="decision-due"');
  });
});
