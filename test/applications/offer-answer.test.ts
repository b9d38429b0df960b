// Answering an offer is a considered act: each answer has its confirmation page saying what follows,
// only that page's form takes the step (the one-tap form of earlier pages now shows it), a decline
// may carry a reason HR reads on the case page, a double confirmation has one effect, a stale one is
// the conflict page; the offer's answer-by date shows on the applicant's page and in the offer e-mail.
// Real database, real in-process SMTP, the real pages and forms with their CSRF tokens.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { previewTransition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn, deliver, text } from './support.ts';

describe('applications: answering an offer, confirmed, with its answer-by date', () => {
  let t: TestApp;
  let leader: UserDoc;
  let hr: UserDoc;
  let applicant: UserDoc;
  let viApplicant: UserDoc;
  let call: CallDoc;
  // Monday 7 Dec 2026, 09:00 in Vietnam: the offer's 10 working days end on Monday 21 Dec.
  const clock = new Date('2026-12-07T02:00:00Z');

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    leader = await createUser({ role: 'leader', institute });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Reads' });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    viApplicant = await createUser({ role: 'applicant', locale: 'vi' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  /** A case the leader has just made an offer on, as the workflow does it (its deadline and its e-mail owed). */
  async function offered(who: UserDoc): Promise<CaseDoc> {
    // Its terms and letter attached while it was prepared (an acceptance needs them: test/applications/offer-not-ready.test.ts).
    const c = await createCase({ applicant: who, call, stage: 'shortlisted', assignee: hr, offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() } });
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'The panel ranked this candidate first.' }, asDecision: true });
  }

  const offerPanel = (html: string) => text(html.slice(html.indexOf('id="offer"'), html.indexOf('</section>', html.indexOf('id="offer"'))));

  it('shows the answer-by date with the working days left on the offer panel and in the offer e-mail, in English and Vietnamese', async () => {
    const en = await offered(applicant);
    expect(en.stageDueAt?.toISOString().slice(0, 10)).to.equal('2026-12-21');
    const panel = offerPanel((await page(await signedIn(t, applicant), `/applications/${en._id}`)).text);
    expect(panel).to.include('Please answer by <strong>21 Dec 2026</strong> · <span id="offer-left">10 working days left</span>');
    await deliver(t, en._id);
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${en.reference}\\] You have an offer`));
    expect(mail.text).to.include('Please answer by 21 Dec 2026 (10 working days left).\n');
    expect(mail.html).to.include('Please answer by <strong>21 Dec 2026</strong> (10 working days left).');

    const vi = await offered(viApplicant);
    const viPanel = offerPanel((await page(await signedIn(t, viApplicant), `/applications/${vi._id}`)).text);
    expect(viPanel).to.include('Vui lòng trả lời chậm nhất ngày <strong>21/12/2026</strong> · <span id="offer-left">còn 10 ngày làm việc</span>');
    expect(viPanel).to.include('Chấp nhận lời mời làm việc…');
    await deliver(t, vi._id);
    const viMail = await t.smtp.waitForTo(viApplicant.email, new RegExp(`\\[${vi.reference}\\]`));
    expect(viMail.text).to.include('Vui lòng trả lời chậm nhất ngày 21/12/2026 (còn 10 ngày làm việc).\n');
  });

  it("still renders the leader's preview of the offer e-mail, with the answer-by date", async () => {
    const c = await createCase({ applicant, call, stage: 'shortlisted', offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() } });
    // The leader's confirmation page previews the step as the workflow takes it (server/evaluations/case.ts previewDecision).
    const preview = await previewTransition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: '' }, asDecision: true });
    expect(preview.email?.text).to.include('We are pleased to offer you the position');
    expect(preview.email?.text).to.include('Please answer by 21 Dec 2026 (10 working days left).');
  });

  it('accepts only through the confirmation page: the one-tap form now shows it and changes nothing; confirmed, onboarding starts once', async () => {
    const c = await offered(applicant);
    const a = await signedIn(t, applicant);
    const show = await page(a, `/applications/${c._id}`);
    // No one-tap form left on the page: two links, the decline styled as the destructive one.
    expect(show.text).not.to.include(`action="/applications/${c._id}/offer"`);
    expect(show.text).to.match(new RegExp(`<a class="button" href="/applications/${c._id}/offer/accept">Accept the offer…</a>`));
    expect(show.text).to.match(new RegExp(`<a class="button danger" href="/applications/${c._id}/offer/decline">Decline the offer…</a>`));

    // The old one-tap POST (a page left open from before): the confirmation page, nothing taken.
    const old = await post(a, show.text, `/applications/${c._id}/offer`, { version: String(c.version), decision: 'accept' });
    expect(old.status).to.equal(200);
    expect(old.text).to.include('<h1>Accept the offer</h1>');
    let now = (await Case.findById(c._id).lean())!;
    expect(now.stage).to.equal('offer');
    expect(now.version).to.equal(c.version);

    const confirm = await page(a, `/applications/${c._id}/offer/accept`);
    const body = text(confirm.text);
    expect(body).to.include('The institute starts the support procedures you asked for:');
    expect(body).to.include('<li>Work permit or exemption certificate</li><li>Visa</li><li>Temporary residence card</li>');
    expect(body).to.include('The HR office prepares the files and tells you by e-mail');
    expect(body).to.include('Please answer by <strong>21 Dec 2026</strong> · 10 working days left');
    const form = { version: versionIn(confirm.text, `/applications/${c._id}/offer/accept`) };
    const first = await post(a, confirm.text, `/applications/${c._id}/offer/accept`, form);
    expect(first.status).to.equal(303);
    expect(first.headers.location).to.equal(`/applications/${c._id}`);
    // The same confirmation again (a double tap): the outcome asked for, nothing more done.
    const second = await post(a, confirm.text, `/applications/${c._id}/offer/accept`, form);
    expect(second.status).to.equal(303);
    expect(text((await page(a, `/applications/${c._id}`)).text)).to.include('You accepted the offer. Welcome!');
    now = (await Case.findById(c._id).lean())!;
    expect(now.stage).to.equal('onboarding');
    expect(now.version).to.equal(c.version + 1);
    expect(now.history.filter((h) => h.action === 'accept_offer')).to.have.length(1);
    expect(now.outbox.filter((o) => o.template === 'offer_accepted')).to.have.length(1);
    // Answered: the confirmation pages are gone, back to the application with a word why.
    const late = await page(a, `/applications/${c._id}/offer/decline`);
    expect(late.status).to.equal(303);
    expect(late.headers.location).to.equal(`/applications/${c._id}`);
  });

  it('declines with a reason: withdrawn once, the reason in the history and on the case page for HR, one e-mail to the applicant', async () => {
    const c = await offered(applicant);
    await deliver(t, c._id);
    const a = await signedIn(t, applicant);
    const old = await post(a, (await page(a, `/applications/${c._id}`)).text, `/applications/${c._id}/offer`, { version: String(c.version), decision: 'decline' });
    expect(old.status).to.equal(200);
    expect(old.text).to.include('<h1>Decline the offer</h1>');
    const confirm = await page(a, `/applications/${c._id}/offer/decline`);
    const body = text(confirm.text);
    expect(body).to.include('This cannot be undone: the application cannot be reopened.');
    expect(body).to.include('The HR office sees your decision on your case, with your reason if you give one.');
    expect(confirm.text).to.include('<button type="submit" class="button danger">Yes, decline the offer</button>');
    expect(confirm.text).to.match(/<textarea id="f-reason" name="reason" rows="4" maxlength="2000"/);
    // The limit in the page's number form, as the counter under the box says it (walk: "2000" above "0/2.000" in Vietnamese).
    expect(body).to.include('At most 2,000 characters.');
    expect((await Case.findById(c._id).lean())!.stage).to.equal('offer');

    const url = `/applications/${c._id}/offer/decline`;
    const reason = "My family cannot move before the school year ends; I'd apply again next year.";
    const form = { version: versionIn(confirm.text, url), reason };
    expect((await post(a, confirm.text, url, form)).status).to.equal(303);
    expect((await post(a, confirm.text, url, form)).status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('withdrawn');
    expect(after.version).to.equal(c.version + 1);
    const declines = after.history.filter((h) => h.action === 'decline_offer');
    expect(declines).to.have.length(1);
    expect(declines[0]!.note).to.equal(reason);
    expect(after.outbox.filter((o) => o.template === 'offer_declined')).to.have.length(1);

    // HR reads it on the case page: its own panel, and the timeline's note.
    const staff = text((await page(await signedIn(t, hr), `/cases/${c._id}`)).text);
    const panel = staff.slice(staff.indexOf('id="offer-declined"'), staff.indexOf('</section>', staff.indexOf('id="offer-declined"')));
    expect(panel).to.include('The applicant declined the offer');
    expect(panel).to.include(`Declined by the applicant on 7 Dec 2026: ${reason}`);

    // One e-mail to the applicant, in their language; and one to the officer of the case, with the reason.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\] Offer declined`));
    expect(mail.text).to.include('We have recorded that you declined our offer');
    expect(t.smtp.to(applicant.email).filter((m) => m.subject.includes(c.reference) && m.subject.includes('Offer declined'))).to.have.length(1);
    const toHr = t.smtp.to(hr.email).filter((m) => m.subject.includes(c.reference));
    expect(toHr.map((m) => m.subject)).to.deep.equal([`[${c.reference}] The applicant declined the offer`]);
    expect(toHr[0]!.text).to.include(`Their reason: ${reason}`);
  });

  it('declines without a reason too; HR is told none was given', async () => {
    const c = await offered(viApplicant);
    const a = await signedIn(t, viApplicant);
    const url = `/applications/${c._id}/offer/decline`;
    const confirm = await page(a, url);
    expect(text(confirm.text)).to.include('Không thể hoàn tác');
    expect(text(confirm.text)).to.include('Tối đa 2.000 ký tự.');
    expect((await post(a, confirm.text, url, { version: versionIn(confirm.text, url), reason: ' \u200B\u200B ' })).status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('withdrawn');
    expect(after.history.at(-1)!.note).to.equal(undefined);
    expect(text((await page(await signedIn(t, hr), `/cases/${c._id}`)).text)).to.include('Declined by the applicant on 7 Dec 2026: no reason given');
    // Their page says what they did (walk: it read "Ông/Bà đã rút hồ sơ này", you withdrew it).
    const mine = text((await page(a, `/applications/${c._id}`)).text);
    expect(mine).to.include('Ông/Bà đã từ chối lời mời làm việc nên hồ sơ này kết thúc tại đây; sẽ không có bước nào tiếp theo.');
    expect(mine).to.not.include('Ông/Bà đã rút hồ sơ này');
    // The stage badge says the same, on their page and their list, and on HR's page (it read "Đã rút" / "Withdrawn").
    expect(mine).to.include('Đã từ chối lời mời làm việc');
    expect(mine).to.not.include('Đã rút');
    const list = text((await page(a, '/applications')).text);
    expect(list).to.include('Đã từ chối lời mời làm việc');
    expect(list).to.not.include('Đã rút');
    const hrPage = (await page(await signedIn(t, hr), `/cases/${c._id}`)).text;
    expect(hrPage).to.match(/class="badge[^"]*"[^>]*>\s*Offer declined\s*</);
  });

  it('refuses a reason too long or of hidden characters on the confirmation page, keeping what was typed; nothing changes', async () => {
    const c = await offered(applicant);
    const a = await signedIn(t, applicant);
    const url = `/applications/${c._id}/offer/decline`;
    const confirm = await page(a, url);
    const long = 'x'.repeat(2001);
    const res = await post(a, confirm.text, url, { version: versionIn(confirm.text, url), reason: long });
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include('Your reason for declining is too long (at most 2000 characters).');
    expect(res.text).to.include(`>${long}</textarea>`);
    // A direction override reorders what HR would read: refused, with what to fix.
    const hidden = await post(a, confirm.text, url, { version: versionIn(confirm.text, url), reason: 'I decline \u202Eno\u202C.' });
    expect(hidden.status).to.equal(422);
    expect(hidden.text).to.include('aria-invalid="true"');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('offer');
    expect(after.version).to.equal(c.version);
  });

  it('refuses a stale confirmation with the conflict page, keeping the reason typed; nothing changes', async () => {
    const c = await offered(applicant);
    const a = await signedIn(t, applicant);
    const url = `/applications/${c._id}/offer/decline`;
    const confirm = await page(a, url);
    // HR recorded an acceptance that came by e-mail meanwhile: the case moved on.
    const h = await signedIn(t, hr);
    const hrPage = await page(h, `/cases/${c._id}`);
    const recorded = await post(h, hrPage.text, `/cases/${c._id}/actions/record_acceptance`, { version: versionIn(hrPage.text, `/cases/${c._id}/actions/record_acceptance`), receivedVia: 'email', receivedOn: '2026-12-07', reason: 'Accepted by e-mail on 7 Dec.' });
    expect(recorded.status).to.equal(303);
    const res = await post(a, confirm.text, url, { version: versionIn(confirm.text, url), reason: 'Changed my mind.' });
    expect(res.status).to.equal(409);
    expect(text(res.text)).to.include('Changed my mind.');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('onboarding');
    expect(after.history.some((x) => x.action === 'decline_offer')).to.equal(false);
  });

  it('answers an unknown answer with 404 and changes nothing', async () => {
    const c = await offered(applicant);
    const a = await signedIn(t, applicant);
    expect((await page(a, `/applications/${c._id}/offer/maybe`)).status).to.equal(404);
    const show = await page(a, `/applications/${c._id}`);
    expect((await post(a, show.text, `/applications/${c._id}/offer/maybe`, { version: String(c.version) })).status).to.equal(404);
    expect((await Case.findById(c._id).lean())!.version).to.equal(c.version);
  });
});
