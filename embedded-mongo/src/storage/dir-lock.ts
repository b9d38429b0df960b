// The data directory's lock (`mongod.lock`), which must die with its owner: a supervisor that
// restarts the server right after `kill -9` has to find the directory free.
//
// Main mechanism: an OS advisory lock on the open lock file (Linux: an open-file-description lock,
// macOS: flock; through the prebuilt `fs-native-extensions` addon). The kernel drops it when the
// owner's descriptors close, which happens when the process dies, before it is even a zombie: no
// pid has to be interpreted. The file holds the owner's pid for error messages only.
//
// Fallback, where the addon cannot be loaded: the file is created exclusively and holds the owner's
// pid and start time; it is stale when that process is gone, a zombie (killed, not yet reaped by
// its parent), or another process that got the same pid later (its start time differs).
import { open as openFile, readFile, realpath, stat, unlink, type FileHandle } from 'node:fs/promises';
import { constants as fsConstants, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Thrown when another live process (or this one) already owns the data directory. */
export class DbPathLockedError extends Error {
  readonly code = 'DBPATH_LOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'DbPathLockedError';
  }
}

export const LOCK_FILE = 'mongod.lock';

export interface DirLock {
  readonly mode: LockMode;
  release(): Promise<void>;
}

/** 'os': advisory lock held by the kernel; 'pid': pid file with a liveness check (fallback). */
export type LockMode = 'os' | 'pid';

interface LockLogger {
  warn(msg: string): void;
}

interface NativeLock {
  tryLock(fd: number): boolean;
}

let native: NativeLock | null | undefined;
function nativeLock(): NativeLock | null {
  if (native === undefined) {
    try {
      native = createRequire(import.meta.url)('fs-native-extensions') as NativeLock;
    } catch {
      native = null; // no prebuilt binary for this platform: the pid file fallback is used
    }
  }
  return native;
}

/** The mode acquireDirLock uses when none is asked for. */
export function defaultLockMode(): LockMode {
  return nativeLock() ? 'os' : 'pid';
}

/** Directories this process holds: one process opens a directory once. */
const heldLocks = new Set<string>();

/**
 * The open lock files, kept reachable until released: a FileHandle nobody references is closed by
 * the garbage collector, and closing it drops the OS lock while its owner still runs (a test's child
 * that dropped its storage object lost the lock this way, CI s39).
 */
const openLockFiles = new Set<FileHandle>();

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function acquireDirLock(dir: string, opts: { logger: LockLogger; mode?: LockMode }): Promise<DirLock> {
  const key = await realpath(dir);
  const file = path.join(dir, LOCK_FILE);
  if (heldLocks.has(key)) throw new DbPathLockedError(`data directory ${dir} is already open in this process (${file})`);
  const mode = opts.mode ?? defaultLockMode();
  heldLocks.add(key);
  try {
    const release = mode === 'os' ? await lockWithOs(dir, file, opts.logger) : await lockWithPidFile(dir, file, opts.logger);
    let released = false;
    return {
      mode,
      async release() {
        if (released) return;
        released = true;
        try {
          await release();
        } finally {
          heldLocks.delete(key);
        }
      },
    };
  } catch (e) {
    heldLocks.delete(key);
    throw e;
  }
}

function lockedError(dir: string, file: string, content: string): DbPathLockedError {
  const pid = firstLine(content);
  const who = /^\d+$/.test(pid) ? `process ${pid}` : 'another process';
  return new DbPathLockedError(
    `data directory ${dir} is in use by ${who} (lock file ${file}); ` +
      'stop that process, or delete the lock file if it is not an embedded-mongo server',
  );
}

