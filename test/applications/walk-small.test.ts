// An applicant's walk, its smaller findings, over HTTP with the real pages and forms: a DOI that is
// not one is refused with what a DOI looks like (a pasted doi.org link is taken as its DOI); a
// family member without relationship, date of birth or nationality is listed on the review step (and
// holds the submission back), linked to the empty field; a text area with a limit says it (and
// public/js/char-count.js counts it: test/applications/walk-small-browser.test.ts); the documents'
// count names the papers of later stages it does not count yet. en and vi.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, post, text } from './support.ts';

describe('applications: the smaller findings of the applicant’s walk', () => {
  let t: TestApp;
  let call: CallDoc;
  let en: UserDoc;
  let vi: UserDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    call = await createCall({
      institute,
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'signed_offer', phase: 'offer', required: true },
        { type: 'health_certificate', phase: 'onboarding', required: true },
        { type: 'criminal_record', phase: 'onboarding', required: true },
      ] as never,
    });
    en = await createUser({ role: 'applicant', locale: 'en' });
    vi = await createUser({ role: 'applicant', locale: 'vi' });
  });
  after(async () => {
    await t?.close();
  });

  it('refuses a DOI that is not one, saying what one looks like, keeping the row; takes a pasted doi.org link as its DOI', async () => {
    const c = await createCase({ applicant: en, call });
    const a = await signedIn(t, en);
    const url = `/applications/${c._id}/edit/achievements`;
    const form = await page(a, url);
    const bad = await post(a, form.text, url, { pub_rows: '1', pub_0_title: 'A paper', pub_0_doi: 'not a doi', go: 'stay' });
    expect(bad.status).to.equal(422);
    expect(text(bad.text)).to.include("This is not a DOI: a DOI starts with 10., then a number, a slash and the item's own code, e.g. 10.1038/s41586-020-2649-2.");
    expect(bad.text).to.include('value="A paper"');
    expect((await Case.findById(c._id).lean())!.achievements?.publications ?? []).to.have.length(0);
    const good = await post(a, form.text, url, { pub_rows: '1', pub_0_title: 'A paper', pub_0_doi: 'https://doi.org/10.1038/s41586-020-2649-2', go: 'stay' });
    expect(good.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.achievements?.publications?.[0]?.doi).to.equal('10.1038/s41586-020-2649-2');

    const viCase = await createCase({ applicant: vi, call });
    const va = await signedIn(t, vi);
    const viUrl = `/applications/${viCase._id}/edit/achievements`;
    const viBad = await post(va, (await page(va, viUrl)).text, viUrl, { pub_rows: '1', pub_0_title: 'Bài báo', pub_0_doi: '10.12/x', go: 'stay' });
    expect(viBad.status).to.equal(422);
    expect(text(viBad.text)).to.include('Đây không phải là DOI: DOI bắt đầu bằng 10.');
  });

  it('lists a family member missing relationship, date of birth or nationality on the review step, linked to the field, and holds the submission back', async () => {
    const c = await createCase({ applicant: en, call, dependants: [{ fullName: 'Minh Tran', relationship: 'child' }, { fullName: 'Emma Tran', relationship: 'spouse', dateOfBirth: new Date('1990-01-02'), nationality: 'DE' }] });
    const a = await signedIn(t, en);
    const review = await page(a, `/applications/${c._id}/edit/review`);
    const missing = text(review.text.slice(review.text.indexOf('id="missing-parts"'), review.text.indexOf('</ul>', review.text.indexOf('id="missing-parts"'))));
    expect(missing).to.include(`href="/applications/${c._id}/edit/dependants#f-dep_0_dateOfBirth"`);
    expect(missing).to.include('Minh Tran: add the date of birth, the nationality (needed for their visa and residence card)');
    expect(missing).to.not.include('Emma Tran');
    const refused = await post(a, review.text, `/applications/${c._id}/submit`, { version: String(c.version) });
    expect(refused.status).to.equal(422);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('draft');

    const viCase = await createCase({ applicant: vi, call, dependants: [{ fullName: 'Minh' }] });
    const viReview = text((await page(await signedIn(t, vi), `/applications/${viCase._id}/edit/review`)).text);
    expect(viReview).to.include('Minh: bổ sung quan hệ, ngày sinh, quốc tịch (cần cho thị thực và thẻ tạm trú của người này)');
  });

  it('says the limit of a long text under it, in each language’s number form, ready to be counted', async () => {
    const c = await createCase({ applicant: en, call });
    const html = (await page(await signedIn(t, en), `/applications/${c._id}/edit/eligibility`)).text;
    expect(html).to.match(/maxlength="2000" aria-describedby="f-evidence_[a-z_]+-count">/);
    expect(html).to.match(/<p class="char-count" id="f-evidence_[a-z_]+-count" data-char-count="__USED__ of 2,000 characters used\.">At most 2,000 characters\.<\/p>/);
    expect(html).to.include('<script src="/static/js/char-count.js" defer></script>');
    const viCase = await createCase({ applicant: vi, call });
    const viHtml = (await page(await signedIn(t, vi), `/applications/${viCase._id}/edit/eligibility`)).text;
    expect(viHtml).to.include('Tối đa 2.000 ký tự.');
  });

  it('names the documents of later stages the count leaves out, and when they are asked', async () => {
    const c = await createCase({ applicant: en, call });
    const mine = text((await page(await signedIn(t, en), `/applications/${c._id}`)).text);
    expect(mine).to.include('0 of 1 document accepted');
    expect(mine).to.match(/data-documents-later>Not counted yet, asked at a later stage: [^<]+, [^<]+, [^<]+ \(once the offer is accepted\)\.<\/p>/);
    const viCase = await createCase({ applicant: vi, call });
    const viMine = text((await page(await signedIn(t, vi), `/applications/${viCase._id}`)).text);
    expect(viMine).to.include('Chưa tính, sẽ yêu cầu ở giai đoạn sau:');
    expect(viMine).to.include('(khi lời mời làm việc được chấp nhận).');
  });
});
