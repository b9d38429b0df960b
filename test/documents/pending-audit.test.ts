// A document write and its audit event are written together (server/documents/pending-audit.ts): an
// upload's record and HR's check carry their event on the version itself; a deletion (an answer's
// files taken back, a draft's versions pruned) carries it on the case, written before the deletion
// with the case marked for the minute recount. Here in process, through the real routes and
// services: the audit insert (or the clearing, or the deletion) is made to fail at the driver's door
// (a listener on Mongoose's 'operation-start', which throws before the command is sent; the real
// SIGKILL is test/drills/document-audit-crash.test.ts); then the repair is run as the background
// job (pending-case-audits, server/cases/job.ts) runs it.
import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { useUploadTestApp, type TestApp } from '../support/app.ts';
import { auditInsert, failNext, type Op } from '../support/fail-next.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { systemContext, type Context } from '../../server/context.ts';
import { verifyDocument } from '../../server/documents/verify.ts';
import { withdrawUploads } from '../../server/documents/upload.ts';
import { documentAudit, recordPendingDocumentAudits, withoutPendingAudits } from '../../server/documents/pending-audit.ts';
import { PENDING_AUDIT_GRACE_MS, recordPendingCaseAudits } from '../../server/cases/pending-audit.ts';
import { repairMarkedCases } from '../../server/documents/to-check.ts';
import { exportMyData } from '../../server/privacy/export.ts';
import { documentStores, eraseCaseFiles } from '../../server/privacy/erase.ts';
import type { PendingAudit } from '../../server/audit/index.ts';
import { signedIn } from '../applications/support.ts';
import { makePdf, sha256, tokenOf } from './support.ts';

const documentClearing = (op: Op) => op.collectionName === 'documents' && op.method === 'updateOne' && !!(op.params[1] as { $pull?: { pendingAudits?: unknown } } | undefined)?.$pull?.pendingAudits;
const documentDeletion = (op: Op) => op.collectionName === 'documents' && op.method === 'deleteOne';

const pendingOnDocument = async (id: unknown) => ((await CaseDocument.findById(id).select('+pendingAudits').lean())?.pendingAudits ?? []) as unknown as PendingAudit[];
const pendingOnCase = async (id: unknown) => ((await Case.findById(id).select('+pendingAudits').lean())!.pendingAudits ?? []) as unknown as PendingAudit[];

