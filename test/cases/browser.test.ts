// In a real browser (Debian's Chromium): the applicant finds a call, applies (signing in on the
// way), fills the steps and submits; the officer signs in with a second factor, starts screening
// and requests information; the applicant answers; the officer sends the case to evaluation.
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndWait, screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';

describe('cases in the browser: apply, screen, request information, answer, evaluate', function () {
  this.timeout(120_000);
  let t: TestApp;
  const browser = useBrowser();
  let officer: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    officer = await createUser({ role: 'hr_officer', institute, name: 'Officer Browser' });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Pham Minh' });
    // No required documents, so screening can move on to evaluation without uploads.
    call = await createCall({ institute, checklist: [], track: 'expert', title: { vi: 'Chuyên gia vật liệu', en: 'Materials expert' } });
  });
  after(async () => {
    await t?.close();
  });

  function watch(page: Page, errors: string[]) {
    page.on('console', (m) => {
      // A 422 re-rendered form is expected (the deliberate mistake); CSP or script errors are not.
      if (m.type() === 'error' && !/status of (404|422)/.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
  }

  const click = clickAndWait;
  const officerSignsIn = (hr: Page) => staffSignsIn(hr, t.baseUrl, officer);

  it('rejects in two steps: the confirmation page warns of the open request and shows the e-mail; Cancel keeps the reason; confirming rejects', async () => {
    const errors: string[] = [];
    const due = (await loadCalendar()).addWorkingDays(new Date(), 8);
    const c = await createCase({ applicant: await createUser({ role: 'applicant', locale: 'vi' }), call, stage: 'awaiting_applicant', assignee: officer._id, infoRequest: { items: ['Passport scan'], dueAt: due, requestedAt: new Date() } });
    const hr = await browser.page({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    watch(hr, errors);
    try {
      await officerSignsIn(hr);
      await hr.goto(`${t.baseUrl}/cases/${c._id}`);
      const reason = 'The doctorate is outside the field of this call.';
      await hr.fill('#f-reason-reject', reason);
      await click(hr, 'button[data-action="reject"]');
      expect(await hr.textContent('h1')).to.equal('Reject the application?');
      expect(await hr.textContent('#open-request-warning')).to.match(/^The applicant has until \d{1,2} \w{3} \d{4} \(\d+ working days?\) to answer/);
      expect(await hr.textContent('#preview-subject')).to.include('Kết quả xét hồ sơ');
      expect(await hr.textContent('#preview-text')).to.include(`Lý do: ${reason}`);
      expect((await Case.findById(c._id).lean())!.stage).to.equal('awaiting_applicant');
      await hr.screenshot({ path: path.join(screenshotsDir, 'cases-reject-confirm.png'), fullPage: true });
      // Cancel: back on the case, the reason still typed.
      await click(hr, '#cancel-step');
      expect(await hr.inputValue('#f-reason-reject')).to.equal(reason);
      await click(hr, 'button[data-action="reject"]');
      await click(hr, '#confirm-step');
      expect(await hr.textContent('#stage')).to.equal('Rejected');
      expect((await Case.findById(c._id).lean())!.outbox).to.have.length(1);
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } catch (err) {
      await hr.screenshot({ path: path.join(screenshotsDir, 'cases-reject-confirm-failure.png'), fullPage: true }).catch(() => {});
      throw err;
    }
  });

  it('on a 375 px phone: "Saved." does not cover the page and closes from the keyboard; wide tables scroll in a named region', async () => {
    const errors: string[] = [];
    const c = await createCase({ applicant: await createUser({ role: 'applicant', locale: 'vi' }), call, stage: 'onboarding', assignee: officer._id, profile: { fullName: 'Pham Minh', plannedArrival: new Date(Date.now() + 200 * 86_400_000) }, supportTracks: [{ kind: 'work_permit', status: 'requested' }, { kind: 'visa', status: 'requested' }] });
    await Case.updateOne({ _id: c._id }, { $push: { outbox: { key: `phone-${c._id}`, template: 'submitted', to: 'a-rather-long-address@example.org', locale: 'vi', createdAt: new Date(), nextAttemptAt: new Date(), status: 'dead', attempts: 8, lastError: '550 mailbox unavailable' } } });
    const hr = await browser.page({ locale: 'vi-VN', viewport: { width: 375, height: 812 } });
    watch(hr, errors);
    await officerSignsIn(hr);
    await hr.goto(`${t.baseUrl}/cases/${c._id}`);
    await hr.fill('#f-note', 'Called the applicant about the visa.');
    await click(hr, `form[action="/cases/${c._id}/notes"] button[type=submit]`);
    // The message is where it was put, at the top: scrolled down, it covers nothing.
    const position = (sel: string) => hr.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(sel)})).position`);
    expect(await position('#flash')).to.equal('static');
    // An error stays in view on a phone too (an element styled as one, to read the stylesheet).
    await hr.evaluate(`document.querySelector('#flash').insertAdjacentHTML('afterend', '<div class="flash flash-session flash-error" id="probe"></div>')`);
    expect(await position('#probe')).to.equal('sticky');
    // Its close button is named, reached from the keyboard, and gives the focus to the page.
    expect(await hr.getAttribute('#flash [data-flash-close]', 'aria-label')).to.be.a('string').and.not.equal('');
    await hr.focus('#flash [data-flash-close]');
    await hr.keyboard.press('Enter');
    expect(await hr.$('#flash')).to.equal(null);
    expect(await hr.evaluate('document.activeElement.id')).to.equal('main');

    // The certificate planner's rows are cards on a phone (at 375 px its table measured 411 px):
    // it fits the screen, no scroll region and no "drag the table" line.
    expect(await hr.evaluate('document.documentElement.scrollWidth')).to.equal(375);
    const planner = hr.locator('#planner .table-wrap');
    expect(await planner.getAttribute('role')).to.equal(null);
    expect(await hr.$$eval('#planner .scroll-hint', (n) => n.length)).to.equal(0);
    expect(await hr.evaluate(`Math.ceil(document.querySelector('#certificate-windows').getBoundingClientRect().right)`)).to.be.at.most(375);
    expect(await hr.evaluate(`document.querySelector('#certificate-windows').scrollWidth <= document.querySelector('#planner .table-wrap').clientWidth`)).to.equal(true);
    await hr.locator('#planner').screenshot({ path: path.join(screenshotsDir, 'cases-phone-375-planner.png') });
    // The e-mails' table scrolls sideways inside the page, a named region the keyboard scrolls,
    // with a line saying so; the page itself keeps to the screen.
    for (const table of ['#emails']) {
      const wrap = hr.locator(`${table} .table-wrap`);
      expect(await wrap.getAttribute('role'), table).to.equal('region');
      expect(await wrap.getAttribute('tabindex'), table).to.equal('0');
      expect(await wrap.getAttribute('aria-label'), table).to.be.a('string').and.not.equal('');
      expect(await wrap.evaluate((el) => (el as unknown as { previousElementSibling: { className: string } }).previousElementSibling.className), table).to.equal('scroll-hint');
      await wrap.focus();
      await hr.keyboard.press('ArrowRight');
      await hr.waitForTimeout(300);
      expect(await wrap.evaluate((el) => (el as unknown as { scrollLeft: number }).scrollLeft), table).to.be.greaterThan(0);
    }
    await hr.locator('#emails').screenshot({ path: path.join(screenshotsDir, 'cases-phone-375-emails.png') });
    // The queue's rows are cards on a phone: nothing scrolls sideways, so no "drag the table" line and no scroll region.
    await hr.goto(`${t.baseUrl}/cases`);
    await hr.waitForSelector('#queue tbody tr');
    const queueWrap = hr.locator('.table-wrap:has(> table.queue)');
    expect(await queueWrap.getAttribute('role')).to.equal(null);
    expect(await hr.$$eval('.scroll-hint', (n) => n.length)).to.equal(0);
    expect(await hr.evaluate('document.documentElement.scrollWidth')).to.equal(375);
    // Even a card whose content measures wider than the screen (a long badge that does not wrap, as
    // on the walk's seeded queue) makes no scroll hint: a card layout does not scroll.
    await hr.evaluate(`{ const b = document.createElement('span'); b.className = 'badge'; b.textContent = 'wide'; b.style.display = 'inline-block'; b.style.width = '520px'; document.querySelector('#queue tbody td.cell-flags').append(b); window.dispatchEvent(new Event('resize')); }`);
    await hr.waitForTimeout(300);
    expect(await hr.$$eval('.scroll-hint', (n) => n.length)).to.equal(0);
    expect(await queueWrap.getAttribute('role')).to.equal(null);
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('carries one application from the call list to evaluation', async () => {
    const errors: string[] = [];
    const ap = await browser.page({ locale: 'en-GB' });
    const hr = await browser.page({ locale: 'en-GB' });
    watch(ap, errors);
    watch(hr, errors);
    try {
      // --- applicant: find the call and apply; sign-in comes on the way
      await ap.goto(`${t.baseUrl}/calls`);
      await click(ap, `a[href="/calls/${call._id}"]`);
      expect(await ap.textContent('h1')).to.include('Materials expert');
      await click(ap, `a[href="/calls/${call._id}/apply"]`);
      expect(new URL(ap.url()).pathname).to.equal('/signin');
      await ap.fill('#f-email', applicant.email);
      await ap.fill('#f-password', TEST_PASSWORD);
      await click(ap, 'main form button[type=submit]');
      expect(new URL(ap.url()).pathname).to.equal(`/calls/${call._id}/apply`);
      await click(ap, `form[action="/calls/${call._id}/apply"] button[type=submit]`);
      const c = (await Case.findOne({ applicant: applicant._id, call: call._id }).lean())!;
      expect(new URL(ap.url()).pathname).to.equal(`/applications/${c._id}/edit/profile`);

      // profile: a mistake first, shown beside the field with what was typed kept
      await ap.fill('#f-fullName', 'Pham Van Minh');
      await ap.fill('#f-dateOfBirth', '1982-09-03');
      await ap.selectOption('#f-nationality', 'FR');
      await ap.selectOption('#f-countryOfResidence', 'FR');
      await ap.check('input[name="overseasVietnamese"][value="yes"]');
      await ap.fill('#f-phone', 'not a phone');
      await ap.fill('#f-currentPosition', 'Research director');
      await ap.fill('#f-currentEmployer', 'CNRS');
      await ap.selectOption('#f-highestDegree', 'phd');
      await ap.fill('#f-field', 'Materials science');
      await click(ap, 'button[name="go"][value="next"]');
      expect(await ap.textContent('#f-phone-error')).to.match(/phone/i);
      expect(await ap.inputValue('#f-fullName')).to.equal('Pham Van Minh');
      await ap.fill('#f-phone', '+33 1 23 45 67 89');
      await click(ap, 'button[name="go"][value="next"]');
      expect(new URL(ap.url()).pathname).to.equal(`/applications/${c._id}/edit/eligibility`);

      // eligibility: every criterion of the track answered
      for (const radio of await ap.$$('input[type=radio][value="yes"]')) await radio.check();
      await click(ap, 'button[name="go"][value="next"]');
      // achievements
      await ap.fill('#f-pub_0_title', 'Perovskite stability at scale');
      await ap.fill('#f-pub_0_year', '2022');
      await click(ap, 'button[name="go"][value="next"]');
      // dependants: none
      await click(ap, 'button[name="go"][value="next"]');
      // support
      await ap.check('input[name="workPermit"]');
      await ap.check('input[name="residenceCard"]');
      await click(ap, 'button[name="go"][value="next"]');
      expect(new URL(ap.url()).pathname).to.equal(`/applications/${c._id}/edit/review`);
      expect(await ap.$('#missing-parts')).to.equal(null);
      await ap.screenshot({ path: path.join(screenshotsDir, 'cases-review.png'), fullPage: true });
      await click(ap, `form[action="/applications/${c._id}/submit"] button[type=submit]`);
      expect(new URL(ap.url()).pathname).to.equal(`/applications/${c._id}`);
      expect(await ap.textContent('h1')).to.include('Submitted');
      expect((await Case.findById(c._id).lean())!.stage).to.equal('submitted');

      // --- officer: sign in with the second factor, find the case in the queue, start screening
      await officerSignsIn(hr);
      await hr.goto(`${t.baseUrl}/cases?assignee=unassigned`);
      await click(hr, `a[href="/cases/${c._id}"]`);
      expect(await hr.textContent('h1')).to.include('Pham Van Minh');
      await click(hr, `form[action="/cases/${c._id}/actions/start_screening"] button`);
      expect(await hr.textContent('#stage')).to.equal('Screening');

      // request information: items, one per line, and a due date
      await click(hr, `a[href="/cases/${c._id}/request-info"]`);
      await hr.fill('#f-items', 'Certified copy of your doctorate\nName of two referees');
      await hr.fill('#f-dueAt', vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10)));
      await click(hr, `form[action="/cases/${c._id}/request-info"] button[type=submit]`);
      expect(await hr.textContent('#stage')).to.equal('Awaiting applicant');

      // --- applicant: sees the request and answers
      await ap.goto(`${t.baseUrl}/applications/${c._id}`);
      expect(await ap.textContent('#info-request')).to.include('Name of two referees');
      await ap.fill('#f-answer', 'Referees: Prof. Dupont and Dr. Lê. The certified copy is on its way.');
      await click(ap, `form[action="/applications/${c._id}/answer"] button[type=submit]`);
      expect(await ap.textContent('.flash')).to.include('answer was sent');
      expect((await Case.findById(c._id).lean())!.stage).to.equal('screening');

      // --- officer: reads the answer and sends the case to evaluation
      await hr.goto(`${t.baseUrl}/cases/${c._id}`);
      expect(await hr.textContent('#info-request')).to.include('Prof. Dupont');
      await click(hr, `form[action="/cases/${c._id}/actions/send_to_evaluation"] button`);
      expect(await hr.textContent('#stage')).to.equal('Evaluation');
      await hr.screenshot({ path: path.join(screenshotsDir, 'cases-case-page.png'), fullPage: true });

      const final = (await Case.findById(c._id).lean())!;
      expect(final.stage).to.equal('evaluation');
      expect(final.history.map((h) => h.action)).to.include.members(['create', 'submit', 'start_screening', 'request_info', 'answer_info', 'send_to_evaluation']);
      expect(errors, errors.join('\n')).to.deep.equal([]);
    } catch (err) {
      await ap.screenshot({ path: path.join(screenshotsDir, 'cases-browser-applicant-failure.png'), fullPage: true }).catch(() => {});
      await hr.screenshot({ path: path.join(screenshotsDir, 'cases-browser-officer-failure.png'), fullPage: true }).catch(() => {});
      throw err;
    }
  });
});
