// The mark of a restore under way: `restore-in-progress.json`, written into the data folder and the
// upload folder before the restore writes anything there, removed once the database is in place
// (the last step). A restore cut short (killed, the disk full, the power gone) leaves it: the app
// refuses to start on those folders, whose files may be only some of the backup's and whose
// database may be missing (a new, empty one would be made) or half built; a second restore of the
// same backup finishes the work, another is refused unless --force moves everything aside.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { syncDirectory, writeFileDurably } from '../support/durable-write.ts';
import { shownText } from '../support/shown-text.ts';

export const RESTORE_MARKER = 'restore-in-progress.json';

export interface RestoreMarker {
  /** The backup folder restored from (absolute). */
  from: string;
  /** Its manifest's SHA-256 (manifest.sha256): the same backup, even moved, is the same restore. */
  manifestSha256: string;
  takenAt: string;
  startedAt: string;
}

/** Written durably (writeFileDurably: file and folder synced) before anything else goes into `dir`. */
export async function writeRestoreMarker(dir: string, marker: RestoreMarker): Promise<void> {
  const file = path.join(dir, RESTORE_MARKER);
  await writeFileDurably(file, `${JSON.stringify(marker, null, 1)}\n`, { mode: 0o600, temp: `${file}.writing` });
}

export async function removeRestoreMarker(dir: string): Promise<void> {
  await rm(path.join(dir, RESTORE_MARKER), { force: true });
  await rm(path.join(dir, `${RESTORE_MARKER}.writing`), { force: true });
  await syncDirectory(dir);
}

/** The marker in `dir`, if any; one that cannot be read still says a restore did not finish. */
export async function readRestoreMarker(dir: string): Promise<RestoreMarker | 'unreadable' | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, RESTORE_MARKER), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    return 'unreadable';
  }
  try {
    const m = JSON.parse(text) as Partial<RestoreMarker>;
    if (typeof m.from !== 'string' || typeof m.manifestSha256 !== 'string' || typeof m.takenAt !== 'string' || typeof m.startedAt !== 'string') return 'unreadable';
    return { from: m.from, manifestSha256: m.manifestSha256, takenAt: m.takenAt, startedAt: m.startedAt };
  } catch {
    return 'unreadable';
  }
}

/** What an interrupted restore left in `dir`, said for an operator: what it was and what to do. */
export function describeInterrupted(dir: string, marker: RestoreMarker | 'unreadable'): string {
  // The marker's fields come from a file on disk (takenAt from the backup's manifest): shown, never acted on by a terminal.
  const from = marker === 'unreadable' ? '' : shownText(marker.from, 1000);
  const what = marker === 'unreadable' ? 'a restore that did not finish' : `a restore that did not finish (of the backup ${from}, taken ${shownText(marker.takenAt, 40)}, started ${shownText(marker.startedAt, 40)})`;
  const rerun = marker === 'unreadable' ? 'npm run restore -- --from <the backup>' : `npm run restore -- --from ${from}`;
  return `${dir} holds ${what}: its files and database may be only part of the backup. Run "${rerun}" again to finish it, or restore a backup with --force (what is there is moved aside)`;
}

/**
 * Said when the app is about to start on folders a restore did not finish (undefined: none): the
 * data folder (its embedded database) and the upload folder, each marked by the restore.
 */
export async function interruptedRestore(config: Pick<Config, 'dataDir' | 'upload'>): Promise<string | undefined> {
  for (const dir of [...new Set([path.resolve(config.dataDir), path.resolve(config.upload.dir)])]) {
    const marker = await readRestoreMarker(dir);
    if (marker) return describeInterrupted(dir, marker);
  }
  return undefined;
}
