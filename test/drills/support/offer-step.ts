// A drill's crash step, run as its own process on the drill's data folder while the app is stopped:
// HR saves the offer of a case at `offer` (its position and its letter, a real PDF received as a
// temporary file) through the real service (changeOfferTerms), and the process SIGKILLs itself
// (its embedded database with it) at `at`:
//   - 'case': as the case's update is issued (the letter's file and record are written, marked
//     offerPending; the case does not name it yet);
//   - 'named': at the first write after the case's update was acknowledged (the case names the
//     letter and carries its e-mail and audit; the letter is still marked offerPending);
//   - 'none': not at all (the step completes).
// The kill point is a listener on Mongoose's 'operation-start' event, emitted before a command is
// sent: the app itself has no fault point. Prints `killed at <at>: <collection>.<method>` just
// before dying, or `the offer was saved` once done. Argument: one JSON object (OfferStep).
import { writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import mongoose from 'mongoose';
import { systemContext } from '../../../server/context.ts';
import { uploadTempDir } from '../../../server/documents/storage.ts';
import { changeOfferTerms, OFFER_LETTER_FIELD } from '../../../server/cases/offer-terms.ts';
import { makePdf } from '../../documents/support.ts';
import { openCaseStep } from './step-process.ts';

export interface OfferStep {
  hr: string;
  caseId: string;
  position: string;
  at: 'case' | 'named' | 'none';
}

async function main(): Promise<void> {
  const { spec, config, db, hr, caseDoc } = await openCaseStep<OfferStep>();
  // The letter as the upload engine leaves it: a temporary file, its size and hash.
  const pdf = await makePdf(`Offer letter: ${spec.position}`);
  const dir = uploadTempDir(config);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tempPath = path.join(dir, `${randomBytes(16).toString('hex')}.part`);
  await writeFile(tempPath, pdf, { mode: 0o600 });
  const file = { field: OFFER_LETTER_FIELD, name: 'offer.pdf', tempPath, size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex'), mimeType: 'application/pdf' as const };

  let caseWritten = false;
  mongoose.connection.on('operation-start', (op: { collectionName: string; method: string }) => {
    const caseUpdate = op.collectionName === 'cases' && op.method === 'findOneAndUpdate';
    if ((spec.at === 'case' && caseUpdate) || (spec.at === 'named' && caseWritten)) {
      writeSync(1, `killed at ${spec.at}: ${op.collectionName}.${op.method}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
    if (caseUpdate) caseWritten = true;
  });
  const ctx = { ...systemContext({ now: new Date(), locale: 'en', actor: hr.toObject() as never }), ip: '198.51.100.7', requestId: `offer-step-${spec.at}` };
  await changeOfferTerms({ app: { config, db } as never, ctx, caseDoc, version: caseDoc.version, form: { offerPosition: spec.position }, files: [file] });
  process.stdout.write('the offer was saved\n');
  await db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
