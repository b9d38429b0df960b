// A drill's crash step, run as its own process on the drill's data folder while the app is stopped:
// HR puts a case on hold (a confirmed decision: the workflow's step and the decision's audit events)
// through the real service (takeHrDecision), and the process SIGKILLs itself (its embedded database
// with it) the moment the first audit event's insert is issued, that is right after the case's
// update was acknowledged. The kill point is a listener on Mongoose's 'operation-start' event,
// emitted before a command is sent: the app itself has no fault point. Prints one line
// `about to write the audit: <collection>.<method>` just before dying; exits 0 only if no audit
// insert came (which the drill treats as a failure). Argument: one JSON object (CaseStep).
import { writeSync } from 'node:fs';
import mongoose from 'mongoose';
import { createMailer } from '../../../server/mail/mailer.ts';
import { systemContext } from '../../../server/context.ts';
import { takeHrDecision } from '../../../server/cases/decision.ts';
import { openCaseStep } from './step-process.ts';

export interface CaseStep {
  hr: string;
  caseId: string;
  reason: string;
  reviewBy: string;
  requestId: string;
}

async function main(): Promise<void> {
  const { spec, config, logger, db, hr, caseDoc } = await openCaseStep<CaseStep>();
  mongoose.connection.on('operation-start', (op: { collectionName: string; method: string }) => {
    if (op.collectionName !== 'auditevents' || op.method !== 'insertOne') return;
    writeSync(1, `about to write the audit: ${op.collectionName}.${op.method}\n`);
    process.kill(process.pid, 'SIGKILL');
  });
  const ctx = { ...systemContext({ now: new Date(), locale: 'en', actor: hr.toObject() as never }), ip: '198.51.100.4', requestId: spec.requestId };
  const mailer = createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom, timeoutMs: 5000 });
  const app = { config, logger, mailer } as never;
  await takeHrDecision({ app, ctx, caseDoc, action: 'put_on_hold', version: caseDoc.version, payload: { reason: spec.reason, reviewBy: spec.reviewBy } });
  process.stdout.write('the step finished without writing the audit\n');
  await db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
