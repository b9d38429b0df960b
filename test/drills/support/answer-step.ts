// A drill's crash step, run as its own process on the drill's data folder while the app is stopped:
// the applicant answers HR's information request with a text and the paper it asks for (a real
// PDF received as a temporary file, as the upload engine leaves it) through the real service
// (server/applications/answer.ts answerWithFiles: the file stored and its record written, then the
// case's update naming it, carrying HR's e-mail and the audit event), and the process SIGKILLs
// itself (its embedded database with it) at `at`:
//   - 'case': as the case's update is issued (the file and its record written, no answer names them);
//   - 'after': at the first write after the case's update was acknowledged;
//   - 'none': not at all.
// The kill point: ./kill-point.ts. Argument: one JSON object (AnswerStep). Prints the PDF's sha256 first.
import { writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { systemContext } from '../../../server/context.ts';
import { uploadTempDir } from '../../../server/documents/storage.ts';
import { answerWithFiles } from '../../../server/applications/answer.ts';
import { User } from '../../../models/user.ts';
import { makePdf } from '../../documents/support.ts';
import { openCaseStep } from './step-process.ts';
import { killAround, type KillAt } from './kill-point.ts';

export interface AnswerStep {
  /** The applicant's e-mail (openCaseStep reads it as the actor). */
  hr: string;
  caseId: string;
  answer: string;
  type: string;
  at: KillAt;
}

async function main(): Promise<void> {
  const { spec, config, logger, db, caseDoc } = await openCaseStep<AnswerStep>();
  const applicant = (await User.findById(caseDoc.applicant))!;
  const pdf = await makePdf(`Answer: ${spec.answer}`);
  const dir = uploadTempDir(config);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tempPath = path.join(dir, `${randomBytes(16).toString('hex')}.part`);
  await writeFile(tempPath, pdf, { mode: 0o600 });
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  writeSync(1, `sha256 ${sha256}\n`);
  const file = { field: spec.type, name: 'degree.pdf', tempPath, size: pdf.length, sha256, mimeType: 'application/pdf' as const };

  // The answer's own update (the workflow's record: its history entry answer_info), not a recount of the case's flags.
  killAround(spec.at, (op) => op.collectionName === 'cases' && op.method === 'findOneAndUpdate' && JSON.stringify(op.params?.[1] ?? {}).includes('"answer_info"'));
  const ctx = { ...systemContext({ now: new Date(), locale: 'en', actor: applicant.toObject() as never }), ip: '198.51.100.9', requestId: `answer-step-${spec.at}` };
  const done = await answerWithFiles({ app: { config, logger, db } as never, ctx, caseDoc, expectedVersion: caseDoc.version, answer: spec.answer, files: [file], dates: {} });
  process.stdout.write(`the answer was saved: ${JSON.stringify(done)}\n`);
  await db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
