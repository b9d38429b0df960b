// The queue's score column under the hidden-scores rule (server/policies/shortlist.ts): a leader or
// panel member sees a case's combined score only once their own scorecard for it is in, as on the
// shortlist; an HR officer who does not score and an administrator see it; scores show two decimals.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Evaluation } from '../../models/evaluation.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';
import { signedIn, page } from '../applications/support.ts';

/** The score cell of a case's row, as text (tags removed), or undefined when the row is not on the page. */
function scoreCell(html: string, c: CaseDoc): string | undefined {
  const row = html.match(new RegExp(`<tr data-case="${String(c._id)}"[\\s\\S]*?</tr>`))?.[0];
  const cell = row?.match(/<td class="cell-score">([\s\S]*?)<\/td>/)?.[1];
  return cell === undefined ? undefined : cell.replace(/<[^>]+>/g, '').trim();
}

describe('cases: scores in the HR queue (hidden-scores rule)', () => {
  let t: TestApp;
  let call: CallDoc;
  let hr: UserDoc;
  let panelOfficer: UserDoc;
  let leader: UserDoc;
  let leaderVi: UserDoc;
  let admin: UserDoc;
  let first: CaseDoc;
  let second: CaseDoc;
  const queue = (id: CaseDoc) => `/cases?call=${String(id.call)}&sort=score`;

  before(async function () {
    this.timeout(60_000);
    t = await startTestApp();
    const institute = await createInstitute();
    call = await createCall({ institute, checklist: [] });
    hr = await createUser({ role: 'hr_officer', institute });
    panelOfficer = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    leader = await createUser({ role: 'leader', institute });
    leaderVi = await createUser({ role: 'leader', institute, locale: 'vi' });
    admin = await createUser({ role: 'admin' });
    const applicant = await createUser({ role: 'applicant' });
    first = await createCase({ applicant, call, stage: 'evaluation', score: 3.456 } as never);
    second = await createCase({ applicant, call, stage: 'evaluation', score: 4.2 } as never);
  });
  after(async () => {
    await t?.close();
  });

  it('shows an HR officer who does not score, and an administrator, each score with two decimals', async () => {
    for (const user of [hr, admin]) {
      const html = (await page(await signedIn(t, user), queue(first))).text;
      expect(scoreCell(html, first), user.role).to.equal('3.46');
      expect(scoreCell(html, second), user.role).to.equal('4.20');
    }
  });

  it('writes the scores with a decimal comma in Vietnamese, still sorted on the numbers (highest first)', async () => {
    const hrVi = await createUser({ role: 'hr_officer', institute: call.institute, locale: 'vi' });
    const html = (await page(await signedIn(t, hrVi), queue(first))).text;
    expect(scoreCell(html, first)).to.equal('3,46');
    expect(scoreCell(html, second)).to.equal('4,20');
    expect(html.indexOf(`data-case="${String(second._id)}"`)).to.be.lessThan(html.indexOf(`data-case="${String(first._id)}"`));
  });

  it('hides the scores from a leader and a panel member who have not scored, in their language', async () => {
    for (const user of [leader, panelOfficer]) {
      const html = (await page(await signedIn(t, user), queue(first))).text;
      expect(scoreCell(html, first), user.role).to.include('Scores hidden until you submit your scorecard — 0 of 3 panel members have scored');
      expect(scoreCell(html, second), user.role).to.include('Scores hidden until you submit your scorecard — 0 of 3 panel members have scored');
      expect(html).not.to.include('3.46');
      expect(html).not.to.include('4.2');
    }
    const vi = (await page(await signedIn(t, leaderVi), queue(first))).text;
    expect(scoreCell(vi, first)).to.include('Điểm được ẩn cho đến khi Anh/Chị nộp phiếu chấm của mình — 0/3 thành viên hội đồng đã chấm');
  });

  it('says nothing is hidden from a leader on a case nobody has scored yet', async () => {
    const applicant = await createUser({ role: 'applicant' });
    const unscored = await createCase({ applicant, call, stage: 'evaluation' } as never);
    const html = (await page(await signedIn(t, leader), `/cases?call=${String(call._id)}&sort=score&size=100`)).text;
    expect(scoreCell(html, unscored)).to.equal('');
  });

  it("shows a leader the score of each case they have scored, and only those", async () => {
    await Evaluation.create({ case: first._id, call: call._id, member: leader._id, scores: {}, recommendation: 'yes', submittedAt: new Date() });
    const html = (await page(await signedIn(t, leader), queue(first))).text;
    expect(scoreCell(html, first)).to.equal('3.46');
    expect(scoreCell(html, second)).to.include('Scores hidden until you submit your scorecard — 0 of 3 panel members have scored');
    // Another leader's scorecard opens nothing for the panel officer.
    const officer = (await page(await signedIn(t, panelOfficer), queue(first))).text;
    // The shortlist's words (lead s35): why hidden, how many of those who can score did, and the way to score it.
    expect(scoreCell(officer, first)).to.include('Scores hidden until you submit your scorecard — 1 of 3 panel members have scored');
    expect(officer).to.include(`href="/shortlists/${String(call._id)}/cases/${String(first._id)}#scorecard-h">Score it</a>`);
  });

  it('hides the score of a case on hold only while it would go back to the panel, as the shortlist does (scoringOpen)', async () => {
    const applicant = await createUser({ role: 'applicant' });
    // On hold from the panel's stage: scoring is still open, the score stays hidden until the officer's own scorecard.
    const backToPanel = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'evaluation', score: 1.5 } as never);
    // On hold after the shortlist: scoring has closed, the score shows to every evaluator.
    const pastPanel = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'shortlisted', score: 2.5 } as never);
    const html = (await page(await signedIn(t, panelOfficer), `/cases?call=${String(call._id)}&stage=on_hold&sort=score`)).text;
    expect(scoreCell(html, backToPanel)).to.include('Scores hidden: scoring is paused while the case is on hold — 0 of 3 panel members have scored.');
    // Held: it cannot be scored, so no way to score it is offered.
    expect(scoreCell(html, backToPanel)).not.to.include('Score it');
    expect(scoreCell(html, pastPanel)).to.equal('2.50');
  });
});
