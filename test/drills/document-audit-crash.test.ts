// Drill: the process SIGKILLed between a document write and its audit event. There is no
// transaction: an upload writes the version's record and then inserts its audit event; HR's check
// updates the version and then inserts its event. Both now carry the event in the version's own
// write (server/documents/pending-audit.ts). Here, on a data folder of the drill's own (embedded
// database on disk), an applicant uploads a CV and then HR rejects it, each in a child process killed
// the moment its audit insert is issued (test/drills/support/document-audit-step.ts). Then the app
// starts as `npm start` runs it, and its background repair (pending-case-audits, first run once the
// grace has passed: server/cases/job.ts) must have, checked through the database:
//   - kept both writes (the version, its stored file, the rejection and its reason);
//   - recorded each event exactly once, under the id it was captured with, with the right actor,
//     action, time (captured before its write, within the step), reference (case, type, version,
//     hash, decision and reason), request id and IP;
//   - cleared them from the version without moving its updatedAt;
// and a second start records nothing more.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { runScriptToEnd } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import type { DocumentAuditStep } from './support/document-audit-step.ts';

const AUDITED = /\{[^\n]*"msg":"document changes left unaudited by a stopped process recorded"\}/;
const FIRST_RUN = /\{[^\n]*"service":"pending-case-audits"[^\n]*"msg":"background run finished"\}/;

describe('drill: SIGKILL between a document write and its audit event', function () {
  this.timeout(300_000);
  const drill = useDrill('document-audit');

  it('records the upload’s and the check’s events the killed processes left on the version, once, as captured', async () => {
    const env = drill.env({ DISPATCH_INTERVAL_MS: '60000' });
    const seeded = await drill.seed(env, { applicants: 1, stage: 'screening', checklist: [{ type: 'cv', phase: 'application', required: true }] });
    const caseId = seeded.applicants[0]!.caseId;
    const reason = 'The scan is cut off at the bottom (drill).';
    const steps: DocumentAuditStep[] = [
      { kind: 'upload', actor: seeded.applicants[0]!.email, caseId, requestId: `drill-upload-${new ObjectId()}` },
      { kind: 'verify', actor: seeded.hr.email, caseId, requestId: `drill-verify-${new ObjectId()}`, reason },
    ];
    const times: Array<{ from: Date; to: Date }> = [];
    for (const step of steps) {
      const from = new Date();
      const r = await runScriptToEnd('test/drills/support/document-audit-step.ts', [JSON.stringify(step)], env);
      times.push({ from, to: new Date() });
      expect(r.signal, `the ${step.kind} was killed (exit ${r.code}):\n${r.err}\n${r.out}`).to.equal('SIGKILL');
      expect(r.out).to.include('about to write the audit: auditevents.insertOne');
    }

    await drill.boot(env);
    const d = drill.db();
    const documents = d.collection('documents');
    const audits = d.collection('auditevents');
    // Read at once: the repair's first run waits for the grace (server/cases/job.ts).
    const left = (await documents.findOne({ case: new ObjectId(caseId), type: 'cv' }))!;
    expect(left, 'the upload was written before the kill').to.not.equal(null);
    expect(left).to.deep.include({ version: 1, current: true, status: 'rejected', reason });
    expect(existsSync(path.join(drill.dir, 'uploads', left.storageKey.slice(0, 2), left.storageKey)), 'its file is stored').to.equal(true);
    const pending = (left.pendingAudits ?? []) as Array<{ eventId: ObjectId; action: string }>;
    expect(pending.map((e) => e.action), 'each event rode in its write').to.deep.equal(['document.upload', 'document.verify']);
    expect(await audits.countDocuments({ targetId: String(left._id) }), 'unaudited before the repair').to.equal(0);

    const recorded = JSON.parse(await drill.app().waitForLog(AUDITED, 90_000)) as { recorded: number };
    expect(recorded.recorded, 'both events').to.equal(2);
    const after = (await documents.findOne({ _id: left._id }))!;
    expect(after.pendingAudits, 'cleared').to.deep.equal([]);
    expect(after.updatedAt.getTime(), 'the repair is no change of the version').to.equal(left.updatedAt.getTime());

    const users = d.collection('users');
    const applicant = (await users.findOne({ email: seeded.applicants[0]!.email }))!;
    const hr = (await users.findOne({ email: seeded.hr.email }))!;
    const events = await audits.find({ targetId: String(left._id) }).sort({ at: 1 }).toArray();
    expect(events.map((e) => e.action), 'each once').to.deep.equal(['document.upload', 'document.verify']);
    const [upload, check] = events;
    for (const [i, e] of events.entries()) {
      expect(String(e._id), `${e.action}: stored under its captured id`).to.equal(String(pending[i]!.eventId));
      expect(e).to.deep.include({ targetType: 'document', ip: '198.51.100.7', requestId: steps[i]!.requestId });
      expect(String(e.case), `${e.action}: the audit log’s case filter finds it`).to.equal(caseId);
      expect(e.summary).to.deep.include({ case: caseId, type: 'cv', slot: 0, version: 1, recordedByRepair: true });
      expect(e.at.getTime(), `${e.action}: within its step`).to.be.within(times[i]!.from.getTime(), times[i]!.to.getTime());
    }
    expect(String(upload!.actor)).to.equal(String(applicant._id));
    expect(upload!.actorRole).to.equal('applicant');
    expect(upload!.at.getTime(), 'captured before the record was written').to.be.at.most(left.createdAt.getTime());
    expect(upload!.summary).to.deep.include({ sha256: left.sha256, size: left.size, mimeType: 'application/pdf', storage: 'disk' });
    expect(String(check!.actor)).to.equal(String(hr._id));
    expect(check!.actorRole).to.equal('hr_officer');
    expect(check!.at.getTime(), 'captured with the decision, before its write').to.be.within(left.reviewedAt.getTime(), left.updatedAt.getTime());
    expect(check!.summary).to.deep.include({ decision: 'reject', reason });

    // A second start: the repair runs again and records nothing more.
    await drill.restartChangesNothing(env, { firstRun: FIRST_RUN, said: AUDITED, count: () => drill.db().collection('auditevents').countDocuments({ targetId: String(left._id) }) });
  });
});
