// HR's case page, as walk 28 found it (#3, #6, #17), over HTTP against the real app: the reasons
// the applicant is told say which language to write them in (the applicant's, on the case page and
// the confirmation page, as the document and message forms do); the Decisions panel lists every
// decision on the case (which, who and in what role, when, the internal reason, what the applicant
// was told), never calling told what their page keeps internal; amounts read as the page's language
// writes numbers.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, postConfirmed, versionIn, text, holdReviewDay } from '../applications/support.ts';

const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

/** The Decisions panel's entries, newest first: each one's words. */
function decisions(html: string): string[] {
  const at = html.indexOf('id="decisions"');
  if (at < 0) return [];
  const panel = html.slice(at, html.indexOf('</section>', at));
  return panel.split('<li class="decision"').slice(1).map(words);
}

describe('cases: HR decisions panel, reason language and amounts (walk 28)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let hr: UserDoc;
  let hrVi: UserDoc;
  let leader: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer One', locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Trần Thu Hà', locale: 'vi' });
    leader = await createUser({ role: 'leader', institute, name: 'Director Ha', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  it('says, beside the reject and hold reasons the applicant is told, that they read English: write in English (case page and confirmation page)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening', assignee: hr });
    const a = await signedIn(t, hrVi);
    const p = await page(a, `/cases/${c._id}`);
    const body = words(p.text);
    // Vietnamese page, English applicant: said once per reason field told to them (reject at screening, hold).
    const hint = 'Ứng viên sẽ được biết lý do này, qua e-mail và trên trang của họ. Ứng viên được báo bằng tiếng Anh: hãy viết lý do bằng ngôn ngữ đó.';
    expect(body.split(hint).length - 1).to.equal(2);
    const url = `/cases/${c._id}/actions/put_on_hold`;
    const shown = await post(a, p.text, url, { version: versionIn(p.text, url), reason: 'Waiting for the 2027 budget.', reviewBy: holdReviewDay() });
    expect(shown.status).to.equal(200);
    expect(words(shown.text)).to.include(hint);

    // Vietnamese applicant, English page.
    const viApplicant = await createUser({ role: 'applicant', locale: 'vi' });
    const v = await createCase({ applicant: viApplicant, call, stage: 'screening', assignee: hr });
    const en = words((await page(await signedIn(t, hr), `/cases/${v._id}`)).text);
    expect(en).to.include('The applicant is told this reason, by e-mail and on their page. The applicant is told in Vietnamese: write the reason in that language.');
  });

  it('lists every decision: which, who (name and role), when, the internal reason and what the applicant was told', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c0 = await createCase({ applicant, call, stage: 'screening', assignee: hr });
    const a = await signedIn(t, hr);
    // HR holds the case (told), then resumes it with no note.
    let p = await page(a, `/cases/${c0._id}`);
    const held = await postConfirmed(a, p.text, c0._id, 'put_on_hold', { version: versionIn(p.text, `/cases/${c0._id}/actions/put_on_hold`), reason: 'Waiting for the 2027 budget decision.', reviewBy: holdReviewDay() });
    expect(held.confirmed.status).to.equal(303);
    p = await page(a, `/cases/${c0._id}`);
    expect((await post(a, p.text, `/cases/${c0._id}/actions/resume`, { version: versionIn(p.text, `/cases/${c0._id}/actions/resume`), reason: '' })).status).to.equal(303);
    // To the panel, then the leader shortlists (internal reason) and rejects (internal reason, and the text for the candidate).
    let c = (await Case.findById(c0._id))!;
    c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: c._id, action: 'send_to_evaluation', expectedVersion: c.version });
    c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'shortlist', expectedVersion: c.version, payload: { note: 'Ranked second; strong lab plan.' }, asDecision: true });
    c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'reject', expectedVersion: c.version, payload: { reason: 'Budget covers one post only; the first-ranked accepted.', toldReason: 'Thank you for your application. The institute has chosen another candidate for this post.' }, asDecision: true });

    const html = (await page(a, `/cases/${c._id}`)).text;
    const list = decisions(html);
    expect(list).to.have.length(4);
    const [reject, shortlist, resume, hold] = list;
    expect(reject).to.include('Rejected').and.include('Director Ha (Institute leader)');
    expect(reject).to.include('Reason (internal): Budget covers one post only; the first-ranked accepted.');
    expect(reject).to.include('Told to the applicant: Thank you for your application. The institute has chosen another candidate for this post.');
    expect(shortlist).to.include('Shortlisted').and.include('Director Ha (Institute leader)');
    expect(shortlist).to.include('Reason (internal): Ranked second; strong lab plan.');
    expect(shortlist).to.include('Told to the applicant: the decision, with no reason given');
    expect(resume).to.include('Resumed').and.include('Officer One (HR officer)').and.not.include('Reason (internal)');
    expect(hold).to.include('Put on hold').and.include('Officer One (HR officer)');
    expect(hold).to.include('Told to the applicant: Waiting for the 2027 budget decision.');
    expect(hold).not.to.include('Reason (internal)');
    // When: each entry's time as the app writes it (en: "6 Dec 2026, 14:05 (UTC+7)").
    for (const e of list) expect(e).to.match(/\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} \(UTC\+7\)/);

    // In Vietnamese for a Vietnamese officer: the labels and roles translated, the texts as written.
    const vi = decisions((await page(await signedIn(t, hrVi), `/cases/${c._id}`)).text);
    expect(vi[0]).to.include('Không chọn').and.include('Director Ha (Lãnh đạo viện)');
    expect(vi[0]).to.include('Lý do (nội bộ): Budget covers one post only');
    expect(vi[0]).to.include('Nội dung báo cho ứng viên: Thank you for your application.');
    expect(vi[1]).to.include('Nội dung báo cho ứng viên: quyết định, không kèm lý do');
    expect(vi[0]).to.match(/\d{1,2}\/\d{1,2}\/\d{4}, \d{2}:\d{2} \(UTC\+7\)/);

    // The leader's page reads the same decisions (one reader): the panel's only, oldest first, the
    // same reasons and told words (in the applicant's language), never HR's hold or resume.
    const lp = (await page(await signedIn(t, leader), `/shortlists/${call._id}/cases/${c._id}`)).text;
    const section = /<ol class="plain decision-history" id="decision-history"[^>]*>([\s\S]*?)<\/ol>/.exec(lp)?.[1] ?? '';
    expect([...section.matchAll(/data-decision="([a-z_]+)"/g)].map((m) => m[1])).to.deep.equal(['shortlist', 'reject']);
    const taken = section.split('<li class="card"').slice(1).map(words);
    expect(taken[0]).to.include('Ranked second; strong lab plan.').and.include('Director Ha');
    expect(taken[1]).to.include('Budget covers one post only; the first-ranked accepted.');
    expect(section).to.include('<blockquote class="prewrap decision-told" lang="en">');
    expect(taken[1]).to.include('Thank you for your application. The institute has chosen another candidate for this post.');
    expect(words(section)).not.to.include('Waiting for the 2027 budget decision.');
  });

  it('a rejection at screening: HR\'s reason is what the applicant was told, nothing internal; no panel on a case without decisions', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening', assignee: hr });
    const a = await signedIn(t, hr);
    let p = await page(a, `/cases/${c._id}`);
    expect(p.text).not.to.include('id="decisions"');
    const { confirmed } = await postConfirmed(a, p.text, c._id, 'reject', { version: versionIn(p.text, `/cases/${c._id}/actions/reject`), reason: "Outside the call's field." });
    expect(confirmed.status).to.equal(303);
    p = await page(a, `/cases/${c._id}`);
    const [only, ...rest] = decisions(p.text);
    expect(rest).to.deep.equal([]);
    expect(only).to.include('Rejected').and.include('Officer One (HR officer)');
    expect(only).to.include("Told to the applicant: Outside the call's field.");
    expect(only).not.to.include('Reason (internal)');
  });

  it('writes a project budget as the page\'s language writes amounts (en 2,400,000; vi 2.400.000)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening', assignee: hr, achievements: { projectsLed: [{ title: 'Power electronics', funder: 'European Commission', year: 2023, budgetUsd: 2_400_000 }], publications: [], patents: [] } });
    const en = words((await page(await signedIn(t, hr), `/cases/${c._id}`)).text);
    expect(en).to.include('Power electronics, European Commission (2023) · USD 2,400,000');
    const vi = words((await page(await signedIn(t, hrVi), `/cases/${c._id}`)).text);
    expect(vi).to.include('Power electronics, European Commission (2023) · USD 2.400.000');
    expect(vi).not.to.include('2400000');
  });

  // Product decision (trust-fix #1): a panel member from another institute reads the outcome of each
  // decision (shortlisted, not chosen), never the words: not a leader's internal reason, not HR's, not
  // what either wrote to the applicant. On the case page (Decisions panel and timeline) and on the
  // shortlist's case page; the institute's own staff still read them all.
  it("keeps every written reason from another institute's panel member (case page, timeline, shortlist page), the outcome stays", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c0 = await createCase({ applicant, call, stage: 'screening', assignee: hr });
    const a = await signedIn(t, hr);
    let p = await page(a, `/cases/${c0._id}`);
    const held = await postConfirmed(a, p.text, c0._id, 'put_on_hold', { version: versionIn(p.text, `/cases/${c0._id}/actions/put_on_hold`), reason: 'HR-HOLD-REASON quota frozen.', reviewBy: holdReviewDay() });
    expect(held.confirmed.status).to.equal(303);
    p = await page(a, `/cases/${c0._id}`);
    expect((await post(a, p.text, `/cases/${c0._id}/actions/resume`, { version: versionIn(p.text, `/cases/${c0._id}/actions/resume`), reason: 'HR-RESUME-NOTE quota released.' })).status).to.equal(303);
    let c = (await Case.findById(c0._id))!;
    c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: c._id, action: 'send_to_evaluation', expectedVersion: c.version });
    const outsideLeader = await createUser({ role: 'leader', locale: 'en', name: 'Visiting Leader', panelCalls: [call._id] });
    const outsideHr = await createUser({ role: 'hr_officer', locale: 'vi', name: 'Visiting Officer', panelCalls: [call._id] });
    // Both scored it: a case they scored stays theirs to open once rejected (server/policies/case.ts).
    for (const m of [outsideLeader, outsideHr]) await Evaluation.create({ case: c._id, call: call._id, member: m._id, recommendation: 'yes', comment: 'My own comment.', submittedAt: new Date() });
    c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'shortlist', expectedVersion: c.version, payload: { note: 'LEADER-SHORTLIST-REASON lab plan.' }, asDecision: true });
    const secrets = ['HR-HOLD-REASON', 'HR-RESUME-NOTE', 'LEADER-SHORTLIST-REASON'];
    const check = async (stage: string, all: string[]) => {
      for (const who of [outsideLeader, outsideHr]) {
        const s = await signedIn(t, who);
        const casePage = await page(s, `/cases/${c._id}`);
        // HR's case page is not theirs at all (walk s36): "not found", with nothing of the case.
        expect(casePage.status, `${stage} ${who.name}: case page`).to.equal(404);
        const shortlistPage = await page(s, `/shortlists/${call._id}/cases/${c._id}`);
        expect(shortlistPage.status, `${stage} ${who.name}: shortlist page`).to.equal(200);
        for (const secret of all) {
          expect(casePage.text, `${stage} ${who.name}: case page reads ${secret}`).not.to.include(secret);
          expect(shortlistPage.text, `${stage} ${who.name}: shortlist page reads ${secret}`).not.to.include(secret);
        }
        expect(casePage.text).not.to.include(c.reference);
        // The outcome stays on the shortlist's case page, which says the reasons are the institute's.
        expect(shortlistPage.text).to.include('data-decision="shortlist"').and.not.include('decision-reason"').and.not.include('class="prewrap decision-told"');
        expect(words(shortlistPage.text)).to.include(who.locale === 'vi' ? 'Lý do và nội dung đã gửi chỉ lưu tại viện đã ra quyết định.' : 'The reasons and the words sent are kept to the institute that took the decision.');
        // Their own scorecard stays theirs to read.
        expect(shortlistPage.text).to.include('My own comment.');
      }
      // The institute's own staff read every reason.
      expect((await page(await signedIn(t, hr), `/cases/${c._id}`)).text).to.include(all.at(-1)!).and.include('HR-HOLD-REASON');
      expect((await page(await signedIn(t, leader), `/shortlists/${call._id}/cases/${c._id}`)).text).to.include(all.at(-1)!);
    };
    await check('shortlisted', secrets);
    c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'reject', expectedVersion: c.version, payload: { reason: 'LEADER-REJECT-REASON one post only.', toldReason: 'LEADER-TOLD-WORDS another candidate was chosen.' }, asDecision: true });
    await check('rejected', [...secrets, 'LEADER-REJECT-REASON', 'LEADER-TOLD-WORDS']);
    // An outsider's page says the case was not chosen.
    const seen = words((await page(await signedIn(t, outsideLeader), `/shortlists/${call._id}/cases/${c._id}`)).text);
    expect(seen).to.include('The reasons and the words sent are kept to the institute that took the decision.');
    expect((await page(await signedIn(t, outsideLeader), `/shortlists/${call._id}/cases/${c._id}`)).text).to.include('data-decision="reject"');
  });
});
