// A drill's crash step, run as its own process on the drill's data folder while the app is stopped:
// one audited document write through the real service, and the process SIGKILLs itself (its
// embedded database with it) the moment the write's audit insert is issued, that is right after the
// document's write was acknowledged. `upload`: the applicant's CV (a real PDF, stored on disk)
// through commitUploads, as the upload route calls it; `verify`: HR rejects the case's current CV
// with a reason through verifyDocument. The kill point is a listener on Mongoose's
// 'operation-start' event, emitted before a command is sent: the app itself has no fault point.
// Prints one line `about to write the audit: <collection>.<method>` just before dying; exits 0 only
// if no audit insert came (which the drill treats as a failure). Argument: one JSON object (DocumentAuditStep).
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mongoose, { Types } from 'mongoose';
import { openDatabase } from '../../../server/db/index.ts';
import { loadConfig } from '../../../server/config.ts';
import { createLogger } from '../../../server/logger.ts';
import { systemContext } from '../../../server/context.ts';
import { User } from '../../../models/user.ts';
import { Case, type CaseDoc } from '../../../models/case.ts';
import { Call } from '../../../models/call.ts';
import { CaseDocument } from '../../../models/document.ts';
import { commitUploads } from '../../../server/documents/upload.ts';
import { verifyDocument } from '../../../server/documents/verify.ts';
import { makePdf } from '../../documents/support.ts';

export interface DocumentAuditStep {
  kind: 'upload' | 'verify';
  /** The actor's e-mail: the applicant's for an upload, HR's for a check. */
  actor: string;
  caseId: string;
  requestId: string;
  /** A check's reason. */
  reason?: string;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as DocumentAuditStep;
  const config = loadConfig();
  const db = await openDatabase(config, createLogger('warn'));
  const actor = (await User.findOne({ email: spec.actor }))!;
  const caseDoc = (await Case.findById(new Types.ObjectId(spec.caseId)))!;
  const ctx = { ...systemContext({ now: new Date(), locale: 'en', actor: actor.toObject() as never }), ip: '198.51.100.7', requestId: spec.requestId };
  const app = { config, db, logger: createLogger('warn') } as never;
  let upload: Parameters<typeof commitUploads>[0] | undefined;
  if (spec.kind === 'upload') {
    // A received file as the HTTP layer leaves it (server/http/uploads.ts): complete, hashed, typed.
    const pdf = await makePdf('Curriculum vitae (drill)');
    await mkdir(config.upload.dir, { recursive: true });
    const tempPath = path.join(config.upload.dir, `drill-upload-${new Types.ObjectId()}.tmp`);
    await writeFile(tempPath, pdf);
    const call = (await Call.findById(caseDoc.call).lean())!;
    const file = { field: 'cv', name: 'cv.pdf', tempPath, size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex'), mimeType: 'application/pdf' as const };
    upload = { app, ctx, caseDoc: caseDoc.toObject() as never, call: { checklist: call.checklist } as never, files: [file], dates: {} };
  }
  mongoose.connection.on('operation-start', (op: { collectionName: string; method: string }) => {
    if (op.collectionName !== 'auditevents' || op.method !== 'insertOne') return;
    writeSync(1, `about to write the audit: ${op.collectionName}.${op.method}\n`);
    process.kill(process.pid, 'SIGKILL');
  });
  if (upload) await commitUploads(upload);
  else {
    const doc = (await CaseDocument.findOne({ case: caseDoc._id, type: 'cv', current: true }))!;
    await verifyDocument({ app, ctx, doc, caseDoc: caseDoc as CaseDoc, decision: 'reject', reason: spec.reason ?? 'drill' });
  }
  process.stdout.write('the write finished without writing the audit\n');
  await db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
