// A drill's crash step, run as its own process on the drill's data folder while the app is stopped:
// HR records the case's work permit as filed (today, with its office) through the real service
// (server/procedures/service.ts updateProcedure: one case update carries the track, the history
// entry, the applicant's e-mail in the outbox and the pending audit event; the audit is settled and
// the forecast refreshed after it), and the process SIGKILLs itself (its embedded database with it):
//   - 'case': as the case's update is issued (nothing of the step is written);
//   - 'after': at the first write after the case's update was acknowledged (the step stands, its
//     audit event not yet settled, its e-mail not yet sent);
//   - 'none': not at all.
// The kill point: ./kill-point.ts. Argument: one JSON object (ProcedureStep).
import { systemContext } from '../../../server/context.ts';
import { updateProcedure } from '../../../server/procedures/service.ts';
import { openCaseStep } from './step-process.ts';
import { killAround, type KillAt } from './kill-point.ts';

export interface ProcedureStep {
  hr: string;
  caseId: string;
  office: string;
  at: KillAt;
}

async function main(): Promise<void> {
  const { spec, config, logger, db, hr, caseDoc } = await openCaseStep<ProcedureStep>();
  killAround(spec.at, (op) => op.collectionName === 'cases' && op.method === 'findOneAndUpdate');
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
