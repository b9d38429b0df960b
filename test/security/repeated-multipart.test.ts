// The multipart forms answer a field sent twice as the url-encoded ones do (repeated-fields.test.ts):
// 422, the form shown again with what was typed and "sent more than once" beside the box, in the
// person's language; nothing stored, and the file sent with it kept neither on disk (temporary file
// included) nor in GridFS. The offer's terms with their letter (HR) and an information request's
// answer with its file (the applicant), on both stores.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { useUploadTestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { page, signedIn, text, versionIn } from '../applications/support.ts';
import { csrfFrom } from '../support/http.ts';
import { filesUnder, gridFsCounts, makePdf, waitFor } from '../documents/support.ts';

const ONCE_EN = 'This box was sent more than once: keep one value and send the form again.';
const ONCE_VI = 'Ô này được gửi nhiều hơn một lần';

for (const storage of ['disk', 'gridfs'] as const) {
  describe(`security: a field sent twice on a multipart form is refused with the form kept (${storage})`, function () {
    this.timeout(90_000);
    let t!: TestApp;
    let uploadDir = '';
    useUploadTestApp(`repeated-multipart-${storage}`, (app, dir) => {
      t = app;
      uploadDir = dir;
    }, { UPLOAD_STORAGE: storage });
    let hr: UserDoc;
    let hrVi: UserDoc;
    let leader: UserDoc;
    let call: CallDoc;
    let letter: Buffer;

    before(async () => {
      const institute = await createInstitute();
      hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
      hrVi = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
      leader = await createUser({ role: 'leader', institute });
      call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
      letter = await makePdf('Offer letter: Senior researcher');
    });

    /** The case, its documents, and every file of the upload folder (temporary ones too) or of GridFS. */
    async function snapshot(c: { _id: unknown }) {
      return {
        case: JSON.stringify(await Case.findById(c._id).lean()),
        docs: await CaseDocument.countDocuments({ case: c._id as never }),
        files: await filesUnder(uploadDir),
        gridfs: await gridFsCounts(),
      };
    }

    /** Nothing left of the refused file once the answer is out (the temporary file goes as the page is sent). */
    async function unchanged(c: { _id: unknown }, before: Awaited<ReturnType<typeof snapshot>>) {
      await waitFor(async () => JSON.stringify(await snapshot(c)) === JSON.stringify(before), 5000, 'nothing kept').catch(() => undefined);
      expect(await snapshot(c)).to.deep.equal(before);
    }

    async function offered(): Promise<CaseDoc> {
      const c = await createCase({ applicant: await createUser({ role: 'applicant', locale: 'en' }), call, stage: 'shortlisted', assignee: hr._id });
      return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'Ranked first.' }, asDecision: true });
    }

    it("the offer's terms with their letter: a term sent twice is 422 beside its box, the terms kept, the letter not kept (en, vi); sent once it is saved", async () => {
      const offer = await offered();
      const url = `/cases/${offer._id}/offer-terms`;
      const before = await snapshot(offer);
      for (const [user, once] of [[hr, ONCE_EN], [hrVi, ONCE_VI]] as const) {
        const a = await signedIn(t, user);
        const p = await page(a, `/cases/${offer._id}`);
        const res = await a
          .post(url)
          .set('Accept', 'text/html')
          .field('_csrf', csrfFrom(p.text))
          .field('version', versionIn(p.text, url))
          .field('offerPosition', 'Senior researcher')
          .field('offerSalary', '45,000,000 VND')
          .field('offerSalary', '50,000,000 VND')
          .field('offerContractLength', '2 years')
          .attach('offer_letter', letter, 'offer.pdf');
        expect(res.status, res.text.slice(0, 300)).to.equal(422);
        const shown = text(res.text);
        expect(shown).to.include(once);
        // The box sent twice is marked, with its first value; the other terms as typed.
        expect(res.text).to.match(/<input id="f-offerSalary" name="offerSalary" type="text" value="45,000,000 VND"[^>]*aria-invalid="true"/);
        expect(res.text).to.match(/<input id="f-offerPosition" name="offerPosition" type="text" value="Senior researcher"/);
        expect(res.text).to.match(/<input id="f-offerContractLength" name="offerContractLength" type="text" value="2 years"/);
        // The letter is not kept: the page says to choose it again.
        expect(res.text).to.match(/id="f-offer_letter-error"[^>]*>[^<]*offer\.pdf/);
        await unchanged(offer, before);
      }

      const a = await signedIn(t, hr);
      const p = await page(a, `/cases/${offer._id}`);
      const ok = await a
        .post(url)
        .set('Accept', 'text/html')
        .field('_csrf', csrfFrom(p.text))
        .field('version', versionIn(p.text, url))
        .field('offerPosition', 'Senior researcher')
        .field('offerSalary', '45,000,000 VND')
        .attach('offer_letter', letter, 'offer.pdf');
      expect(ok.status, ok.text.slice(0, 300)).to.equal(303);
      const saved = (await Case.findById(offer._id).lean())!.offerTerms!;
      expect(saved.salary).to.equal('45,000,000 VND');
      expect(saved.letter).to.not.equal(undefined);
    });

    it("an information request's answer with its file: the answer sent twice is 422 beside it, the first text kept, the file not kept; sent once it is recorded", async () => {
      const owner = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({
        applicant: owner,
        call,
        assignee: hr._id,
        stage: 'awaiting_applicant',
        infoRequest: { items: ['Your CV, updated'], documentType: 'cv', dueAt: new Date(Date.now() + 14 * 86_400_000), requestedAt: new Date(), requestedBy: hr._id },
      });
      const url = `/applications/${c._id}/answer`;
      const a = await signedIn(t, owner);
      const cv = await makePdf('My CV');
      const before = await snapshot(c);
      const mine = await page(a, `/applications/${c._id}`);
      const twice = await a
        .post(url)
        .set('Accept', 'text/html')
        .field('_csrf', csrfFrom(mine.text))
        .field('version', versionIn(mine.text, url))
        .field('answer', 'The first text')
        .field('answer', 'The second text')
        .attach('cv', cv, 'cv.pdf');
      expect(twice.status, twice.text.slice(0, 300)).to.equal(422);
      expect(text(twice.text)).to.include(ONCE_EN);
      expect(twice.text).to.match(/<textarea id="f-answer" name="answer"[^>]*aria-invalid="true"[^>]*>The first text<\/textarea>/);
      // The file chosen is not kept: said beside its input, so that it is chosen again.
      expect(twice.text).to.match(/id="f-answer-file-error"[^>]*>[^<]*cv\.pdf/);
      await unchanged(c, before);

      const again = await page(a, `/applications/${c._id}`);
      const once = await a
        .post(url)
        .set('Accept', 'text/html')
        .field('_csrf', csrfFrom(again.text))
        .field('version', versionIn(again.text, url))
        .field('answer', 'The first text')
        .attach('cv', cv, 'cv.pdf');
      expect(once.status, once.text.slice(0, 300)).to.equal(303);
      expect((await Case.findById(c._id).lean())!.infoRequest?.answer).to.equal('The first text');
      expect(await CaseDocument.countDocuments({ case: c._id, type: 'cv' })).to.equal(1);
    });
  });
}
