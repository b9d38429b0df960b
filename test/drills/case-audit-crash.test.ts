// Drill: the process SIGKILLed between a case's change and its audit event. There is no
// transaction: a workflow step writes the case (stage, history, outbox) in one update and then
// inserts its audit events. Here, on a data folder of the drill's own (embedded database on disk),
// HR puts a case on hold, a confirmed decision that owes two events (the step's and the decision's),
// in a child process killed the moment the first audit insert is issued
// (test/drills/support/case-step.ts). The case's update carried both events (server/cases/
// pending-audit.ts). Then the app starts as `npm start` runs it, and its background repair
// (pending-case-audits, first run once the grace has passed) must have, checked through the database:
//   - kept the step (stage, version, one history event);
//   - recorded each event exactly once, under the id it was captured with, with the right actor,
//     action, time (the step's history moment), reference, request id and IP;
//   - cleared them from the case without moving its version or updatedAt;
// and a second start records nothing more.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { holdReviewDay } from '../support/hold.ts';
import { runScriptToEnd } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import type { CaseStep } from './support/case-step.ts';

const AUDITED = /\{[^\n]*"msg":"case changes left unaudited by a stopped process recorded"\}/;
const FIRST_RUN = /\{[^\n]*"service":"pending-case-audits"[^\n]*"msg":"background run finished"\}/;

describe('drill: SIGKILL between a case’s step and its audit events', function () {
  this.timeout(300_000);
  const drill = useDrill('case-audit');

  it('records the step’s and the decision’s events the killed process left on the case, once, as captured', async () => {
    const env = drill.env({ DISPATCH_INTERVAL_MS: '60000' });
    const seeded = await drill.seed(env, { applicants: 1, stage: 'screening' });
    const caseId = seeded.applicants[0]!.caseId;
    const step: CaseStep = { hr: seeded.hr.email, caseId, reason: 'Waiting for the ministry’s answer (drill).', reviewBy: holdReviewDay(), requestId: `drill-${new ObjectId()}` };
    const r = await runScriptToEnd('test/drills/support/case-step.ts', [JSON.stringify(step)], env);
    expect(r.signal, `the step was killed (exit ${r.code}):\n${r.err}\n${r.out}`).to.equal('SIGKILL');
    expect(r.out).to.include('about to write the audit: auditevents.insertOne');

    await drill.boot(env);
    const d = drill.db();
    const cases = d.collection('cases');
    const audits = d.collection('auditevents');
    // Read at once: the repair's first run waits for the grace (server/cases/job.ts).
    const left = (await cases.findOne({ _id: new ObjectId(caseId) }))!;
    expect(left.stage, 'the step was written before the kill').to.equal('on_hold');
    const pending = (left.pendingAudits ?? []) as Array<{ eventId: ObjectId; action: string }>;
    expect(pending.map((e) => e.action), 'its events rode in the same update').to.deep.equal(['case.transition', 'case.decision']);
    expect(await audits.countDocuments({ targetId: caseId, action: { $in: ['case.transition', 'case.decision'] }, 'summary.version': left.version }), 'unaudited before the repair').to.equal(0);

    const recorded = JSON.parse(await drill.app().waitForLog(AUDITED, 90_000)) as { recorded: number };
    expect(recorded.recorded, 'both events').to.equal(2);
    const after = (await cases.findOne({ _id: new ObjectId(caseId) }))!;
    expect(after.pendingAudits, 'cleared').to.deep.equal([]);
    expect(after.version, 'the repair is no change of the case').to.equal(left.version);
    expect(after.updatedAt.getTime()).to.equal(left.updatedAt.getTime());

    const hr = (await d.collection('users').findOne({ email: seeded.hr.email }))!;
    const held = (after.history as Array<{ at: Date; action: string }>).at(-1)!;
    expect(held.action).to.equal('put_on_hold');
    const events = await audits.find({ targetId: caseId, action: { $in: ['case.transition', 'case.decision'] }, 'summary.version': after.version }).sort({ action: -1 }).toArray();
    expect(events.map((e) => e.action), 'each once').to.deep.equal(['case.transition', 'case.decision']);
    for (const [i, e] of events.entries()) {
      expect(String(e._id), `${e.action}: stored under its captured id`).to.equal(String(pending[i]!.eventId));
      expect(String(e.actor), `${e.action}: who`).to.equal(String(hr._id));
      expect(e).to.deep.include({ targetType: 'case', actorRole: 'hr_officer', ip: '198.51.100.4', requestId: step.requestId });
      expect(String(e.case)).to.equal(caseId);
      expect(e.summary).to.deep.include({ reference: after.reference, recordedByRepair: true });
    }
    expect(events[0]!.at.getTime(), 'the step’s time, as its history says').to.equal(held.at.getTime());
    expect(events[0]!.summary).to.deep.include({ action: 'put_on_hold', from: 'screening', to: 'on_hold' });
    expect(events[1]!.summary).to.deep.include({ decision: 'put_on_hold', reason: step.reason, from: 'screening', to: 'on_hold' });
    expect(events[1]!.summary.decidedAt.getTime()).to.equal(held.at.getTime());

    // A second start: the repair runs again and records nothing more.
    await drill.restartChangesNothing(env, { firstRun: FIRST_RUN, said: AUDITED, count: () => drill.db().collection('auditevents').countDocuments({ targetId: caseId }) });
  });
});
