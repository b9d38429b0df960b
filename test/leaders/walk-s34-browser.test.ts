// Walk s34, in Chromium: a call of 15 applicants through evaluation (three named panel members and
// the leader; some cases scored by all, some by part of the panel, one conflict of interest declared,
// equal scores), walked by a panel member, the leader and an applicant, at 1280 and 390 px wide.
// Screenshots go to WALK_SHOTS (default test-results/screenshots/walk-s34).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { systemContext } from '../../server/context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';

const shots = process.env.WALK_SHOTS ?? path.join(screenshotsDir, 'walk-s34');

describe('walk s34: the panel, the leader and the applicant in the browser', function () {
  this.timeout(180_000);
  const browser = useBrowser();
  let t: TestApp;
  let leader: UserDoc;
  let members: UserDoc[];
  let call: CallDoc;
  const cases: { kase: CaseDoc; applicant: UserDoc }[] = [];

  async function score(member: UserDoc, kase: CaseDoc, research: number, fit: number, impact: number, comment = '') {
    await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: member }), caseId: String(kase._id), callId: String(call._id), input: { scores: { research, fit, impact }, recommendation: research >= 4 ? 'yes' : 'no', comment } });
  }

  before(async () => {
    mkdirSync(shots, { recursive: true });
    t = await startTestApp({ env: { UPLOAD_RATE_PER_HOUR: '1000', UPLOAD_MAX_MB: '1' } });
    await clearDashboardCache();
    const inst = await createInstitute();
    call = await createCall({
      institute: inst._id,
      status: 'closed',
      scorecard: [
        { key: 'research', label: { vi: 'Nghiên cứu', en: 'Research' }, weight: 50 },
        { key: 'fit', label: { vi: 'Phù hợp', en: 'Fit' }, weight: 30 },
        { key: 'impact', label: { vi: 'Tác động', en: 'Impact' }, weight: 20 },
      ],
    });
    leader = await createUser({ role: 'leader', institute: inst._id, name: 'Lê Lãnh Đạo', locale: 'en' });
    members = [
      await createUser({ role: 'hr_officer', institute: inst._id, name: 'Phạm Hội Đồng', panelCalls: [call._id], locale: 'en' }),
      await createUser({ role: 'hr_officer', institute: inst._id, name: 'Vũ Thẩm Định', panelCalls: [call._id], locale: 'vi' }),
      await createUser({ role: 'hr_officer', institute: inst._id, name: 'Đỗ Phản Biện', panelCalls: [call._id], locale: 'en' }),
    ];
    await createUser({ role: 'hr_officer', institute: inst._id, name: 'Hoàng Nhân Sự', locale: 'vi' });
    const names = ['Nguyễn Thị Lan', 'Trần Quốc Huy', 'Lê Văn Nam', 'Phạm Minh Đức', 'Hoàng Thu Hà', 'Vũ Đức Anh', 'Đặng Mai Phương', 'Bùi Tiến Dũng', 'Đỗ Hồng Nhung', 'Hồ Quang Minh', 'Ngô Bảo Châu', 'Dương Thị Thảo', 'Lý Gia Hân', 'Mai Văn Tùng', 'Trịnh Kim Oanh'];
    for (const [i, fullName] of names.entries()) {
      const applicant = await createUser({ role: 'applicant', locale: i % 2 ? 'en' : 'vi', name: fullName });
      const kase = await createCase({ applicant, call, stage: 'evaluation', profile: { fullName, nationality: 'VN', countryOfResidence: ['DE', 'JP', 'FR', 'US'][i % 4], overseasVietnamese: true, highestDegree: 'phd', field: 'Materials science', dateOfBirth: new Date('1985-01-01'), gender: 'female', phone: '+49 30 1', currentPosition: 'Researcher', currentEmployer: 'Lab' }, achievements: { publicationsCount: 10 + (i % 3), patentsCount: 1 } });
      cases.push({ kase, applicant });
    }
    // 0–5: the whole panel; 6–10: part of it; 11–14: nobody yet. 2 and 3 tie (same sheets).
    const sheets: [number, number, number][] = [[5, 5, 4], [4, 4, 4], [4, 3, 3], [3, 4, 4], [3, 3, 3], [2, 3, 2]];
    for (let i = 0; i < 6; i += 1) for (const m of members) await score(m, cases[i]!.kase, ...(i === 3 ? sheets[2]! : sheets[i]!), i === 0 ? 'Internal: strongest thin-film record.' : '');
    for (let i = 6; i <= 10; i += 1) await score(members[i % 3]!, cases[i]!.kase, 4, 4, 3);
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
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  const caseUrl = (k: CaseDoc) => `${t.baseUrl}/shortlists/${call._id}/cases/${k._id}`;
  const submitAndWait = (page: Page, selector: string) => Promise.all([page.waitForNavigation(), page.click(selector)]);

  it('a panel member: refused scorecards say what to fix and keep what was typed; a double submit saves one; a stale form says why, keeping the comment', async () => {
    const page = await browser.page({ locale: 'en-GB' });
    const errors = watch(page);
    await staffSignsIn(page, t.baseUrl, members[0]!);
    const k = cases[11]!.kase;
    await page.goto(caseUrl(k));
    await shot(page, 'panel-form-1280');
    // Keyboard only: Tab reaches the criteria in order, a digit picks a score.
    await page.focus('#f-score_research');
    await page.keyboard.press('4');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).to.equal('f-score_fit');
    await page.keyboard.press('3');
    await page.fill('#f-comment', 'Solid thin-film work; fit to be discussed.');
    // No recommendation: refused, scores and comment kept.
    await submitAndWait(page, 'form.scorecard button[type=submit]');
    expect(await page.textContent('#f-recommendation-error')).to.match(/\S/);
    expect(await page.inputValue('#f-score_research')).to.equal('4');
    expect(await page.inputValue('#f-comment')).to.equal('Solid thin-film work; fit to be discussed.');
    // A tampered score (7) is refused by the server, beside its criterion.
    await page.selectOption('#f-recommendation', 'yes');
    await page.$eval('#f-score_impact', (el) => { (el as unknown as { innerHTML: string }).innerHTML += '<option value="7">7</option>'; });
    await page.selectOption('#f-score_impact', '7');
    await submitAndWait(page, 'form.scorecard button[type=submit]');
    expect(await page.textContent('#f-score_impact-error')).to.match(/\S/);
    expect(await Evaluation.countDocuments({ case: k._id })).to.equal(0);
    // A double submit: one scorecard, no error page.
    await page.selectOption('#f-score_impact', '3');
    await Promise.all([page.waitForNavigation(), page.dblclick('form.scorecard button[type=submit]')]);
    await page.waitForLoadState('load');
    expect(await page.textContent('.flash')).to.include('Your scorecard was saved.');
    expect(await Evaluation.countDocuments({ case: k._id, member: members[0]!._id })).to.equal(1);

    // A stale form: the leader shortlisted the case while the member typed.
    const k2 = cases[12]!.kase;
    await page.goto(caseUrl(k2));
    await page.selectOption('#f-score_research', '5');
    await page.selectOption('#f-recommendation', 'strong_yes');
    await page.fill('#f-comment', 'Would bring a new lab technique.');
    await Case.updateOne({ _id: k2._id }, { $set: { stage: 'shortlisted' } });
    const [res] = await Promise.all([page.waitForNavigation(), page.click('form.scorecard button[type=submit]')]);
    expect(res!.status()).to.equal(409);
    expect(await page.textContent('#f-scores-error')).to.include('no longer in evaluation');
    expect(await page.inputValue('#typed-comment')).to.equal('Would bring a new lab technique.');
    await shot(page, 'panel-stale-1280');
    await Case.updateOne({ _id: k2._id }, { $set: { stage: 'evaluation' } });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(caseUrl(k));
    expect(await page.evaluate('document.documentElement.scrollWidth')).to.equal(390);
    await shot(page, 'panel-form-390');
    expect(errors).to.deep.equal([]);
  });

  it('a panel member declares a conflict of interest: their scorecard is withdrawn, they score no more, the leader sees who and why', async () => {
    const k = cases[0]!.kase;
    const scoreBefore = (await Case.findById(k._id).lean())!.score;
    // Vũ Thẩm Định (Vietnamese) had scored the first candidate low; the conflict withdraws that sheet.
    await score(members[1]!, k, 2, 2, 2);
    expect((await Case.findById(k._id).lean())!.score).to.be.below(scoreBefore!);
    const page = await browser.page({ locale: 'vi-VN' });
    const errors = watch(page);
    await staffSignsIn(page, t.baseUrl, members[1]!);
    await page.goto(caseUrl(k));
    await page.click('#conflict-declare summary');
    // Without a reason: refused in Vietnamese, the box open again with the message.
    await submitAndWait(page, 'form.conflict-form button[type=submit]');
    expect(await page.textContent('#f-conflictReason-error')).to.equal('Hãy nêu nội dung xung đột, từ 10 đến 1000 ký tự.');
    expect(await page.getAttribute('#conflict-declare', 'open')).to.not.equal(null);
    await page.fill('#f-conflictReason', 'Đồng tác giả của ứng viên trong 3 năm gần đây.');
    await shot(page, 'panel-conflict-form-vi-1280');
    await Promise.all([page.waitForNavigation(), page.dblclick('form.conflict-form button[type=submit]')]);
    await page.waitForLoadState('load');
    expect(await page.textContent('#own-conflict')).to.include('Anh/Chị đã khai báo xung đột lợi ích');
    expect(await page.$('form.scorecard'), 'no scorecard form any more').to.equal(null);
    expect(await page.$('#conflict-declare')).to.equal(null);
    await shot(page, 'panel-conflict-declared-vi-1280');
    expect(await PanelConflict.countDocuments({ case: k._id })).to.equal(1);
    expect(await Evaluation.countDocuments({ case: k._id, member: members[1]!._id })).to.equal(0);
    expect((await Case.findById(k._id).lean())!.score, 'the score recomputed without the withdrawn sheet').to.equal(scoreBefore);
    // The server refuses their scorecard too.
    let refused: unknown;
    await score(members[1]!, k, 5, 5, 5).catch((e: unknown) => (refused = e));
    expect((refused as { messageKey?: string }).messageKey).to.equal('shortlists.errors.conflictDeclared');

    const lp = await browser.page({ locale: 'en-GB' });
    await staffSignsIn(lp, t.baseUrl, leader);
    await lp.goto(caseUrl(k));
    expect(await lp.textContent('#panel-conflicts')).to.include('1 panel member declared a conflict of interest').and.include('Vũ Thẩm Định').and.include('Đồng tác giả');
    await lp.goto(`${t.baseUrl}/shortlists/${call._id}`);
    expect(await lp.textContent(`tr[data-case="${k._id}"] .row-conflicts`)).to.equal('1 conflict of interest declared');
    expect(errors).to.deep.equal([]);
  });

  it('explore: panel member, leader, applicant', async () => {
    const page = await browser.page({ locale: 'en-GB' });
    const errors = watch(page);
    await staffSignsIn(page, t.baseUrl, members[0]!);
    const k = cases[11]!.kase;
    await page.goto(`${t.baseUrl}/shortlists/${call._id}/cases/${k._id}`);
    await shot(page, 'panel-form-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'panel-form-390');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${t.baseUrl}/shortlists/${call._id}`);
    await shot(page, 'panel-shortlist-1280');

    const lp = await browser.page({ locale: 'en-GB' });
    await staffSignsIn(lp, t.baseUrl, leader);
    await lp.goto(`${t.baseUrl}/shortlists/${call._id}`);
    await shot(lp, 'leader-shortlist-1280');
    await lp.setViewportSize({ width: 390, height: 844 });
    await shot(lp, 'leader-shortlist-390');
    await lp.setViewportSize({ width: 1280, height: 800 });
    await lp.goto(`${t.baseUrl}/shortlists/${call._id}/cases/${cases[2]!.kase._id}`);
    await shot(lp, 'leader-case-1280');
    await lp.goto(`${t.baseUrl}/dashboard`);
    await shot(lp, 'leader-dashboard-1280');
    await lp.goto(`${t.baseUrl}/`);
    await shot(lp, 'leader-home-1280');
    expect(errors).to.deep.equal([]);
  });
});
