// Lead s35 in Chromium: a leader who has not scored walks a call in evaluation. The shortlist says why
// the scores are hidden and how many of the panel scored, with "Score it" and "Close scoring"; a
// rejection from the case page is refused until they tick "I decide without the panel's scores" (the
// reason kept), then taken and marked; on another case they close scoring instead, and the panel's
// scores show. Both in English, and the refusal in Vietnamese for a Vietnamese leader.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndWait, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { invalidateShortlist } from '../../server/evaluations/shortlist.ts';
import { systemContext } from '../../server/context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';

describe('lead s35: a leader who has not scored, in the browser (hidden scores, deciding blind, closing scoring)', function () {
  this.timeout(120_000);
  const browser = useBrowser();
  let t: TestApp;
  let leader: UserDoc;
  let leaderVi: UserDoc;
  let member: UserDoc;
  let call: CallDoc;
  let rejectCase: CaseDoc;
  let closeCase: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const inst = await createInstitute();
    call = await createCall({ institute: inst._id, status: 'closed' });
    leader = await createUser({ role: 'leader', institute: inst._id, name: 'Lê Lãnh Đạo', locale: 'en' });
    leaderVi = await createUser({ role: 'leader', institute: inst._id, name: 'Trần Quyết Định', locale: 'vi' });
    member = await createUser({ role: 'hr_officer', institute: inst._id, name: 'Phạm Hội Đồng', panelCalls: [call._id], locale: 'en' });
    const made: CaseDoc[] = [];
    for (const fullName of ['Nguyễn Thị Lan', 'Trần Quốc Huy']) {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant: applicant._id, call, stage: 'evaluation', profile: { fullName, nationality: 'VN', countryOfResidence: 'DE', overseasVietnamese: true, highestDegree: 'phd', field: 'Materials science', dateOfBirth: new Date('1985-01-01'), gender: 'female', phone: '+49 30 1', currentPosition: 'Researcher', currentEmployer: 'Lab' } });
      await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: member }), caseId: String(kase._id), callId: String(call._id), input: { scores: { research: 4, fit: 3 }, recommendation: 'yes', comment: 'PANEL-COMMENT-S35' } });
      made.push(kase);
    }
    [rejectCase, closeCase] = made as [CaseDoc, CaseDoc];
    invalidateShortlist(call._id);
  });
  after(async () => {
    await t?.close();
  });

  function watch(page: Page): string[] {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => {
      if (r.status() >= 500) errors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    return errors;
  }
  const caseUrl = (k: CaseDoc) => `${t.baseUrl}/shortlists/${call._id}/cases/${k._id}`;
  const row = (k: CaseDoc) => `tr[data-case="${k._id}"]`;

  it('says why the scores are hidden, refuses a blind rejection until it is ticked, then records it; closing scoring shows the scores', async () => {
    const page = await browser.page({ locale: 'en-GB' });
    const errors = watch(page);
    await staffSignsIn(page, t.baseUrl, leader);
    await page.goto(`${t.baseUrl}/shortlists/${call._id}`);
    // Three on the panel: the two leaders and the named member; one has scored.
    expect(await page.textContent(`${row(rejectCase)} .hidden-scores-why`)).to.equal('Scores hidden until you submit your scorecard — 1 of 3 panel members have scored');
    expect(await page.textContent(`${row(rejectCase)} .hidden-scores-score`)).to.equal('Score it');
    expect(await page.textContent(`${row(rejectCase)} .hidden-scores-close`)).to.equal('Close scoring');

    // "Score it" opens the case at its scorecard.
    await clickAndWait(page, `${row(rejectCase)} .hidden-scores-score`);
    expect(new URL(page.url()).hash).to.equal('#scorecard-h');
    expect(await page.textContent('#hidden-scores .hidden-scores-why')).to.equal('Scores hidden until you submit your scorecard — 1 of 3 panel members have scored');
    expect(await page.textContent('main')).not.to.include('PANEL-COMMENT-S35');

    // Reject without ticking: refused, said beside the box, the reason and the choice kept.
    const reason = 'Internal: the research plan does not fit the institute.';
    await page.check('form.decision-form input[name="action"][value="reject"]');
    await page.fill('#f-reason', reason);
    await clickAndWait(page, 'form.decision-form button[type="submit"]');
    expect(await page.textContent('#f-withoutScores-error')).to.equal("The panel's scores are hidden from you: score the case first, close its scoring, or tick “I decide without the panel's scores”.");
    expect(await page.inputValue('#f-reason')).to.equal(reason);
    expect(await page.isChecked('form.decision-form input[name="action"][value="reject"]')).to.equal(true);
    expect(await page.isChecked('#f-withoutScores')).to.equal(false);
    expect((await Case.findById(rejectCase._id).lean())!.stage).to.equal('evaluation');

    // Ticked: the confirmation says it, and the rejection is taken and marked.
    await page.check('#f-withoutScores');
    await clickAndWait(page, 'form.decision-form button[type="submit"]');
    expect(await page.textContent('#decision-blind')).to.include("You decide without the panel's scores");
    await clickAndWait(page, '#confirm-decision');
    const rejected = (await Case.findById(rejectCase._id).lean())!;
    expect(rejected.stage).to.equal('rejected');
    expect(rejected.history.at(-1)).to.include({ action: 'reject', blind: true });
    expect((await AuditEvent.findOne({ targetId: String(rejectCase._id), action: 'case.decision' }).lean())!.summary).to.include({ blind: true });
    await page.goto(caseUrl(rejectCase));
    expect(await page.textContent('.decision-mark')).to.equal("Decided without the panel's scores (they were hidden from the decider).");

    // The other case: close its scoring instead, from the shortlist's link.
    await page.goto(`${t.baseUrl}/shortlists/${call._id}`);
    await clickAndWait(page, `${row(closeCase)} .hidden-scores-close`);
    expect(new URL(page.url()).hash).to.equal('#close-scoring');
    await page.fill('#f-closeReason', 'short');
    await clickAndWait(page, '#close-scoring-submit');
    expect(await page.textContent('#f-closeReason-error')).to.include('The reason is too short');
    expect(await page.inputValue('#f-closeReason')).to.equal('short');
    await page.fill('#f-closeReason', 'The external reviewer is on leave; the panel has scored.');
    await clickAndWait(page, '#close-scoring-submit');
    expect(await page.textContent('main')).to.include("Scoring is closed: the case is shortlisted and the panel's scores are shown.");
    expect(await page.textContent('#case-stage')).to.equal('Shortlisted');
    // The panel's scores and comment now show; no box to tick, nothing hidden.
    expect(await page.textContent('main')).to.include('PANEL-COMMENT-S35');
    expect(await page.$('#hidden-scores')).to.equal(null);
    expect(await page.$('#f-withoutScores')).to.equal(null);
    expect(await page.textContent('.decision-mark')).to.equal("Scoring closed by a leader: the panel's scores shown to every member.");
    expect((await Case.findById(closeCase._id).lean())!.history.at(-1)).to.include({ action: 'shortlist', closedScoring: true });
    expect(errors).to.deep.equal([]);
  });

  it('says it to a Vietnamese leader in Vietnamese (Anh/Chị), the refusal too', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const kase = await createCase({ applicant: applicant._id, call, stage: 'evaluation' });
    await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: member }), caseId: String(kase._id), callId: String(call._id), input: { scores: { research: 3, fit: 3 }, recommendation: 'yes', comment: '' } });
    const page = await browser.page({ locale: 'vi-VN' });
    const errors = watch(page);
    await staffSignsIn(page, t.baseUrl, leaderVi);
    await page.goto(caseUrl(kase));
    expect(await page.textContent('#hidden-scores .hidden-scores-why')).to.equal('Điểm được ẩn cho đến khi Anh/Chị nộp phiếu chấm của mình — 1/3 thành viên hội đồng đã chấm');
    expect(await page.textContent('#hidden-scores .hidden-scores-close')).to.equal('Kết thúc chấm điểm');
    await page.check('form.decision-form input[name="action"][value="reject"]');
    await page.fill('#f-reason', 'Lý do nội bộ: hồ sơ chưa phù hợp với hướng nghiên cứu.');
    await clickAndWait(page, 'form.decision-form button[type="submit"]');
    const refusal = await page.textContent('#f-withoutScores-error');
    expect(refusal).to.include('Điểm của hội đồng đang được ẩn với Anh/Chị');
    expect(refusal).not.to.match(/\bbạn\b/i);
    expect(await page.inputValue('#f-reason')).to.equal('Lý do nội bộ: hồ sơ chưa phù hợp với hướng nghiên cứu.');
    expect(errors).to.deep.equal([]);
  });
});
