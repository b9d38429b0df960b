// Renewals: a newer passport or certificate for a document HR already accepted (still valid,
// expiring or expired). The file arrives as version N+1 of the same slot, marked `renewalOf` and NOT
// current: until HR accepts it, the accepted version stays the one the validity rules, the workflow
// guard and the expiry reminders use (the current version is the newest accepted one). Accepting
// the renewal (verify.ts) makes it current; every earlier version stays, with its file, its dates
// and who checked it, listed for staff on the case's documents section. HR may upload a renewal on
// the applicant's behalf (a scan sent by post or e-mail); the applicant is then e-mailed.
import type { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { CaseDocument, type DocumentDoc } from '../../models/document.ts';
import type { DocumentType } from '../../models/constants.ts';
import { User } from '../../models/user.ts';
import type { PendingAudit } from '../audit/index.ts';
import { documentAudit, settleDocumentAudits, undoWithMark } from './pending-audit.ts';
import { sameId } from '../policies/ids.ts';
import { applicantEmailable, queueDocumentEmail } from './email.ts';
import { aboutField, UploadError } from './errors.ts';
import { parseFileField } from './rules.ts';
import { scanOrRefuse } from './scan.ts';
import { storeNextVersion } from './versions.ts';
import { documentStores } from './stores.ts';
import { checkCaseQuota, pendingRenewal, typedDatesFor, type ReceivedFile, type Translate } from './upload.ts';
import { discardReceived } from './storage.ts';

/** The file input of a renewal form: the slot it renews (`passport--0`), so the checklist item's limit applies. */
export function renewalField(doc: { type: string; slot?: number | null }): string {
  return `${doc.type}--${doc.slot ?? 0}`;
}

/** May this version be renewed now? It must be the slot's current version and accepted. */
export function renewable(doc: { current: boolean; status: string }): boolean {
  return doc.current && doc.status === 'accepted';
}

/**
 * For a renewal page shown to staff: will the applicant be e-mailed when it is uploaded (false when
 * their account is disabled)? Undefined for the applicant's own renewal (no e-mail is owed).
 */
export async function renewalTellsApplicant(ctx: Context, caseDoc: { applicant: unknown }): Promise<boolean | undefined> {
  if (!ctx.actor || sameId(ctx.actor._id, caseDoc.applicant)) return undefined;
  return applicantEmailable(await User.findById(caseDoc.applicant).select('disabledAt').lean());
}

export interface RenewDocumentOptions {
  app: Pick<AppContext, 'config' | 'db'>;
  ctx: Context;
  /** The accepted version being renewed, loaded for the actor (access.ts) and authorized. */
  doc: DocumentDoc;
  /** Its case: whose it is decides whether the applicant is e-mailed (an upload on their behalf). */
  caseDoc: { _id: unknown; reference: string; applicant: unknown };
  files: ReceivedFile[];
  dates: Record<string, unknown>;
}

/**
 * Records the renewal as a pending, not yet current, version. UploadError (nothing kept) when
 * refused. `applicantTold`: uploaded on the applicant's behalf and an e-mail queued to them (false
 * when their account is disabled).
 */
export async function renewDocument(opts: RenewDocumentOptions): Promise<{ doc: DocumentDoc; onBehalf: boolean; applicantTold: boolean }> {
  const { app, ctx, doc } = opts;
  const now = ctx.now;
  const t = tOf(ctx) as Translate;
  const type = doc.type as DocumentType;
  const label = t(`documents.types.${type}`);
  const storage = documentStores(app).current;
  let created: DocumentDoc | undefined;
  let audit: PendingAudit | undefined;
  const actor = actorOf(ctx);
  const onBehalf = !sameId(actor._id, opts.caseDoc.applicant);
  try {
    const files = opts.files.map((f) => {
      if (f.refusal) throw f.refusal.about(f.field);
      return f;
    });
    if (files.length === 0) throw new UploadError(422, 'no_files', 'documents.errors.noFiles');
    if (files.length > 1) throw new UploadError(422, 'not_multiple', 'documents.errors.notMultiple', { type: label });
    const file = files[0]!;
    const field = parseFileField(file.field);
    if (!field || field.type !== doc.type || (field.slot ?? 0) !== (doc.slot ?? 0)) throw new UploadError(422, 'unknown_item', 'documents.errors.unknownField', { field: file.field });
    if (!renewable(doc)) throw new UploadError(409, 'not_renewable', 'documents.errors.notRenewable', { type: label });
    if (await pendingRenewal(doc.case, type, doc.slot ?? 0)) throw new UploadError(409, 'renewal_pending', 'documents.errors.renewalPending', { type: label });
    await checkCaseQuota(app, doc.case, file.size);
    const dates = typedDatesFor(type, file.field, opts.dates, now, t);
    await scanOrRefuse(app.config.upload.clamdscanPath, file.tempPath, file.name).catch((err: unknown) => Promise.reject(aboutField(err, file.field)));

    // The renewal's event is written with its record (./pending-audit.ts); given way below, it goes with it.
    created = await storeNextVersion(storage, file, { case: doc.case as Types.ObjectId, type, slot: doc.slot ?? 0, current: false, renewalOf: doc._id, uploadedBy: actor._id, status: 'pending', ...dates }, ({ version }) =>
      (audit = documentAudit(ctx, { action: 'document.renewal_upload', summary: { case: String(doc.case), type, slot: doc.slot ?? 0, version, renews: String(doc._id), size: file.size, sha256: file.sha256, onBehalf } })),
    );
    // Two renewals at once: the later one gives way (one renewal waits for HR at a time).
    const waiting = await CaseDocument.countDocuments({ case: doc.case, type, slot: doc.slot ?? 0, current: false, status: 'pending', renewalOf: { $exists: true } });
    if (waiting > 1) throw new UploadError(409, 'renewal_pending', 'documents.errors.renewalPending', { type: label });
  } catch (err) {
    if (created) {
      const gone = created;
      await undoWithMark(gone.case, async () => {
        await CaseDocument.deleteOne({ _id: gone._id }).catch(() => undefined);
        await storage.remove(gone.storageKey).catch(() => undefined);
      });
    }
    // The unique (case, type, slot, version) index answered a simultaneous upload.
    if ((err as { code?: number }).code === 11000) throw new UploadError(409, 'renewal_pending', 'documents.errors.renewalPending', { type: label });
    throw err;
  } finally {
    await Promise.all(opts.files.map((f) => (f.refusal ? undefined : discardReceived(f.tempPath))));
  }
  await settleDocumentAudits(created._id, [audit!]);
  // Uploaded by HR on the applicant's behalf: the applicant is told what was added to their file.
  let applicantTold = false;
  if (onBehalf) {
    const applicant = await User.findById(opts.caseDoc.applicant);
    applicantTold = await queueDocumentEmail({
      app,
      applicant,
      caseDoc: opts.caseDoc,
      doc: created,
      template: 'document_renewal_added',
      data: { uploaderName: actor.name, expiresAt: created.expiresAt ?? undefined, issuedAt: created.issuedAt ?? undefined },
      now,
    });
  }
  return { doc: created, onBehalf, applicantTold };
}
