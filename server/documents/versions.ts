// A file stored as the next version of one of a case's document slots, outside the applicant's
// upload form (server/documents/upload.ts, which plans several at once): a renewal HR or the
// applicant adds to an accepted document (./renewal.ts), the offer letter HR attaches
// (server/cases/offer-terms.ts).
import type { Types } from 'mongoose';
import { CaseDocument, type DocumentDoc } from '../../models/document.ts';
import { newStorageKey, type DocumentStorage } from './storage.ts';
import type { PendingAudit } from '../audit/index.ts';
import { withoutPendingAudits } from './pending-audit.ts';

export interface StoredFile {
  tempPath: string;
  name: string;
  mimeType: DocumentDoc['mimeType'];
  size: number;
  sha256: string;
}

/**
 * The file first, its record after (a crash between leaves a file the start-up sweep removes, never
 * a record without its file), as the version after the slot's highest. A record that cannot be
 * written takes its stored file with it. `record`: the fields besides the file's and the version.
 * `audit`: the event of the write, given the version and storage it took, written with the record
 * (./pending-audit.ts); the caller settles it.
 */
export async function storeNextVersion(
  storage: DocumentStorage,
  file: StoredFile,
  record: { case: Types.ObjectId; type: DocumentDoc['type']; slot: number } & Record<string, unknown>,
  audit?: (written: { version: number; storage: DocumentDoc['storage'] }) => PendingAudit,
): Promise<DocumentDoc> {
  const key = newStorageKey();
  await storage.put(file.tempPath, key, { contentType: file.mimeType, sha256: file.sha256 });
  try {
    const top = await CaseDocument.findOne({ case: record.case, type: record.type, slot: record.slot }, { version: 1 }).sort({ version: -1 }).lean();
    const version = (top?.version ?? 0) + 1;
    const doc = await CaseDocument.create({
      ...record,
      ...(audit ? { pendingAudits: [audit({ version, storage: storage.kind })] } : {}),
      version,
      storage: storage.kind,
      storageKey: key,
      originalName: file.name,
      mimeType: file.mimeType,
      size: file.size,
      sha256: file.sha256,
    });
    return withoutPendingAudits(doc);
  } catch (err) {
    await storage.remove(key).catch(() => undefined);
    throw err;
  }
}
