// Walk s35: one foreign scientist's case, from the application to the end of her support procedures,
// in Chromium, as the applicant (Vietnamese, a 390 px phone), HR (1280 px, its main forms from the
// keyboard) and the leader (the ranked shortlist). What the users rely on is asserted: every decision
// has a reason on the staff timeline and, where it concerns her, in what the applicant reads; every
// legal procedure shows its working days left; every e-mail says what changed, in her language, with
// the working days and the next step, and its links open; nothing wider than the phone; a double
// click does one thing; the back button after a submit does not send it again.
// WALK=1 prints each page and e-mail; screenshots go to $WALK_SHOTS (default test-results/screenshots).
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { applicantSignsIn, clickAndWait, staffSignsIn, useBrowser, watchPage } from '../support/browser.ts';
import { BAN, shots, show, squash } from './kit.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';
import { loadCalendar, seedHolidays, vnDateKey, vnStartOfDayOf } from '../../server/calendar/index.ts';
import { deliver } from '../applications/support.ts';
import { makePdf } from '../documents/support.ts';


describe('walk s35: one foreign scientist\'s case from the application to her last procedure', function () {
  this.timeout(300_000);
  const browser = useBrowser();
  let t: TestApp;
  let uploadDir: string;
  let call: CallDoc;
  let hr: UserDoc;
  let leader: UserDoc;
  let panel: UserDoc[];
  let me: UserDoc;
  let caseId = '';
  const errors: string[] = [];
  let shiftMs = 0;
  /** Moves the app's clock to noon (Hanoi) of a day. */
  const moveClockTo = (day: Date) => {
    shiftMs = vnStartOfDayOf(day).getTime() + 12 * 3_600_000 - Date.now();
  };

  before(async function () {
    this.timeout(120_000);
    mkdirSync(shots, { recursive: true });
    uploadDir = path.resolve(`data/test/uploads-walk-s35-${process.pid}`);
    // The app's clock moves on when the walk waits for a deadline to pass (sign-in codes keep the real time).
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000', UPLOAD_MAX_MB: '2' }, now: () => new Date(Date.now() + shiftMs) });
    await seedHolidays();
    const institute = await createInstitute({ hrContact: { email: 'nhansu@walk35.example.vn', phone: '+84 24 3000 0035', address: { vi: '18 Hoàng Quốc Việt, Hà Nội', en: '18 Hoang Quoc Viet, Hanoi' }, hours: { vi: 'Thứ Hai–Thứ Sáu 8:00–17:00', en: 'Mon–Fri 8:00–17:00' } } });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Trần Thu Hà', locale: 'vi', isHrLead: true });
    call = await createCall({
      institute,
      title: { vi: 'Chuyên gia quang tử', en: 'Photonics expert' },
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'passport', phase: 'application', required: true },
        { type: 'signed_offer', phase: 'onboarding', required: true },
      ],
      scorecard: [
        { key: 'research', label: { vi: 'Thành tích nghiên cứu', en: 'Research record' }, weight: 60 },
        { key: 'fit', label: { vi: 'Phù hợp với định hướng của viện', en: 'Fit with the institute' }, weight: 40 },
      ],
    });
    leader = await createUser({ role: 'leader', institute, name: 'GS. Lê Văn Minh', locale: 'vi', panelCalls: [call._id] });
    panel = [
      await createUser({ role: 'hr_officer', institute, name: 'TS. Phạm Hội Đồng', locale: 'vi', panelCalls: [call._id] }),
      await createUser({ role: 'hr_officer', institute, name: 'Dr. Panel Okafor', locale: 'en', panelCalls: [call._id] }),
    ];
    me = await createUser({ role: 'applicant', locale: 'vi', name: 'Claire Dubois' });
  });
  after(async () => {
    await t?.close();
    if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
  });

  const watch = (page: Page) => watchPage(page, errors);
  const mainText = async (p: Page) => squash((await p.textContent('main'))!);
  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(shots, `life-s35-${name}.png`), fullPage: true });
  const widthIs = async (p: Page, width: number, what: string) => expect(await p.evaluate('document.documentElement.scrollWidth'), `${what} keeps to ${width} px`).to.equal(width);
  /** The e-mails the case owes, delivered; those to the applicant returned. */
  const mails = async () => {
    await deliver(t, caseId);
    const mine = t.smtp.messages.filter((m) => m.to.includes(me.email));
    t.smtp.messages.splice(0);
    for (const m of mine) {
      show(`e-mail: ${m.subject}`, m.text);
      expect(`${m.subject}\n${m.text}`, `${m.subject}: Ông/Bà`).to.include('Ông/Bà');
      expect(`${m.subject}\n${m.text}`, `${m.subject}: never "bạn"`).to.not.match(BAN);
    }
    return mine;
  };
  const phone = async () => {
    const p = watch(await browser.page({ locale: 'vi-VN', viewport: { width: 390, height: 844 } }));
    await applicantSignsIn(p, t.baseUrl, me.email);
    return p;
  };
  const myPage = async (p: Page, name: string) => {
    await p.goto(`${t.baseUrl}/applications/${caseId}`);
    const text = await mainText(p);
    show(`applicant: ${name}`, text);
    await shot(p, `applicant-${name}`);
    await widthIs(p, 390, `the applicant's page (${name})`);
    expect(text, `${name}: she is addressed Ông/Bà`).to.not.match(BAN);
    return text;
  };

  /** Tabs until the element matching `selector` has the focus (a keyboard user's way to a button). */
  const tabTo = async (p: Page, selector: string, max = 30) => {
    for (let i = 0; i < max; i += 1) {
      if (await p.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
      await p.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${selector}`);
  };
  /**
   * The browser's back button after a submit: the page before it again, or Chromium's own "confirm
   * form resubmission" page (ERR_CACHE_MISS) when that page was a POST's answer: never a new send.
   */
  const back = async (p: Page) => {
    try {
      await p.goBack();
      await p.waitForLoadState('load');
    } catch (err) {
      if (!/ERR_CACHE_MISS/.test(String(err))) throw err;
      backToPost.push(p.url());
    }
  };
  const backToPost: string[] = [];
  /** Each link of an e-mail opens a page (signed in as the applicant): none answers 4xx/5xx. */
  const linksOpen = async (text: string) => {
    const links = [...text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0].replace(/[).,]+$/, ''));
    expect(links.length, 'the e-mail links somewhere').to.be.greaterThan(0);
    const p = await phone();
    for (const href of links) {
      const res = await p.goto(href);
      expect(res!.status(), href).to.be.below(400);
      await widthIs(p, 390, href);
    }
  };

  it('the applicant applies on her phone: each step, two refused files said what to fix with the typed kept, then sent once', async () => {
    const p = await phone();
    await p.goto(`${t.baseUrl}/calls/${call._id}`);
    await shot(p, 'call');
    await widthIs(p, 390, 'the call');
    await p.goto(`${t.baseUrl}/calls/${call._id}/apply`);
    await shot(p, 'apply');
    show('apply', await mainText(p));
    await clickAndWait(p, 'main form button[type=submit]');
    caseId = /\/applications\/([a-f0-9]{24})/.exec(p.url())![1]!;
    await shot(p, 'step-profile');
    await widthIs(p, 390, 'the profile step');
    await p.fill('#f-fullName', 'Claire Dubois');
    await p.fill('#f-dateOfBirth', '1986-02-17');
    await p.selectOption('#f-nationality', 'FR');
    await p.selectOption('#f-countryOfResidence', 'FR');
    await p.check('input[name=overseasVietnamese][value=no]');
    await p.fill('#f-phone', '+33 1 44 27 00 00');
    await p.fill('#f-currentPosition', 'Chargée de recherche');
    await p.fill('#f-currentEmployer', 'CNRS');
    await p.selectOption('#f-highestDegree', 'phd');
    await p.fill('#f-field', 'Quang tử học');
    await clickAndWait(p, 'button[name=go][value=next]');
    await shot(p, 'step-eligibility');
    await widthIs(p, 390, 'the eligibility step');
    for (const r of await p.$$('input[type=radio][value=yes]')) await r.check();
    await clickAndWait(p, 'button[name=go][value=next]');
    await shot(p, 'step-achievements');
    await clickAndWait(p, 'button[name=go][value=next]');
    await shot(p, 'step-dependants');
    await p.fill('#f-dep_0_fullName', 'Marc Dubois');
    await p.selectOption('#f-dep_0_relationship', 'spouse');
    await p.fill('#f-dep_0_dateOfBirth', '1984-09-03');
    await p.selectOption('#f-dep_0_nationality', 'FR');
    await clickAndWait(p, 'button[name=go][value=next]');
    await shot(p, 'step-support');
    show('support step', await mainText(p));
    for (const c of await p.$$('main input[type=checkbox]')) await c.check();
    await clickAndWait(p, 'button[name=go][value=next]');
    await shot(p, 'step-review');
    show('review step', await mainText(p));
    await widthIs(p, 390, 'the review step');
    await myPage(p, 'draft');

    // --- an oversize CV: refused when chosen, said what to fix, nothing sent
    const passportExpiry = `${new Date().getUTCFullYear() + 6}-05-31`;
    await p.fill('#f-passport_expiresAt', passportExpiry);
    await p.setInputFiles('#f-cv', { name: 'CV Claire Dubois.pdf', mimeType: 'application/pdf', buffer: await makePdf('CV', { padTo: 3 * 1024 * 1024 }) });
    const tooBig = await p.waitForSelector('[data-upload-error]:not([hidden])').then((e) => e.textContent());
    show('oversize', tooBig!);
    await shot(p, 'upload-oversize');
    expect(squash(tooBig!)).to.include('CV Claire Dubois.pdf').and.include('lớn hơn 2 MB').and.include('giảm dung lượng');
    expect(await p.inputValue('#f-passport_expiresAt'), 'the typed expiry kept').to.equal(passportExpiry);
    // --- a program renamed .pdf: refused by the server, said what to fix, the expiry still there
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'), Buffer.alloc(4000, 0x41)]);
    await p.setInputFiles('#f-cv', { name: 'CV Claire Dubois.pdf', mimeType: 'application/pdf', buffer: await makePdf('CV of Claire Dubois') });
    await p.setInputFiles('#f-passport', { name: 'ho-chieu.pdf', mimeType: 'application/pdf', buffer: exe });
    await p.click('form[data-upload-form] button[type=submit]');
    const disguised = await p.waitForSelector('[data-upload-error]:not([hidden])').then((e) => e.textContent());
    show('disguised', disguised!);
    await shot(p, 'upload-disguised');
    expect(squash(disguised!)).to.include('ho-chieu.pdf').and.include('không phải là tệp PDF, JPEG hay PNG');
    expect(await p.getAttribute('#f-passport', 'aria-invalid'), 'the refused file\'s input marked').to.equal('true');
    expect(await p.inputValue('#f-passport_expiresAt'), 'the typed expiry kept').to.equal(passportExpiry);
    expect(await CaseDocument.countDocuments({ case: caseId }), 'nothing stored').to.equal(0);
    await widthIs(p, 390, 'the refused upload');
    // --- the real passport: both sent
    await p.setInputFiles('#f-passport', { name: 'ho-chieu.pdf', mimeType: 'application/pdf', buffer: await makePdf('Passport of Claire Dubois') });
    await Promise.all([p.waitForEvent('load'), p.click('form[data-upload-form] button[type=submit]')]);
    await p.waitForSelector('#doc-passport[data-state="uploaded"]');
    expect(await CaseDocument.countDocuments({ case: caseId })).to.equal(2);

    // --- submit: a double click sends once; the back button does not send again
    await p.goto(`${t.baseUrl}/applications/${caseId}/edit/review`);
    await p.check('input[name=keepDataConsent]');
    await Promise.all([p.waitForNavigation(), p.dblclick('form[action$="/submit"] button[type=submit]')]);
    await p.waitForLoadState('load');
    const sent = (await Case.findById(caseId).lean())!;
    expect(sent.stage).to.equal('submitted');
    expect(sent.history.filter((h) => h.action === 'submit'), 'a double click submits once').to.have.length(1);
    await back(p);
    show('back after submit', `${p.url()}\n${await mainText(p)}`);
    await shot(p, 'back-after-submit');
    expect((await Case.findById(caseId).lean())!.history.filter((h) => h.action === 'submit')).to.have.length(1);
    expect(await myPage(p, 'submitted')).to.include('Đã nộp').and.match(/chậm nhất vào ngày \d+\/\d+\/20\d\d \(còn 5 ngày làm việc\)/);
    const [got] = await mails();
    expect(got!.subject).to.include(sent.reference);
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('HR asks for a missing paper from the keyboard; she answers with the file on her phone; HR reads it', async () => {
    const cal = await loadCalendar();
    const now = new Date();
    const h = watch(await browser.page({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } }));
    await staffSignsIn(h, t.baseUrl, hr);
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    await shot(h, 'hr-submitted');
    show('HR case (submitted)', await mainText(h));
    // Start screening: Tab to the button, Enter.
    await tabTo(h, 'button[data-action="start_screening"]', 200);
    await Promise.all([h.waitForNavigation(), h.keyboard.press('Enter')]);
    await h.waitForLoadState('load');
    if (await h.$('#confirm-step')) await clickAndWait(h, '#confirm-step');
    expect((await Case.findById(caseId).lean())!.stage).to.equal('screening');
    await mails();
    // The request: typed, the paper chosen, the date, Enter; a double click would ask once (s34 checked it: Enter here).
    await h.goto(`${t.baseUrl}/cases/${caseId}/request-info`);
    await shot(h, 'hr-request-form');
    const dueKey = vnDateKey(cal.addWorkingDays(now, 7));
    await h.focus('#f-items');
    await h.keyboard.type('Bản sao bằng tiến sĩ có chứng thực và bản dịch tiếng Việt.');
    await tabTo(h, '#f-dueAt');
    await h.fill('#f-dueAt', dueKey);
    await tabTo(h, '#f-documentType');
    await h.selectOption('#f-documentType', 'degree');
    await tabTo(h, 'main form button[type=submit]');
    await Promise.all([h.waitForNavigation(), h.keyboard.press('Enter')]);
    await h.waitForLoadState('load');
    const asked = (await Case.findById(caseId).lean())!;
    expect(asked.stage).to.equal('awaiting_applicant');
    expect(asked.history.filter((x) => x.action === 'request_info')).to.have.length(1);
    const [ask, ...more] = await mails();
    expect(more).to.have.length(0);
    expect(ask!.text).to.include('Kính gửi Ông/Bà Claire Dubois').and.include('Bản sao bằng tiến sĩ có chứng thực').and.match(/\(còn 7 ngày làm việc\)/);
    await linksOpen(ask!.text);

    const p = await phone();
    const asking = await myPage(p, 'asked');
    expect(asking).to.include('Bản sao bằng tiến sĩ có chứng thực').and.match(/còn 7 ngày làm việc/);
    await p.fill('#f-answer', 'Tôi gửi kèm bản sao bằng tiến sĩ có chứng thực và bản dịch.');
    await p.setInputFiles('#f-answer-file', { name: 'bang-tien-si.pdf', mimeType: 'application/pdf', buffer: await makePdf('PhD diploma of Claire Dubois') });
    await Promise.all([p.waitForNavigation(), p.dblclick('form[action$="/answer"] button[type=submit]')]);
    await p.waitForLoadState('load');
    await shot(p, 'answered');
    const answered = (await Case.findById(caseId).lean())!;
    expect(answered.stage).to.equal('screening');
    expect(answered.history.filter((x) => x.action === 'answer_info'), 'a double click answers once').to.have.length(1);
    expect(await CaseDocument.countDocuments({ case: caseId, type: 'degree' })).to.equal(1);
    await back(p);
    expect((await Case.findById(caseId).lean())!.history.filter((x) => x.action === 'answer_info'), 'back does not answer again').to.have.length(1);
    show('applicant answered', await mainText(p));
    const answerMails = await mails();
    show('answer mails', String(answerMails.length));
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    const hrSees = await mainText(h);
    show('HR case (answered)', hrSees);
    await shot(h, 'hr-answered');
    expect(hrSees).to.include('Tôi gửi kèm bản sao bằng tiến sĩ');
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('HR sends her to the panel; the panel scores; the leader shortlists and offers from the ranked list, with reasons; she is told', async () => {
    const h = watch(await browser.page({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } }));
    await staffSignsIn(h, t.baseUrl, hr);
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    for (const type of ['cv', 'passport', 'degree']) {
      await Promise.all([h.waitForURL(`**/cases/${caseId}#doc-*`), h.click(`#doc-${type} form.inline-form button.button-accept`)]);
      await h.waitForSelector(`#doc-${type}[data-state="accepted"]`);
    }
    await mails();
    await clickAndWait(h, 'button[data-action="send_to_evaluation"]');
    if (await h.$('#confirm-step')) await clickAndWait(h, '#confirm-step');
    expect((await Case.findById(caseId).lean())!.stage).to.equal('evaluation');
    const evalMails = await mails();
    for (const m of evalMails) await linksOpen(m.text);

    // The panel: each member's scorecard, in their language.
    for (const [k, member] of panel.entries()) {
      const m = watch(await browser.page({ locale: member.locale === 'en' ? 'en-GB' : 'vi-VN' }));
      await staffSignsIn(m, t.baseUrl, member);
      await m.goto(`${t.baseUrl}/shortlists/${call._id}/cases/${caseId}`);
      await m.selectOption('#f-score_research', k === 0 ? '5' : '4');
      await m.selectOption('#f-score_fit', '4');
      await m.selectOption('#f-recommendation', 'strong_yes');
      await m.fill('#f-comment', member.locale === 'en' ? 'A strong photonics record; fits the new laboratory.' : 'Thành tích quang tử nổi bật; phù hợp phòng thí nghiệm mới.');
      await clickAndWait(m, 'form.scorecard button[type=submit]');
      await shot(m, `panel-${k}`);
    }

    // The leader: the ranked shortlist, the case, shortlist then (once HR has set the terms) offer.
    const ld = watch(await browser.page({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } }));
    await staffSignsIn(ld, t.baseUrl, leader);
    await ld.goto(`${t.baseUrl}/shortlists/${call._id}`);
    await shot(ld, 'leader-shortlist');
    show('leader shortlist', await mainText(ld));
    await clickAndWait(ld, `tr[data-case="${caseId}"] a[href="/shortlists/${call._id}/cases/${caseId}"]`);
    const decide = async (action: string, reason: string) => {
      await ld.check(`input[name=action][value=${action}]`);
      await ld.fill('#f-reason', reason);
      // The leader sits on the panel and did not score: deciding while the scores are hidden is said so (lead s35).
      if (await ld.$('#f-withoutScores')) await ld.check('#f-withoutScores');
      await clickAndWait(ld, '.decision-form button[type=submit]');
      show(`leader confirm ${action}`, await mainText(ld));
      await shot(ld, `leader-confirm-${action}`);
      await Promise.all([ld.waitForNavigation(), ld.dblclick('#confirm-decision')]);
      await ld.waitForLoadState('load');
      const c = (await Case.findById(caseId).lean())!;
      expect(c.history.filter((x) => x.action === action), `${action} taken once`).to.have.length(1);
      expect(c.history.at(-1)!.note, 'the reason recorded').to.equal(reason);
      await back(ld);
      expect((await Case.findById(caseId).lean())!.history.filter((x) => x.action === action), `${action}: back does not decide again`).to.have.length(1);
      return c;
    };
    expect((await decide('shortlist', 'Hai thành viên hội đồng cùng chấm cao nhất; hướng quang tử khớp phòng thí nghiệm mới.')).stage).to.equal('shortlisted');
    const [shortMail, ...moreShort] = await mails();
    expect(moreShort).to.have.length(0);
    // Walk s35 #1: it said the leadership "will decide", not by when.
    expect(shortMail!.text).to.include('danh sách rút gọn').and.match(/Lãnh đạo viện dự kiến quyết định chậm nhất vào ngày \d+\/\d+\/20\d\d \(còn 10 ngày làm việc\)/).and.not.include('Hai thành viên hội đồng');
    await linksOpen(shortMail!.text);
    expect(await myPage(await phone(), 'shortlisted')).to.include('danh sách rút gọn').and.not.include('Hai thành viên hội đồng');

    // HR's offer terms with the letter, from the keyboard.
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    const startKey = vnDateKey(new Date(Date.UTC(new Date().getUTCFullYear() + 1, 2, 2)));
    await tabTo(h, '#change-offer-terms summary', 300);
    if (!(await h.evaluate(`document.getElementById('change-offer-terms').open`))) await h.keyboard.press('Enter');
    await tabTo(h, '#f-offerPosition');
    await h.keyboard.type('Nghiên cứu viên chính, Phòng thí nghiệm Quang tử');
    await tabTo(h, '#f-offerStart');
    await h.fill('#f-offerStart', startKey);
    await tabTo(h, '#f-offerSalary');
    await h.keyboard.type('65.000.000 đồng/tháng');
    await tabTo(h, '#f-offerContractLength');
    await h.keyboard.type('3 năm');
    await h.setInputFiles('#f-offer_letter', { name: 'thu-moi.pdf', mimeType: 'application/pdf', buffer: await makePdf('Offer letter for Claire Dubois') });
    await tabTo(h, 'button[data-action="offer_terms"]');
    await Promise.all([h.waitForNavigation(), h.keyboard.press('Enter')]);
    await h.waitForLoadState('load');
    await shot(h, 'hr-offer-terms');
    expect((await Case.findById(caseId).lean())!.offerTerms?.letter, 'the letter stored').to.not.equal(undefined);
    await mails();

    // The leader offers, from the keyboard: the choice by the arrows, the reason typed, Enter, Enter.
    await ld.goto(`${t.baseUrl}/shortlists/${call._id}?stage=shortlisted`);
    await clickAndWait(ld, `tr[data-case="${caseId}"] a[href="/shortlists/${call._id}/cases/${caseId}"]`);
    const values: string[] = await ld.evaluate(`[...document.querySelectorAll('input[name=action]')].map((i) => i.value)`);
    await ld.focus('input[name=action]');
    await ld.keyboard.press('Space');
    for (let i = 0; i < values.indexOf('approve_offer'); i += 1) await ld.keyboard.press('ArrowDown');
    expect(await ld.isChecked('input[name=action][value=approve_offer]')).to.equal(true);
    const offerReason = 'Điểm hội đồng cao nhất của đợt; ngân sách phòng thí nghiệm quang tử năm tới đã được duyệt.';
    await tabTo(ld, '#f-reason');
    await ld.keyboard.type(offerReason);
    await tabTo(ld, '.decision-form button[type=submit]');
    await Promise.all([ld.waitForNavigation(), ld.keyboard.press('Enter')]);
    await tabTo(ld, '#confirm-decision', 40);
    await Promise.all([ld.waitForNavigation(), ld.keyboard.press('Enter')]);
    await ld.waitForLoadState('load');
    const offered = (await Case.findById(caseId).lean())!;
    expect(offered.stage).to.equal('offer');
    expect(offered.history.at(-1)!.note).to.equal(offerReason);
    const [offerMail, ...moreOffer] = await mails();
    expect(moreOffer).to.have.length(0);
    expect(offerMail!.text).to.include('Kính gửi Ông/Bà Claire Dubois').and.match(/còn 10 ngày làm việc/).and.not.include('ngân sách phòng thí nghiệm');
    await linksOpen(offerMail!.text);
    // HR's timeline: the leader's reason for each decision.
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    expect(await mainText(h)).to.include(offerReason).and.include('Hai thành viên hội đồng cùng chấm cao nhất');
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('she accepts on her phone and sends the signed offer; the support procedures open, each with its working days and law', async () => {
    const p = await phone();
    const offerPage = await myPage(p, 'offer');
    expect(offerPage).to.include('Nghiên cứu viên chính').and.match(/còn 10 ngày làm việc/).and.not.include('ngân sách phòng thí nghiệm');
    await clickAndWait(p, '#offer .offer-actions a.button:not(.danger)');
    await shot(p, 'offer-accept-confirm');
    show('accept confirm', await mainText(p));
    await widthIs(p, 390, 'the acceptance page');
    await Promise.all([p.waitForNavigation(), p.dblclick('#offer-confirm button[type=submit]')]);
    await p.waitForLoadState('load');
    await back(p);
    const accepted = (await Case.findById(caseId).lean())!;
    expect(accepted.stage).to.equal('onboarding');
    expect(accepted.history.filter((x) => x.action === 'accept_offer'), 'accepted once').to.have.length(1);
    const acceptMails = await mails();
    expect(acceptMails).to.have.length(1);
    expect(acceptMails[0]!.text).to.include('Kính gửi Ông/Bà Claire Dubois').and.match(/ngày làm việc/);
    // Walk s35 #2: a French national is not given a naturalisation filing date, but its residence condition.
    expect(acceptMails[0]!.text).to.include('thường trú tại Việt Nam từ 5 năm');
    expect(acceptMails[0]!.text).to.not.match(/Quốc tịch: Dự kiến nộp hồ sơ/);
    await linksOpen(acceptMails[0]!.text);
    const onboarding = await myPage(p, 'onboarding');
    show('onboarding', onboarding);
    // The signed offer.
    await p.setInputFiles('#f-signed_offer', { name: 'thu-moi-da-ky.pdf', mimeType: 'application/pdf', buffer: await makePdf('Signed offer, Claire Dubois') });
    await Promise.all([p.waitForEvent('load'), p.click('form[data-upload-form] button[type=submit]')]);
    await p.waitForSelector('#doc-signed_offer[data-state="uploaded"]');
    await shot(p, 'signed-offer');
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('HR walks the procedures from the keyboard: the permit stopped for its exemption (a reason), the exemption, visa, card, housing; each tells her what changed with its working days', async () => {
    const cal = await loadCalendar();
    const now = new Date();
    const h = watch(await browser.page({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } }));
    await staffSignsIn(h, t.baseUrl, hr);
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    await Promise.all([h.waitForURL(`**/cases/${caseId}#doc-*`), h.click('#doc-signed_offer form.inline-form button.button-accept')]);
    await mails();
    let p = await phone();
    /** One procedure's form from the keyboard: the status by the arrows, dates filled (Chromium's own widget), the words typed, Enter. */
    const procedure = async (kind: string, v: { status: string; office?: string; filedAt?: string; decidedAt?: string; message?: string; note?: string; dblclick?: true }) => {
      await h.goto(`${t.baseUrl}/cases/${caseId}/procedures/${kind}`);
      if (!(await h.$('#f-status'))) throw new Error(`${h.url()}: ${(await mainText(h)).slice(0, 600)}`);
      await h.focus('#f-status');
      const options: string[] = await h.evaluate(`[...document.getElementById('f-status').options].map((o) => o.value)`);
      const from = options.indexOf(await h.inputValue('#f-status'));
      const to = options.indexOf(v.status);
      for (let i = from; i !== to; i += to > from ? 1 : -1) await h.keyboard.press(to > from ? 'ArrowDown' : 'ArrowUp');
      expect(await h.inputValue('#f-status'), `${kind}: the status chosen by the arrows`).to.equal(v.status);
      if (v.office) {
        await tabTo(h, '#f-office');
        await h.keyboard.press('Control+A');
        await h.keyboard.type(v.office);
      }
      if (v.filedAt) await h.fill('#f-filedAt', v.filedAt);
      if (v.decidedAt) await h.fill('#f-decidedAt', v.decidedAt);
      if (v.message) {
        await h.focus('#f-message');
        await h.keyboard.type(v.message);
      }
      if (v.note) {
        await tabTo(h, '#f-note');
        await h.keyboard.type(v.note);
      }
      const submit = `form[action="/cases/${caseId}/procedures/${kind}"] button[type=submit]`;
      await tabTo(h, submit, 40);
      // A double click (once) saves once; the back button after it sends nothing again.
      await Promise.all([h.waitForNavigation(), v.dblclick ? h.dblclick(submit) : h.keyboard.press('Enter')]);
      await h.waitForLoadState('load');
      if (v.dblclick) await back(h);
      await shot(h, `hr-after-${kind}-${v.status}`);
      const track = (await Case.findById(caseId).lean())!.supportTracks!.find((x) => x.kind === kind)!;
      expect(track.status, `${kind} saved (${squash(await h.textContent('main') ?? '').slice(0, 300)})`).to.equal(v.status);
      const got = await mails();
      for (const m of got) await linksOpen(m.text);
      return got;
    };
    const viDay = (key: string) => `${Number(key.slice(8))}/${Number(key.slice(5, 7))}/${key.slice(0, 4)}`;

    // The permit: stopped, she is exempt; the reason told, the internal note not.
    const stopWords = 'Ông/Bà là chuyên gia khoa học và công nghệ nên thuộc diện không cấp giấy phép lao động; viện xin giấy xác nhận miễn thay cho giấy phép.';
    const stopMails = await procedure('work_permit', { status: 'not_needed', message: stopWords, note: 'Sở Nội vụ xác nhận qua điện thoại ngày hôm nay.' });
    expect(stopMails).to.have.length(1);
    expect(stopMails[0]!.text).to.include('Kính gửi Ông/Bà Claire Dubois').and.include(stopWords).and.not.include('qua điện thoại');
    // Walk s35 #1: the stopped permit's 10 working days are not said as if they ran; the reason (what replaces it) first.
    expect(stopMails[0]!.text).to.not.include('10 ngày làm việc');
    expect(stopMails[0]!.text.indexOf(stopWords)).to.be.below(stopMails[0]!.text.indexOf('Thủ tục: Giấy phép lao động'));
    // The exemption: filed today; 5 working days for the authority.
    const exMails = await procedure('work_permit_exemption', { status: 'filed', office: 'Sở Nội vụ Hà Nội', filedAt: vnDateKey(now), message: 'Viện đã nộp hồ sơ xin giấy xác nhận miễn giấy phép lao động.' });
    expect(exMails).to.have.length(1);
    expect(exMails[0]!.text).to.match(/còn 5 ngày làm việc/).and.include('Nghị định 219/2025');
    let mine = await myPage(p, 'exemption-filed');
    expect(mine).to.include(stopWords).and.match(/Giấy xác nhận không thuộc diện cấp giấy phép lao động · Đã nộp hồ sơ Nghị định 219\/2025\/NĐ-CP[^]*?còn 5 ngày làm việc/);
    expect(mine).to.not.include('qua điện thoại');
    const exOk = await procedure('work_permit_exemption', { status: 'approved', decidedAt: vnDateKey(now) });
    expect(exOk).to.have.length(1);
    // The next step and its days: the visa can now be applied for.
    expect(exOk[0]!.text).to.include(`Ngày quyết định: ${viDay(vnDateKey(now))}`).and.match(/Thị thực: nay có thể tiến hành[^\n]*\(còn \d+ ngày làm việc\)/);

    // The family: the marriage certificate for her husband's TT visa, from her phone.
    await p.goto(`${t.baseUrl}/applications/${caseId}`);
    await p.setInputFiles('#f-relationship_proof', { name: 'giay-chung-nhan-ket-hon.pdf', mimeType: 'application/pdf', buffer: await makePdf('Marriage certificate, apostilled, translated') });
    await Promise.all([p.waitForEvent('load'), p.click('form[data-upload-form] button[type=submit]')]);
    await p.waitForSelector('#doc-relationship_proof[data-state="uploaded"]');
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    await Promise.all([h.waitForURL(`**/cases/${caseId}#doc-*`), h.click('#doc-relationship_proof form.inline-form button.button-accept')]);
    await mails();

    // The visa (with the husband's TT): filed, then granted; the card is next.
    const visaFiled = await procedure('visa', { status: 'filed', office: 'Cục Quản lý xuất nhập cảnh', filedAt: vnDateKey(now), message: 'Viện đã nộp hồ sơ thị thực LĐ1 cho Ông/Bà và thị thực TT cho ông Marc Dubois.' });
    expect(visaFiled[0]!.text).to.match(/\(còn 5 ngày làm việc\)/).and.include('Luật 47/2014/QH13');
    const visaOk = await procedure('visa', { status: 'approved', decidedAt: vnDateKey(now) });
    expect(visaOk[0]!.text).to.match(/Thẻ tạm trú: nay có thể tiến hành[^\n]*\(còn \d+ ngày làm việc\)/);
    // The card, filed on the first working day whose 5 working days for the authority span a public
    // holiday on a weekday (the clock moved there): the date she is given counts it out.
    let d = cal.addWorkingDays(now, 1);
    const spansHoliday = (from: Date) => {
      const due = cal.addWorkingDays(from, 5);
      for (let x = new Date(from.getTime() + 86_400_000); x <= due; x = new Date(x.getTime() + 86_400_000)) {
        const wd = new Date(vnStartOfDayOf(x).getTime() + 7 * 3_600_000).getUTCDay();
        if (wd !== 0 && wd !== 6 && !cal.isWorkingDay(x)) return true;
      }
      return false;
    };
    while (!spansHoliday(d)) d = cal.addWorkingDays(d, 1);
    moveClockTo(d);
    // Weeks later: the sessions have ended; both sign in again.
    await staffSignsIn(h, t.baseUrl, hr);
    p = await phone();
    const filedKey = vnDateKey(d);
    const cardDue = vnDateKey(cal.addWorkingDays(d, 5));
    const cardMails = await procedure('residence_card', { status: 'filed', office: 'Phòng Quản lý xuất nhập cảnh Công an Hà Nội', filedAt: filedKey });
    show('card mails', cardMails.map((m) => m.text).join('\n----\n'));
    expect(cardMails[0]!.text).to.include(`Ngày nộp: ${viDay(filedKey)}`).and.include(`Dự kiến có quyết định trước: ${viDay(cardDue)} (còn 5 ngày làm việc)`);
    // Two working days after that date, no decision recorded: overdue.
    moveClockTo(cal.addWorkingDays(cal.addWorkingDays(d, 5), 2));
    await staffSignsIn(h, t.baseUrl, hr);
    p = await phone();
    await mails();
    // Housing: arranged.
    const homeMails = await procedure('housing', { status: 'approved', dblclick: true, message: 'Căn hộ 2 phòng ngủ tại nhà khách của viện, 18 Hoàng Quốc Việt, đã sẵn sàng từ ngày Ông/Bà đến.' });
    show('housing mails', homeMails.map((m) => `${m.subject}\n${m.text}`).join('\n----\n'));
    expect(homeMails, 'one e-mail for one save').to.have.length(1);
    // Walk s35 #2: arranged by the institute, not 'granted' as by an authority.
    expect(homeMails[0]!.text).to.include('Căn hộ 2 phòng ngủ').and.include('Thủ tục: Nhà ở — Viện đã sắp xếp xong');
    expect((await Case.findById(caseId).lean())!.history.filter((x) => x.procedure?.kind === 'housing' && x.procedure.to === 'approved'), 'a double click saves once').to.have.length(1);

    mine = await myPage(p, 'procedures');
    expect(mine).to.match(new RegExp(`Thẻ tạm trú · Đã nộp hồ sơ Luật 47/2014/QH13[^]*?${viDay(cardDue)}[^]*?quá hạn 2 ngày làm việc`));
    expect(mine).to.match(/Quốc tịch Việt Nam · Đã yêu cầu[^]*?còn \d+ ngày làm việc/);
    expect(mine).to.include('Nhà ở · Viện đã sắp xếp xong');
    // HR's queue: the card's overdue days first.
    await h.goto(`${t.baseUrl}/cases`);
    const row = squash((await h.textContent(`tr[data-case="${caseId}"] .cell-due`)) ?? '');
    show('queue row', row);
    expect(row).to.include('Thẻ tạm trú').and.include('quá hạn 2 ngày làm việc');
    await h.setViewportSize({ width: 390, height: 844 });
    for (const url of [`/cases/${caseId}`, `/cases/${caseId}/procedures/residence_card`]) {
      await h.goto(`${t.baseUrl}${url}`);
      await widthIs(h, 390, `HR's ${url}`);
    }
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('HR holds her case and resumes it, each with a reason she is told, from the keyboard; a double click holds once', async () => {
    const cal = await loadCalendar();
    const now = t.ctx.now();
    const h = watch(await browser.page({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } }));
    await staffSignsIn(h, t.baseUrl, hr);
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    const reviewKey = vnDateKey(cal.addWorkingDays(now, 10));
    const holdWhy = 'Ông/Bà báo hộ chiếu cần gia hạn trước khi làm thẻ tạm trú; viện tạm dừng hồ sơ đến khi có hộ chiếu mới.';
    await h.focus('#f-reviewBy');
    await h.fill('#f-reviewBy', reviewKey);
    await tabTo(h, '#f-reason-put_on_hold');
    await h.keyboard.type(holdWhy);
    await tabTo(h, 'button[data-action="put_on_hold"]');
    await Promise.all([h.waitForNavigation(), h.keyboard.press('Enter')]);
    await h.waitForLoadState('load');
    await shot(h, 'hr-hold-confirm');
    await Promise.all([h.waitForNavigation(), h.dblclick('#confirm-step')]);
    await h.waitForLoadState('load');
    await back(h);
    const held = (await Case.findById(caseId).lean())!;
    expect(held.stage).to.equal('on_hold');
    expect(held.history.filter((x) => x.action === 'put_on_hold'), 'a double click holds once').to.have.length(1);
    expect(held.history.at(-1)!.note).to.equal(holdWhy);
    const [holdMail, ...moreHold] = await mails();
    expect(moreHold).to.have.length(0);
    const viDay = (key: string) => `${Number(key.slice(8))}/${Number(key.slice(5, 7))}/${key.slice(0, 4)}`;
    expect(holdMail!.text).to.include(`chậm nhất vào ngày ${viDay(reviewKey)} (còn 10 ngày làm việc)`).and.include(`Lý do: ${holdWhy}`);
    // Walk s35 #4: her card's file is with the police; the hold does not stop the authority.
    expect(holdMail!.text).to.include('Hồ sơ thẻ tạm trú đã nộp cho cơ quan có thẩm quyền không dừng theo: cơ quan đó vẫn giải quyết theo thời hạn của pháp luật');
    await linksOpen(holdMail!.text);
    const p = await phone();
    const heldPage = await myPage(p, 'held');
    expect(heldPage).to.include(holdWhy).and.include(viDay(reviewKey));

    // Resumed three working days later.
    moveClockTo(cal.addWorkingDays(now, 3));
    await staffSignsIn(h, t.baseUrl, hr);
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    const resumeWhy = 'Ông/Bà đã gửi hộ chiếu mới; viện tiếp tục các thủ tục còn lại.';
    await h.focus('#f-reason-resume');
    await h.keyboard.type(resumeWhy);
    await tabTo(h, 'button[data-action="resume"]');
    await Promise.all([h.waitForNavigation(), h.keyboard.press('Enter')]);
    await h.waitForLoadState('load');
    if (await h.$('#confirm-step')) await Promise.all([h.waitForNavigation(), h.dblclick('#confirm-step')]);
    await h.waitForLoadState('load');
    const resumed = (await Case.findById(caseId).lean())!;
    expect(resumed.stage).to.equal('onboarding');
    expect(resumed.history.filter((x) => x.action === 'resume'), 'resumed once').to.have.length(1);
    const hrText = await mainText(h);
    show('HR after resume', hrText);
    await shot(h, 'hr-resumed');
    expect(hrText, 'both reasons on the staff timeline').to.include(holdWhy).and.include(resumeWhy);
    const [resumeMail, ...moreResume] = await mails();
    expect(moreResume).to.have.length(0);
    expect(resumeMail!.text).to.include(resumeWhy).and.match(/ngày làm việc/);
    // Walk s35 #3: her card, overdue with the police, is said with its working days, as her page says it.
    expect(resumeMail!.text).to.match(/Thẻ tạm trú: cơ quan có thẩm quyền chưa có quyết định trong thời hạn luật định \(hạn \d+\/\d+\/20\d\d, quá hạn \d+ ngày làm việc\)/);
    await linksOpen(resumeMail!.text);
    const p2 = await phone();
    const after = await myPage(p2, 'resumed');
    expect(after).to.include(resumeWhy).and.include(holdWhy);
    // Minor, left (walk s35): back after a confirmation page (a POST's answer) shows Chromium's "confirm resubmission" page; nothing is sent again.
    show('back onto a POST answer', backToPost.join('\n'));
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });
});
