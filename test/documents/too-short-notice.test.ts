// The daily reminder job (runDocumentExpiryReminders) also tells the applicant when a passport (or a
// dependant's) needed by a running procedure is valid today but not long enough for the residence
// card (validityOf 'too_short'): one e-mail per file, in their language, claimed on the document so
// two runs, or two instances at once, send it once. Not for a renewal waiting for HR, an expired
// passport (nothing to warn of) or one long enough; sent when a card end recorded later makes an
// accepted passport too short, never again for a later shortfall of the same file.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import { runDocumentExpiryReminders } from '../../server/documents/reminders.ts';
import { passportRequiredUntil, validityOf } from '../../server/documents/validity.ts';
import { formatDay } from '../../server/views/time.ts';
import { deliver, page, post, signedIn, versionIn } from '../applications/support.ts';

const DAY = 86_400_000;
const daysAhead = (n: number) => new Date(Date.now() + n * DAY);
const iso = (d: Date) => d.toISOString().slice(0, 10);
const TEMPLATE = 'document_too_short';

describe('documents: the applicant is told when a passport is not valid long enough', function () {
  this.timeout(60_000);
  let t: TestApp;
  useTestApp((app) => (t = app));
  let hr: UserDoc;

  before(async () => {
    hr = await createUser({ role: 'hr_officer', institute: await createInstitute(), locale: 'en' });
  });

  /**
   * An onboarding case whose residence card is being prepared (the passports are needed), the
   * applicant arriving in 30 days, with one current document of `type` expiring in `expiresInDays`.
   */
  async function caseWith(opts: { locale: 'en' | 'vi'; expiresInDays: number; type?: 'passport' | 'dependant_passport'; status?: 'accepted' | 'pending' }) {
    const applicant = await createUser({ role: 'applicant', locale: opts.locale });
    const c = await createCase({
      applicant,
      call: await createCall({ institute: hr.institute!, checklist: [] }),
      stage: 'onboarding',
      assignee: hr._id,
      profile: { fullName: 'Nguyễn Văn An', plannedArrival: daysAhead(30) } as never,
      supportTracks: [{ kind: 'residence_card', status: 'preparing', updatedAt: new Date() }] as never,
    });
    const doc = await CaseDocument.create({
      case: c._id,
      type: opts.type ?? 'passport',
      slot: 0,
      version: 1,
      current: true,
      storage: 'disk',
      storageKey: `too-short-${c._id}`,
      originalName: 'passport.pdf',
      mimeType: 'application/pdf',
      size: 10,
      sha256: 'c'.repeat(64),
      uploadedBy: applicant._id,
      status: opts.status ?? 'accepted',
      expiresAt: daysAhead(opts.expiresInDays),
    });
    return { applicant, c, doc };
  }

  const notices = async (c: CaseDoc) => (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === TEMPLATE);
  const noticeField = async (id: unknown) => (await CaseDocument.findById(id).lean())!.tooShortNoticeSentAt;
  const run = () => runDocumentExpiryReminders(t.ctx, new Date());

  it('e-mails an English-speaking applicant the expiry, the date it must reach and why, with the link to upload a renewed one', async () => {
    // Arrival in 30 days: the card runs 2 years from then, the passport 30 days beyond: ~790 days.
    const { applicant, c, doc } = await caseWith({ locale: 'en', expiresInDays: 400 });
    const stored = (await Case.findById(c._id).lean())!;
    expect(validityOf(doc, stored, new Date())).to.equal('too_short');

    const first = await run();
    expect(first.tooShort).to.be.at.least(1);
    expect(await noticeField(doc._id)).to.be.instanceOf(Date);
    expect(await notices(c)).to.have.length(1);
    await deliver(t, c._id);

    const expires = formatDay(doc.expiresAt, 'en');
    const required = formatDay(passportRequiredUntil(stored, new Date()), 'en');
    const mail = await t.smtp.waitForTo(applicant.email, /must be valid until/);
    expect(mail.subject).to.equal(`[${c.reference}] Your Passport must be valid until ${required}`);
    expect(mail.text).to.include(`(passport.pdf) is valid until ${expires}. That is not long enough for your residence card: the card must end at least 30 days before the passport does, so the passport must be valid until at least ${required}.`);
    expect(mail.text).to.include(`Please upload a renewed passport, valid until ${required} or later, on your application page.`);
    expect(mail.text).to.include(`${t.baseUrl}/applications/${c._id}?lang=en#doc-passport`);
    expect(mail.html).to.include(`href="${t.baseUrl}/applications/${c._id}?lang&#x3D;en#doc-passport"`); // in the e-mail's language; Handlebars escapes '='
    // Plain words, no legal references.
    expect(mail.text).not.to.match(/Law|Art\.|47\/2014/);
  });

  it('writes to a Vietnamese-speaking applicant in Vietnamese, with the days as Vietnamese write them', async () => {
    const { applicant, c, doc } = await caseWith({ locale: 'vi', expiresInDays: 500 });
    await run();
    await deliver(t, c._id);
    const stored = (await Case.findById(c._id).lean())!;
    const expires = formatDay(doc.expiresAt, 'vi');
    const required = formatDay(passportRequiredUntil(stored, new Date()), 'vi');
    expect(required).to.match(/^\d{1,2}\/\d{1,2}\/\d{4}$/);
    const mail = await t.smtp.waitForTo(applicant.email, /cần còn hiệu lực đến ngày/);
    expect(mail.subject).to.equal(`[${c.reference}] Hộ chiếu của Ông/Bà cần còn hiệu lực đến ngày ${required}`);
    expect(mail.text).to.include(`(passport.pdf) của Ông/Bà có hiệu lực đến ngày ${expires}. Thời hạn này không đủ cho thẻ tạm trú của Ông/Bà: thẻ tạm trú phải hết hạn trước hộ chiếu ít nhất 30 ngày, vì vậy hộ chiếu cần còn hiệu lực đến ít nhất ngày ${required}.`);
    expect(mail.text).to.include('Vui lòng tải lên hộ chiếu đã gia hạn');
    expect(mail.text).to.include(`${t.baseUrl}/applications/${c._id}?lang=vi#doc-passport`);
  });

  it('sends it once across two runs, and once when two runs go at the same time', async () => {
    const one = await caseWith({ locale: 'en', expiresInDays: 450 });
    await run();
    const claimedAt = await noticeField(one.doc._id);
    await run();
    expect(await notices(one.c)).to.have.length(1);
    expect(await noticeField(one.doc._id)).to.deep.equal(claimedAt);
    await deliver(t, one.c._id);
    await t.smtp.waitForTo(one.applicant.email, /must be valid until/);

    const two = await caseWith({ locale: 'en', expiresInDays: 460 });
    await Promise.all([run(), run()]);
    expect(await notices(two.c)).to.have.length(1);
    await deliver(t, two.c._id);
    await t.smtp.waitForTo(two.applicant.email, /must be valid until/);
    // A later run and a later dispatch add nothing.
    await run();
    await deliver(t, one.c._id);
    await deliver(t, two.c._id);
    for (const { applicant } of [one, two]) expect(t.smtp.to(applicant.email).filter((m) => /must be valid until/.test(m.subject))).to.have.length(1);
  });

  it('says nothing of a passport whose renewal waits for HR, of an expired one, or of one long enough', async () => {
    const renewing = await caseWith({ locale: 'en', expiresInDays: 400 });
    await CaseDocument.create({
      ...renewing.doc.toObject(),
      _id: undefined,
      version: 2,
      current: false,
      status: 'pending',
      renewalOf: renewing.doc._id,
      storageKey: `renewal-${renewing.c._id}`,
      expiresAt: daysAhead(3000),
    });
    const expired = await caseWith({ locale: 'en', expiresInDays: -3 });
    const longEnough = await caseWith({ locale: 'en', expiresInDays: 1200 });
    await run();
    for (const { c, doc } of [renewing, expired, longEnough]) {
      expect(await notices(c)).to.have.length(0);
      expect(await noticeField(doc._id)).to.equal(undefined);
      // Nor the expiry reminder: the expired one is past warning, the others are not near it.
      expect((await Case.findById(c._id).lean())!.outbox).to.have.length(0);
    }
  });

  it('leaves a short passport that expires within 30 days to the expiry reminder: one e-mail, not two', async () => {
    const { c, doc } = await caseWith({ locale: 'en', expiresInDays: 20 });
    await run();
    const outbox = (await Case.findById(c._id).lean())!.outbox;
    expect(outbox.map((o) => o.template)).to.deep.equal(['document_expiring']);
    expect(await noticeField(doc._id)).to.equal(undefined);
  });

  it('tells them when HR records a card end the accepted passport no longer covers, and not again for a later end', async () => {
    // A dependant's passport valid ~1,000 days: enough for a card running 2 years from arrival.
    const { applicant, c, doc } = await caseWith({ locale: 'en', expiresInDays: 1000, type: 'dependant_passport' });
    await run();
    expect(await noticeField(doc._id)).to.equal(undefined);

    const hrAgent = await signedIn(t, hr);
    const url = `/cases/${c._id}/procedures/residence_card`;
    const recordCardEnd = async (end: Date) => {
      const form = await page(hrAgent, url);
      // Starting 450 days on: the card runs at most 2 years (Law 47/2014/QH13 Art. 38), so an end
      // this far needs a late start.
      const saved = await post(hrAgent, form.text, url, { version: versionIn(form.text, url), status: 'preparing', cardStartsAt: iso(daysAhead(450)), cardEndsAt: iso(end) });
      expect(saved.status, saved.text.slice(0, 500)).to.equal(303);
    };
    // HR records the card's end: 1,100 days from now, so the passport must reach ~1,130 days.
    await recordCardEnd(daysAhead(1100));
    await run();
    expect(await noticeField(doc._id)).to.be.instanceOf(Date);
    expect(await notices(c)).to.have.length(1);
    await deliver(t, c._id);
    const stored = (await Case.findById(c._id).lean())!;
    const required = formatDay(passportRequiredUntil(stored, new Date()), 'en');
    const mail = await t.smtp.waitForTo(applicant.email, /must be valid until/);
    expect(mail.subject).to.equal(`[${c.reference}] Your Dependants' passports must be valid until ${required}`);

    // A still later end: the same file is short again, already said; no second e-mail.
    await recordCardEnd(daysAhead(1150));
    await run();
    expect(await notices(c)).to.have.length(1);
  });
});
