// Opening a stored document for its download: the bytes from the store it was written to, and the
// audit event of who took a copy (personal data leaving the system).
import type { Readable } from 'node:stream';
import type { AppContext } from '../deps.ts';
import type { Context } from '../context.ts';
import type { DocumentDoc } from '../../models/document.ts';
import type { CaseDoc } from '../../models/case.ts';
import { recordAudit } from '../audit/index.ts';
import { documentStores } from './stores.ts';

export interface OpenedDocument {
  id: string;
  stream: Readable;
  name: string;
  mimeType: string;
  size: number;
  sha256: string;
}

export interface OpenDocumentOptions {
  app: Pick<AppContext, 'config' | 'db'>;
  ctx: Context;
  /** The document and its case, loaded for the actor (server/documents/access.ts) and authorized. */
  doc: DocumentDoc;
  caseDoc: CaseDoc;
}

export async function openDocument({ app, ctx, doc, caseDoc }: OpenDocumentOptions): Promise<OpenedDocument> {
  const stream = await documentStores(app).of(doc.storage).openRead(doc.storageKey);
  // A download writes no record to carry its event (server/documents/pending-audit.ts), and adding a
  // write to carry it would cost every download a second one. So the event is recorded here, before
  // any byte goes out (the route pipes the stream only after this returns; an insert that fails
  // fails the request): a process killed in between can leave an event for a copy never sent, never
  // a copy sent unrecorded.
  await recordAudit(ctx, {
    action: 'document.download',
    targetType: 'document',
    targetId: String(doc._id),
    summary: { case: String(caseDoc._id), type: doc.type, version: doc.version, storage: doc.storage },
  }).catch((err: unknown) => {
    stream.destroy(); // the file handle (or GridFS cursor) of a download refused
    throw err;
  });
  return { id: String(doc._id), stream, name: doc.originalName, mimeType: doc.mimeType, size: doc.size, sha256: doc.sha256 };
}
