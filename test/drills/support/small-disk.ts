// A small file system for the disk-full drills: a tmpfs of a given size mounted on a folder (root
// only: `mount -t tmpfs -o size=…`), filled until only a little is left, freed again. Where mounting
// is not permitted (no root, a container without CAP_SYS_ADMIN) `mountSmallDisk` says why and the
// drill skips itself: a drill that cannot make its fault proves nothing, and must not fail CI.
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Mounts a tmpfs of `bytes` on `dir` (made if missing), read-only if asked; returns why it could not, or undefined. */
export function mountSmallDisk(dir: string, bytes: number, opts: { readOnly?: boolean } = {}): string | undefined {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `${opts.readOnly ? 'ro,' : ''}size=${bytes},mode=0755`, 'tmpfs', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: Buffer; message?: string };
    return (e.stderr?.toString().trim() || e.message || String(err)).split('\n')[0];
  }
}

/** Unmounts it (lazily: a process killed by the drill may still be letting go of a file). */
export function unmountSmallDisk(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  } catch {
    // not mounted (the mount failed, or was already undone)
  }
}

/** Bytes free for an ordinary writer on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Fills the file system holding `dir` with one file (`name` under it) until `leave` bytes are free
 * (a few KB more or less: tmpfs counts pages). Returns the filler's path, to free the space with rm.
 */
export function fillDisk(dir: string, leave: number, name = 'filler.bin'): string {
  const file = path.join(dir, name);
  const fd = openSync(file, 'a');
  try {
    const block = Buffer.alloc(64 * 1024, 0x5a);
    for (let free = freeBytes(dir); free > leave; free = freeBytes(dir)) {
      try {
        writeSync(fd, block, 0, Math.min(block.length, Math.max(4096, free - leave)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw err;
      }
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return file;
}

export function freeDisk(filler: string): void {
  rmSync(filler, { force: true });
}
