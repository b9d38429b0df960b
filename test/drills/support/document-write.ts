// A drill's crash step, run as its own process on the drill's data folder while the app is stopped:
// one document write through the model (models/document.ts), and the process SIGKILLs itself (its
// embedded database with it) inside the write's recount of the case's "documents to check" flag,
// after the recount's count and before its write: the document write stands, the flag is as before.
// `upload`: a new current version of the case's CV, waiting for HR's check (the flag should rise);
// `accept`: HR's check of that version (the flag should fall). Prints `killed in the recount after
// the <kind>` just before dying; exits 0 only if no recount came (the drill treats that as a failure).
// Argument: one JSON object (DocumentWrite).
import { writeSync } from 'node:fs';
import { Types } from 'mongoose';
import { openDatabase } from '../../../server/db/index.ts';
import { loadConfig } from '../../../server/config.ts';
import { createLogger } from '../../../server/logger.ts';
import { Case } from '../../../models/case.ts';
import { CaseDocument, setRecountHook } from '../../../models/document.ts';

export interface DocumentWrite {
  kind: 'upload' | 'accept';
  caseId: string;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as DocumentWrite;
  const db = await openDatabase(loadConfig(), createLogger('warn'));
  const caseId = new Types.ObjectId(spec.caseId);
  const c = (await Case.findById(caseId).lean())!;
  setRecountHook(() => {
    writeSync(1, `killed in the recount after the ${spec.kind}\n`);
    process.kill(process.pid, 'SIGKILL');
  });
  if (spec.kind === 'upload') {
    await CaseDocument.create({
      case: caseId, type: 'cv', slot: 0, version: 1, storage: 'disk', storageKey: `drill-${new Types.ObjectId()}`,
      originalName: 'cv.pdf', mimeType: 'application/pdf', size: 1000, sha256: 'a'.repeat(64), uploadedBy: c.applicant,
    });
  } else {
    await CaseDocument.findOneAndUpdate({ case: caseId, current: true, status: 'pending' }, { $set: { status: 'accepted' } });
  }
  process.stdout.write('the write finished without a recount\n');
  await db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
