// The cases' "documents to check" flag (models/case.ts documentsToCheck) after each kind of write to
// a case's documents, through the real routes where there is one (multipart uploads, HR's forms):
// an upload, a new version over a rejected one, HR's acceptance and rejection, a renewal waiting and
// then made current, an upload taken back (withdrawUploads), a draft's versions pruned, the files
// erased by retention. Each time the flag is what the documents say, and the queue's filter (which
// reads only the flag) lists the case accordingly, from the { institute, documentsToCheck, nextDueAt,
// _id } index. The repair puts a flag written around the model right.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { useUploadTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { Counter } from '../../models/counter.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';
import { systemContext } from '../../server/context.ts';
import { withdrawUploads } from '../../server/documents/upload.ts';
import { eraseCaseFiles, documentStores } from '../../server/privacy/erase.ts';
import { DOCUMENTS_TO_CHECK_BACKFILL, backfillDocumentsToCheck, documentsToCheckFlagged, repairDocumentsToCheck } from '../../server/documents/to-check.ts';
import type { Agent } from '../support/http.ts';
import { signedIn, page, post } from '../applications/support.ts';
import { makePdf, tokenOf } from '../documents/support.ts';

const casesIn = (html: string) => [...html.matchAll(/<tr data-case="([a-f0-9]{24})"/g)].map((m) => m[1]!).sort();
const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);

