// Turns the temporary files of one upload request into document versions. Everything is checked
// before anything is recorded (checklist item, stage, versions, dates, virus scan); then each file
// is moved into storage and gets its record; if any step fails, every record and stored file of the
// request is removed again. A new version becomes current and the older ones of its slot stop being.
// What one person may keep is bounded: an applicant uploads only once their e-mail address is
// confirmed (a throwaway address cannot fill the disk), an application holds at most
// UPLOAD_CASE_QUOTA_MB in all its versions, and a draft keeps only the newest of the versions nobody
// has checked (no one but the applicant has seen them).
import { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { CaseDocument, recountAfterOwnWrite, type DocumentDoc } from '../../models/document.ts';
import type { DocumentType } from '../../models/constants.ts';
import type { PendingAudit } from '../audit/index.ts';
import { deleteAudited, documentAudit, settleDocumentAudits, undoWithMark, withoutPendingAudits } from './pending-audit.ts';
import { aboutField, storageRefusal, UploadError } from './errors.ts';
import { parseFileField, phaseOpen, type AllowedMime } from './rules.ts';
import { DATE_RULES, VALID_MONTHS, addMonths, validityOf, type ValidityCase } from './validity.ts';
import { scanOrRefuse } from './scan.ts';
import { newStorageKey, discardReceived } from './storage.ts';
import { documentStores } from './stores.ts';
import type { PresentedCall, PresentedCase } from './present.ts';
import { calendarDayProblem, type CalendarDayProblem } from '../support/calendar-day.ts';
import { withAskedPapers } from './asked-papers.ts';

const DAY = 86_400_000;

/**
 * One file of the request as the HTTP layer received it (server/http/uploads.ts): a complete
 * temporary file, already hashed, sized and typed by its bytes; or, when its name was refused
 * before any byte was kept, only the refusal.
 */
export type ReceivedFile = { field: string; name: string } & (
  | { refusal: UploadError }
  | { refusal?: undefined; tempPath: string; size: number; sha256: string; mimeType: AllowedMime }
);
type AcceptedFile = Extract<ReceivedFile, { tempPath: string }>;

interface PlannedFile {
  file: AcceptedFile;
  type: DocumentType;
  slot: number;
  /** The slot's highest version when it was checked (0: none); the insert takes the next one. */
  topVersion: number;
  /** A new entry of a list (the slot above the highest): taken by another upload meanwhile, it moves up. */
  fresh: boolean;
  issuedAt?: Date;
  expiresAt?: Date;
}

export interface CommitUploadsOptions {
  app: Pick<AppContext, 'config' | 'db'>;
  ctx: Context;
  caseDoc: PresentedCase & ValidityCase;
  call: PresentedCall;
  files: ReceivedFile[];
  /** What was typed beside the files, by field name (`<file field>_issuedAt`, `…_expiresAt`), as sent. */
  dates: Record<string, unknown>;
  /** Filled with the older versions the upload made not current: withdrawUploads makes them current again. */
  superseded?: Types.ObjectId[];
  /**
   * Work on the written versions that waits for nothing else of the upload (the officer's e-mail of
   * a file a procedure asked for): started once every record is written, beside their audit events
   * and the case's flag, and awaited with them. It handles its own failure (it must not reject).
   */
  afterRecorded?: (docs: DocumentDoc[]) => Promise<unknown>;
  /** The files of an answer: marked `answerPending` until the case's answer names them (models/document.ts). */
  answerPending?: boolean;
}

export type Translate = (k: string, p?: Record<string, unknown>) => string;

function typeLabel(t: (k: string) => string, type: string): string {
  return t(`documents.types.${type}`);
}

function parseDate(v: unknown): Date | undefined | CalendarDayProblem {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return 'format';
  return calendarDayProblem(v) ?? new Date(`${v}T00:00:00Z`);
}

/** Each says what is wrong with the day typed: 9999-01-01 is a valid date, in a year no document has. */
const DATE_PROBLEMS: Record<CalendarDayProblem, string> = {
  format: 'documents.errors.dateInvalid',
  noSuchDay: 'documents.errors.dateNoSuchDay',
  year: 'documents.errors.dateYear',
};

async function latest(caseId: unknown, type: DocumentType, slot: number): Promise<DocumentDoc | null> {
  return CaseDocument.findOne({ case: caseId as Types.ObjectId, type, slot }).sort({ version: -1 });
}

/** The highest slot holding a version of `type` (0 when none): a new entry of a list goes above it. */
async function highestSlot(caseId: unknown, type: DocumentType): Promise<number> {
  const top = await CaseDocument.findOne({ case: caseId as Types.ObjectId, type }, { slot: 1 }).sort({ slot: -1 }).lean();
  return Math.max(0, top?.slot ?? 0);
}

/**
 * The dates typed beside a file (`<field>_issuedAt` or `<field>_expiresAt`), checked against the
 * type's rule (validity.ts DATE_RULES); UploadError when one is missing, malformed or already out of date.
 */
export function typedDatesFor(type: DocumentType, field: string, dates: Record<string, unknown>, now: Date, t: Translate): { issuedAt?: Date; expiresAt?: Date } {
  const rule = DATE_RULES[type];
  if (!rule) return {};
  const label = typeLabel(t, type);
  const what = t(rule === 'issued' ? 'documents.errors.issueDateWord' : 'documents.errors.expiryDateWord');
  const dateField = `${field}_${rule === 'issued' ? 'issuedAt' : 'expiresAt'}`;
  try {
    return checkedDate(type, rule, parseDate(dates[dateField]), now, label, what);
  } catch (err) {
    // The refusal is about the date typed, not the file: the page marks the date input.
    throw aboutField(err, dateField);
  }
}

function checkedDate(type: DocumentType, rule: 'issued' | 'expires', d: ReturnType<typeof parseDate>, now: Date, label: string, what: string): { issuedAt?: Date; expiresAt?: Date } {
  if (d === undefined) throw new UploadError(422, 'date_required', 'documents.errors.dateRequired', { what, type: label });
  if (typeof d === 'string') throw new UploadError(422, 'date_invalid', DATE_PROBLEMS[d], { what, type: label });
  if (rule === 'issued') {
    if (d.getTime() > now.getTime() + DAY) throw new UploadError(422, 'issued_future', 'documents.errors.issuedFuture', { type: label });
    const months = VALID_MONTHS[type]!;
    if (addMonths(d, months).getTime() <= now.getTime()) throw new UploadError(422, 'too_old', 'documents.errors.tooOld', { type: label, months });
    return { issuedAt: d };
  }
  if (d.getTime() <= now.getTime()) throw new UploadError(422, 'already_expired', 'documents.errors.alreadyExpired', { type: label });
  // Valid but not long enough for the residence card: accepted here, flagged on the case and queue.
  return { expiresAt: d };
}

/** The slot's current version (the newest flagged current). */
export async function currentVersion(caseId: unknown, type: DocumentType, slot: number): Promise<DocumentDoc | null> {
  return CaseDocument.findOne({ case: caseId as Types.ObjectId, type, slot, current: true }).sort({ version: -1 });
}

/** A renewal of the slot still waiting for HR's check (renewal.ts), if any. */
export async function pendingRenewal(caseId: unknown, type: DocumentType, slot: number): Promise<DocumentDoc | null> {
  return CaseDocument.findOne({ case: caseId as Types.ObjectId, type, slot, current: false, status: 'pending', renewalOf: { $exists: true } });
}

/** Checks one request's files against the checklist and the rules, without writing anything. */
async function planUploads(input: CommitUploadsOptions, files: AcceptedFile[], now: Date, t: Translate): Promise<PlannedFile[]> {
  if (files.length === 0) throw new UploadError(422, 'no_files', 'documents.errors.noFiles');
  const plans: PlannedFile[] = [];
  const usedSlots = new Set<string>();
  const newSlotBase = new Map<string, number>();
  for (const file of files) {
    try {
      plans.push(await planUpload(input, file, now, t, usedSlots, newSlotBase));
    } catch (err) {
      // Whatever refuses this file is said beside its input.
      throw aboutField(err, file.field);
    }
  }
  return plans;
}

/** One file of the request, checked (the slots taken by the request's earlier files are in `usedSlots`). */
async function planUpload(input: CommitUploadsOptions, file: AcceptedFile, now: Date, t: Translate, usedSlots: Set<string>, newSlotBase: Map<string, number>): Promise<PlannedFile> {
  const { caseDoc, call, dates } = input;
  const field = parseFileField(file.field);
  // A paper a procedure's request named has its own place beside the call's items (./asked-papers.ts).
  const item = field ? withAskedPapers(call.checklist, caseDoc).find((i) => i.type === field.type) : undefined;
  if (!field || !item) throw new UploadError(422, 'unknown_item', 'documents.errors.unknownField', { field: file.field });
  const type = item.type as DocumentType;
  const label = typeLabel(t, type);
  if (!phaseOpen(item.phase ?? 'application', String(caseDoc.stage ?? 'draft'), caseDoc.resumeStage)) {
    throw new UploadError(422, 'not_open', 'documents.errors.notOpen', { type: label });
  }
  let slot: number;
  let fresh = false;
  if (!item.multiple) {
    if (field.slot !== undefined && field.slot !== 0) throw new UploadError(422, 'bad_slot', 'documents.errors.badSlot', { type: label });
    slot = 0;
  } else if (field.slot === undefined) {
    slot = (newSlotBase.get(type) ?? (await highestSlot(caseDoc._id, type))) + 1;
    newSlotBase.set(type, slot);
    fresh = true;
  } else {
    if (field.slot < 1) throw new UploadError(422, 'bad_slot', 'documents.errors.badSlot', { type: label });
    slot = field.slot;
  }
  const slotKey = `${type}|${slot}`;
  if (usedSlots.has(slotKey)) throw new UploadError(422, 'not_multiple', 'documents.errors.notMultiple', { type: label });
  usedSlots.add(slotKey);

  // A slot above the highest one held nothing when it was read: no version, nothing accepted, no
  // renewal (an upload into it at the same moment is settled by the unique version index, insertVersion).
  // Otherwise the slot's newest, current and renewing versions are read at once.
  const [top, cur, renewal] = fresh
    ? [null, null, null]
    : await Promise.all([latest(caseDoc._id, type, slot), currentVersion(caseDoc._id, type, slot), pendingRenewal(caseDoc._id, type, slot)]);
  // A numbered slot of a list must exist already (a new entry of the list is sent without a number).
  if (item.multiple && !fresh && !top) throw new UploadError(422, 'bad_slot', 'documents.errors.badSlot', { type: label });
  // An accepted, still valid file is settled: a new version would undo HR's decision (a newer
  // passport or certificate goes through "upload a renewal", renewal.ts).
  if (cur && cur.status === 'accepted' && validityOf(cur, caseDoc, now) === 'ok') {
    throw new UploadError(409, 'already_accepted', 'documents.errors.alreadyAccepted', { type: label });
  }
  if (renewal) throw new UploadError(409, 'renewal_pending', 'documents.errors.renewalPending', { type: label });

  return { file, type, slot, fresh, topVersion: top?.version ?? 0, ...typedDatesFor(type, file.field, dates, now, t) };
}

/** The new version's record, written with its upload event (./pending-audit.ts), and the event to settle. */
async function insertVersion(input: CommitUploadsOptions, p: PlannedFile, key: string, storageKind: 'disk' | 'gridfs'): Promise<{ doc: DocumentDoc; audit: PendingAudit }> {
  // The first attempt takes the version after the one the checks read; a later one reads anew:
  // a new entry of a list takes the slot above the highest, a version the next one of its slot.
  let slot = p.slot;
  let version = p.topVersion + 1;
  for (let attempt = 0; ; attempt += 1) {
    if (attempt > 0 && p.fresh) {
      slot = Math.max(slot, (await highestSlot(input.caseDoc._id, p.type)) + 1);
      version = 1;
    } else if (attempt > 0) version = ((await latest(input.caseDoc._id, p.type, slot))?.version ?? 0) + 1;
    const audit = documentAudit(input.ctx, {
      action: 'document.upload',
      summary: { case: String(input.caseDoc._id), type: p.type, slot, version, size: p.file.size, sha256: p.file.sha256, mimeType: p.file.mimeType, storage: storageKind },
    });
    try {
      const doc = new CaseDocument({
        case: input.caseDoc._id as Types.ObjectId,
        type: p.type,
        slot,
        version,
        current: true,
        ...(input.answerPending ? { answerPending: true } : {}),
        storage: storageKind,
        storageKey: key,
        originalName: p.file.name,
        mimeType: p.file.mimeType,
        size: p.file.size,
        sha256: p.file.sha256,
        uploadedBy: actorOf(input.ctx)._id,
        status: 'pending',
        issuedAt: p.issuedAt,
        expiresAt: p.expiresAt,
        pendingAudits: [audit],
      });
      // The case's flag is recounted by commitUploads beside the event's settling, not before it.
      doc.$locals.recountByCaller = true;
      await doc.save();
      return { doc: withoutPendingAudits(doc), audit };
    } catch (err) {
      // Two uploads of the same slot at once: the unique (case, type, slot, version) index decides; the later one retries.
      if ((err as { code?: number }).code === 11000 && attempt < 5) continue;
      throw err;
    }
  }
}

/** An applicant uploads from a confirmed address only; refused before any byte is read. */
export function requireConfirmedEmail(ctx: Context): void {
  const actor = actorOf(ctx);
  if (actor.role === 'applicant' && !actor.emailVerifiedAt) throw new UploadError(403, 'email_unconfirmed', 'documents.errors.emailUnconfirmed', { email: actor.email });
}

/** Bytes the case holds in documents, every version and renewal counted. */
export async function storedBytes(caseId: unknown): Promise<number> {
  const rows = await CaseDocument.find({ case: caseId as Types.ObjectId }, { size: 1, _id: 0 }).lean<Array<{ size?: number }>>();
  return rows.reduce((sum, r) => sum + (r.size ?? 0), 0);
}

const MB = 1024 * 1024;
/** 0.4, 12: one decimal below 10 MB, where it matters; written in the reader's language where the refusal is translated (uploadRefusal). */
const mb = (bytes: number): number => (bytes < 10 * MB ? Math.ceil((bytes / MB) * 10) / 10 : Math.ceil(bytes / MB));

/**
 * Refuses files that would take the case over its quota (UPLOAD_CASE_QUOTA_MB). `stored`: the case's
 * bytes (storedBytes), when the caller began to read them beside other checks.
 */
export async function checkCaseQuota(app: Pick<AppContext, 'config'>, caseId: unknown, incoming: number, stored?: Promise<number>): Promise<void> {
  const quota = app.config.upload.caseQuotaBytes;
  const used = await (stored ?? storedBytes(caseId));
  if (used + incoming > quota) {
    throw new UploadError(413, 'case_quota', 'documents.errors.caseQuota', { usedMb: mb(used), maxMb: mb(quota), incomingMb: mb(incoming) });
  }
}

/**
 * In a draft, a new version replaces the older versions of its slot that nobody has checked: only
 * the applicant has seen them, and keeping each would let one draft grow without bound. Record
 * first, file after (a crash in between leaves a file without a record, which the sweep removes).
 */
async function pruneDraftVersions(app: Pick<AppContext, 'config' | 'db'>, ctx: Context, doc: DocumentDoc): Promise<void> {
  const stale = await CaseDocument.find({ case: doc.case, type: doc.type, slot: doc.slot, version: { $lt: doc.version }, status: 'pending', renewalOf: null }, { storage: 1, storageKey: 1, version: 1, size: 1 }).lean();
  if (stale.length === 0) return;
  const stores = documentStores(app);
  // The event is about the new version (its target), carried by the case: the records it removes cannot carry it.
  const audit = documentAudit(ctx, {
    action: 'document.draft_versions_removed',
    about: doc._id,
    summary: { case: String(doc.case), type: doc.type, slot: doc.slot, versions: stale.map((s) => s.version), bytes: stale.reduce((n, s) => n + (s.size ?? 0), 0), removes: stale.map((s) => String(s._id)) },
  });
  await deleteAudited(doc.case, [audit], async () => {
    const kept: number[] = [];
    for (const s of stale) {
      const gone = await CaseDocument.deleteOne({ _id: s._id, status: 'pending', current: false });
      if (gone.deletedCount !== 1) {
        kept.push(s.version);
        continue;
      }
      await stores.of(s.storage).remove(s.storageKey).catch(() => undefined);
    }
    // Checked or made current meanwhile (HR, another upload): not removed after all.
    return kept.length ? { kept } : undefined;
  });
}

/**
 * Takes back what commitUploads stored for a write that then did not happen (an answer that lost the
 * case's version race, or was recorded meanwhile by the same answer sent twice): each record and its
 * stored file (disk or GridFS, the store it names) go, and the versions it had made not current are
 * current again, so the case's documents are as they were. Record before file, as commitUploads
 * undoes a failed upload: a stop in between leaves a file without a record, which the sweep removes.
 */
export async function withdrawUploads(app: Pick<AppContext, 'config' | 'db'>, ctx: Context, docs: readonly DocumentDoc[], superseded: readonly Types.ObjectId[], reason: string): Promise<void> {
  if (docs.length === 0) return;
  const stores = documentStores(app);
  // The versions made current again are named on the events: the restore is part of the withdrawal.
  const restored = superseded.length ? { restored: superseded.map(String) } : {};
  const audits = docs.map((doc) =>
    documentAudit(ctx, { action: 'document.upload_withdrawn', about: doc._id, summary: { case: String(doc.case), type: doc.type, slot: doc.slot, version: doc.version, size: doc.size, sha256: doc.sha256, storage: doc.storage, reason, removes: [String(doc._id)], ...restored } }),
  );
  // One answer's files: one case.
  await deleteAudited(docs[0]!.case, audits, async () => {
    for (const doc of docs) {
      await CaseDocument.deleteOne({ _id: doc._id });
      await stores.of(doc.storage).remove(doc.storageKey).catch(() => undefined);
    }
    if (superseded.length) await CaseDocument.updateMany({ _id: { $in: [...superseded] } }, { $set: { current: true } });
    return undefined;
  });
}

/** What the request's files other than the refused input's (a file, or the date beside it) are, by their checklist names. */
function otherFiles(t: Translate, files: ReceivedFile[], refusedField: string): string[] {
  const others = files.filter((f) => f.field !== refusedField && !refusedField.startsWith(`${f.field}_`));
  return [...new Set(others.map((f) => {
    const parsed = parseFileField(f.field);
    return parsed ? typeLabel(t, parsed.type) : f.field;
  }))];
}

/**
 * Records the request's files as new document versions (the route has authorized the upload).
 * Throws UploadError (nothing kept) when a file or field breaks a rule. Temporary files are always
 * gone when this returns.
 */
export async function commitUploads(input: CommitUploadsOptions): Promise<DocumentDoc[]> {
  const { app, ctx } = input;
  const now = ctx.now;
  const storage = documentStores(app).current;
  const created: Array<{ doc?: DocumentDoc; audit?: PendingAudit; key: string }> = [];
  /** Temporary files that `put` moved into storage (nothing left to remove). */
  const stored = new Set<string>();
  try {
    // A file refused for its name (server/http/upload-engine.ts) refuses the whole request, like any other file.
    const files = input.files.map((f) => {
      if (f.refusal) throw f.refusal.about(f.field);
      return f;
    });
    // The case's bytes are read beside the checklist's checks (independent reads); a refusal of a
    // file is still said before one of the quota, and both before anything is stored.
    const caseBytes = storedBytes(input.caseDoc._id);
    caseBytes.catch(() => undefined); // not awaited when a file is refused first
    const plans = await planUploads(input, files, now, tOf(ctx) as Translate);
    await checkCaseQuota(app, input.caseDoc._id, plans.reduce((n, p) => n + p.file.size, 0), caseBytes);
    for (const p of plans) await scanOrRefuse(app.config.upload.clamdscanPath, p.file.tempPath, p.file.name).catch((err: unknown) => Promise.reject(aboutField(err, p.file.field)));

    for (const p of plans) {
      // The file first, its record after: a crash in between leaves a file without a record (removed
      // by the start-up sweep, storage.ts), never a record pointing at a missing file.
      const entry: { doc?: DocumentDoc; audit?: PendingAudit; key: string } = { key: newStorageKey() };
      created.push(entry);
      // A disk store's rename needs no room, but its shard folder may (a full ext4): refused as the receiving would be.
      await storage.put(p.file.tempPath, entry.key, { contentType: p.file.mimeType, sha256: p.file.sha256 }).catch((err: unknown) => Promise.reject(aboutField(storageRefusal(err, p.file.name), p.file.field)));
      stored.add(p.file.tempPath);
      Object.assign(entry, await insertVersion(input, p, entry.key, storage.kind));
    }
  } catch (err) {
    const undo = async () => {
      for (const c of created) {
        // Record before file, for the same reason.
        if (c.doc) await CaseDocument.deleteOne({ _id: c.doc._id }).catch(() => undefined);
        await storage.remove(c.key).catch(() => undefined);
      }
      // The records were written without their recount (insertVersion); a deletion that failed above leaves one.
      if (created.some((c) => c.doc)) await recountAfterOwnWrite(input.caseDoc._id as Types.ObjectId);
    };
    if (created.some((c) => c.doc)) await undoWithMark(input.caseDoc._id as Types.ObjectId, undo);
    else await undo();
    // Sent with others, the refused file takes them down too: the page names them, so nobody thinks they were kept.
    if (err instanceof UploadError && err.field && input.files.length > 1) err.notSaved = otherFiles(tOf(ctx) as Translate, input.files, err.field);
    throw err;
  } finally {
    await Promise.all(input.files.map((f) => (f.refusal || stored.has(f.tempPath) ? undefined : discardReceived(f.tempPath))));
  }

  const docs = created.map((c) => c.doc!);
  // Independent writes, at once: each version's event recorded (it was written with the record, by
  // insertVersion: recorded now, or by the repair if this stops here), the older versions of its
  // slot made not current (a first version has none), the case's flag recounted (for the records
  // written; the superseding's own recount follows it), and the caller's work.
  const superseded = input.superseded;
  const older = async (doc: DocumentDoc) => {
    if (doc.version === 1) return;
    const filter = { case: doc.case, type: doc.type, slot: doc.slot, current: true, version: { $lt: doc.version } };
    if (superseded) superseded.push(...(await CaseDocument.find(filter, { _id: 1 }).lean()).map((d) => d._id as Types.ObjectId));
    await CaseDocument.updateMany(filter, { $set: { current: false } });
  };
  await Promise.all([
    ...created.map((c) => Promise.all([older(c.doc!), settleDocumentAudits(c.doc!._id, [c.audit!])])),
    recountAfterOwnWrite(input.caseDoc._id as Types.ObjectId),
    input.afterRecorded?.(docs),
  ]);
  if ((input.caseDoc.stage ?? 'draft') === 'draft') for (const doc of docs) await pruneDraftVersions(app, ctx, doc);
  return docs;
}
