// Erasing one case's personal data: its uploaded files, its document records, its panel
// evaluations. Files go first and records after, so a run cut short leaves records that still
// point at (possibly already removed) files, and the next run finishes the job; a file that is
// already gone is not an error.
import { MailLog } from '../../models/mail-log.ts';
import type { AppContext } from '../deps.ts';
import { CaseDocument } from '../../models/document.ts';
import { recordDocumentAuditsBeforeErasure } from '../documents/pending-audit.ts';
import { recordConflictAuditsBeforeErasure } from '../evaluations/index.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { Mention } from '../../models/mention.ts';
import { DiskStorage, createStorage, type DocumentStorage } from '../documents/storage.ts';

export type Stores = Record<'disk' | 'gridfs', DocumentStorage>;

/** Both stores: a file is removed from the store it was written to, whatever UPLOAD_STORAGE says now. */
export function documentStores(app: Pick<AppContext, 'config' | 'db'>): Stores {
  return {
    disk: new DiskStorage(app.config.upload.dir),
    gridfs: createStorage({ upload: { ...app.config.upload, storage: 'gridfs' } }, app.db.connection),
  };
}

async function removeFile(store: DocumentStorage, key: string): Promise<void> {
  try {
    await store.remove(key);
  } catch (err) {
    // A key that is not one of ours (or a file removed by a concurrent run) has nothing left to remove.
    if ((err as Error).message === 'invalid storage key') return;
    if (await store.exists(key).catch(() => true)) throw err;
  }
}

/**
 * Removes the case's files, document records, evaluations, declared conflicts of interest, mail-log rows (recipient, subject:
 * personal data too) and mentions (a note's excerpt); the case itself is left to the caller.
 */
export async function eraseCaseFiles(stores: Stores, caseId: unknown): Promise<{ files: number }> {
  // The audit events a version still carries are recorded first: the records go, the events stay.
  await recordDocumentAuditsBeforeErasure(caseId);
  const docs = await CaseDocument.find({ case: caseId as never }, { storage: 1, storageKey: 1 }).lean();
  for (const d of docs) await removeFile(stores[d.storage === 'gridfs' ? 'gridfs' : 'disk'], d.storageKey);
  await CaseDocument.deleteMany({ case: caseId as never });
  await Evaluation.deleteMany({ case: caseId as never });
  await recordConflictAuditsBeforeErasure(caseId);
  await PanelConflict.deleteMany({ case: caseId as never });
  await MailLog.deleteMany({ source: 'case', case: caseId as never });
  // A colleague's mention keeps up to 400 characters of the internal note that named them, words about
  // the applicant: it went with neither the case nor its notes (security review s36).
  await Mention.deleteMany({ case: caseId as never });
  return { files: docs.length };
}

/** The mail-log rows of an erased account's own e-mails (verification, reset): its address is personal data. */
export async function eraseAccountMail(email: string): Promise<void> {
  await MailLog.deleteMany({ source: 'account', to: email.toLowerCase() });
}
