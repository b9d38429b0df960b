// The queue's "documents to check" filter (/cases?documents=1) and the home page's count of it,
// read from the cases' flag (models/case.ts documentsToCheck; each write path:
// documents-to-check-flag.test.ts). An officer of institute A finds exactly A's cases with a
// current document waiting (never B's), after an upload, HR's acceptance or rejection, and a new
// upload after a rejection. The flag's repair reads the waiting documents alone, from { status,
// current, case }, and finds those written around the model.
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';
import { CLOCK_MARGIN_MS, FULL_REPAIR_MARK, backfillDocumentsToCheck, recountChangedSinceRepair, repairDocumentsToCheck } from '../../server/documents/to-check.ts';
import { Counter } from '../../models/counter.ts';
import type { Agent } from '../support/http.ts';
import { signedIn, page, post } from '../applications/support.ts';
import { makePdf, tokenOf } from '../documents/support.ts';

/** The case ids the queue's rows show. */
const casesIn = (html: string) => [...html.matchAll(/<tr data-case="([a-f0-9]{24})"/g)].map((m) => m[1]!).sort();
const ids = (...cs: CaseDoc[]) => cs.map((c) => String(c._id)).sort();

describe('cases: the documents to check, read within the officer\'s institutes', function () {
  this.timeout(120_000);
  let t: TestApp;
  let uploadDir: string;
  let instA: InstituteDoc;
  let instB: InstituteDoc;
  let hrA: Agent;
  let hrB: Agent;
  let admin: Agent;
  let applicantA: UserDoc;
  let applicantB: UserDoc;
  let a1: CaseDoc;
  let a2: CaseDoc;
  let b1: CaseDoc;
  let pdf: Buffer;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-to-check-${process.pid}`);
    await rm(uploadDir, { recursive: true, force: true });
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    instA = await createInstitute();
    instB = await createInstitute();
    const checklist = [{ type: 'cv', phase: 'application', required: true }] as never;
    const callA = await createCall({ institute: instA, checklist });
    const callB = await createCall({ institute: instB, checklist });
    applicantA = await createUser({ role: 'applicant', locale: 'en' });
    applicantB = await createUser({ role: 'applicant', locale: 'en' });
    a1 = await createCase({ applicant: applicantA, call: callA, stage: 'screening' });
    a2 = await createCase({ applicant: applicantA, call: callA, stage: 'screening' });
    b1 = await createCase({ applicant: applicantB, call: callB, stage: 'screening' });
    hrA = await signedIn(t, await createUser({ role: 'hr_officer', institute: instA }));
    hrB = await signedIn(t, await createUser({ role: 'hr_officer', institute: instB }));
    admin = await signedIn(t, await createUser({ role: 'admin' }));
    pdf = await makePdf('Curriculum vitae');
    // As a start does: from here on the queue reads the cases' flag.
    await backfillDocumentsToCheck();
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  /** The applicant uploads a CV for the case through the real form; the new version's id. */
  async function upload(applicant: UserDoc, c: CaseDoc): Promise<string> {
    const a = await signedIn(t, applicant);
    const res = await a.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'application/json').attach('cv', pdf, 'cv.pdf');
    expect(res.status, res.text).to.equal(201);
    return (res.body.documents as Array<{ id: string }>)[0]!.id;
  }
  /** HR's decision on a document, from the case page's form. */
  async function verify(hr: Agent, c: CaseDoc, id: string, form: Record<string, string>): Promise<void> {
    const casePage = await page(hr, `/cases/${c._id}`);
    expect((await post(hr, casePage.text, `/documents/${id}/verify`, form)).status).to.equal(303);
  }
  const toCheck = async (a: Agent) => {
    forgetKeptReads();
    const res = await page(a, '/cases?documents=1&size=100');
    expect(res.status).to.equal(200);
    return casesIn(res.text);
  };
  const homeCount = async (a: Agent) => {
    forgetKeptReads();
    const m = /<li data-work="documents"><a href="[^"]+"><strong class="work-figure">([^<]+)<\/strong>/.exec((await page(a, '/')).text);
    expect(m, 'the home page counts the documents to check').to.not.equal(null);
    return m![1];
  };

  it("finds an upload in its case's institute only: A's officer sees A's case, B's officer B's, the administrator both", async () => {
    expect(await toCheck(hrA)).to.deep.equal([]);
    await upload(applicantA, a1);
    expect(await toCheck(hrA)).to.deep.equal(ids(a1));
    expect(await toCheck(hrB)).to.deep.equal([]);
    await upload(applicantB, b1);
    expect(await toCheck(hrA)).to.deep.equal(ids(a1));
    expect(await toCheck(hrB)).to.deep.equal(ids(b1));
    expect(await homeCount(hrA)).to.equal('1');
    expect(await homeCount(hrB)).to.equal('1');
    const all = await toCheck(admin);
    expect(all).to.include.members(ids(a1, b1));
  });

  it("drops a case once HR accepts or rejects its document, and finds it again on the applicant's next upload", async () => {
    const a2Doc = await upload(applicantA, a2);
    expect(await toCheck(hrA)).to.deep.equal(ids(a1, a2));
    const a1Doc = (await CaseDocument.findOne({ case: a1._id, current: true }).lean())!;
    await verify(hrA, a1, String(a1Doc._id), { decision: 'accept' });
    expect(await toCheck(hrA)).to.deep.equal(ids(a2));
    await verify(hrA, a2, a2Doc, { decision: 'reject', reason: 'The scan is cut off.' });
    expect(await toCheck(hrA)).to.deep.equal([]);
    expect(await homeCount(hrA)).to.equal('0');
    await upload(applicantA, a2);
    expect(await toCheck(hrA)).to.deep.equal(ids(a2));
    // B's work is untouched by A's.
    expect(await toCheck(hrB)).to.deep.equal(ids(b1));
  });

  it('reads the waiting documents from { status, current, case }, never the checked ones', async () => {
    const waiting = { status: 'pending', current: true } as const;
    const explained = (await mongoose.connection.db!.command({ explain: { distinct: 'documents', key: 'case', query: waiting } })) as { queryPlanner: { winningPlan: { inputStage?: { indexName?: string } } }; executionStats: { totalDocsExamined: number } };
    expect(explained.queryPlanner.winningPlan, JSON.stringify(explained)).to.have.nested.property('inputStage.indexName', 'status_1_current_1_case_1');
    expect(explained.executionStats.totalDocsExamined).to.equal(await CaseDocument.countDocuments(waiting));
  });

  it("keeps a case's institute: a case cannot move to another institute's queue", async () => {
    await Case.updateOne({ _id: b1._id }, { $set: { institute: instA._id } });
    const c = (await Case.findById(b1._id))!;
    c.set('institute', instA._id);
    await c.save();
    expect(String((await Case.findById(b1._id).lean())!.institute)).to.equal(String(instB._id));
    expect(await toCheck(hrA)).to.deep.equal(ids(a2));
  });

  it("finds the waiting documents written around the model with the flag's repair", async () => {
    const raw = CaseDocument.collection;
    const old = (c: CaseDoc, status: string) => ({ case: c._id, type: 'publications_list', slot: 0, version: 1, current: true, storage: 'disk', storageKey: `old-${String(c._id)}`, originalName: 'p.pdf', mimeType: 'application/pdf', size: 10, sha256: 'a'.repeat(64), uploadedBy: applicantA._id, status, createdAt: new Date(), updatedAt: new Date() });
    const orphan = { ...old(a1, 'pending'), case: new Types.ObjectId(), storageKey: 'old-orphan' };
    const inserted = await raw.insertMany([old(a1, 'pending'), old(b1, 'accepted'), orphan]);
    // Written around the model, the waiting document has not flagged its case: the repair does
    // (a document whose case is gone flags nothing).
    expect(await toCheck(hrA)).to.deep.equal(ids(a2));
    expect((await repairDocumentsToCheck({ institutes: [instA._id, instB._id] })).fixed).to.equal(1);
    expect(await toCheck(hrA)).to.deep.equal(ids(a1, a2));
    expect(await toCheck(hrB)).to.deep.equal(ids(b1));
    await raw.deleteMany({ _id: { $in: Object.values(inserted.insertedIds) } });
    // Deleted around the model too: the flags are put back as the documents are, for the tests after.
    await repairDocumentsToCheck({ institutes: [instA._id, instB._id] });
    expect(await toCheck(hrA)).to.deep.equal(ids(a2));
  });

  it('at start, recounts the cases whose documents were written since the last full repair began, from { updatedAt }', async () => {
    // The full repair (every institute) leaves the time it began.
    const before = Date.now();
    await repairDocumentsToCheck();
    const mark = (await Counter.findById(FULL_REPAIR_MARK).lean())!.seq;
    expect(mark).to.be.within(before, Date.now());
    // Two writes whose recount never came (a process killed in between), made around the model:
    // one after the mark, read; one long before it (less the clocks' margin), left to the full repair.
    const raw = CaseDocument.collection;
    const doc = (c: CaseDoc, key: string, at: Date) => ({ case: c._id, type: 'publications_list', slot: 0, version: 1, current: true, storage: 'disk', storageKey: key, originalName: 'p.pdf', mimeType: 'application/pdf', size: 10, sha256: 'a'.repeat(64), uploadedBy: applicantA._id, status: 'pending', createdAt: at, updatedAt: at });
    // (A case with no other document: a recount of b1, written to recently, would count it too.)
    const b2 = await createCase({ applicant: applicantB, call: await createCall({ institute: instB }), stage: 'screening' });
    const inserted = await raw.insertMany([doc(a1, 'recent-a1', new Date()), doc(b2, 'old-b2', new Date(mark - CLOCK_MARGIN_MS - 60_000))]);
    const r = await recountChangedSinceRepair();
    expect(r.since.getTime()).to.equal(mark - CLOCK_MARGIN_MS);
    expect(await toCheck(hrA), 'the recent write is recounted').to.deep.equal(ids(a1, a2));
    expect(await toCheck(hrB), 'the old one (b2) waits for the full repair').to.deep.equal(ids(b1));
    const explained = (await mongoose.connection.db!.command({ explain: { distinct: 'documents', key: 'case', query: { updatedAt: { $gte: r.since } } } })) as { queryPlanner: { winningPlan: { inputStage?: { indexName?: string } } } };
    expect(explained.queryPlanner.winningPlan, JSON.stringify(explained)).to.have.nested.property('inputStage.indexName', 'updatedAt_1');
    await raw.deleteMany({ _id: { $in: Object.values(inserted.insertedIds) } });
    await repairDocumentsToCheck();
    expect(await toCheck(hrA)).to.deep.equal(ids(a2));
    expect(await toCheck(hrB)).to.deep.equal(ids(b1));
  });
});
