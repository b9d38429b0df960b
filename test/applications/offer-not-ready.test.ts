// An offer the leader approved before HR attached its terms and letter cannot be accepted: the
// applicant's page says HR is preparing it (no Accept, Decline still there), an acceptance sent all
// the same (a page left open, a hand-made POST, HR recording one from e-mail) is refused with the
// reason and changes nothing, and HR's next step is to attach them. Half an offer sends no e-mail;
// the complete one sends one, with an answer-by date counted again from that day. Real database,
// real SMTP, a real multipart upload, the real pages and forms.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { ValidationError } from '../../server/errors.ts';
import { actorContext } from '../workflow/context.ts';
import { deliver, page, post, text, versionIn } from './support.ts';
import { makePdf, tokenOf } from '../documents/support.ts';

const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
const section = (html: string, id: string) => html.slice(html.indexOf(`id="${id}"`), html.indexOf('</section>', html.indexOf(`id="${id}"`)));

describe('applications: an offer without its terms and letter cannot be accepted', function () {
  this.timeout(60_000);
  let t: TestApp;
  let uploadDir: string;
  let hr: UserDoc;
  let leader: UserDoc;
  let call: CallDoc;
  // Monday 7 Dec 2026, 09:00 in Vietnam: an offer made now is due Monday 21 Dec (10 working days).
  let clock = new Date('2026-12-07T02:00:00Z');

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-offer-pending-${process.pid}`);
    await rm(uploadDir, { recursive: true, force: true });
    t = await startTestApp({ now: () => clock, env: { UPLOAD_STORAGE: 'disk', UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    leader = await createUser({ role: 'leader', institute });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    clock = new Date('2026-12-07T02:00:00Z');
  });

  async function signedIn(user: UserDoc): Promise<Agent> {
    const a = agent(t.app);
    await signIn(a, user);
    return a;
  }

  /** Approved by the leader with nothing attached yet (the walk's TA-…06). */
  async function offeredBare(applicant: UserDoc): Promise<CaseDoc> {
    const c = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr });
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'Ranked first.' }, asDecision: true });
  }

  /** HR's offer form as the case page sends it. */
  async function sendTerms(a: Agent, c: { _id: unknown }, fields: Record<string, string>, file?: { buf: Buffer; name: string }) {
    const url = `/cases/${String(c._id)}/offer-terms`;
    const p = await page(a, `/cases/${String(c._id)}`);
    let req = a.post(url).set('Accept', 'text/html').field('_csrf', await tokenOf(a)).field('version', versionIn(p.text, url));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    if (file) req = req.attach('offer_letter', file.buf, file.name);
    return req;
  }

  it('says so to the applicant, refuses their acceptance (422, the reason) and HR’s recorded one; HR’s next step is to attach them; declining stays open', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offeredBare(applicant);
    await deliver(t, c._id);
    const made = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\] You have an offer`));
    expect(made.text).to.include("The HR office is preparing your offer's terms and letter. We will e-mail you as soon as they are on your application page: you can accept the offer then");
    // No answer-by date yet: it is counted from the day the terms are there.
    expect(made.text).not.to.include('Please answer by');
    expect(made.text).not.to.include('Please accept or decline');

    const a = await signedIn(applicant);
    const show = await page(a, `/applications/${c._id}`);
    const panel = words(section(show.text, 'offer'));
    expect(panel).to.include("The HR office is preparing your offer's terms and letter.");
    expect(show.text).not.to.include(`href="/applications/${c._id}/offer/accept"`);
    expect(show.text).to.include(`href="/applications/${c._id}/offer/decline"`);
    expect(panel).not.to.include('Please answer by');

    // The accept page itself: back to the application, with the reason.
    const confirm = await page(a, `/applications/${c._id}/offer/accept`);
    expect(confirm.status).to.equal(303);
    const back = await page(a, confirm.headers.location!);
    expect(words(back.text)).to.include("Your offer's terms and letter are not here yet: you can accept the offer once the HR office has attached them");

    // A hand-made (or left-open) confirmation: refused by the workflow with its reason, nothing changes.
    const res = await post(a, show.text, `/applications/${c._id}/offer/accept`, { version: String(c.version) });
    expect(res.status).to.equal(422);
    expect(words(res.text)).to.include("The offer's terms and letter are not attached yet: the offer can be accepted once HR has attached both");
    const still = (await Case.findById(c._id).lean())!;
    expect(still.stage).to.equal('offer');
    expect(still.version).to.equal(c.version);
    expect(still.history.filter((h) => h.action === 'accept_offer')).to.have.length(0);

    // HR: the next step names the terms and letter, linked to the form; a recorded acceptance is refused too.
    const h = await signedIn(hr);
    const hrPage = await page(h, `/cases/${c._id}`);
    const next = words(section(hrPage.text, 'next-step'));
    expect(next).to.include("Attach the offer's terms and letter: the applicant can accept the offer only once both are attached");
    // The date is the applicant's answer-by date, said as theirs, not as HR's to e-mail by (walk-staff #9).
    expect(next).to.match(/and is e-mailed then; their answer is due by \d{1,2} [A-Z][a-z]{2} \d{4} \(/);
    expect(hrPage.text).to.include('href="#offer-terms"');
    const recordUrl = `/cases/${c._id}/actions/record_acceptance`;
    // No form to record an acceptance of it; one sent all the same (a page from before) is refused beside that form.
    expect(hrPage.text).not.to.include(`action="${recordUrl}"`);
    const recorded = await post(h, hrPage.text, recordUrl, { version: String(c.version), receivedVia: 'email', receivedOn: '2026-12-07', reason: 'Accepted by e-mail.' });
    expect(recorded.status).to.equal(422);
    expect(words(recorded.text)).to.include("The offer's terms and letter are not attached yet");
    expect(recorded.text).to.include('id="f-offer-error"');
    expect(recorded.text).to.include('Accepted by e-mail.');
    expect((await Case.findById(c._id).lean())!.stage).to.equal('offer');
    // The workflow itself, as any caller meets it.
    const err = await transition({ app: t.ctx, ctx: actorContext(t.ctx, applicant), caseId: c._id, action: 'accept_offer', expectedVersion: c.version }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).fields).to.have.property('offer');

    // Declining needs no terms.
    const decline = await page(a, `/applications/${c._id}/offer/decline`);
    expect(decline.status).to.equal(200);
  });

  it('e-mails nothing for half an offer; the complete one is e-mailed once with a full answer period from that day, then it can be accepted (en and vi)', async () => {
    const letter = await makePdf('Offer letter: Senior researcher');
    for (const locale of ['en', 'vi'] as const) {
      clock = new Date('2026-12-07T02:00:00Z');
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await offeredBare(applicant);
      expect(c.stageDueAt!.toISOString().slice(0, 10)).to.equal('2026-12-21');
      await deliver(t, c._id);
      await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));

      // Thursday 10 Dec (signed in that day): the position only. Saved, said so to HR, nobody e-mailed.
      clock = new Date('2026-12-10T02:00:00Z');
      const h = await signedIn(hr);
      const half = await sendTerms(h, c, { offerPosition: 'Senior researcher' });
      expect(half.status).to.equal(303);
      const saved = await page(h, half.headers.location!);
      expect(words(saved.text)).to.include('The applicant is e-mailed, and can accept it, once it has both the position and the letter.');
      const afterHalf = (await Case.findById(c._id).lean())!;
      expect(afterHalf.outbox.filter((o) => o.template === 'offer_letter_ready')).to.have.length(0);
      expect(afterHalf.history.at(-1)!.offerTerms).to.deep.include({ told: false });
      expect(afterHalf.stageDueAt!.toISOString()).to.equal(c.stageDueAt!.toISOString());

      // The letter: complete now. One e-mail, and the answer-by date is 10 working days from today (Thu 24 Dec).
      const full = await sendTerms(h, c, { offerPosition: 'Senior researcher' }, { buf: letter, name: 'offer.pdf' });
      expect(full.status).to.equal(303);
      const ready = (await Case.findById(c._id).lean())!;
      expect(ready.stageDueAt!.toISOString().slice(0, 10)).to.equal('2026-12-24');
      expect(ready.stageDueCount).to.deep.include({ workingDays: 10 });
      expect(ready.history.at(-1)!.offerTerms).to.deep.include({ letter: true, told: true });
      expect(ready.outbox.filter((o) => o.template === 'offer_letter_ready')).to.have.length(1);
      await deliver(t, c._id);
      const mails = t.smtp.to(applicant.email).filter((m) => m.subject.includes(c.reference));
      expect(mails, mails.map((m) => m.subject).join(' | ')).to.have.length(2);
      const mail = mails.at(-1)!;
      if (locale === 'en') {
        expect(mail.subject).to.include('Your offer letter is ready');
        expect(mail.text).to.include('Please accept or decline the offer by 24 Dec 2026 (10 working days left).');
      } else {
        expect(mail.text).to.include('Vui lòng chấp nhận hoặc từ chối lời mời làm việc chậm nhất ngày 24/12/2026 (còn 10 ngày làm việc).');
      }

      // Now the applicant can accept, on the page's own link and form.
      const a = await signedIn(applicant);
      const show = await page(a, `/applications/${c._id}`);
      expect(show.text).to.include(`href="/applications/${c._id}/offer/accept"`);
      expect(show.text).not.to.include('id="offer-pending"');
      const confirm = await page(a, `/applications/${c._id}/offer/accept`);
      expect(confirm.status).to.equal(200);
      const done = await post(a, confirm.text, `/applications/${c._id}/offer/accept`, { version: versionIn(confirm.text, `/applications/${c._id}/offer/accept`) });
      expect(done.status).to.equal(303);
      expect((await Case.findById(c._id).lean())!.stage).to.equal('onboarding');
    }
  });
});
