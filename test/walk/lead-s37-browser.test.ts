// Walk s37: an institute leader's week, in Chromium, in Vietnamese, at 1280 px (and the deputy once
// on a 768 px tablet), over two calls and twelve candidates at every stage (./lead-world.ts). What the
// leader relies on is asserted: the home and dashboard say what waits for a decision and which legal
// procedures are near or past their deadline, in working days, and their figures agree with the
// queue and the case pages (counted by hand from the world); the ranked shortlist compares three, says
// a tie and an incomplete panel; each decision needs a reason (empty, blank and zero-width refused
// beside the field, the typed kept) and is taken once whatever the back button, a reload or a second
// tab do; the deputy decides while the leader is away; every decision's reason is on HR's timeline
// with who and when, and what the applicant reads (page and e-mail, English or Vietnamese "Ông/Bà")
// says what changed and what comes next; the steering report counts the week.
// WALK=1 prints pages and e-mails; screenshots go to $WALK_SHOTS (default test-results/screenshots).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { applicantSignsIn, clickAndWait, staffSignsIn, useBrowser, watchPage } from '../support/browser.ts';
import { BAN, shots, show, squash } from './kit.ts';
import { focusProblem, pageProblems } from '../support/page-checks.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { loadCalendar, vnDateKey } from '../../server/calendar/index.ts';
import { deliver } from '../applications/support.ts';
import { leadWorld, type LeadWorld } from './lead-world.ts';


