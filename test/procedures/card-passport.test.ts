// A residence card's end is checked against the passport when it is saved (card end ≤ passport
// expiry − 30 days, Law 47/2014/QH13 Art. 38(1)); a passport accepted afterwards with an earlier
// expiry breaks a card stored earlier without anyone saving the card again. The case page's
// procedures, the procedure's own page and the planner then show it as a problem with what to do
// (a card granted: apply for a new one on this passport; not granted yet: correct the end date),
// in the officer's language; the stored card is not changed behind HR's back, and correcting the
// date clears it.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import { seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { passportExpiryOnFile, residenceCardConflict } from '../../server/procedures/rules.ts';
import { signedIn, page, post, versionIn, text } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

/** The visible text of the block that starts at `marker` and ends at `end`. */
function block(html: string, marker: string, end: string): string {
  const from = html.indexOf(marker);
  expect(from, marker).to.be.greaterThan(-1);
  return text(html.slice(from, html.indexOf(end, from)).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
}

describe('procedures: a residence card recorded earlier is checked again when the passport changes', () => {
  describe('the rule on the documents as they are now', () => {
    const passport = (expires: string, over: Record<string, unknown> = {}) => ({ type: 'passport', status: 'accepted', current: true, expiresAt: vn(expires), ...over });
    const card = (status: string, end: string) => [{ kind: 'residence_card', status, cardEndsAt: vn(end) }];

    it('reads the accepted current passport (the latest expiry of several), never one pending or replaced', () => {
      expect(passportExpiryOnFile([passport('2030-01-01'), passport('2031-06-30', { type: 'dependant_passport' })])).to.deep.equal(vn('2030-01-01'));
      expect(passportExpiryOnFile([passport('2028-01-01'), passport('2029-01-01')])).to.deep.equal(vn('2029-01-01'));
      expect(passportExpiryOnFile([passport('2030-01-01', { status: 'pending' }), passport('2031-01-01', { current: false })])).to.equal(undefined);
    });

    it('finds a card ending later than 30 days before the passport, granted or not, and ignores a card refused or not needed', () => {
      // Passport until 31 Dec 2028: the card may run to 1 Dec 2028.
      const docs = [passport('2028-12-31')];
      expect(residenceCardConflict(card('approved', '2028-12-01'), docs)).to.equal(undefined);
      const late = residenceCardConflict(card('approved', '2028-12-02'), docs)!;
      expect(vnDateKey(late.latest)).to.equal('2028-12-01');
      expect(late).to.deep.include({ issued: true, days: 30, passportExpires: vn('2028-12-31') });
      expect(residenceCardConflict(card('preparing', '2029-02-19'), docs)).to.deep.include({ issued: false });
      expect(residenceCardConflict(card('filed', '2029-02-19'), docs)).to.deep.include({ issued: false });
      for (const status of ['refused', 'not_needed']) expect(residenceCardConflict(card(status, '2029-02-19'), docs), status).to.equal(undefined);
      expect(residenceCardConflict([{ kind: 'residence_card', status: 'approved' }], docs), 'no end recorded').to.equal(undefined);
      expect(residenceCardConflict(card('approved', '2029-02-19'), []), 'no passport accepted').to.equal(undefined);
    });
  });

  describe('over HTTP', () => {
    // Monday 1 March 2027: the card was granted on 20 February on a passport valid until 2032.
    const clock = vn('2027-03-01');
    let t: TestApp;
    useTestApp((app) => (t = app), { now: () => clock });
    let hrEn: UserDoc;
    let hrVi: UserDoc;
    let applicant: UserDoc;

    before(async () => {
      await seedHolidays();
      const institute = await createInstitute();
      hrEn = await createUser({ role: 'hr_officer', institute, locale: 'en' });
      hrVi = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
      applicant = await createUser({ role: 'applicant', locale: 'vi' });
    });

    async function cardCase(cardStatus: 'approved' | 'preparing') {
      const call = await createCall({ institute: hrEn.institute!, checklist: [] });
      const c = await createCase({
        applicant,
        call,
        stage: 'onboarding',
        assignee: hrEn._id,
        profile: { fullName: 'Nguyễn Văn An', plannedArrival: vn('2027-04-01') },
        supportTracks: [
          { kind: 'work_permit', status: 'approved', filedAt: vn('2027-01-20'), updatedAt: vn('2027-02-03') },
          { kind: 'visa', status: 'approved', filedAt: vn('2027-02-04'), updatedAt: vn('2027-02-12') },
          { kind: 'residence_card', status: cardStatus, ...(cardStatus === 'approved' ? { filedAt: vn('2027-02-13') } : {}), cardStartsAt: vn('2027-02-20'), cardEndsAt: vn('2029-02-19'), updatedAt: vn('2027-02-20') },
        ],
      });
      const passport = { case: c._id, type: 'passport' as const, slot: 0, storage: 'disk' as const, originalName: 'passport.pdf', mimeType: 'application/pdf' as const, size: 10, sha256: 'b'.repeat(64), uploadedBy: applicant._id };
      const old = await CaseDocument.create({ ...passport, version: 1, current: true, storageKey: `old-${c._id}`, status: 'accepted', expiresAt: vn('2032-01-01') });
      // The applicant sends a renewed passport valid only until 31 Dec 2028 (an emergency one, say):
      // a renewal, not current until HR accepts it.
      const renewed = await CaseDocument.create({ ...passport, version: 2, current: false, renewalOf: old._id, storageKey: `new-${c._id}`, status: 'pending', expiresAt: vn('2028-12-31') });
      return { c, renewed };
    }

    const issuedEn =
      "The residence card runs to 19 Feb 2029, later than the passport now on file allows: the passport expires on 31 Dec 2028, and a residence card ends at least 30 days before the passport does (Law 47/2014/QH13 Art. 38(1)), so on 1 Dec 2028 at the latest. Apply for a new card on this passport, or have a passport valid longer uploaded and accepted; if the card's end was recorded wrongly, correct it on the procedure's page.";

    it('shows a granted card the newly accepted passport no longer covers on the case page, the procedure page and the planner, en and vi, until the end is corrected', async () => {
      const { c, renewed } = await cardCase('approved');
      const en = await signedIn(t, hrEn);
      const casePage = () => page(en, `/cases/${c._id}`).then((r) => r.text);

      // Until HR accepts the renewal, the passport on file is the one the card was granted on.
      let html = await casePage();
      expect(html).not.to.include('data-card-problem');
      expect(html).not.to.include('data-planner-problem');

      // HR accepts the renewed passport on the case page's own form.
      const accepted = await post(en, html, `/documents/${renewed._id}/verify`, { decision: 'accept', from: 'pending' });
      expect(accepted.status, accepted.text).to.equal(303);
      const stored = (await Case.findById(c._id).lean())!;

      html = await casePage();
      const row = block(html, 'data-track="residence_card"', '</tr>');
      expect(row).to.include(issuedEn);
      expect(html).to.match(/data-track="residence_card"[\s\S]*?<span class="badge err" data-status="approved">/);
      expect(block(html, 'id="planner"', '</section>')).to.include(issuedEn);
      const procedure = text((await page(en, `/cases/${c._id}/procedures/residence_card`)).text);
      expect(procedure).to.include(`<p class="problem-text" data-card-problem>${issuedEn}</p>`);

      const vi = await signedIn(t, hrVi);
      const viHtml = (await page(vi, `/cases/${c._id}`)).text;
      const viText = 'Thẻ tạm trú có giá trị đến ngày 19/2/2029, muộn hơn mức hộ chiếu hiện có trong hồ sơ cho phép: hộ chiếu hết hạn ngày 31/12/2028';
      expect(block(viHtml, 'data-track="residence_card"', '</tr>')).to.include(viText).and.include('Hãy làm thủ tục cấp thẻ mới theo hộ chiếu này');
      expect(block(viHtml, 'id="planner"', '</section>')).to.include(viText);

      // Shown, not silently kept nor silently changed: the card stored is as it was.
      expect((await Case.findById(c._id).lean())!.supportTracks).to.deep.equal(stored.supportTracks);

      // The applicant's own page is not where HR's instructions go.
      expect((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text).not.to.include('data-card-problem');

      // HR records the card's end the new passport allows (the new card, or the date typed wrongly).
      const url = `/cases/${c._id}/procedures/residence_card`;
      const form = await page(en, url);
      const saved = await post(en, form.text, url, { version: versionIn(form.text, url), status: 'approved', cardStartsAt: '2027-02-20', cardEndsAt: '2028-12-01' });
      expect(saved.status, saved.text).to.equal(303);
      html = await casePage();
      expect(html).not.to.include('data-card-problem');
      expect(html).not.to.include('data-planner-problem');
    });

    it('tells a card not granted yet to correct its end date (or wait for a passport valid longer)', async () => {
      const { c, renewed } = await cardCase('preparing');
      const en = await signedIn(t, hrEn);
      const html = (await page(en, `/cases/${c._id}`)).text;
      expect((await post(en, html, `/documents/${renewed._id}/verify`, { decision: 'accept', from: 'pending' })).status).to.equal(303);
      const after = (await page(en, `/cases/${c._id}`)).text;
      const row = block(after, 'data-track="residence_card"', '</tr>');
      expect(row).to.include("The residence card's end recorded, 19 Feb 2029, is later than the passport now on file allows: the passport expires on 31 Dec 2028");
      expect(row).to.include('Correct the end date on the procedure\'s page, or have a passport valid longer uploaded and accepted before the card is applied for.');
      expect(row).not.to.include('Apply for a new card');
      expect(block(after, 'id="planner"', '</section>')).to.include("The residence card's end recorded, 19 Feb 2029");
    });
  });
});
