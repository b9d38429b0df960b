// Stored files for privacy tests: a real file put into the disk or GridFS store under a fresh key,
// with its CaseDocument record, as an upload leaves them.
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Types } from 'mongoose';
import { CaseDocument } from '../../models/document.ts';
import { newStorageKey, uploadTempDir } from '../../server/documents/storage.ts';
import type { Stores } from '../../server/privacy/erase.ts';
import type { Config } from '../../server/config.ts';

let n = 0;

export async function storeDocument(
  config: Config,
  stores: Stores,
  caseId: Types.ObjectId,
  uploadedBy: Types.ObjectId,
  storage: 'disk' | 'gridfs' = 'disk',
  type = 'cv',
): Promise<{ key: string; id: Types.ObjectId }> {
  n += 1;
  const bytes = Buffer.from(`%PDF-1.4\n% test file ${n} for ${String(caseId)}\n%%EOF\n`);
  const tmp = path.join(uploadTempDir(config), `privacy-${process.pid}-${n}`);
  await mkdir(path.dirname(tmp), { recursive: true });
  await writeFile(tmp, bytes);
  const key = newStorageKey();
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await stores[storage].put(tmp, key, { contentType: 'application/pdf', sha256 });
  const doc = await CaseDocument.create({
    case: caseId,
    type: type as never,
    slot: n, // unique per case and type
    version: 1,
    storage,
    storageKey: key,
    originalName: `cv-${n}.pdf`,
    mimeType: 'application/pdf',
    size: bytes.length,
    sha256,
    uploadedBy,
  });
  return { key, id: doc._id as Types.ObjectId };
}
