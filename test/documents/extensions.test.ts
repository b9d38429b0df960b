// Uploads are taken only when the file name's extension is on the allow-list AND agrees with the
// type sniffed from the bytes (issue 10): real multipart requests against the real app.
import { expect } from 'chai';
import { useUploadTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import type { CaseDoc } from '../../models/case.ts';
import { filesUnder, makeJpeg, makePdf, tokenOf } from './support.ts';

const ALLOWED_EN = 'Allowed types: PDF (.pdf), JPEG (.jpg, .jpeg), PNG (.png).';
const ALLOWED_VI = 'Các loại tệp được chấp nhận: PDF (.pdf), JPEG (.jpg, .jpeg), PNG (.png).';
/** What to do with a file without an extension (walk s38: said, not only what is wrong). */
const RENAME_EN = 'Rename it to end in one of these (for example .pdf), then choose it again.';
const RENAME_VI = 'Vui lòng đổi tên tệp cho có một trong các phần mở rộng này (ví dụ .pdf) rồi chọn lại.';

describe('documents: the file name must be allowed and agree with the content', function () {
  this.timeout(60_000);
  let t!: TestApp;
  let uploadDir!: string;
  let caseDoc: CaseDoc;
  let viCase: CaseDoc;
  let a: Agent;
  let vi: Agent;
  let pdf: Buffer;

  useUploadTestApp('ext', (app, dir) => ((t = app), (uploadDir = dir)));
  before(async () => {
    const institute = await createInstitute();
    const call = await createCall({
      institute,
      checklist: [
        { type: 'passport', phase: 'application', required: true },
        { type: 'cv', phase: 'application', required: true },
        { type: 'recommendation_letter', phase: 'application', required: false, multiple: true },
      ] as never,
    });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    caseDoc = await createCase({ applicant, call, stage: 'screening' });
    a = agent(t.app);
    await signIn(a, applicant);
    const viApplicant = await createUser({ role: 'applicant', locale: 'vi' });
    viCase = await createCase({ applicant: viApplicant, call, stage: 'screening' });
    vi = agent(t.app);
    await signIn(vi, viApplicant);
    pdf = await makePdf('Passport data page');
    tokens.set(a, await tokenOf(a));
    tokens.set(vi, await tokenOf(vi));
  });

  const tokens = new Map<Agent, string>();
  const post = (who: Agent, c: CaseDoc, accept: 'application/json' | 'text/html') => who.post(`/cases/${c._id}/documents`).field('_csrf', tokens.get(who)!).set('Accept', accept);
  const stored = (c: CaseDoc) => CaseDocument.countDocuments({ case: c._id });

  it('refuses a valid PDF named "passport" (no extension), naming the allowed types, and keeps nothing', async () => {
    const before = await stored(caseDoc);
    const res = await post(a, caseDoc, 'application/json').attach('passport', pdf, { filename: 'passport', contentType: 'application/pdf' }).field('passport_expiresAt', '2040-01-01');
    expect(res.status, res.text).to.equal(415);
    expect(res.body.error.code).to.equal('no_extension');
    expect(res.body.error.message).to.equal(`“passport” has no file extension, so its type cannot be confirmed. ${ALLOWED_EN} ${RENAME_EN}`);
    expect(await stored(caseDoc)).to.equal(before);
    expect(await filesUnder(uploadDir), 'no file written, not even a temporary one').to.deep.equal([]);
  });

  it('says so in Vietnamese to a Vietnamese-speaking applicant', async () => {
    const res = await post(vi, viCase, 'application/json').attach('passport', pdf, 'passport').field('passport_expiresAt', '2040-01-01');
    expect(res.status).to.equal(415);
    expect(res.body.error.message).to.equal(`“passport” không có phần mở rộng tên tệp nên không xác nhận được loại tệp. ${ALLOWED_VI} ${RENAME_VI}`);
    const jpg = await post(vi, viCase, 'application/json').attach('passport', pdf, 'passport.jpg').field('passport_expiresAt', '2040-01-01');
    expect(jpg.status).to.equal(415);
    expect(jpg.body.error.message).to.include('được đặt tên như tệp JPEG nhưng nội dung là PDF');
    expect(jpg.body.error.message).to.include(ALLOWED_VI);
  });

  it('refuses PDF bytes named passport.jpg, and a name whose extension is not on the list', async () => {
    const jpg = await post(a, caseDoc, 'application/json').attach('passport', pdf, { filename: 'passport.jpg', contentType: 'image/jpeg' }).field('passport_expiresAt', '2040-01-01');
    expect(jpg.status, jpg.text).to.equal(415);
    expect(jpg.body.error.code).to.equal('extension_mismatch');
    expect(jpg.body.error.message).to.equal(`“passport.jpg” is named as a JPEG file but its content is PDF. Rename it with the right extension, or choose another file. ${ALLOWED_EN}`);
    for (const name of ['passport.exe', 'passport.pdf.', 'passport.docx', '.pdf']) {
      const res = await post(a, caseDoc, 'application/json').attach('passport', pdf, name).field('passport_expiresAt', '2040-01-01');
      expect(res.status, name).to.equal(415);
      expect(res.body.error.code, name).to.be.oneOf(['extension_not_allowed', 'no_extension']);
      expect(res.body.error.message, name).to.include(ALLOWED_EN);
    }
    // JPEG bytes named .jpeg are fine; the rule is about agreement, not one spelling.
    const jpeg = await post(a, caseDoc, 'application/json').attach('recommendation_letter', makeJpeg(), 'letter.JPEG');
    expect(jpeg.status, jpeg.text).to.equal(201);
  });

  it('refuses the whole request when one of several files has a bad name (nothing half-written)', async () => {
    const before = await stored(caseDoc);
    const res = await post(a, caseDoc, 'application/json').attach('cv', pdf, 'cv.pdf').attach('passport', pdf, 'passport').field('passport_expiresAt', '2040-01-01');
    expect(res.status).to.equal(415);
    expect(await stored(caseDoc)).to.equal(before);
  });

  it('shows the refusal on the page with the other values kept (no-JavaScript form)', async () => {
    // As a browser sends it: the file first, the date typed beside it after.
    const res = await post(a, caseDoc, 'text/html').attach('passport', pdf, 'passport').field('passport_expiresAt', '2040-01-01');
    expect(res.status).to.equal(415);
    expect(res.text).to.include('“passport” has no file extension');
    expect(res.text).to.include('PDF (.pdf), JPEG (.jpg, .jpeg), PNG (.png)');
    expect(res.text).to.match(/name="passport_expiresAt" value="01\/01\/2040"/);
  });

  it('takes a PDF named with an upper-case .PDF', async () => {
    const res = await post(a, caseDoc, 'application/json').attach('passport', pdf, 'PASSPORT.PDF').field('passport_expiresAt', '2040-01-01');
    expect(res.status, res.text).to.equal(201);
    expect(res.body.documents[0]).to.include({ type: 'passport', mimeType: 'application/pdf', originalName: 'PASSPORT.PDF' });
  });

  it('stores the name without invisible, direction-changing or separator characters, keeping letters of every script', async () => {
    for (const [sent, kept] of [
      ['a\u061C\u2028\u2029\u00AD\uFEFFb.pdf', 'ab.pdf'],
      ['Thư\u200B giới\u2060 thiệu – رسالة\u200E.pdf', 'Thư giới thiệu – رسالة.pdf'],
    ]) {
      const res = await post(a, caseDoc, 'application/json').attach('recommendation_letter', pdf, sent);
      expect(res.status, res.text).to.equal(201);
      expect(res.body.documents[0].originalName, JSON.stringify(sent)).to.equal(kept);
      expect((await CaseDocument.findById(res.body.documents[0].id).lean())?.originalName).to.equal(kept);
    }
    // Nothing left that shows: the default name, which has no extension to confirm the type by.
    const before = await stored(caseDoc);
    const blank = await post(a, caseDoc, 'application/json').attach('recommendation_letter', pdf, '\u200B\uFEFF\u202E');
    expect(blank.status).to.equal(415);
    expect(blank.body.error.message).to.equal(`“document” has no file extension, so its type cannot be confirmed. ${ALLOWED_EN} ${RENAME_EN}`);
    expect(await stored(caseDoc)).to.equal(before);
  });
});