describe('walk s37: an institute leader\'s week over two calls, and each applicant told what changed', function () {
  this.timeout(300_000);
  const browser = useBrowser();
  let t: TestApp;
  let w: LeadWorld;
  const errors: string[] = [];
  /** Every page's problems (page-checks.ts), asserted empty at the end of each step. */
  const problems: string[] = [];

  before(async function () {
    this.timeout(120_000);
    mkdirSync(shots, { recursive: true });
    t = await startTestApp();
    w = await leadWorld(t);
    // The seeding's own e-mails out of the way of the walk's.
    for (const c of Object.values(w.cases)) await deliver(t, c._id);
    t.smtp.messages.splice(0);
  });
  after(async () => {
    await t?.close();
  });

  const watch = (page: Page) => watchPage(page, errors, [404, 409, 422]);
  const mainText = async (p: Page) => squash((await p.textContent('main'))!);
  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(shots, `lead-s37-${name}.png`), fullPage: true });
  /** The page as it stands held to page-checks.ts; a tablet's pages keep to its width too. */
  const check = async (p: Page, lang: 'vi' | 'en' = 'vi') => {
    const width = p.viewportSize()?.width ?? 1280;
    problems.push(...(await pageProblems(p, { lang, noSideScroll: width <= 768 })));
  };
  const visit = async (p: Page, url: string, lang: 'vi' | 'en' = 'vi') => {
    const res = await p.goto(`${t.baseUrl}${url}`);
    await check(p, lang);
    return res!;
  };
  const refused = async (p: Page) => {
    await check(p);
    problems.push(...(await focusProblem(p)));
  };
  const expectNoProblems = () => {
    const found = problems.splice(0);
    expect(found, found.join('\n')).to.deep.equal([]);
    expect(errors, errors.join('\n')).to.deep.equal([]);
  };
  const staff = async (u: UserDoc, width = 1280, ctx?: BrowserContext) => {
    const p = watch(ctx ? await ctx.newPage() : await browser.page({ locale: 'vi-VN', viewport: { width, height: 900 } }));
    await staffSignsIn(p, t.baseUrl, u);
    await check(p);
    return p;
  };
  /** A figure table's rows as [label, ...cells]. */
  const tableRows = (p: Page, id: string) => p.$$eval(`#table-${id} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
  const id = (key: string) => String(w.cases[key]!._id);
  const caseUrl = (call: 'A' | 'B', key: string) => `/shortlists/${call === 'A' ? w.callA._id : w.callB._id}/cases/${id(key)}`;

  /** The e-mails the case owes, delivered; those to its applicant returned, a Vietnamese reader's held to Ông/Bà. */
  const mailsTo = async (key: string) => {
    await deliver(t, w.cases[key]!._id);
    const who = w.applicants[key]!;
    const mine = t.smtp.messages.filter((m) => m.to.includes(who.email));
    t.smtp.messages.splice(0);
    for (const m of mine) {
      show(`e-mail ${key}: ${m.subject}`, m.text);
      if (who.locale === 'vi') {
        expect(`${m.subject}\n${m.text}`, `${m.subject}: Ông/Bà`).to.include('Ông/Bà');
        expect(`${m.subject}\n${m.text}`, `${m.subject}: never "bạn"`).to.not.match(BAN);
      }
    }
    return mine;
  };
  /** The applicant's own page, as they read it (their language); its text. */
  const applicantReads = async (key: string) => {
    const u = w.applicants[key]!;
    const lang = u.locale === 'en' ? 'en' : 'vi';
    const me = watch(await browser.page({ locale: lang === 'en' ? 'en-GB' : 'vi-VN', viewport: { width: 390, height: 844 } }));
    await applicantSignsIn(me, t.baseUrl, u.email);
    await me.goto(`${t.baseUrl}/applications/${id(key)}`);
    problems.push(...(await pageProblems(me, { lang, noSideScroll: true })));
    const text = await mainText(me);
    show(`applicant page ${key}`, text);
    if (lang === 'vi') expect(text, 'Ông/Bà, never "bạn"').to.not.match(BAN);
    return text;
  };

  it('Monday: the home and the dashboard say what waits for the leader and which procedures are near their deadline; the figures agree with the queue and the case pages', async () => {
    const ld = await staff(w.leader);
    // Counted by hand from the world: in evaluation Huy and Sofia (A) and Minh (B); shortlisted Kenji, Trang and Lukas (A); Linh is held.
    const home = await mainText(ld);
    show('leader home', home);
    const waiting = await ld.$$eval('[data-decisions]', (lis) => lis.map((li) => [li.getAttribute('data-decisions'), (li.querySelector('.work-figure')?.textContent ?? '').trim()]));
    expect(waiting).to.deep.equal([['evaluation', '3'], ['shortlisted', '3']]);
    await clickAndWait(ld, '[data-decisions=shortlisted] a');
    await check(ld);
    // The shortlists page splits them per call (walk s37: it had no shortlisted column, so the home's second figure was found nowhere):
    // A has Huy and Sofia in evaluation and Kenji, Trang and Lukas shortlisted; B has Minh in evaluation.
    const perCall = await ld.$$eval('main table tbody tr', (trs) => trs.map((tr) => [(tr.querySelector('th a')?.textContent ?? '').trim(), (tr.querySelector('[data-count=evaluation]')?.textContent ?? '').trim(), (tr.querySelector('[data-count=shortlisted]')?.textContent ?? '').trim()]));
    show('shortlists', JSON.stringify(perCall));
    expect(perCall).to.have.deep.members([['Chuyên gia vật liệu bán dẫn', '2', '3'], ['Kỹ sư pin lưu trữ', '1', '0']]);
    // Each figure opens the call's list at that stage, with the candidates counted.
    await clickAndWait(ld, `a[href="/shortlists/${w.callA._id}?stage=shortlisted"]`);
    await check(ld);
    expect(await ld.$$eval('tr[data-case]', (trs) => trs.map((tr) => tr.getAttribute('data-case')))).to.have.members([id('kenji'), id('trang'), id('lukas')]);
    await visit(ld, '/shortlists');
    await clickAndWait(ld, `a[href="/shortlists/${w.callB._id}?stage=evaluation"]`);
    expect(await ld.$$eval('tr[data-case]', (trs) => trs.map((tr) => tr.getAttribute('data-case')))).to.deep.equal([id('minh')]);

    await visit(ld, '/dashboard');
    const dash = await mainText(ld);
    show('dashboard', dash);
    await shot(ld, 'dashboard-1280');
    expect(dash).to.include('12 hồ sơ đã nộp');
    const stages = Object.fromEntries((await tableRows(ld, 'funnel')).map(([label, now]) => [label, now]));
    show('stages now', JSON.stringify(stages));
    // By hand: 1 screening (Anh), 3 evaluation, 3 shortlisted, 1 offer (Châu), 2 onboarding (Priya, Erik), 1 rejected (Mark), 1 held (Linh).
    expect(stages).to.include({ 'Sơ tuyển': '1', 'Đánh giá': '3', 'Danh sách rút gọn': '3', 'Lời mời làm việc': '1', 'Tiếp nhận': '2', 'Không được chọn': '1', 'Tạm dừng': '1' });
    // Procedures: Erik's visa is past its decision date (filed 9 working days ago, 5 allowed); Priya's work permit runs.
    const procedures = Object.fromEntries((await tableRows(ld, 'overdue')).map(([label, open, late]) => [label, [open, late]]));
    show('procedures', JSON.stringify(procedures));
    expect(procedures['Thị thực']![1], 'one visa overdue').to.equal('1');
    expect(procedures['Giấy phép lao động']).to.deep.equal(['1', '0']);
    // The dashboard's link opens the cases behind the overdue figure: Erik's, with the working days it is late.
    await clickAndWait(ld, '#overdue-cases');
    await check(ld);
    const late = await ld.$$eval('tr[data-case], tbody tr', (trs) => trs.map((tr) => (tr.textContent ?? '').replace(/\s+/g, ' ').trim()));
    show('overdue queue', late.join('\n'));
    expect(late.filter((r) => r.includes('TA-')), 'the overdue figure is one case').to.have.length(1);
    expect(late.find((r) => r.includes('Erik Johansson'))).to.include('Thị thực').and.include('quá hạn 4 ngày làm việc');
    // What is near its deadline, from the dashboard (walk s37: it linked only what was past): within 7 working days,
    // Priya's work permit alone, filed 4 working days ago and decided within 10 (the procedure page's count); Erik's visa is past.
    await visit(ld, '/dashboard');
    await clickAndWait(ld, '#soon-cases');
    await check(ld);
    const soon = await ld.$$eval('tbody tr', (trs) => trs.map((tr) => (tr.textContent ?? '').replace(/\s+/g, ' ').trim()).filter((r) => r.includes('TA-')));
    show('due soon', soon.join('\n'));
    expect(soon, 'one case near its deadline').to.have.length(1);
    expect(soon[0]).to.include('Priya Raman').and.match(/Giấy phép lao động: cơ quan có thẩm quyền quyết định\s*còn 6 ngày làm việc/);
    // Within a call, the dashboard's links keep it: battery call B holds both procedures.
    await visit(ld, `/dashboard?call=${w.callB._id}`);
    expect(await ld.getAttribute('#overdue-cases', 'href')).to.equal(`/cases?procedures=1&call=${w.callB._id}`);
    expect(await ld.getAttribute('#soon-cases', 'href')).to.equal(`/cases?soon=1&call=${w.callB._id}`);
    // Erik's case page says the same of his visa.
    await visit(ld, `/cases/${id('erik')}`);
    const erik = await mainText(ld);
    show('erik case', erik.slice(0, 3000));
    expect(erik).to.include('Thị thực').and.match(/quá hạn 4 ngày làm việc/);
    expectNoProblems();
  });

  /** Ticks a decision, types its reason and continues to the confirmation page; the page it lands on. */
  const proposes = async (p: Page, action: string, reason: string) => {
    await p.check(`input[name=action][value=${action}]`);
    await p.fill('#f-reason', reason);
    await clickAndWait(p, '.decision-form button[type=submit]');
  };
  const taken = async (key: string, action: string) => (await Case.findById(id(key)).lean())!.history.filter((h) => h.action === action);

  it('Tuesday: the ranked shortlist compares three, says a tie and an incomplete panel; an offer and a rejection each need a reason and are decided once, whatever Back, Reload or a second tab do', async () => {
    const ctx = await browser.context({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } });
    const ld = await staff(w.leader, 1280, ctx);
    await visit(ld, `/shortlists/${w.callA._id}`);
    await shot(ld, 'shortlist-1280');
    const ranked = await ld.$$eval('tr[data-case]', (trs) => trs.map((tr) => tr.getAttribute('data-case')));
    // By the panel's weighted means: Kenji and Châu 4.80, Trang and Lukas 3.80 (tied: no publications either, Trang applied first); Huy and Sofia hidden until the leader scores.
    expect(ranked.slice(0, 4), 'ranked by the panel\'s score, the tie by the earlier application').to.deep.equal([id('kenji'), id('chau'), id('trang'), id('lukas')]);
    expect(ranked.slice(4)).to.have.members([id('huy'), id('sofia')]);
    for (const key of ['trang', 'lukas']) expect(squash((await ld.textContent(`tr[data-case="${id(key)}"]`))!), `${key}: the tie said`).to.include('Bằng điểm').and.include('3,80');
    // Three compared, chosen on the list.
    for (const key of ['kenji', 'trang', 'lukas']) await ld.check(`#sel-${id(key)}`);
    await clickAndWait(ld, '#compare-form button[type=submit]');
    await check(ld);
    const compared = await mainText(ld);
    show('compare', compared);
    await shot(ld, 'compare-1280');
    expect(compared).to.match(/Kenji Watanabe.*Lê Thu Trang.*Lukas Becker/).and.include('4,803,803,80');
    // Huy's panel is incomplete (1 of the 2 complete scorecards the call asks): the leader is told so, and the decision is closed.
    await visit(ld, caseUrl('A', 'huy'));
    expect(squash((await ld.textContent('#panel-scores'))!)).to.include('Cần ít nhất 2 phiếu chấm đầy đủ').and.include('hiện có 1');
    expect(await ld.$eval('#decision-inputs', (f) => (f as unknown as { disabled: boolean }).disabled), 'no decision before the panel has scored').to.equal(true);

    // --- Kenji's offer: an empty, a blank and a zero-width reason are each refused beside the field, the choice kept.
    await visit(ld, caseUrl('A', 'kenji'));
    const kenjiVersion = (await Case.findById(id('kenji')).lean())!.version;
    for (const [what, reason] of [['empty', ''], ['blank', '   \n\t  '], ['zero-width', '\u200B\u200B\u200C\u200D\u2060\uFEFF\u200B\u200B\u200B\u200B\u200B']] as const) {
      await proposes(ld, 'approve_offer', reason);
      show(`refused (${what})`, await mainText(ld));
      await refused(ld);
      expect(squash((await ld.textContent('#f-reason-error')) ?? ''), `${what}: said beside the reason`).to.match(/lý do|Lý do/);
      expect(await ld.getAttribute('#f-reason', 'aria-describedby'), `${what}: the error read with the field`).to.include('f-reason-error');
      expect(await ld.isChecked('input[name=action][value=approve_offer]'), `${what}: the choice kept`).to.equal(true);
      expect((await Case.findById(id('kenji')).lean())!.version, `${what}: nothing decided`).to.equal(kenjiVersion);
    }
    // A reason too short is refused with what was typed kept; zero-width padding does not make it longer.
    for (const short of ['Tốt.', `Tốt.${'\u200B'.repeat(8)}`]) {
      await proposes(ld, 'approve_offer', short);
      await refused(ld);
      expect(squash((await ld.textContent('#f-reason-error')) ?? '')).to.include('Lý do quá ngắn');
      expect(await ld.inputValue('#f-reason')).to.equal(short);
    }
    expect((await Case.findById(id('kenji')).lean())!.version, 'nothing decided').to.equal(kenjiVersion);
    const offerReason = 'Điểm hội đồng cao nhất đợt; ngân sách năm 2027 đã có cho vị trí này.';
    await proposes(ld, 'approve_offer', offerReason);
    await check(ld);
    const confirmUrl = ld.url();
    expect(new URL(confirmUrl).pathname, 'the confirmation page is a GET of its own (Post/Redirect/Get)').to.match(/\/decision\/confirm\/[\w-]+$/);
    expect(squash((await ld.textContent('#confirm-reason'))!)).to.equal(offerReason);
    // Reload the confirmation: the same page, nothing decided.
    await ld.reload();
    await check(ld);
    expect(await taken('kenji', 'approve_offer'), 'a reload decides nothing').to.have.length(0);
    // A second tab on the same confirmation.
    const tab2 = watch(await ctx.newPage());
    await visit(tab2, new URL(confirmUrl).pathname);
    expect(await tab2.$('#confirm-decision'), 'the second tab shows the confirmation').to.not.equal(null);
    await Promise.all([ld.waitForNavigation(), ld.dblclick('#confirm-decision')]);
    await ld.waitForLoadState('load');
    await check(ld);
    expect(await taken('kenji', 'approve_offer'), 'a double click decides once').to.have.length(1);
    // Back to the confirmation, and Reload: the case as it is now, nothing sent again.
    await ld.goBack();
    await ld.waitForLoadState('load');
    await check(ld);
    show('back after confirming', await mainText(ld));
    expect(new URL(ld.url()).pathname, 'Back finds the confirmation gone').to.equal(caseUrl('A', 'kenji'));
    expect(await mainText(ld), 'and says nothing was done from it').to.include('Trang xác nhận này không còn hiệu lực: chưa có gì được thực hiện');
    await ld.reload();
    // The second tab's confirm comes too late: nothing done, said.
    await clickAndWait(tab2, '#confirm-decision');
    await check(tab2);
    show('second tab', await mainText(tab2));
    expect(new URL(tab2.url()).pathname).to.equal(caseUrl('A', 'kenji'));
    expect(await mainText(tab2), 'the second tab is told nothing was done').to.include('Trang xác nhận này không còn hiệu lực: chưa có gì được thực hiện');
    const kenji = (await Case.findById(id('kenji')).lean())!;
    expect(kenji.stage).to.equal('offer');
    expect(kenji.history.filter((h) => h.action === 'approve_offer'), 'decided once in all').to.have.length(1);
    expect(kenji.history.at(-1)!.note).to.equal(offerReason);
    // Kenji reads English: the offer, what to do next and by when, never the internal reason.
    const kenjiMail = await mailsTo('kenji');
    expect(kenjiMail, 'one e-mail for the offer').to.have.length(1);
    expect(kenjiMail[0]!.text).to.match(/offer/i).and.match(/\d+ working days?/).and.not.include('ngân sách');
    expect(await applicantReads('kenji')).to.match(/offer/i).and.not.include('ngân sách');

    // --- Lukas, tied with Trang, rejected: the reason internal, the words for him edited on the confirmation page.
    await visit(ld, caseUrl('A', 'lukas'));
    const rejectReason = 'Bằng điểm với ứng viên Lê Thu Trang; hướng nghiên cứu của ứng viên kia gần với phòng thí nghiệm mới hơn.';
    await proposes(ld, 'reject', rejectReason);
    await check(ld);
    const toldLukas = 'The panel rated your application highly; another candidate\'s research is closer to the new laboratory\'s work.';
    await ld.fill('#f-toldReason', toldLukas);
    await clickAndWait(ld, '#told-refresh');
    await check(ld);
    expect(squash((await ld.textContent('#preview-told'))!)).to.equal(toldLukas);
    await Promise.all([ld.waitForNavigation(), ld.dblclick('#confirm-decision')]);
    await ld.waitForLoadState('load');
    await check(ld);
    const lukas = (await Case.findById(id('lukas')).lean())!;
    expect(lukas.stage).to.equal('rejected');
    expect(lukas.history.filter((h) => h.action === 'reject')).to.have.length(1);
    expect(lukas.history.at(-1)!.note).to.equal(rejectReason);
    const [lukasMail, ...moreLukas] = await mailsTo('lukas');
    expect(moreLukas).to.have.length(0);
    expect(lukasMail!.text).to.include('Dear Lukas Becker').and.include(toldLukas).and.not.include('Bằng điểm');
    expect(await applicantReads('lukas')).to.include(toldLukas).and.not.include('Bằng điểm');
    expectNoProblems();
  });

  it('Wednesday, the leader away: the deputy decides on a tablet; the leader finds who decided, when and why on the dashboard and HR\'s timeline; the applicant is told in Vietnamese', async () => {
    const dp = await staff(w.deputy, 768);
    // The deputy's home and dashboard on the tablet: the same figures as the leader's (per institute).
    expect(await dp.$$eval('[data-decisions]', (lis) => lis.map((li) => (li.querySelector('.work-figure')?.textContent ?? '').trim()))).to.deep.equal(['3', '1']);
    await visit(dp, '/dashboard');
    await shot(dp, 'deputy-dashboard-768');
    await visit(dp, `/shortlists/${w.callA._id}`);
    await shot(dp, 'deputy-shortlist-768');
    await visit(dp, caseUrl('A', 'trang'));
    await shot(dp, 'deputy-case-768');
    const deputyReason = 'GS. Minh đi công tác; theo ủy quyền: ứng viên bằng điểm được chọn vì hướng nghiên cứu gần phòng thí nghiệm mới.';
    await proposes(dp, 'approve_offer', deputyReason);
    await check(dp);
    await shot(dp, 'deputy-confirm-768');
    await Promise.all([dp.waitForNavigation(), dp.click('#confirm-decision')]);
    await dp.waitForLoadState('load');
    await check(dp);
    const trang = (await Case.findById(id('trang')).lean())!;
    expect(trang.stage).to.equal('offer');
    expect(String(trang.history.at(-1)!.actor)).to.equal(String(w.deputy._id));
    const [trangMail, ...moreTrang] = await mailsTo('trang');
    expect(moreTrang).to.have.length(0);
    expect(trangMail!.text).to.include('Kính gửi Ông/Bà Lê Thu Trang').and.include('lời mời làm việc').and.match(/ngày làm việc/).and.not.include('ủy quyền');
    expect(await applicantReads('trang')).to.include('Đã mời làm việc').and.not.include('ủy quyền');

    // Back on Thursday: the leader's dashboard names the deputy beside her reason.
    const ld = await staff(w.leader);
    await visit(ld, '/dashboard');
    const recent = await ld.$$eval('main table', (ts) => ts.map((tbl) => (tbl.textContent ?? '').replace(/\s+/g, ' ')).find((x) => x.includes('Người quyết định')) ?? '');
    show('recent decisions', recent);
    expect(recent).to.include(w.cases.trang!.reference).and.include(deputyReason).and.include('PGS. Đỗ Thị Hạnh');
    // HR's timeline: who, when, why, for each decision of the week.
    const hr = await staff(w.hr);
    for (const [key, who, reason] of [['trang', 'PGS. Đỗ Thị Hạnh', deputyReason], ['kenji', 'GS. Lê Văn Minh', 'Điểm hội đồng cao nhất đợt'], ['lukas', 'GS. Lê Văn Minh', 'Bằng điểm với ứng viên Lê Thu Trang']] as const) {
      await visit(hr, `/cases/${id(key)}`);
      const timeline = squash((await hr.textContent('#timeline, section[aria-labelledby="timeline-h"]').catch(() => null)) ?? (await mainText(hr)));
      show(`HR timeline ${key}`, timeline.slice(0, 1200));
      expect(timeline, `${key}: who and why`).to.include(who).and.include(reason);
      expect(timeline, `${key}: when`).to.match(/\d{1,2}\/\d{1,2}\/\d{4}, \d{2}:\d{2}/);
    }
    expectNoProblems();
  });

  it('Thursday, a decision to change: the leader is told what can be changed and by whom; HR resumes the candidate the leader held, who reads in Vietnamese what changed and what comes next; the timeline says who, when, why', async () => {
    const ld = await staff(w.leader);
    // This walk found no reversal of a rejection nor withdrawal of an offer (walk s37 #2, #3): now the
    // rejection of this week can be reconsidered (within 30 days), the offer withdrawn, each the only decision offered.
    for (const [key, only] of [['lukas', 'reconsider'], ['chau', 'withdraw_offer']] as const) {
      await visit(ld, caseUrl('A', key));
      const options = await ld.$$eval('.decision-form input[name="action"]', (els) => els.map((e) => e.getAttribute('value') ?? ''));
      expect(options, key).to.deep.equal([only]);
    }
    // Linh, held on Monday while the 2027 budget was awaited: the budget came, the leader asks HR to resume her case.
    await visit(ld, caseUrl('B', 'linh'));
    const held = await mainText(ld);
    show('leader, linh held', held);
    expect(held, 'who held it, and the review day').to.include('GS. Lê Văn Minh').and.include('Tạm dừng');
    const hr = await staff(w.hr);
    await visit(hr, `/cases/${id('linh')}`);
    const resumeNote = 'Ngân sách năm 2027 đã được phê duyệt; hồ sơ của Ông/Bà trở lại danh sách rút gọn để lãnh đạo viện quyết định về lời mời làm việc.';
    await hr.fill('#f-reason-resume', resumeNote);
    await clickAndWait(hr, 'button[data-action="resume"]');
    if (await hr.$('#confirm-step')) await clickAndWait(hr, '#confirm-step');
    await check(hr);
    const linh = (await Case.findById(id('linh')).lean())!;
    expect(linh.stage, 'back to the shortlist').to.equal('shortlisted');
    expect(linh.history.at(-1)!.action).to.equal('resume');
    const timeline = squash((await hr.textContent('section[aria-labelledby="timeline-h"], #timeline').catch(() => null)) ?? (await mainText(hr)));
    show('HR timeline linh', timeline.slice(0, 1500));
    expect(timeline).to.match(/Tiếp tục.*Trần Thu Hà/).and.include(resumeNote).and.include('Chờ ngân sách năm 2027.');
    const [linhMail, ...moreLinh] = await mailsTo('linh');
    expect(moreLinh).to.have.length(0);
    expect(linhMail!.text).to.include('Kính gửi Ông/Bà Đặng Mai Linh').and.include(resumeNote).and.match(/danh sách rút gọn/);
    const page = await applicantReads('linh');
    expect(page).to.include(resumeNote).and.include('Vào danh sách rút gọn').and.include('Lãnh đạo viện đang xem xét lời mời làm việc').and.not.include('Chờ ngân sách năm 2027.');
    // The decision is the leader's again: the shortlist's page opens it.
    await visit(ld, caseUrl('B', 'linh'));
    expect(await ld.$('.decision-form'), 'the leader decides on Linh again').to.not.equal(null);
    expectNoProblems();
  });

  it('Friday: the steering report for the week counts what happened', async () => {
    const cal = await loadCalendar();
    const now = new Date();
    const ld = await staff(w.leader);
    const from = vnDateKey(cal.addWorkingDays(now, -4));
    const to = vnDateKey(now);
    await visit(ld, `/dashboard?from=${from}&to=${to}`);
    const href = (await ld.getAttribute('a[href^="/reports/steering.csv?"]', 'href'))!;
    const csv = (await (await ld.request.get(`${t.baseUrl}${href}`)).text()).replace(/^\uFEFF/, '');
    show('steering csv', csv);
    const rows = csv.split('\r\n');
    const row = (label: string) => rows.find((r) => r.startsWith(`${label},`)) ?? `${label}: missing`;
    expect(row('Số hồ sơ đã nộp')).to.equal('Số hồ sơ đã nộp,12');
    // Decided without the panel's scores: the seven shortlistings and Mark's rejection, all taken in evaluation (the offers and the hold saw the scores).
    expect(csv).to.match(/không xem điểm của hội đồng[^\r\n]*,8\r\n/);
    // By hand, now and reached: shortlisted now Linh (resumed), reached by the seven the leaders shortlisted;
    // offers now Châu, Kenji and Trang, reached by those and Priya and Erik (onboarding); rejected Mark and Lukas; held once (Linh).
    expect(row('Danh sách rút gọn')).to.equal('Danh sách rút gọn,1,7');
    expect(row('Lời mời làm việc')).to.equal('Lời mời làm việc,3,5');
    expect(row('Tiếp nhận')).to.equal('Tiếp nhận,2,2');
    expect(row('Không được chọn')).to.equal('Không được chọn,2,2');
    expect(row('Tạm dừng')).to.equal('Tạm dừng,0,1');
    expect(row('Đánh giá')).to.equal('Đánh giá,3,11');
    await clickAndWait(ld, 'a[href^="/reports/steering?"]');
    await check(ld);
    const printable = await mainText(ld);
    show('steering page', printable);
    await shot(ld, 'steering-1280');
    expectNoProblems();
  });
});
