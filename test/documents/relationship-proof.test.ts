// The family's proof of relationship (marriage or birth certificate, legalised and translated) is
// asked for the family members' TT visas (server/procedures/rules.ts procedureDocuments; Law 47/2014
// Art. 8(18)), so a case with foreign family members offers its applicant a place to upload it beside
// the call's checklist, in their language, with what counts; a case with no family member offers none
// and refuses one sent anyway, even when the call lists it. Real database, real multipart uploads.
import { expect } from 'chai';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, text } from '../applications/support.ts';
import { makePdf, tokenOf } from './support.ts';
import { procedureWorld, vn } from '../procedures/support.ts';

const SPOUSE = [{ fullName: 'Emma Weber', relationship: 'spouse', nationality: 'DE', dateOfBirth: new Date('1988-02-01') }];

describe('documents: the family’s proof of relationship', function () {
  this.timeout(60_000);
  const uploadDir = path.resolve(`data/test/uploads-relationship-${process.pid}`);
  let t: TestApp;
  let hrEn: UserDoc;
  let call: CallDoc;
  let listing: CallDoc;
  const clock = vn('2027-03-01');

  before(async () => {
    await rm(uploadDir, { recursive: true, force: true });
    const world = await procedureWorld(() => clock, { env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' }, checklist: [{ type: 'cv', phase: 'application', required: true }] });
    ({ t, hrEn, call } = world);
    // A call that lists the proof itself (an administrator's choice): still not for a case without family.
    listing = await createCall({ institute: world.institute, checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'relationship_proof', phase: 'offer', required: true }] });
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const accepted = (who: UserDoc, over: Record<string, unknown>, onCall = call) =>
    createCase({ applicant: who, call: onCall, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'visa', status: 'preparing', updatedAt: vn('2027-02-20') }], ...over });
  const item = (html: string) => {
    const at = html.indexOf('id="doc-relationship_proof"');
    return at < 0 ? '' : text(html.slice(at, html.indexOf('</li>', at)));
  };
  const upload = async (me: Awaited<ReturnType<typeof signedIn>>, caseId: unknown) =>
    me.post(`/cases/${String(caseId)}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'text/html').attach('relationship_proof', await makePdf('Marriage certificate'), { filename: 'marriage.pdf', contentType: 'application/pdf' });

  for (const [locale, label, hint] of [
    ['en', 'Proof of family relationship (marriage or birth certificate, legalised or apostilled, and translated)', 'legalised by the consulate'],
    ['vi', 'Giấy tờ chứng minh quan hệ gia đình', 'hợp pháp hóa lãnh sự'],
  ] as const) {
    it(`${locale}: a Vietnamese citizen with a foreign spouse gets a place for it, says what counts, and uploads into it`, async () => {
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await accepted(applicant, { profile: { fullName: 'Nguyễn Văn An', nationality: 'VN', countryOfResidence: 'DE' }, dependants: SPOUSE, supportRequested: { visa: true, family: true } });
      const me = await signedIn(t, applicant);
      const place = item((await page(me, `/applications/${c._id}`)).text);
      expect(place, 'a place beside the checklist').to.not.equal('');
      expect(place).to.include(label);
      expect(place).to.include(hint);
      expect(place).to.match(/type="file"[^>]*name="relationship_proof"|name="relationship_proof"[^>]*type="file"/);
      const up = await upload(me, c._id);
      expect(up.status, up.text.slice(0, 300)).to.equal(303);
      expect((await CaseDocument.findOne({ case: c._id, type: 'relationship_proof' }).lean())!.status).to.equal('pending');
      // HR sees it among the case's documents.
      const hrPage = (await page(await signedIn(t, hrEn), `/cases/${c._id}`)).text;
      expect(hrPage).to.include('id="doc-relationship_proof"');
    });
  }

  it('a foreign expert bringing a foreign family (family support asked) gets the place too', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await accepted(applicant, { dependants: SPOUSE, supportRequested: { visa: true, family: true } });
    const me = await signedIn(t, applicant);
    expect(item((await page(me, `/applications/${c._id}`)).text)).to.include('Proof of family relationship');
  });

  it('a case with no family member: no place, and a proof sent anyway is refused with nothing kept, even when the call lists it', async () => {
    for (const onCall of [call, listing]) {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await accepted(applicant, { profile: { fullName: 'Nguyễn Văn An', nationality: 'VN', countryOfResidence: 'DE' }, dependants: [], supportRequested: { visa: true, family: false } }, onCall);
      const me = await signedIn(t, applicant);
      expect(item((await page(me, `/applications/${c._id}`)).text), 'no place').to.equal('');
      const up = await upload(me, c._id);
      expect(up.status).to.equal(422);
      expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
    }
  });
});
