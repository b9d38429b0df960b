// A file written so that a crash or a power cut leaves either the old file or the whole new one,
// never a part: the bytes go to a temporary file, which is flushed to the disk (fsync), renamed over
// the file, and the rename itself made durable (fsync of the folder). Used by the file mail transport
// (server/mail/mailer.ts), the backup's files (server/backup/manifest.ts), the restore's marker
// (server/backup/restore-marker.ts) and the data-encryption key file (server/crypto/keyring.ts),
// which each wrote these steps themselves.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export interface DurableWriteOptions {
  /** The file's mode from its creation (0o600: secrets, backups; 0o640: mail), set again whatever the umask. */
  mode: number;
  /**
   * The temporary file's path. A fixed one (the mail file's `<name>.eml.tmp`) is overwritten by the
   * next write of the same file, so a retry after a crash leaves no half file behind; by default a
   * name of its own (`<file>.<pid>.<random>.tmp`), for writers that may race.
   */
  temp?: string;
  /** Refuse a temporary file already there (EEXIST) instead of overwriting it (the backup: nothing of it is ever written twice). */
  exclusive?: boolean;
}

/** fsync of a folder: what makes a rename (or a new name) in it survive a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Writes `data` to `file` durably (see the file comment). A write that fails (a full disk, a folder
 * made read-only) removes its temporary file and throws the error as it came (its code: ENOSPC,
 * EROFS, EACCES…); the file is then as it was.
 */
export async function writeFileDurably(file: string, data: string | Buffer, opts: DurableWriteOptions): Promise<void> {
  const temp = opts.temp ?? `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    // Always created anew ('wx': never opened through a link planted under its name, security review
    // s37); a fixed temporary name's leftover of a cut write is removed first (unless exclusive).
    if (opts.temp && !opts.exclusive) await rm(temp, { force: true });
    const fh = await open(temp, 'wx', opts.mode);
    try {
      await fh.writeFile(data);
      await fh.chmod(opts.mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, file);
  } catch (err) {
    // An exclusive write refused because its temporary file exists did not make it: not ours to remove.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !opts.exclusive) await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(path.dirname(file));
}

/**
 * Removes from `dir` the temporary files (`isTemp(name)`) of writes a crash cut short, older than
 * `olderThanMs` (a minute by default: never one being written now). A folder that cannot be read
 * is left alone.
 */
export async function removeStaleTemporaryFiles(dir: string, isTemp: (name: string) => boolean, olderThanMs = 60_000): Promise<void> {
  const before = Date.now() - olderThanMs;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!isTemp(name)) continue;
    const f = path.join(dir, name);
    const st = await stat(f).catch(() => undefined);
    if (st && st.mtimeMs < before) await rm(f, { force: true }).catch(() => undefined);
  }
}
