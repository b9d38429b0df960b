// The start-up sweep of uploaded files (storage.ts, sweepUploads) as a background service: it runs
// once, right after start, while the web server begins to serve. The cut-off is taken when the
// service starts, before the server listens, so no upload of this process is ever a candidate.
// - Disk (UPLOAD_DIR, one instance's own folder): everything written before this process started
//   and named by no record is left over from a crash.
// - GridFS is shared by every instance, and another one may be between storing a file and writing
//   its record: there only what is older than GRIDFS_GRACE_MS is swept (GridFS chunks of uploads cut
//   since, while the app runs: orphan-chunks.ts; stored files no record names: the next start).
// - Offer letters: a letter is stored (file, then its record) before the case's offer names it
//   (server/cases/offer-terms.ts); a process killed in between leaves a record and file no offer
//   names, still marked `offerPending`. Records are shared by every instance, so only those older
//   than the same grace (GRIDFS_GRACE_MS) are swept: record first, then file, as any deletion.
// - Answers' files: the same for a file of an answer to an information request, marked
//   `answerPending` until the answer names it (server/applications/answer.ts), swept at start.
import type { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { registerService, type BackgroundService } from '../services.ts';
import { CaseDocument } from '../../models/document.ts';
import { Case } from '../../models/case.ts';
import { OFFER_LETTER_TYPE } from '../../models/constants.ts';
import { systemContext } from '../context.ts';
import { DiskStorage, createStorage, sweepUploads, uploadTempDir, type SweepResult } from './storage.ts';
import { documentStores } from './stores.ts';
import { deleteAudited, documentAudit } from './pending-audit.ts';

export const GRIDFS_GRACE_MS = 15 * 60_000;
/** File times come from the kernel's coarse clock, a few ms behind Date.now(): keep a margin. */
const CLOCK_MARGIN_MS = 1000;

/** Which of `keys` a document record of that store names. */
export async function referencedKeys(kind: 'disk' | 'gridfs', keys: string[]): Promise<Set<string>> {
  const rows = await CaseDocument.find({ storage: kind, storageKey: { $in: keys } }, { storageKey: 1 }).lean();
  return new Set(rows.map((r) => r.storageKey));
}

/** A record written before the case names it, marked until it does (models/document.ts), and where the case names it. */
interface MarkedKind {
  mark: 'offerPending' | 'answerPending';
  filter: Record<string, unknown>;
  /** The case's field that names the record once the change stands (a value or a list of them). */
  namedAt: 'offerTerms.letter' | 'infoRequest.answerDocuments';
  summary: Record<string, unknown>;
  /** The slot's older version made current again when the removed one had replaced it (an answer's file may). */
  restoreSlot: boolean;
}

const OFFER_LETTERS: MarkedKind = { mark: 'offerPending', filter: { type: OFFER_LETTER_TYPE }, namedAt: 'offerTerms.letter', summary: { offerLetter: true }, restoreSlot: false };
const ANSWER_FILES: MarkedKind = { mark: 'answerPending', filter: {}, namedAt: 'infoRequest.answerDocuments', summary: { answerFile: true }, restoreSlot: true };

/**
 * Marked records written before `before` that the case does not name (a process killed between the
 * record and the case's update): record and file removed, with an audit event (the upload's own
 * event may have been recorded by the repair). A marked record the case does name (killed just
 * before the mark's clear) is kept and unmarked.
 */
async function sweepMarked(app: Pick<AppContext, 'config' | 'db'>, kind: MarkedKind, before: Date): Promise<{ removed: number; kept: number }> {
  const out = { removed: 0, kept: 0 };
  const marked = await CaseDocument.find({ ...kind.filter, [kind.mark]: true, createdAt: { $lt: before } }, { case: 1, type: 1, slot: 1, current: 1, storage: 1, storageKey: 1, version: 1, size: 1, sha256: 1 }).limit(1000).lean();
  for (const d of marked) {
    const named = async () => {
      await CaseDocument.updateOne({ _id: d._id }, { $unset: { [kind.mark]: 1 } });
      out.kept += 1;
    };
    if (await Case.exists({ _id: d.case, [kind.namedAt]: d._id })) {
      await named();
      continue;
    }
    // Claimed on the case itself, in one write with the check: its version moves, so a save that
    // read the case before (still about to name this record: another instance whose clock is behind,
    // or a process paused past the grace) finds it changed, answers a conflict and takes its record
    // back itself (offer-terms.ts, answer.ts); a save that named it first makes this match nothing,
    // and the record is kept. A check then a delete let the save name it in between: a case naming
    // a record removed (security review s32).
    // The claim also says its version is the sweep's alone (sweptClaim): the applicant's page open
    // from before the restart is not refused as stale for it (server/cases/conflict.ts versionSeen).
    if (!(await claimCase(d.case as Types.ObjectId, kind.namedAt, d._id))) {
      await named();
      continue;
    }
    const event = documentAudit(systemContext({ now: new Date() }), {
      action: 'document.orphan_removed',
      about: d._id,
      summary: { case: String(d.case), type: d.type, version: d.version, size: d.size, sha256: d.sha256, storage: d.storage, ...kind.summary, removes: [String(d._id)] },
    });
    await deleteAudited(d.case as Types.ObjectId, [event], async () => {
      // Only while still unnamed and marked: a save meanwhile (it cannot, once claimed, but the check is the write's).
      const gone = await CaseDocument.deleteOne({ _id: d._id, [kind.mark]: true });
      if (gone.deletedCount !== 1) return { removed: false };
      await documentStores(app).of(d.storage).remove(d.storageKey);
      // The version it replaced (commitUploads made it not current) is the slot's current one again.
      if (kind.restoreSlot && d.current && !(await CaseDocument.exists({ case: d.case, type: d.type, slot: d.slot, current: true }))) {
        const top = await CaseDocument.findOne({ case: d.case, type: d.type, slot: d.slot }, { _id: 1 }).sort({ version: -1 }).lean();
        if (top) await CaseDocument.updateOne({ _id: top._id }, { $set: { current: true } });
      }
      return { removed: true };
    });
    out.removed += 1;
  }
  return out;
}

/**
 * Claims the case for removing `record`, unless it names it: its version moves (a save that read it
 * before finds it changed), recorded as the sweep's own (sweptClaim, continuing an unbroken run of
 * claims). Conditional on the version read: a write in between is read again. False: the case names
 * the record (or is gone).
 */
async function claimCase(caseId: Types.ObjectId, namedAt: MarkedKind['namedAt'], record: Types.ObjectId): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const c = await Case.findOne({ _id: caseId, [namedAt]: { $ne: record } }, { version: 1, sweptClaim: 1 }).lean<{ version: number; sweptClaim?: { from: number; to: number } | null }>();
    if (!c) return false;
    const from = c.sweptClaim && c.sweptClaim.to === c.version ? c.sweptClaim.from : c.version;
    const claimed = await Case.updateOne({ _id: caseId, [namedAt]: { $ne: record }, version: c.version }, { $set: { version: c.version + 1, sweptClaim: { from, to: c.version + 1 } } }, { timestamps: false });
    if (claimed.matchedCount === 1) return true;
  }
  // A case written that often meanwhile: claimed all the same, without saying the version is the sweep's.
  const claimed = await Case.updateOne({ _id: caseId, [namedAt]: { $ne: record } }, { $inc: { version: 1 } }, { timestamps: false });
  return claimed.matchedCount === 1;
}

