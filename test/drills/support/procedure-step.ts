// A drill's crash step, run as its own process on the drill's data folder while the app is stopped:
// HR records the case's work permit as filed (today, with its office) through the real service
// (server/procedures/service.ts updateProcedure: one case update carries the track, the history
// entry, the applicant's e-mail in the outbox and the pending audit event; the audit is settled and
// the forecast refreshed after it), and the process SIGKILLs itself (its embedded database with it):
//   - 'case': as the case's update is issued (nothing of the step is written);
//   - 'after': at the first write after the case's update was acknowledged (the step stands, its
//     audit event not yet settled, its e-mail not yet sent);
//   - 'none': not at all.
// The kill point is a listener on Mongoose's 'operation-start' event, emitted before a command is
// sent: the app itself has no fault point. Prints `killed at <at>: <collection>.<method>` just
// before dying. Argument: one JSON object (ProcedureStep).
import { writeSync } from 'node:fs';
import mongoose from 'mongoose';
import { systemContext } from '../../../server/context.ts';
import { updateProcedure } from '../../../server/procedures/service.ts';
import { openCaseStep } from './step-process.ts';

export interface ProcedureStep {
  hr: string;
  caseId: string;
  office: string;
  at: 'case' | 'after' | 'none';
}

async function main(): Promise<void> {
  const { spec, config, logger, db, hr, caseDoc } = await openCaseStep<ProcedureStep>();
  let caseWritten = false;
  let caseUpdateId: unknown;
  mongoose.connection.on('operation-start', (op: { _id: unknown; collectionName: string; method: string }) => {
    const caseUpdate = op.collectionName === 'cases' && op.method === 'findOneAndUpdate';
    if ((spec.at === 'case' && caseUpdate) || (spec.at === 'after' && caseWritten)) {
      writeSync(1, `killed at ${spec.at}: ${op.collectionName}.${op.method}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
    if (caseUpdate) caseUpdateId = op._id;
  });
  // Acknowledged, not merely issued: an operation started meanwhile (none is expected) must not kill
  // before the update is written (the 'after' point is after the case's update, never around it).
  mongoose.connection.on('operation-end', (op: { _id: unknown; error?: unknown }) => {
    if (op._id === caseUpdateId && !op.error) caseWritten = true;
  });
  const now = new Date();
  const ctx = { ...systemContext({ now, locale: 'en', actor: hr.toObject() as never }), ip: '198.51.100.8', requestId: `procedure-step-${spec.at}` };
  // Filed today, as the route reads the form's day: its last instant in Vietnam (routes/procedures.ts dateField).
  const filedAt = new Date(`${new Date(now.getTime() + 7 * 3_600_000).toISOString().slice(0, 10)}T16:59:59.999Z`);
  const r = await updateProcedure({ app: { config, logger } as never, ctx, caseId: spec.caseId, kind: 'work_permit', status: 'filed', office: spec.office, filedAt, expectedVersion: caseDoc.version });
  process.stdout.write(r.ok ? 'the step was saved\n' : `the step was refused: ${JSON.stringify(r.errors)}\n`);
  await db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