async function lockWithOs(dir: string, file: string, logger: LockLogger): Promise<() => Promise<void>> {
  const lock = nativeLock();
  if (!lock) throw new Error('the OS lock is not available on this platform');
  for (let attempt = 0; attempt < 5; attempt++) {
    const fh = await openFile(file, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
    let keep = false;
    try {
      if (!lock.tryLock(fh.fd)) {
        const holder = firstLine(await readFrom0(fh));
        // A holder that was just killed keeps the lock until its last thread has closed its files:
        // wait for that (milliseconds), but refuse a live holder at once.
        const dying = /^\d+$/.test(holder) && ownerState(Number(holder)) !== 'alive';
        if (!dying || !(await within(DYING_GRACE_MS, () => lock.tryLock(fh.fd)))) throw lockedError(dir, file, holder);
      }
      // A stopping owner unlinks the file while it still holds the lock: if we locked such an
      // unlinked file, the path now names another file (or none) and we must start again.
      const [mine, current] = await Promise.all([fh.stat(), stat(file).catch(() => undefined)]);
      if (!current || current.ino !== mine.ino || current.dev !== mine.dev) continue;
      const previous = (await readFrom0(fh)).trim();
      if (previous !== '') logger.warn(`taking over stale lock ${file} (process ${firstLine(previous)} is not running)`);
      await fh.truncate(0);
      await fh.write(`${process.pid}\n`, 0);
      await fh.sync();
      keep = true;
      openLockFiles.add(fh);
      return async () => {
        // Unlink first, while the lock is still ours; closing the descriptor releases the lock.
        await unlinkIfExists(file);
        await fh.close();
        openLockFiles.delete(fh);
      };
    } finally {
      if (!keep) await fh.close();
    }
  }
  throw new DbPathLockedError(`could not take the lock ${file}: it keeps being replaced`);
}

async function lockWithPidFile(dir: string, file: string, logger: LockLogger): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let fh: FileHandle | undefined;
    try {
      fh = await openFile(file, 'wx');
      // The start time tells this process from a later one that gets the same pid.
      const started = procStat(process.pid)?.startTicks;
      await fh.writeFile(`${process.pid}\n${started ?? ''}\n`);
      await fh.sync();
      return async () => {
        try {
          if (firstLine(await readFile(file, 'utf8')) === String(process.pid)) await unlink(file);
        } catch (e) {
          if (errno(e) !== 'ENOENT') throw e;
        }
      };
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    } finally {
      await fh?.close();
    }
    let content: string;
    try {
      content = (await readFile(file, 'utf8')).trim();
    } catch (e) {
      if (errno(e) === 'ENOENT') continue;
      throw e;
    }
    if (content === '' && attempt === 0) {
      // Its owner may be between creating the file and writing its pid.
      await sleep(100);
      continue;
    }
    const [pidText = '', ticksText] = content.split('\n');
    const pid = /^\d+$/.test(pidText) ? Number(pidText) : NaN;
    const ticks = ticksText && /^\d+$/.test(ticksText) ? Number(ticksText) : undefined;
    // Our own pid (this process holds no lock here, see heldLocks) is a previous process that had the same pid (containers).
    if (pid > 0 && pid !== process.pid) {
      const gone = await within(DYING_GRACE_MS, () => ownerState(pid, ticks) === 'gone');
      if (!gone) throw lockedError(dir, file, pidText);
    }
    logger.warn(`taking over stale lock ${file} (${content ? `process ${pidText} is not running` : 'empty'})`);
    await unlinkIfExists(file);
  }
  throw new DbPathLockedError(`could not take the lock ${file}: another process keeps creating it`);
}

const firstLine = (text: string): string => text.split('\n')[0]!.trim();

/**
 * The process that wrote a lock file (`pid`, started at `startTicks` after boot when known):
 * 'gone' when no process has that pid, when the pid now belongs to a process that started at
 * another time (a recycled pid), or when it is a zombie (dead but not yet reaped by its parent:
 * `process.kill(pid, 0)` still succeeds for it) with no thread left; 'dying' while a killed
 * process's other threads are still being torn down (they may still hold its files).
 */
export function ownerState(pid: number, startTicks?: number): 'alive' | 'dying' | 'gone' {
  const proc = procStat(pid);
  if (proc === null) return 'gone';
  if (proc === undefined) {
    // No /proc (not Linux): signal 0 is the only check available.
    try {
      process.kill(pid, 0);
      return 'alive';
    } catch (e) {
      return errno(e) === 'EPERM' ? 'alive' : 'gone';
    }
  }
  if (startTicks !== undefined && proc.startTicks !== undefined && proc.startTicks !== startTicks) return 'gone';
  if (proc.state === 'Z' || proc.state === 'X') return threadCount(pid) > 1 ? 'dying' : 'gone';
  return 'alive';
}

function threadCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

/** Polls `check` until it is true or `ms` have passed; returns its last answer. */
async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await sleep(20);
  }
}

/** How long a start waits for a killed owner's last threads to finish dying. */
const DYING_GRACE_MS = 3000;

/** undefined: this system has no /proc; null: no such process. */
function procStat(pid: number): { state: string; startTicks?: number } | null | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ESRCH') return procAvailable() ? null : undefined;
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]); // field 22: start time, in clock ticks after boot
  return { state: fields[0] ?? '', startTicks: Number.isInteger(startTicks) ? startTicks : undefined };
}

let hasProc: boolean | undefined;
function procAvailable(): boolean {
  if (hasProc === undefined) {
    try {
      readFileSync('/proc/self/stat');
      hasProc = true;
    } catch {
      hasProc = false;
    }
  }
  return hasProc;
}

/** The whole file, whatever the handle's position (FileHandle.readFile reads from it). */
async function readFrom0(fh: FileHandle): Promise<string> {
  const { size } = await fh.stat();
  const buf = Buffer.alloc(Math.min(size, 4096));
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
  return buf.toString('utf8', 0, bytesRead);
}

async function unlinkIfExists(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
}