/** Offer letters no offer names (server/cases/offer-terms.ts). */
export function sweepOfferLetters(app: Pick<AppContext, 'config' | 'db'>, before: Date): Promise<{ removed: number; kept: number }> {
  return sweepMarked(app, OFFER_LETTERS, before);
}

/** Files of an answer no answer names (server/applications/answer.ts). */
export function sweepAnswerFiles(app: Pick<AppContext, 'config' | 'db'>, before: Date): Promise<{ removed: number; kept: number }> {
  return sweepMarked(app, ANSWER_FILES, before);
}

export async function sweepOnStart(app: Pick<AppContext, 'config' | 'db'>, startedAt: Date): Promise<{ disk: SweepResult; gridfs: SweepResult; offerLetters: { removed: number; kept: number }; answerFiles: { removed: number; kept: number } }> {
  // The operator's grace (GRIDFS_GRACE_MS: longer than any upload takes), as the running sweep of chunks (orphan-chunks.ts) has it.
  const graceMs = app.config.upload.gridfsGraceMs ?? GRIDFS_GRACE_MS;
  // First, so that a letter's file whose record it removes is not left for the next start.
  const offerLetters = await sweepOfferLetters(app, new Date(startedAt.getTime() - graceMs));
  // An answer's file is shown to HR as the case's document: taken back at once, not after the
  // grace (the cut-off spares this process's own answers; another instance's answer still under
  // way loses the claim's version race, answers a conflict and takes its files back itself).
  const answerFiles = await sweepAnswerFiles(app, startedAt);
  const disk = await sweepUploads(new DiskStorage(app.config.upload.dir), { before: startedAt, referenced: referencedKeys, tempDir: uploadTempDir(app.config) });
  const gridfsStore = createStorage({ upload: { ...app.config.upload, storage: 'gridfs' } }, app.db.connection);
  const gridfs = await sweepUploads(gridfsStore, { before: new Date(startedAt.getTime() - graceMs), referenced: referencedKeys });
  return { disk, gridfs, offerLetters, answerFiles };
}

export function uploadSweepService(app: AppContext): BackgroundService {
  let running: Promise<unknown> | undefined;
  return {
    name: 'upload-sweep',
    start() {
      // A process that crashed did so before this one was spawned (performance.timeOrigin): whatever
      // it left is older than that, however quickly this one got here. A margin below now alone
      // (the kernel's coarse file clock) missed files written in the crash's last second when the
      // restart took under a second to reach this point (test/drills/crash-consistency.test.ts on
      // a quiet machine). This process's own uploads come after it listens, later than both.
      const startedAt = new Date(Math.max(performance.timeOrigin, Date.now() - CLOCK_MARGIN_MS));
      running = sweepOnStart(app, startedAt).then(
        (r) => app.logger.info({ sweep: r }, 'upload storage swept'),
        (err: unknown) => app.logger.error({ err }, 'upload storage sweep failed'),
      );
    },
    async stop() {
      await running;
    },
  };
}

registerService(uploadSweepService);