describe("cases: the \"documents to check\" flag follows every write to a case's documents", function () {
  this.timeout(120_000);
  let t: TestApp;
  let inst: InstituteDoc;
  let hr: Agent;
  let applicant: UserDoc;
  let call: Awaited<ReturnType<typeof createCall>>;
  let pdf: Buffer;

  useUploadTestApp('to-check-flag', (app) => {
    t = app;
  });

  before(async () => {
    inst = await createInstitute();
    call = await createCall({ institute: inst, checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'passport', phase: 'application', required: true }] as never });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    hr = await signedIn(t, await createUser({ role: 'hr_officer', institute: inst }));
    pdf = await makePdf('Curriculum vitae');
    // As a start does: the flag is what the queue reads from here on.
    await backfillDocumentsToCheck();
    expect(await documentsToCheckFlagged()).to.equal(true);
  });
  const flag = async (c: { _id: unknown }) => (await Case.findById(c._id, { documentsToCheck: 1 }).lean())!.documentsToCheck === true;
  const listed = async (c: { _id: unknown }) => {
    forgetKeptReads();
    const res = await page(hr, '/cases?documents=1&size=100');
    expect(res.status).to.equal(200);
    return casesIn(res.text).includes(String(c._id));
  };
  /** Flag and queue agree, and say `waiting`. */
  async function expectWaiting(c: { _id: unknown }, waiting: boolean, why: string) {
    expect(await flag(c), `flag: ${why}`).to.equal(waiting);
    expect(await listed(c), `queue: ${why}`).to.equal(waiting);
  }
  async function upload(c: CaseDoc, files: Record<string, string> = { cv: 'cv.pdf' }, dates: Record<string, string> = {}): Promise<Array<{ id: string; type: string }>> {
    const a = await signedIn(t, applicant);
    let req = a.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'application/json');
    for (const [k, v] of Object.entries(dates)) req = req.field(k, v);
    for (const [field, name] of Object.entries(files)) req = req.attach(field, pdf, name);
    const res = await req;
    expect(res.status, res.text).to.equal(201);
    return res.body.documents as Array<{ id: string; type: string }>;
  }
  async function verify(c: CaseDoc, id: string, form: Record<string, string>): Promise<void> {
    const casePage = await page(hr, `/cases/${c._id}`);
    expect((await post(hr, casePage.text, `/documents/${id}/verify`, form)).status).to.equal(303);
  }

  it('upload, rejection, a new version over the rejected one, acceptance', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    await expectWaiting(c, false, 'no documents');
    const [first] = await upload(c);
    await expectWaiting(c, true, 'uploaded');
    await verify(c, first!.id, { decision: 'reject', reason: 'The scan is cut off.' });
    await expectWaiting(c, false, 'rejected');
    const [second] = await upload(c);
    await expectWaiting(c, true, 'a new version supersedes the rejected one');
    await verify(c, second!.id, { decision: 'accept' });
    await expectWaiting(c, false, 'accepted');
  });

  it('a renewal waits without flagging (it is not current), and stays unflagged once HR makes it current', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const docs = await upload(c, { passport: 'passport.pdf' }, { passport_expiresAt: iso(new Date(Date.now() + 3650 * DAY)) });
    await expectWaiting(c, true, 'passport uploaded');
    await verify(c, docs[0]!.id, { decision: 'accept' });
    await expectWaiting(c, false, 'passport accepted');
    const a = await signedIn(t, applicant);
    const res = await a.post(`/documents/${docs[0]!.id}/renew`).field('_csrf', await tokenOf(a)).set('Accept', 'text/html').field('passport--0_expiresAt', iso(new Date(Date.now() + 4000 * DAY))).attach('passport--0', pdf, 'new-passport.pdf');
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const renewal = (await CaseDocument.findOne({ case: c._id, renewalOf: docs[0]!.id }).lean())!;
    expect(renewal.current).to.equal(false);
    await expectWaiting(c, false, 'a renewal waiting is not a current document');
    await verify(c, String(renewal._id), { decision: 'accept' });
    expect((await CaseDocument.findById(renewal._id).lean())!.current).to.equal(true);
    await expectWaiting(c, false, 'the renewal accepted and current');
    // The decision changed on the (now current) renewal: rejected, the case has nothing to check.
    await verify(c, String(renewal._id), { decision: 'reject', reason: 'Wrong person.', from: 'accepted' });
    await expectWaiting(c, false, 'renewal rejected after all');
  });

  it('an upload taken back (withdrawUploads) restores the flag of the versions it had superseded', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const [first] = await upload(c);
    await verify(c, first!.id, { decision: 'reject', reason: 'Blurred.' });
    await expectWaiting(c, false, 'rejected');
    const [second] = await upload(c);
    await expectWaiting(c, true, 'new version');
    const doc = (await CaseDocument.findById(second!.id))!;
    await withdrawUploads(t.ctx, systemContext({ now: new Date() }), [doc], [new Types.ObjectId(first!.id)], 'answer_conflict');
    expect((await CaseDocument.findById(first!.id).lean())!.current).to.equal(true);
    await expectWaiting(c, false, 'withdrawn: the rejected version is current again');
  });

  it("a draft's versions pruned keep the flag on the newest one, and erasure by retention clears it", async () => {
    const c = await createCase({ applicant, call, stage: 'draft' });
    await upload(c);
    await upload(c);
    expect(await CaseDocument.countDocuments({ case: c._id, type: 'cv' })).to.equal(1);
    expect(await flag(c), 'the newest draft version waits').to.equal(true);
    const s = await createCase({ applicant, call, stage: 'screening' });
    await upload(s);
    await expectWaiting(s, true, 'uploaded');
    await eraseCaseFiles(documentStores(t.ctx), s._id);
    await expectWaiting(s, false, 'files erased');
  });

  it('lists the flagged cases from { institute, documentsToCheck, nextDueAt, _id }, reading no other case', async () => {
    const filter = { institute: inst._id, documentsToCheck: true, nextDueAt: { $gte: new Date(-8.64e15) } };
    const explained = (await Case.find(filter).sort({ nextDueAt: 1, _id: 1 }).limit(51).explain('executionStats')) as unknown as { queryPlanner: { winningPlan: unknown }; executionStats: { totalDocsExamined: number; nReturned: number } };
    expect(JSON.stringify(explained.queryPlanner.winningPlan)).to.include('institute_1_documentsToCheck_1_nextDueAt_1__id_1');
    expect(explained.executionStats.totalDocsExamined).to.equal(explained.executionStats.nReturned);
  });

  it('repairs flags written around the model, and the backfill marks its run once', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const [d] = await upload(c);
    const untouched = await createCase({ applicant, call, stage: 'screening' });
    // Drift both ways: a waiting document's case unflagged, a case with nothing waiting flagged.
    await Case.collection.updateOne({ _id: c._id }, { $set: { documentsToCheck: false } });
    await Case.collection.updateOne({ _id: untouched._id }, { $set: { documentsToCheck: true } });
    // This institute's cases only: other files' tests leave drift of their own in theirs.
    const own = { institutes: [inst._id] };
    expect((await repairDocumentsToCheck(own)).fixed).to.equal(2);
    expect(await flag(c)).to.equal(true);
    expect(await flag(untouched)).to.equal(false);
    expect((await repairDocumentsToCheck(own)).fixed).to.equal(0);
    // A status written through the driver is caught by the repair too.
    await CaseDocument.collection.updateOne({ _id: new Types.ObjectId(d!.id) }, { $set: { status: 'accepted' } });
    expect((await repairDocumentsToCheck(own)).fixed).to.equal(1);
    await expectWaiting(c, false, 'accepted through the driver, repaired');
    expect(await Counter.exists({ _id: DOCUMENTS_TO_CHECK_BACKFILL })).to.not.equal(null);
    expect((await backfillDocumentsToCheck()).fixed).to.equal(0);
  });
});
