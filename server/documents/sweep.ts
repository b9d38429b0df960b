// The start-up sweep of uploaded files (storage.ts, sweepUploads) as a background service: it runs
// once, right after start, while the web server begins to serve. The cut-off is taken when the
// service starts, before the server listens, so no upload of this process is ever a candidate.
// - Disk (UPLOAD_DIR, one instance's own folder): everything written before this process started
//   and named by no record is left over from a crash.
// - GridFS is shared by every instance, and another one may be between storing a file and writing
//   its record: there only what is older than GRIDFS_GRACE_MS is swept (the next start takes the rest).
import type { AppContext } from '../deps.ts';
import { registerService, type BackgroundService } from '../services.ts';
import { CaseDocument } from '../../models/document.ts';
import { DiskStorage, createStorage, sweepUploads, uploadTempDir, type SweepResult } from './storage.ts';

export const GRIDFS_GRACE_MS = 15 * 60_000;
/** File times come from the kernel's coarse clock, a few ms behind Date.now(): keep a margin. */
const CLOCK_MARGIN_MS = 1000;

/** Which of `keys` a document record of that store names. */
export async function referencedKeys(kind: 'disk' | 'gridfs', keys: string[]): Promise<Set<string>> {
  const rows = await CaseDocument.find({ storage: kind, storageKey: { $in: keys } }, { storageKey: 1 }).lean();
  return new Set(rows.map((r) => r.storageKey));
}

export async function sweepOnStart(app: Pick<AppContext, 'config' | 'db'>, startedAt: Date): Promise<{ disk: SweepResult; gridfs: SweepResult }> {
  const disk = await sweepUploads(new DiskStorage(app.config.upload.dir), { before: startedAt, referenced: referencedKeys, tempDir: uploadTempDir(app.config) });
  const gridfsStore = createStorage({ upload: { ...app.config.upload, storage: 'gridfs' } }, app.db.connection);
  const gridfs = await sweepUploads(gridfsStore, { before: new Date(startedAt.getTime() - GRIDFS_GRACE_MS), referenced: referencedKeys });
  return { disk, gridfs };
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
