// The start-up sweep of uploaded files (storage.ts, sweepUploads) as a background service: it runs
// once, right after start, while the web server begins to serve. The cut-off is taken when the
// service starts, before the server listens, so no upload of this process is ever a candidate.
// - Disk (UPLOAD_DIR, one instance's own folder): everything written before this process started
//   and named by no record is left over from a crash.
// - GridFS is shared by every instance, and another one may be between storing a file and writing
//   its record: there only what is older than GRIDFS_GRACE_MS is swept (the next start takes the rest).
// - Offer letters: a letter is stored (file, then its record) before the case's offer names it
//   (server/cases/offer-terms.ts); a process killed in between leaves a record and file no offer
//   names, still marked `offerPending`. Records are shared by every instance, so only those older
//   than the same grace (GRIDFS_GRACE_MS) are swept: record first, then file, as any deletion.
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

/**
 * Offer letters written before `before` that no offer names (a process killed between the letter's
 * record and the case's update): record and file removed, with an audit event (the upload's own
 * event may have been recorded by the repair). A marked letter the offer does name (killed just
 * before the mark's clear) is kept and unmarked.
 */
export async function sweepOfferLetters(app: Pick<AppContext, 'config' | 'db'>, before: Date): Promise<{ removed: number; kept: number }> {
  const out = { removed: 0, kept: 0 };
  const marked = await CaseDocument.find({ type: OFFER_LETTER_TYPE, offerPending: true, createdAt: { $lt: before } }, { case: 1, storage: 1, storageKey: 1, version: 1, size: 1, sha256: 1 }).limit(1000).lean();
  for (const d of marked) {
    const named = async () => {
      await CaseDocument.updateOne({ _id: d._id }, { $unset: { offerPending: 1 } });
      out.kept += 1;
    };
    if (await Case.exists({ _id: d.case, 'offerTerms.letter': d._id })) {
      await named();
      continue;
    }
    // Claimed on the case itself, in one write with the check: its version moves, so a save that
    // read the case before (still about to name this letter: another instance whose clock is behind,
    // or a process paused past the grace) finds it changed, answers a conflict and takes its letter
    // back itself (offer-terms.ts); a save that named it first makes this match nothing, and the
    // letter is kept. A check then a delete let the save name it in between: an offer naming a
    // letter removed (security review s32).
    const claimed = await Case.updateOne({ _id: d.case, 'offerTerms.letter': { $ne: d._id } }, { $inc: { version: 1 } }, { timestamps: false });
    if (claimed.matchedCount === 0 && (await Case.exists({ _id: d.case }))) {
      await named();
      continue;
    }
    const event = documentAudit(systemContext({ now: new Date() }), {
      action: 'document.orphan_removed',
      about: d._id,
      summary: { case: String(d.case), type: OFFER_LETTER_TYPE, version: d.version, size: d.size, sha256: d.sha256, storage: d.storage, offerLetter: true, removes: [String(d._id)] },
    });
    await deleteAudited(d.case as Types.ObjectId, [event], async () => {
      // Only while still unnamed and marked: an offer saved meanwhile (it cannot, past the grace, but the check is the write's).
      const gone = await CaseDocument.deleteOne({ _id: d._id, offerPending: true });
      if (gone.deletedCount !== 1) return { removed: false };
      await documentStores(app).of(d.storage).remove(d.storageKey);
      return { removed: true };
    });
    out.removed += 1;
  }
  return out;
}

export async function sweepOnStart(app: Pick<AppContext, 'config' | 'db'>, startedAt: Date): Promise<{ disk: SweepResult; gridfs: SweepResult; offerLetters: { removed: number; kept: number } }> {
  // First, so that a letter's file whose record it removes is not left for the next start.
  const offerLetters = await sweepOfferLetters(app, new Date(startedAt.getTime() - GRIDFS_GRACE_MS));
  const disk = await sweepUploads(new DiskStorage(app.config.upload.dir), { before: startedAt, referenced: referencedKeys, tempDir: uploadTempDir(app.config) });
  const gridfsStore = createStorage({ upload: { ...app.config.upload, storage: 'gridfs' } }, app.db.connection);
  const gridfs = await sweepUploads(gridfsStore, { before: new Date(startedAt.getTime() - GRIDFS_GRACE_MS), referenced: referencedKeys });
  return { disk, gridfs, offerLetters };
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