describe('documents: a document write and its audit event are written together, so no failure leaves it unaudited', function () {
  this.timeout(120_000);
  let t!: TestApp;
  useUploadTestApp('pending-audit', (app) => (t = app));
  let hr!: UserDoc;
  let applicant!: UserDoc;
  let call!: CallDoc;
  let pdf!: Buffer;

  const requestOf = (actor: UserDoc, now = new Date()): Context => ({ ...systemContext({ now, locale: 'en', actor: actor.toObject() as never }), ip: '203.0.113.7', requestId: `req-${new Types.ObjectId()}` });
  const later = () => new Date(Date.now() + PENDING_AUDIT_GRACE_MS + 1_000);

  before(async () => {
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    pdf = await makePdf('Curriculum vitae (pending audit)');
  });

  async function upload(c: CaseDoc): Promise<{ status: number; body: { documents?: Array<Record<string, unknown>> } }> {
    const a = await signedIn(t, applicant);
    const res = await a.post(`/cases/${String(c._id)}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'application/json').attach('cv', pdf, 'cv.pdf');
    return { status: res.status, body: res.body as { documents?: Array<Record<string, unknown>> } };
  }

  it('a finished upload and check record their events once and leave none on the version; no read or answer carries them, and clearing moves no updatedAt', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const res = await upload(c);
    expect(res.status).to.equal(201);
    expect(JSON.stringify(res.body), 'the API answer').to.not.include('pendingAudits');
    const id = String(res.body.documents![0]!.id);
    const uploaded = await AuditEvent.find({ targetId: id, action: 'document.upload' }).lean();
    expect(uploaded).to.have.length(1);
    expect(uploaded[0]!.summary).to.deep.include({ case: String(c._id), type: 'cv', slot: 0, version: 1, sha256: sha256(pdf), size: pdf.length, storage: 'disk' });
    expect(String(uploaded[0]!.case)).to.equal(String(c._id));
    expect(await pendingOnDocument(id)).to.deep.equal([]);
    const read = (await CaseDocument.findById(id).lean())!;
    expect(read, 'a lean read').to.not.have.property('pendingAudits');

    const doc = (await CaseDocument.findById(id))!;
    const { doc: checked } = await verifyDocument({ app: t.ctx, ctx: requestOf(hr), doc, caseDoc: c as CaseDoc, decision: 'accept' });
    expect(checked.toObject(), 'the version the check returns').to.not.have.property('pendingAudits');
    expect(await AuditEvent.countDocuments({ targetId: id, action: 'document.verify' })).to.equal(1);
    const after = (await CaseDocument.findById(id).lean())!;
    expect(await pendingOnDocument(id)).to.deep.equal([]);
    expect(after.updatedAt.getTime(), 'clearing is not a change of the version').to.equal(checked.updatedAt.getTime());
  });

  it('the record a create returns (and passes on) holds no events, and a later save of it clears none', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const event = documentAudit(requestOf(applicant), { action: 'document.upload', summary: { case: String(c._id) } });
    const created = await CaseDocument.create({ case: c._id, type: 'cv', slot: 0, version: 1, storage: 'disk', storageKey: `k-${new Types.ObjectId()}`, originalName: 'cv.pdf', mimeType: 'application/pdf', size: 10, sha256: 'b'.repeat(64), uploadedBy: applicant._id, pendingAudits: [event] });
    const doc = withoutPendingAudits(created);
    expect(doc.toObject()).to.not.have.property('pendingAudits');
    expect(JSON.stringify(doc)).to.not.include('pendingAudits');
    doc.originalName = 'cv-renamed.pdf';
    await doc.save();
    expect((await pendingOnDocument(doc._id)).map((e) => String(e.eventId)), 'still there for its settling').to.deep.equal([String(event.eventId)]);
    await CaseDocument.deleteOne({ _id: doc._id });
  });

  it('an upload whose audit insert fails keeps its record with its event; the repair records it once, as captured, after the grace only', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const fault = failNext(auditInsert);
    let res;
    try {
      res = await upload(c);
    } finally {
      fault.stop();
    }
    expect(fault.failed()).to.equal(1);
    expect(res.status, 'the request fails with its audit insert').to.equal(500);
    const doc = (await CaseDocument.findOne({ case: c._id }).lean())!;
    expect(doc, 'the upload stands').to.not.equal(null);
    const left = await pendingOnDocument(doc._id);
    expect(left.map((e) => e.action)).to.deep.equal(['document.upload']);
    expect(await AuditEvent.countDocuments({ targetId: String(doc._id) }), 'unaudited for now').to.equal(0);
    const exported = (await exportMyData({ ctx: requestOf(applicant) })).json;
    expect(exported, 'the privacy export has the document').to.include(doc.sha256);
    expect(exported, 'but not its bookkeeping').to.not.include('pendingAudits').and.to.not.include(String(left[0]!.eventId));

    expect(await recordPendingDocumentAudits({ now: new Date() }), 'a request may still be finishing').to.deep.equal({ recorded: 0, cleared: 0 });
    const repaired = await recordPendingDocumentAudits({ now: later() });
    expect(repaired.recorded).to.be.at.least(1);
    const events = await AuditEvent.find({ targetId: String(doc._id) }).lean();
    expect(events).to.have.length(1);
    expect(String(events[0]!._id), 'stored under the id it was captured with').to.equal(String(left[0]!.eventId));
    expect(events[0]).to.deep.include({ action: 'document.upload', targetType: 'document', actorRole: 'applicant' });
    expect(String(events[0]!.actor)).to.equal(String(applicant._id));
    expect(String(events[0]!.case), 'the audit log’s case filter finds it').to.equal(String(c._id));
    expect(events[0]!.at.getTime(), 'captured before the record was written').to.be.at.most(doc.createdAt.getTime());
    expect(events[0]!.summary).to.deep.include({ case: String(c._id), type: 'cv', version: doc.version, sha256: doc.sha256, recordedByRepair: true });
    expect(await pendingOnDocument(doc._id)).to.deep.equal([]);
    expect((await CaseDocument.findById(doc._id).lean())!.updatedAt.getTime(), 'the repair is no change of the version').to.equal(doc.updatedAt.getTime());

    await recordPendingDocumentAudits({ now: later() });
    expect(await AuditEvent.countDocuments({ targetId: String(doc._id) }), 'run again: nothing more').to.equal(1);
  });

  it('HR’s check whose audit insert fails stands, with its event; two repairs at once record it once; one recorded before its clearing failed is only cleared', async () => {
    const docs = [];
    for (let i = 0; i < 3; i++) {
      const c = await createCase({ applicant, call, stage: 'screening' });
      expect((await upload(c)).status).to.equal(201);
      docs.push({ c, doc: (await CaseDocument.findOne({ case: c._id }))! });
    }
    const ctx = requestOf(hr);
    for (const { c, doc } of docs) {
      const fault = failNext(auditInsert);
      await verifyDocument({ app: t.ctx, ctx, doc, caseDoc: c as CaseDoc, decision: 'reject', reason: 'The scan is cut off.' }).then(
        () => expect.fail('the check fails with its audit insert'),
        (err: Error) => expect(err.message).to.match(/auditevents\.insertOne failed/),
      );
      fault.stop();
      expect((await CaseDocument.findById(doc._id).lean())!.status, 'the decision stands').to.equal('rejected');
      expect((await pendingOnDocument(doc._id)).map((e) => e.action)).to.deep.equal(['document.verify']);
    }
    const [a, b] = await Promise.all([recordPendingDocumentAudits({ now: later() }), recordPendingDocumentAudits({ now: later() })]);
    expect(a.recorded + b.recorded, 'each of the three recorded by one of them').to.equal(3);
    for (const { c, doc } of docs) {
      const events = await AuditEvent.find({ targetId: String(doc._id), action: 'document.verify' }).lean();
      expect(events).to.have.length(1);
      expect(events[0]).to.deep.include({ actorRole: 'hr_officer', ip: '203.0.113.7', requestId: ctx.requestId });
      expect(String(events[0]!.actor)).to.equal(String(hr._id));
      expect(events[0]!.summary).to.deep.include({ case: String(c._id), decision: 'reject', reason: 'The scan is cut off.', version: 1, recordedByRepair: true });
      expect(await pendingOnDocument(doc._id)).to.deep.equal([]);
    }

    // Recorded, then the clearing failed: the event stays on the version, recorded; the repair only clears it.
    const c = await createCase({ applicant, call, stage: 'screening' });
    expect((await upload(c)).status).to.equal(201);
    const doc = (await CaseDocument.findOne({ case: c._id }))!;
    const fault = failNext(documentClearing);
    await verifyDocument({ app: t.ctx, ctx, doc, caseDoc: c as CaseDoc, decision: 'accept' }).catch(() => undefined);
    fault.stop();
    expect(fault.failed()).to.equal(1);
    expect((await pendingOnDocument(doc._id)).map((e) => e.action)).to.deep.equal(['document.verify']);
    expect(await recordPendingDocumentAudits({ now: later() })).to.deep.equal({ recorded: 0, cleared: 1 });
    const events = await AuditEvent.find({ targetId: String(doc._id), action: 'document.verify' }).lean();
    expect(events).to.have.length(1);
    expect(events[0]!.summary, 'the request’s own record stands').to.not.have.property('recordedByRepair');
    expect(await pendingOnDocument(doc._id)).to.deep.equal([]);
  });

  it('files taken back: the events ride on the case, written before the deletion with the case marked; a finished one leaves neither', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    expect((await upload(c)).status).to.equal(201);
    const doc = (await CaseDocument.findOne({ case: c._id }))!;
    await withdrawUploads(t.ctx, requestOf(applicant), [doc], [], 'answer_conflict');
    const events = await AuditEvent.find({ targetId: String(doc._id), action: 'document.upload_withdrawn' }).lean();
    expect(events).to.have.length(1);
    expect(events[0]!.summary).to.deep.include({ case: String(c._id), reason: 'answer_conflict', removes: [String(doc._id)] });
    expect(String(events[0]!.case)).to.equal(String(c._id));
    const after = (await Case.findById(c._id).select('+pendingAudits').lean())!;
    expect(after.pendingAudits ?? []).to.deep.equal([]);
    expect(after, 'the deletion’s mark cleared once recounted').to.not.have.property('documentsToCheckDue');
    expect(after.documentsToCheck).to.equal(false);
  });

  it('files taken back whose audit insert fails: deleted, the event left on the case and the case marked; the repairs record it and recount the flag', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    expect((await upload(c)).status).to.equal(201);
    const doc = (await CaseDocument.findOne({ case: c._id }))!;
    const ctx = requestOf(applicant);
    const fault = failNext(auditInsert);
    await withdrawUploads(t.ctx, ctx, [doc], [], 'answer_refused').then(
      () => expect.fail('the withdrawal fails with its audit insert'),
      () => undefined,
    );
    fault.stop();
    expect(await CaseDocument.countDocuments({ _id: doc._id }), 'deleted').to.equal(0);
    const marked = (await Case.findById(c._id).lean())!;
    expect(marked.documentsToCheckDue, 'marked for the minute job').to.be.instanceOf(Date);
    expect((await pendingOnCase(c._id)).map((e) => e.action)).to.deep.equal(['document.upload_withdrawn']);

    expect(await recordPendingCaseAudits({ now: later() })).to.deep.include({ recorded: 1 });
    const events = await AuditEvent.find({ targetId: String(doc._id), action: 'document.upload_withdrawn' }).lean();
    expect(events).to.have.length(1);
    expect(events[0]).to.deep.include({ targetType: 'document', actorRole: 'applicant', requestId: ctx.requestId });
    expect(events[0]!.summary).to.deep.include({ case: String(c._id), reason: 'answer_refused', recordedByRepair: true });
    expect(events[0]!.summary, 'the deletion was made').to.not.have.property('stillStored');
    expect(String(events[0]!.case)).to.equal(String(c._id));
    expect(await pendingOnCase(c._id)).to.deep.equal([]);

    const r = await repairMarkedCases({ institutes: [call.institute as Types.ObjectId] });
    expect(r.recounted).to.be.at.least(1);
    const fixed = (await Case.findById(c._id).lean())!;
    expect(fixed).to.not.have.property('documentsToCheckDue');
    expect(fixed.documentsToCheck, 'nothing left to check').to.equal(false);
  });

  it('an upload refused midway takes back the records it wrote, with their events, and leaves the case unmarked and its flag as before', async () => {
    const both = await createCall({ institute: call.institute, checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'publications_list', phase: 'application', required: true }] as never });
    const c = await createCase({ applicant, call: both, stage: 'screening' });
    let inserts = 0;
    const seen: string[] = [];
    const watch = (op: Op) => {
      const set = (op.params[1] as { $set?: Record<string, unknown> } | undefined)?.$set;
      if (op.collectionName === 'cases' && set && 'documentsToCheckDue' in set) seen.push('mark');
      if (op.collectionName === 'documents' && op.method === 'deleteOne') seen.push('delete');
    };
    mongoose.connection.on('operation-start', watch);
    const fault = failNext((op) => op.collectionName === 'documents' && op.method === 'insertOne' && ++inserts === 2);
    const a = await signedIn(t, applicant);
    const res = await a.post(`/cases/${String(c._id)}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'application/json').attach('cv', pdf, 'cv.pdf').attach('publications_list', pdf, 'publications.pdf');
    fault.stop();
    mongoose.connection.off('operation-start', watch);
    expect(fault.failed(), 'the second record failed').to.equal(1);
    expect(seen, 'the case marked before the deletion: a stop before its recount leaves it to the minute job').to.deep.equal(['mark', 'delete']);
    expect(res.status).to.equal(500);
    expect(await CaseDocument.countDocuments({ case: c._id }), 'the first record taken back').to.equal(0);
    expect(await AuditEvent.countDocuments({ 'summary.case': String(c._id) }), 'nothing stood, nothing audited').to.equal(0);
    const after = (await Case.findById(c._id).lean())!;
    expect(after, 'the undo’s mark cleared once recounted').to.not.have.property('documentsToCheckDue');
    expect(after.documentsToCheck ?? false).to.equal(false);
  });

  it('a deletion that never happened (the process stopped before it): the repair records the event saying which records are still stored', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    expect((await upload(c)).status).to.equal(201);
    const doc = (await CaseDocument.findOne({ case: c._id }))!;
    const fault = failNext(documentDeletion);
    await withdrawUploads(t.ctx, requestOf(applicant), [doc], [], 'answer_conflict').catch(() => undefined);
    fault.stop();
    expect(fault.failed()).to.equal(1);
    expect(await CaseDocument.countDocuments({ _id: doc._id }), 'still stored').to.equal(1);
    await recordPendingCaseAudits({ now: later() });
    const events = await AuditEvent.find({ targetId: String(doc._id), action: 'document.upload_withdrawn' }).lean();
    expect(events).to.have.length(1);
    expect(events[0]!.summary).to.deep.include({ stillStored: [String(doc._id)], recordedByRepair: true });
  });
  it('erasing a case\'s files within the grace records the events its versions still carry first: the records go, the events stay, once', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const fault = failNext(auditInsert);
    try {
      expect((await upload(c)).status).to.equal(500);
    } finally {
      fault.stop();
    }
    const doc = (await CaseDocument.findOne({ case: c._id }).lean())!;
    expect((await pendingOnDocument(doc._id)).map((e) => e.action)).to.deep.equal(['document.upload']);
    await eraseCaseFiles(documentStores(t.ctx), c._id);
    expect(await CaseDocument.countDocuments({ case: c._id }), 'erased').to.equal(0);
    const events = await AuditEvent.find({ targetId: String(doc._id), action: 'document.upload' }).lean();
    expect(events).to.have.length(1);
    expect(events[0]!.summary).to.deep.include({ recordedBeforeErasure: true });
    expect(String(events[0]!.actor)).to.equal(String(applicant._id));
    // Nothing left for the repair, and a second erasure records nothing again.
    expect(await recordPendingDocumentAudits({ now: later() })).to.deep.equal({ recorded: 0, cleared: 0 });
    await eraseCaseFiles(documentStores(t.ctx), c._id);
    expect(await AuditEvent.countDocuments({ targetId: String(doc._id), action: 'document.upload' })).to.equal(1);
  });
});
