// The applicant's answer to an information request that names a paper (server/cases/request-info.ts,
// infoRequest.documentType): the form offers a file of that kind beside the text. The file goes
// through the documents' own upload path (checked, scanned, stored, audited: server/documents/upload.ts)
// into the case's documents, and the answer names it for HR. The text is checked before any file is
// kept, and a refused file keeps nothing, so the answer is recorded with its file or not at all: a
// file stored for an answer that then loses the case's version race is taken back (withdrawUploads).
import type { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import type { Context } from '../context.ts';
import type { CaseDoc } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { CaseDocument } from '../../models/document.ts';
import { PAYLOADS } from '../workflow/transitions.ts';
import { commitUploads, requireConfirmedEmail, withdrawUploads, type ReceivedFile } from '../documents/upload.ts';
import { CaseConflictError, versionSeen } from '../cases/conflict.ts';
import type { PresentedCall } from '../documents/present.ts';
import { answerInfoRequest } from './service.ts';
import { discardReceived } from '../documents/storage.ts';

type ChecklistItem = NonNullable<PresentedCall['checklist']>[number];

/** The open request's paper, if it asks for one and can still be answered. */
export function askedDocument(caseDoc: Pick<CaseDoc, 'stage' | 'infoRequest'>): string | undefined {
  const r = caseDoc.infoRequest;
  return caseDoc.stage === 'awaiting_applicant' && r?.documentType && !r.answeredAt ? r.documentType : undefined;
}

/**
 * The one upload place of the answer form: the call's checklist item of that type (its size limit,
 * one file or several), open whatever its phase (HR asked for it now); a paper the checklist does
 * not list is a list of files (asked again, it adds rather than replaces).
 */
export async function answerChecklist(caseDoc: Pick<CaseDoc, 'call' | 'stage' | 'infoRequest'>): Promise<ChecklistItem[]> {
  const type = askedDocument(caseDoc);
  if (!type) return [];
  const call = await Call.findById(caseDoc.call, { checklist: 1 }).lean();
  const listed = (call?.checklist ?? []).find((i) => i.type === type);
  return [{ type, phase: 'application', required: false, multiple: listed ? !!listed.multiple : true, maxMb: listed?.maxMb ?? null }];
}

/** Temporary files not kept (the answer refused before they were stored). */
export async function discard(files: readonly ReceivedFile[]): Promise<void> {
  await Promise.all(files.map((f) => (f.refusal ? undefined : discardReceived(f.tempPath))));
}

/**
 * Records the answer with the files received beside it (none: the text answer as before). A stale
 * form or a repeat goes to answerInfoRequest without storing the files (it says which it was).
 */
export async function answerWithFiles(sent: { app: AppContext; ctx: Context; caseDoc: CaseDoc; expectedVersion: number; answer: string; files: ReceivedFile[]; dates: Record<string, unknown> }): Promise<{ repeated: boolean; documents: number }> {
  // A page read before the start-up sweep claimed the case (its version moved for that alone) is not stale.
  const opts = { ...sent, expectedVersion: versionSeen(sent.caseDoc, sent.expectedVersion) };
  const { app, ctx, caseDoc, files } = opts;
  if (files.length === 0) return { ...(await answerInfoRequest(opts)), documents: 0 };
  const parsed = PAYLOADS.answer_info.safeParse({ answer: opts.answer });
  const fresh = caseDoc.version === opts.expectedVersion && !!askedDocument(caseDoc);
  if (!parsed.success || !fresh) {
    await discard(files);
    // The text's own refusal (the workflow's words), or the stale form's conflict or repeat.
    return { ...(await answerInfoRequest(opts)), documents: 0 };
  }
  let checklist: Awaited<ReturnType<typeof answerChecklist>>;
  try {
    requireConfirmedEmail(ctx);
    checklist = await answerChecklist(caseDoc);
  } catch (err) {
    // Refused before commitUploads takes the files (an unconfirmed address): they and their staged chunks go.
    await discard(files);
    throw err;
  }
  // Throws an UploadError (nothing kept) for a disguised, empty or too large file.
  const superseded: Types.ObjectId[] = [];
  // Marked until the answer names them: a process killed before the case's update leaves files no
  // answer names, which the start-up sweep takes back (server/documents/sweep.ts).
  const docs = await commitUploads({ app, ctx, caseDoc, call: { checklist }, files, dates: opts.dates, superseded, answerPending: true });
  // The case changed between the form's read and the answer's write (409), or the same answer sent
  // twice was recorded first with its own files: these files are named by no answer, so they go.
  let done: { repeated: boolean };
  try {
    done = await answerInfoRequest({ ...opts, documents: docs.map((d) => String(d._id)) });
  } catch (err) {
    await withdrawUploads(app, ctx, docs, superseded, err instanceof CaseConflictError ? 'answer_conflict' : 'answer_refused');
    throw err;
  }
  if (done.repeated) {
    await withdrawUploads(app, ctx, docs, superseded, 'answer_repeated');
    return { ...done, documents: 0 };
  }
  // Named by the answer now (a stop before this leaves them marked: the sweep sees them named and unmarks them).
  await CaseDocument.updateMany({ _id: { $in: docs.map((d) => d._id) }, answerPending: true }, { $unset: { answerPending: 1 } });
  return { ...done, documents: docs.length };
}
