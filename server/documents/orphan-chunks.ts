// GridFS chunks of uploads cut short, removed while the app runs. An upload's chunks go into
// documents.chunks as its body arrives (storage.ts StagedUpload); a web process that dies mid-upload
// (SIGKILL, out of memory) leaves them with no files document: bytes no one can read and no quota
// counts. The start-up sweep (sweep.ts) removes such chunks at the next start only, which may be
// weeks away; this service removes them meanwhile:
// - every GRIDFS_SWEEP_INTERVAL_MS (hourly), and
// - GRIDFS_GRACE_MS (+ a margin) after a web process of this primary died unexpectedly.
// Only chunks of uploads begun more than the grace ago are candidates: younger ones may belong to an
// upload still under way in this instance or another one sharing the database. Each run reads only
// the uploads begun since the previous run's cut-off (an index range on files_id), not every chunk:
// its cost follows the window's uploads, not the size of the bucket.
import type { AppContext } from '../deps.ts';
import { periodicService, registerService, type BackgroundService } from '../services.ts';
import { GridFsStorage, createStorage } from './storage.ts';

/**
 * Each window starts this much before the previous one's cut-off: ids carry whole seconds, and a
 * second of overlap would do; a minute costs nothing (the overlap's uploads are read again).
 */
const WINDOW_OVERLAP_MS = 60_000;
/**
 * After a death, the run waits the grace and this much more: the dead process's uploads began before
 * its death, and the window's cut-off (whole seconds) must pass the second it died in.
 */
export const AFTER_DEATH_MARGIN_MS = 2_000;

export function orphanChunkService(app: AppContext): BackgroundService {
  // Only an instance that stages GridFS uploads leaves such chunks; the start-up sweep covers the rest.
  if (app.config.upload.storage !== 'gridfs') return { name: 'gridfs-orphan-chunks', start() {}, async stop() {} };
  const graceMs = app.config.upload.gridfsGraceMs;
  const store = createStorage({ upload: { ...app.config.upload, storage: 'gridfs' } }, app.db.connection);
  if (!(store instanceof GridFsStorage)) throw new Error('GridFS storage expected');
  // The start-up sweep removed what was begun before its cut-off (this process's start less the same grace).
  let coveredUpTo = Date.now() - graceMs;
  // Never two runs at once; one asked for after a death during a run comes after it (periodicService).
  const service = periodicService(app, {
    name: 'gridfs-orphan-chunks',
    intervalMs: app.config.upload.gridfsSweepIntervalMs,
    firstDelayMs: app.config.upload.gridfsSweepIntervalMs,
    run: async () => {
      const before = new Date(Date.now() - graceMs);
      const since = new Date(Math.min(coveredUpTo, before.getTime()) - WINDOW_OVERLAP_MS);
      const r = await store.removeOrphanChunks(before, since);
      // Only once the run succeeded: a failed one leaves its window to the next.
      coveredUpTo = Math.max(coveredUpTo, before.getTime());
      if (r.chunks > 0) app.logger.warn({ chunks: r.chunks, uploads: r.uploads.slice(0, 50), more: Math.max(0, r.uploads.length - 50), since, before }, 'GridFS chunks of uploads cut short removed');
      else app.logger.debug({ since, before }, 'GridFS orphan chunks: none');
    },
  });
  return {
    ...service,
    webProcessDied() {
      const delay = graceMs + AFTER_DEATH_MARGIN_MS;
      app.logger.info({ inMs: delay }, 'a web process died: its uploads’ chunks will be looked for once the grace has passed');
      service.runIn(delay);
    },
  };
}

registerService(orphanChunkService);
