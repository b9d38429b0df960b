// What one person can make the product keep, bounded (a security probe filled the disk from a
// throwaway account): an applicant uploads only from a confirmed e-mail address; a draft keeps the
// newest of the versions nobody has checked; an application holds at most UPLOAD_CASE_QUOTA_MB.
// Real multipart requests, files checked on disk.
import { expect } from 'chai';
import { useUploadTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { User, type UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { filesUnder, makePdf, tokenOf } from './support.ts';

describe('documents: what one applicant can make the product keep', function () {
  this.timeout(60_000);
  let t!: TestApp;
  let uploadDir!: string;
  let call: CallDoc;

  // 0.2 MB an application: three 60 kB scans fit, a fourth does not.
  useUploadTestApp('limits', (app, dir) => ((t = app), (uploadDir = dir)), { UPLOAD_CASE_QUOTA_MB: '0.2' });
  before(async () => {
    call = await createCall({
      institute: await createInstitute(),
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'recommendation_letter', phase: 'application', required: false, multiple: true },
      ] as never,
    });
  });

  async function applicantWithDraft(verified = true): Promise<{ user: UserDoc; a: Agent; token: string; caseId: string }> {
    const user = await createUser({ role: 'applicant', locale: 'en', verified });
    const kase = await createCase({ applicant: user, call, stage: 'draft' });
    const a = agent(t.app);
    await signIn(a, user);
    return { user, a, token: await tokenOf(a), caseId: String(kase._id) };
  }
  const scan = (label: string) => makePdf(label, { padTo: 60 * 1024 });

  it('refuses an upload from an unconfirmed address, saying what to do, and keeps nothing; takes it once confirmed', async () => {
    const { user, a, token, caseId } = await applicantWithDraft(false);
    // The application page says so first, instead of offering inputs that would be refused.
    const mine = await a.get(`/applications/${caseId}`);
    expect(mine.text).to.include('data-confirm-email-first');
    expect(mine.text).to.include(`first confirm your e-mail address: open the link we sent to ${user.email}`);
    expect(mine.text).not.to.include('data-upload-form');
    const before = await filesUnder(uploadDir);
    const refused = await a.post(`/cases/${caseId}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('cv', await scan('CV'), 'cv.pdf');
    expect(refused.status).to.equal(403);
    expect(refused.body.error.code).to.equal('email_unconfirmed');
    expect(refused.body.error.message).to.include(`Confirm your e-mail address first: open the link we sent to ${user.email}`);
    expect(await CaseDocument.countDocuments({ case: caseId })).to.equal(0);
    expect(await filesUnder(uploadDir)).to.deep.equal(before);
    // The plain form gets its page again, with the message.
    const page = await a.post(`/cases/${caseId}/documents`).field('_csrf', token).attach('cv', await scan('CV'), 'cv.pdf');
    expect(page.status).to.equal(403);
    expect(page.text).to.include('Confirm your e-mail address first');

    await User.updateOne({ _id: user._id }, { $set: { emailVerifiedAt: new Date() } });
    const ok = await a.post(`/cases/${caseId}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('cv', await scan('CV'), 'cv.pdf');
    expect(ok.status, ok.text).to.equal(201);
    expect((await a.get(`/applications/${caseId}`)).text).not.to.include('data-confirm-email-first');
  });

  it('keeps, in a draft, only the newest of the versions nobody has checked: the replaced files leave the disk', async () => {
    const { a, token, caseId } = await applicantWithDraft();
    const keys: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await a.post(`/cases/${caseId}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('cv', await scan(`CV ${n}`), `cv-${n}.pdf`);
      expect(res.status, res.text).to.equal(201);
      keys.push((await CaseDocument.findById(res.body.documents[0].id).lean())!.storageKey);
    }
    const left = await CaseDocument.find({ case: caseId }).lean();
    expect(left.map((d) => [d.version, d.current, d.originalName])).to.deep.equal([[3, true, 'cv-3.pdf']]);
    const onDisk = (await filesUnder(uploadDir)).join('\n');
    expect(onDisk).to.include(keys[2]!);
    expect(onDisk).not.to.include(keys[0]!);
    expect(onDisk).not.to.include(keys[1]!);
    const audits = await AuditEvent.find({ action: 'document.draft_versions_removed', 'summary.case': caseId }).lean();
    expect(audits.flatMap((e) => (e.summary as { versions: number[] }).versions).sort()).to.deep.equal([1, 2]);
  });

  it('refuses files that would take an application over its quota, naming the figures, and keeps none of them', async () => {
    const { a, token, caseId } = await applicantWithDraft();
    for (const n of [1, 2]) {
      const res = await a.post(`/cases/${caseId}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('recommendation_letter', await scan(`Letter ${n}`), `letter-${n}.pdf`);
      expect(res.status, res.text).to.equal(201);
    }
    const before = { files: await filesUnder(uploadDir), docs: await CaseDocument.countDocuments({ case: caseId }) };
    // Two more at once: 240 kB with the two held, over 0.2 MB; neither is kept.
    const refused = await a
      .post(`/cases/${caseId}/documents`)
      .field('_csrf', token)
      .set('Accept', 'application/json')
      .attach('recommendation_letter', await scan('Letter 3'), 'letter-3.pdf')
      .attach('cv', await scan('CV'), 'cv.pdf');
    expect(refused.status).to.equal(413);
    expect(refused.body.error.code).to.equal('case_quota');
    expect(refused.body.error.message).to.include('This application already holds 0.2 MB of documents, with every earlier version; these 0.2 MB would take it over the 0.2 MB an application may hold.');
    expect({ files: await filesUnder(uploadDir), docs: await CaseDocument.countDocuments({ case: caseId }) }).to.deep.equal(before);
    // One more fits.
    const one = await a.post(`/cases/${caseId}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('cv', await scan('CV'), 'cv.pdf');
    expect(one.status, one.text).to.equal(201);
  });

  it('writes the quota refusal\'s figures as the reader\'s language does: 0,2 MB in Vietnamese', async () => {
    const user = await createUser({ role: 'applicant', locale: 'vi' });
    const kase = await createCase({ applicant: user, call, stage: 'draft' });
    const a = agent(t.app);
    await signIn(a, user);
    const token = await tokenOf(a);
    for (const n of [1, 2]) {
      const res = await a.post(`/cases/${kase._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('recommendation_letter', await scan(`Thư ${n}`), `thu-${n}.pdf`);
      expect(res.status, res.text).to.equal(201);
    }
    const json = await a.post(`/cases/${kase._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('recommendation_letter', await scan('Thư 3'), 'thu-3.pdf').attach('cv', await scan('CV'), 'cv.pdf');
    expect(json.status).to.equal(413);
    expect(json.body.error.message).to.include('Hồ sơ này đã chứa 0,2 MB giấy tờ, kể cả các phiên bản trước; thêm 0,2 MB này sẽ vượt quá 0,2 MB một hồ sơ được phép chứa.');
    // The page answering the plain form says the same.
    const page = await a.post(`/cases/${kase._id}/documents`).field('_csrf', token).set('Accept', 'text/html').attach('recommendation_letter', await scan('Thư 3'), 'thu-3.pdf').attach('cv', await scan('CV'), 'cv.pdf');
    expect(page.status).to.equal(413);
    expect(page.text).to.include('Hồ sơ này đã chứa 0,2 MB giấy tờ').and.not.include('0.2 MB');
    expect(await CaseDocument.countDocuments({ case: kase._id })).to.equal(2);
  });
});
