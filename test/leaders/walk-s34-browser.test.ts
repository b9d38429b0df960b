// Walk s34, in Chromium: a call of 15 applicants through evaluation (three named panel members and
// the leader; some cases scored by all, some by part of the panel, one conflict of interest declared,
// equal scores), walked by a panel member, the leader and an applicant, at 1280 and 390 px wide.
// Screenshots go to WALK_SHOTS (default test-results/screenshots/walk-s34).
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser, TEST_PASSWORD } from '../support/factories.ts';
import { holdReviewDay } from '../support/hold.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { systemContext } from '../../server/context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { makePdf } from '../documents/support.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';

const shots = process.env.WALK_SHOTS ?? path.join(screenshotsDir, 'walk-s34');
const uploadDir = path.resolve(`data/test/uploads-walk-s34-${process.pid}`);

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
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000', UPLOAD_MAX_MB: '1' } });
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
    await rm(uploadDir, { recursive: true, force: true });
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
    expect(await AuditEvent.countDocuments({ action: 'evaluation.conflict', targetId: String(k._id) }), 'audited once').to.equal(1);
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

  it('the leader shortlists, holds and rejects, each with a reason: on the timeline, the applicant told in their language without it, the dashboard in step', async () => {
    const lp = await browser.page({ locale: 'en-GB' });
    const errors = watch(lp);
    await staffSignsIn(lp, t.baseUrl, leader);
    // The leader scores the tied pair so the panel's scores open to them: equal scores, the tie said by the rule.
    for (const i of [2, 3]) await score(leader, cases[i]!.kase, 4, 3, 3);
    await lp.goto(`${t.baseUrl}/shortlists/${call._id}`);
    expect(await lp.textContent('main')).to.include('Equal scores: more publications and patents first');
    const scoreOf = (i: number) => lp.textContent(`tr[data-case="${cases[i]!.kase._id}"] .cell-score strong`);
    expect(await scoreOf(2)).to.equal(await scoreOf(3));
    // The row says the tie was placed by the rule, and how much of the panel scored (3 named + the leader).
    for (const i of [2, 3]) expect(await lp.textContent(`tr[data-case="${cases[i]!.kase._id}"] .row-tied`)).to.equal('Equal score: placed by publications and patents, then the earlier application');
    expect(await lp.textContent(`tr[data-case="${cases[2]!.kase._id}"] .row-scored`)).to.equal('4 of 4 panel members scored');
    // Not scored by the leader: the count is said with why the score is hidden (lead s35).
    expect(await lp.textContent(`tr[data-case="${cases[7]!.kase._id}"] .hidden-scores-why`)).to.equal('Scores hidden until you submit your scorecard — 1 of 4 panel members have scored');
    await shot(lp, 'leader-shortlist-1280');
    await lp.setViewportSize({ width: 390, height: 844 });
    await lp.reload();
    expect(await lp.evaluate('document.documentElement.scrollWidth')).to.equal(390);
    await shot(lp, 'leader-shortlist-390');
    await lp.screenshot({ path: path.join(shots, 'leader-shortlist-390-top.png'), clip: { x: 0, y: 500, width: 390, height: 1000 } });
    await lp.setViewportSize({ width: 1280, height: 800 });

    const decide = async (i: number, action: string, reason: string, extra: (p: Page) => Promise<void> = async () => {}) => {
      await lp.goto(caseUrl(cases[i]!.kase));
      // Keyboard only: the choice by arrow keys, the reason typed, Enter on the button.
      await lp.focus(`form.decision-form input[name="action"][value="${action}"]`);
      await lp.keyboard.press('Space');
      await lp.fill('#f-reason', reason);
      await extra(lp);
      await lp.focus('form.decision-form button[type=submit]');
      await Promise.all([lp.waitForNavigation(), lp.keyboard.press('Enter')]);
      expect(await lp.textContent('#confirm-reason')).to.equal(reason);
      expect(await lp.textContent('#preview-text')).to.not.include(reason);
      await lp.focus('#confirm-decision');
      await Promise.all([lp.waitForNavigation(), lp.keyboard.press('Enter')]);
      await lp.waitForLoadState('load');
    };
    const reasons = ['Internal: strongest thin-film record of the call.', 'Internal: wait for the budget of the second lab.', 'Internal: weakest research record among the scored.'];
    await decide(2, 'shortlist', reasons[0]!);
    // Cases 4 and 5 the leader did not score: the panel's scores are hidden from them, and they say they decide without them (lead s35).
    await decide(4, 'put_on_hold', reasons[1]!, async (p) => {
      await p.fill('#f-reviewBy', holdReviewDay());
      await p.check('#f-withoutScores');
    });
    await shot(lp, 'leader-after-hold-1280');
    await decide(5, 'reject', reasons[2]!, (p) => p.check('#f-withoutScores'));
    const stages = await Promise.all([2, 4, 5].map(async (i) => (await Case.findById(cases[i]!.kase._id).lean())!));
    expect(stages.map((c) => c.stage)).to.deep.equal(['shortlisted', 'on_hold', 'rejected']);
    expect(stages.map((c) => c.history.at(-1)!.note)).to.deep.equal(reasons);

    // The applicants are told in their language, never the leader's reason.
    await dispatchOnce(t.ctx, { owner: 'walk-s34', caseIds: [2, 4, 5].map((i) => cases[i]!.kase._id) });
    for (const [n, i] of [2, 4, 5].entries()) {
      const { applicant, kase } = cases[i]!;
      const mail = await t.smtp.waitForTo(applicant.email, new RegExp(kase.reference));
      expect(mail.text, `case ${i}`).to.not.include(reasons[n]!.slice(10));
      expect(mail.text).to.not.include('Internal');
      if (applicant.locale === 'vi') expect(mail.text).to.match(/Ông\/Bà/).and.not.match(/\bbạn\b/i);
    }

    // The dashboard's funnel agrees with the shortlist's stage filters.
    await lp.goto(`${t.baseUrl}/dashboard?call=${call._id}`);
    const funnel = await lp.$eval('#table-funnel tbody', (tb) => Object.fromEntries([...tb.querySelectorAll('tr')].map((tr) => [tr.children[0]!.textContent!.trim(), tr.children[1]!.textContent!.trim()])));
    await shot(lp, 'leader-dashboard-1280');
    const countOn = async (stage: string) => {
      await lp.goto(`${t.baseUrl}/shortlists/${call._id}?stage=${stage}`);
      return Number(/(\d+)/.exec((await lp.textContent('main'))!.match(/\d+ candidates?/)?.[0] ?? '0')![1]);
    };
    expect(Number(funnel['Shortlisted'])).to.equal(await countOn('shortlisted'));
    expect(Number(funnel['Evaluation'])).to.equal(await countOn('evaluation'));
    expect(errors).to.deep.equal([]);

    // What each applicant sees in their language: the stage, the next step (a hold's review day with
    // its working days), on the timeline; never the leader's reason.
    for (const [n, i] of [2, 4, 5].entries()) {
      const { applicant, kase } = cases[i]!;
      const ap = await browser.page({ locale: applicant.locale === 'vi' ? 'vi-VN' : 'en-GB' });
      await ap.goto(`${t.baseUrl}/signin`);
      await ap.fill('#f-email', applicant.email);
      await ap.fill('#f-password', TEST_PASSWORD);
      await Promise.all([ap.waitForURL((u) => u.pathname !== '/signin'), ap.click('main form button[type=submit]')]);
      await ap.goto(`${t.baseUrl}/applications/${kase._id}`);
      const name = `applicant-after-${['shortlisted', 'held', 'rejected'][n]}-${applicant.locale}`;
      await shot(ap, `${name}-1280`);
      const body = (await ap.textContent('main'))!;
      expect(body).to.not.include(reasons[n]!.slice(10));
      expect(body).to.not.include('Internal');
      if (applicant.locale === 'vi') expect(body).to.not.match(/\bbạn\b/i);
      expect(await ap.textContent('#next-step')).to.match(/\S/);
      if (n === 1) expect(await ap.textContent('#next-step')).to.match(applicant.locale === 'vi' ? /còn \d+ ngày làm việc/ : /\d+ working days? left/);
      await ap.setViewportSize({ width: 390, height: 844 });
      expect(await ap.evaluate('document.documentElement.scrollWidth')).to.equal(390);
      await shot(ap, `${name}-390`);
    }
  });

  it('an applicant uploads in the browser (Vietnamese): oversize, disguised and hostile-named files refused or made safe, the typed date kept, then a good one', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Phan Thị Hoa' });
    const kase = await createCase({ applicant, call, stage: 'screening' });
    const ap = await browser.page({ locale: 'vi-VN' });
    const errors = watch(ap);
    let dialogs = 0;
    ap.on('dialog', (d) => {
      dialogs += 1;
      void d.dismiss();
    });
    await ap.goto(`${t.baseUrl}/signin`);
    await ap.fill('#f-email', applicant.email);
    await ap.fill('#f-password', TEST_PASSWORD);
    await Promise.all([ap.waitForURL((u) => u.pathname !== '/signin'), ap.click('main form button[type=submit]')]);
    await ap.goto(`${t.baseUrl}/applications/${kase._id}`);
    // The limit said and checked in the page is the server's (UPLOAD_MAX_MB=1): it said 20 MB.
    expect(await ap.textContent('#f-passport-hint')).to.include('tối đa 1 MB');
    expect(await ap.getAttribute('#f-passport', 'data-max-bytes')).to.equal(String(1024 * 1024));
    const expiry = holdReviewDay(new Date(Date.now() + 800 * 86_400_000));
    await ap.fill('#f-passport_expiresAt', expiry);
    const pdf = await makePdf('Hộ chiếu');
    const refusal = async (file: { name: string; mimeType: string; buffer: Buffer }, field = '#f-passport') => {
      await ap.setInputFiles(field, file);
      await ap.click('form[data-upload-form] button[type=submit]');
      const text = (await ap.waitForSelector('[data-upload-error]:not([hidden])').then((e) => e.textContent()))!;
      expect(await ap.inputValue('#f-passport_expiresAt'), 'the typed date is kept').to.equal(expiry);
      return text;
    };
    // Over the 1 MB limit (UPLOAD_MAX_MB): said before sending, in Vietnamese, with the limit.
    const big = await refusal({ name: 'hochieu.pdf', mimeType: 'application/pdf', buffer: await makePdf('Hộ chiếu lớn', { padTo: 1_300_000 }) });
    expect(big).to.include('hochieu.pdf').and.include('1 MB');
    expect(big).to.not.match(/\bbạn\b/i);
    await shot(ap, 'applicant-upload-oversize-vi-1280');
    // A program renamed .pdf: refused by its content.
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(2000, 0x41)]);
    const disguised = await refusal({ name: 'hochieu.pdf', mimeType: 'application/pdf', buffer: exe });
    expect(disguised).to.include('hochieu.pdf');
    expect(disguised).to.not.match(/\bbạn\b/i);
    await shot(ap, 'applicant-upload-disguised-vi-1280');
    expect(await CaseDocument.countDocuments({ case: kase._id })).to.equal(0);
    await ap.setInputFiles('#f-passport', []);
    // A name with folders in it: refused, saying to rename it (a browser sends none; a script can).
    const path2 = await refusal({ name: '../../x.pdf', mimeType: 'application/pdf', buffer: pdf });
    expect(path2).to.include('đổi tên tệp');
    await ap.setInputFiles('#f-passport', []);
    expect(await CaseDocument.countDocuments({ case: kase._id })).to.equal(0);
    // Hostile names on a good PDF: stored, shown as text, nothing run.
    const long = `${'a'.repeat(296)}.pdf`;
    for (const [field, name] of [['#f-cv', '<script>.pdf'], ['#f-passport', '<img src=x onerror=alert(1)>.pdf'], ['#f-cv', long]] as const) {
      if (field === '#f-passport') await ap.fill('#f-passport_expiresAt', expiry);
      await ap.setInputFiles(field, { name, mimeType: 'application/pdf', buffer: pdf });
      await Promise.all([ap.waitForEvent('load', { timeout: 8000 }), ap.click('form[data-upload-form] button[type=submit]')]).catch(async (e) => {
        await shot(ap, 'DEBUG-upload');
        throw new Error(`${name}: ${await ap.textContent('[data-upload-error]')} ${String(e)}`);
      });
    }
    const stored = await CaseDocument.find({ case: kase._id }).sort({ _id: 1 }).lean();
    expect(stored).to.have.length(3);
    for (const d of stored) {
      expect(String(d.storageKey ?? '')).to.not.include('..');
      expect(String(d.originalName ?? '')).to.not.include('/');
      expect(String(d.originalName ?? '').length).to.be.at.most(255);
    }
    expect(dialogs, 'no script ran from a file name').to.equal(0);
    expect(await ap.textContent('#documents')).to.not.include('../');
    await shot(ap, 'applicant-upload-hostile-names-vi-1280');
    await ap.setViewportSize({ width: 390, height: 844 });
    expect(await ap.evaluate('document.documentElement.scrollWidth'), 'a 300-character name does not widen the phone page').to.equal(390);
    await shot(ap, 'applicant-upload-390');
    expect(errors).to.deep.equal([]);
  });
});
