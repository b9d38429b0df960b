// HR asks, within a procedure, for a paper the call's checklist does not list (walk: the work permit
// needs a 4×6 photo and a degree translation, but a request could only name checklist slots): the
// request names it (a photo, or "Other document" with what it is said in the request's text), the
// applicant finds a place for it beside their checklist with HR's words, uploads into it, and HR
// sees the file with the same accept and reject controls as any document. A type the applicant
// cannot be asked for (the signed offer, unless the call wants it back) is still refused.
// Real database, real multipart uploads, the real pages and forms with their CSRF tokens.
import { expect } from 'chai';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, post, versionIn, text } from '../applications/support.ts';
import { makePdf, tokenOf } from '../documents/support.ts';
import { procedureWorld, vn } from './support.ts';

function stampIn(html: string, action: string): string {
  const at = html.indexOf(`action="${action}"`);
  expect(at, `a form posting to ${action}`).to.be.greaterThan(-1);
  return /name="track" value="([^"]*)"/.exec(html.slice(at, at + 2000))![1]!;
}

describe('procedures: a paper asked that the checklist does not list', function () {
  this.timeout(60_000);
  const uploadDir = path.resolve(`data/test/uploads-ask-paper-${process.pid}`);
  let t: TestApp;
  let hrEn: UserDoc;
  let call: CallDoc;
  const clock = vn('2027-03-01');

  before(async () => {
    await rm(uploadDir, { recursive: true, force: true });
    ({ t, hrEn, call } = await procedureWorld(() => clock, { env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' }, checklist: [{ type: 'cv', phase: 'application', required: true }] }));
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const preparing = (who: UserDoc): Promise<CaseDoc> =>
    createCase({ applicant: who, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: vn('2027-02-20') }] });

  async function ask(a: Awaited<ReturnType<typeof signedIn>>, c: CaseDoc, fields: Record<string, string>) {
    const url = `/cases/${c._id}/procedures/work_permit`;
    const form = await page(a, url);
    const action = `${url}/asks`;
    return post(a, form.text, action, { version: versionIn(form.text, action), track: stampIn(form.text, action), ...fields });
  }

  it('"Other document" described in the request: a place beside the checklist with HR’s words, the applicant uploads into it, HR verifies it', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    const c = await preparing(applicant);
    const hr = await signedIn(t, hrEn);
    const form = (await page(hr, `/cases/${c._id}/procedures/work_permit`)).text;
    // The checklist's slot first, then the others (not the signed offer, which this call does not want back).
    expect(form.indexOf('<option value="cv">')).to.be.greaterThan(-1).and.lessThan(form.indexOf('<option value="photo">'));
    expect(form).to.include('<option value="other">Other document</option>');
    expect(form).to.not.include('<option value="signed_offer">');

    const asked = await ask(hr, c, { askText: 'Two 4×6 photos on a white background, taken within 6 months.', askDueAt: '2027-03-10', askDocument: 'other' });
    expect(asked.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.supportTracks[0]!.asks?.[0]?.documentType).to.equal('other');

    const me = await signedIn(t, applicant);
    const mine = (await page(me, `/applications/${c._id}`)).text;
    // The request links to the place, which says what HR asked for and takes a file.
    expect(mine).to.include('href="#doc-other"');
    const item = mine.slice(mine.indexOf('id="doc-other"'), mine.indexOf('</li>', mine.indexOf('id="doc-other"')));
    expect(item).to.not.equal('');
    expect(text(item)).to.include('Other document');
    expect(text(item)).to.include('Two 4×6 photos on a white background, taken within 6 months.');
    expect(item).to.match(/type="file"[^>]*name="other"|name="other"[^>]*type="file"/);

    const up = await me.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'text/html').attach('other', await makePdf('Photos'), { filename: 'photos.pdf', contentType: 'application/pdf' });
    expect(up.status, up.text.slice(0, 300)).to.equal(303);
    const doc = (await CaseDocument.findOne({ case: c._id, type: 'other' }).lean())!;
    expect(doc.status).to.equal('pending');

    // HR sees it among the documents, with the accept and reject forms of any document.
    const casePage = (await page(hr, `/cases/${c._id}`)).text;
    const hrItem = casePage.slice(casePage.indexOf('id="doc-other"'), casePage.indexOf('</li>', casePage.indexOf('id="doc-other"')));
    expect(hrItem).to.include(`action="/documents/${doc._id}/verify"`);
    expect(text(hrItem)).to.include('Two 4×6 photos on a white background');
    const accepted = await post(hr, casePage, `/documents/${doc._id}/verify`, { decision: 'accept', from: 'pending' });
    expect(accepted.status).to.equal(303);
    expect((await CaseDocument.findById(doc._id).lean())!.status).to.equal('accepted');
  });

  it('a photo the checklist does not list, asked in Vietnamese: the place shows in the applicant’s language; an unasked unlisted paper is still refused', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    const c = await preparing(applicant);
    const hr = await signedIn(t, hrEn);
    const me = await signedIn(t, applicant);
    // Before any request: no place for a photo, and a photo sent anyway is refused, nothing kept.
    const early = await me.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'text/html').attach('photo', await makePdf('Photo'), { filename: 'photo.pdf', contentType: 'application/pdf' });
    expect(early.status).to.equal(422);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);

    expect((await ask(hr, c, { askText: 'Ảnh 4×6 nền trắng.', askDueAt: '2027-03-10', askDocument: 'photo' })).status).to.equal(303);
    const mine = text((await page(me, `/applications/${c._id}`)).text);
    expect(mine).to.include('id="doc-photo"');
    expect(mine).to.include('Ảnh 4×6 nền trắng.');
    const up = await me.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'text/html').attach('photo', await makePdf('Photo'), { filename: 'photo.pdf', contentType: 'application/pdf' });
    expect(up.status).to.equal(303);
    expect(await CaseDocument.countDocuments({ case: c._id, type: 'photo' })).to.equal(1);

    const refused = await ask(hr, c, { askText: 'The signed offer.', askDueAt: '2027-03-10', askDocument: 'signed_offer' });
    expect(refused.status).to.equal(422);
    expect(text(refused.text)).to.include('Choose a document from the list, or none.');
  });
});
