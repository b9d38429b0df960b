// In a real browser (Debian's Chromium), on a test clock: an officer moves a work permit to filed on
// its own page; the clock passes the legal deadline (10 working days, across Tết 2027); the
// escalation job e-mails the officer; the queue row carries the overdue flag and the case page says
// "2 working days overdue"; the officer records the approval; the applicant, in Vietnamese, sees
// each procedure change on their timeline in their words.
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { TestApp } from '../support/app.ts';
import { clickAndWait, screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createUser, TEST_PASSWORD } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { runEscalations } from '../../server/procedures/escalation.ts';
import { deliver } from '../applications/support.ts';
import { procedureWorld, vn } from './support.ts';

describe('procedures in the browser: file, pass the deadline, escalate, approve, tell the applicant', function () {
  this.timeout(120_000);
  const browser = useBrowser();
  let t: TestApp;
  let clock = vn('2027-02-04');
  let officer: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    // The English-speaking officer files; the Vietnamese-speaking one is the HR lead.
    ({ t, hrEn: officer, call } = await procedureWorld(() => clock, { viLead: true }));
    applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
  });
  after(async () => {
    await t?.close();
  });

  function watch(page: Page, errors: string[]) {
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (404|422)/.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
  }

  const click = clickAndWait;
  const officerSignsIn = (hr: Page) => staffSignsIn(hr, t.baseUrl, officer);

  it('files a work permit, escalates it past its deadline, and shows the applicant each change in Vietnamese', async () => {
    const errors: string[] = [];
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: officer._id, profile: { fullName: 'Trần Thị Bình' }, supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2027-02-18')) }] });
    const hr = await browser.page({ locale: 'en-GB' });
    const ap = await browser.page({ locale: 'vi-VN' });
    watch(hr, errors);
    watch(ap, errors);
    // --- officer: sign in with the second factor, open the work permit's page, file it
    await officerSignsIn(hr);
    await hr.goto(`${t.baseUrl}/cases/${c._id}`);
    await click(hr, `a[href="/cases/${c._id}/procedures/work_permit"]`);
    expect(await hr.textContent('#rule')).to.include('Decree 219/2025/ND-CP');
    await hr.selectOption('#f-status', 'filed');
    await hr.fill('#f-office', 'Department of Home Affairs, Hà Nội');
    await hr.fill('#f-filedAt', '2027-02-04');
    // What the applicant reads with the change, beside the internal note they never see.
    expect(await hr.textContent('label[for="f-message"]')).to.include('Message to the applicant');
    await hr.fill('#f-message', 'Your file is complete; the Department answers within 10 working days.');
    await click(hr, `form[action="/cases/${c._id}/procedures/work_permit"] button[type=submit]`);
    expect(new URL(hr.url()).pathname).to.equal(`/cases/${c._id}`);
    const row = hr.locator('tr[data-track="work_permit"]');
    expect(await row.textContent()).to.include('10 working days left');
    expect(await row.textContent()).to.include('25 Feb 2027');
    // A refusal without words for the applicant is refused (422): the summary takes the focus and
    // links to the message box, as on the app's other forms.
    await hr.goto(`${t.baseUrl}/cases/${c._id}/procedures/work_permit`);
    await hr.selectOption('#f-status', 'refused');
    await hr.fill('#f-decidedAt', '2027-02-04');
    await click(hr, `form[action="/cases/${c._id}/procedures/work_permit"] button[type=submit]`);
    await hr.waitForSelector('#form-errors li a', { timeout: 5000 });
    expect(await hr.evaluate('document.activeElement.id')).to.equal('form-errors');
    expect(await hr.$$eval('#form-errors li a', (as) => as.map((a) => a.getAttribute('href')))).to.deep.equal(['#f-message']);
    await hr.click('#form-errors li a');
    expect(await hr.evaluate('document.activeElement.id')).to.equal('f-message');

    // --- the clock passes the deadline (Thu 25 Feb); the job escalates on Mon 1 Mar
    clock = vn('2027-03-01');
    expect((await runEscalations(t.ctx, { caseIds: [c._id] })).escalated).to.equal(1);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(officer.email, /Overdue: Work permit/);
    expect(mail.text).to.include('2 working days overdue');
    expect((await Case.findById(c._id).lean())!.overdueProcedures).to.deep.equal(['work_permit']);

    // --- a month later the officer signs in again (the session of 4 Feb has long expired)
    await hr.context().clearCookies();
    await officerSignsIn(hr);
    // --- the queue row carries the flag; the case page counts the working days overdue
    await hr.goto(`${t.baseUrl}/cases`);
    const queueRow = hr.locator(`tr[data-case="${c._id}"]`);
    expect(await queueRow.locator('.badge.err').allTextContents()).to.include.members(['Overdue: Work permit']);
    // The row's deadline is the work permit's, with the working days it is late.
    expect((await queueRow.locator('.cell-due').innerText()).replace(/\s+/g, ' ')).to.include("· Work permit: the authority's decision 2 working days overdue");
    await hr.goto(`${t.baseUrl}/cases/${c._id}`);
    expect(await hr.locator('tr[data-track="work_permit"] [data-deadline]').textContent()).to.equal('2 working days overdue');
    await hr.screenshot({ path: path.join(screenshotsDir, 'procedures-overdue.png'), fullPage: true });

    // --- the permit is granted: the row offers only what it can save (a grant needs the day the
    // authority decided), and links to the procedure's page for the decision.
    expect(await hr.locator('#s-work_permit option').allTextContents()).to.deep.equal(['Not needed', 'Requested', 'Preparing the file', 'Filed']);
    await click(hr, 'tr[data-track="work_permit"] a[data-record]');
    await hr.selectOption('#f-status', 'approved');
    await hr.fill('#f-decidedAt', '2027-03-01');
    await click(hr, `form[action="/cases/${c._id}/procedures/work_permit"] button[type=submit]`);
    expect(await hr.locator('tr[data-track="work_permit"] .badge').first().textContent()).to.equal('Approved');
    // Granted reads green (the app's ok colour), not the same blue as every other status.
    expect(await hr.evaluate(`getComputedStyle(document.querySelector('tr[data-track="work_permit"] .badge')).color`)).to.equal('rgb(30, 126, 52)');
    // On a phone the page keeps to the screen, and each procedure is a card whose deadline is on
    // screen without scrolling sideways (the table was 756 px wide in a 314 px frame).
    await hr.setViewportSize({ width: 390, height: 844 });
    expect(await hr.evaluate('document.documentElement.scrollWidth')).to.equal(390);
    const deadline = (await hr.locator('tr[data-track="work_permit"] .cell-deadline').boundingBox())!;
    expect(deadline.x + deadline.width, 'deadline within the screen').to.be.at.most(390);
    expect(deadline.x).to.be.at.least(0);
    await hr.locator('#support').screenshot({ path: path.join(screenshotsDir, 'procedures-phone-390.png') });
    await hr.setViewportSize({ width: 1280, height: 900 });
    expect((await Case.findById(c._id).lean())!.overdueProcedures).to.deep.equal([]);

    // --- the applicant, in Vietnamese: each change on the timeline in their words
    await ap.goto(`${t.baseUrl}/signin`);
    await ap.fill('#f-email', applicant.email);
    await ap.fill('#f-password', TEST_PASSWORD);
    await click(ap, 'main form button[type=submit]');
    await ap.goto(`${t.baseUrl}/applications/${c._id}`);
    const lines = await ap.locator('#timeline li strong').allTextContents();
    expect(lines).to.include('Giấy phép lao động: hồ sơ đã được nộp cho cơ quan có thẩm quyền');
    expect(lines).to.include('Giấy phép lao động: đã được cấp');
    const timelineText = (await ap.textContent('#timeline'))!;
    expect(timelineText).not.to.match(/work_permit|requested|filed|approved|preparing/);
    expect(timelineText).not.to.include('quá hạn');
    expect(await ap.textContent('#procedures')).to.include('Department of Home Affairs, Hà Nội');
    expect(timelineText).to.include('Your file is complete; the Department answers within 10 working days.');
    await ap.screenshot({ path: path.join(screenshotsDir, 'procedures-applicant-vi.png'), fullPage: true });
    // A message without spaces (a long link) wraps: neither page grows wider than a phone.
    await Case.updateOne(
      { _id: c._id },
      { $push: { history: { at: new Date(), actorRole: 'hr_officer', action: 'support_update', procedure: { kind: 'work_permit', from: 'approved', to: 'approved', message: `https://example.org/${'x'.repeat(1500)}`, applicantVisible: true } } } },
    );
    for (const [who, url] of [[ap, `/applications/${c._id}`], [hr, `/cases/${c._id}`]] as const) {
      await who.setViewportSize({ width: 390, height: 844 });
      await who.goto(`${t.baseUrl}${url}`);
      expect(await who.evaluate('document.documentElement.scrollWidth'), url).to.equal(390);
    }
    expect(errors).to.deep.equal([]);
  });
});
