// Durability for the command layer: every change goes through commit() before its reply is sent;
// a failed journal write stops further writes; the journal is compacted when it has grown.
import { CommandError } from './errors.ts';
import type { Storage, JournalOp, CatalogSnapshot } from './storage/types.ts';
import type { EngineLogger } from './engine.ts';

/**
 * Below this much free space on the data directory's disk, writes are refused before they change
 * anything (checkRoom). A command changes the documents in memory first and commits them after: a
 * commit refused by a full disk would leave memory ahead of the disk, the refused change readable
 * until a restart. The reserve stops writes while the disk can still take the largest batches the
 * app sends (a GridFS chunk insert is two 1 MB chunks), so that case needs a burst of more than the reserve
 * within one check (test/drills/database-disk-full-s36.test.ts).
 */
export const RESERVE_BYTES = 16 * 1024 * 1024;

function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export class Journal {
  private failed: Error | undefined;
  private compacting = false;
  private snapshotBytes = 0;
  /** Writes are being refused for want of room (logged once as it starts and as it ends). */
  private full = false;
  private free: { bytes: number | undefined; at: number } | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly logger: EngineLogger,
    private readonly snapshot: () => CatalogSnapshot,
    private readonly compactMinBytes = 64 * 1024 * 1024,
    private readonly reserveBytes = RESERVE_BYTES,
  ) {}

  /**
   * Throws before a write command changes anything when its commit could not be kept: the journal
   * failed earlier, or the disk has less than the reserve free. Reads are not affected; writes are
   * taken again as soon as space is freed, without a restart.
   */
  checkRoom(): void {
    if (this.failed) throw this.failedEarlier();
    const free = this.freeBytes();
    if (free !== undefined && free < this.reserveBytes) {
      if (!this.full) this.logger.error({ free, reserve: this.reserveBytes }, 'embedded-mongo: the data disk is almost full; writes refused until space is freed');
      this.full = true;
      throw new CommandError('OutOfDiskSpace', `the data directory's disk has ${free} bytes free, less than the ${this.reserveBytes} kept in reserve: writes are refused until space is freed`);
    }
    if (this.full) this.logger.info({ free }, 'embedded-mongo: the data disk has room again; writes taken');
    this.full = false;
  }

  /** checkRoom as a boolean (the TTL monitor skips a round rather than remove what it could not keep). */
  hasRoom(): boolean {
    try {
      this.checkRoom();
      return true;
    } catch {
      return false;
    }
  }

  /** statfs at each write once within 4 reserves of full; further away, at most once a second. */
  private freeBytes(): number | undefined {
    const now = performance.now();
    const last = this.free;
    if (last && now - last.at < 1000 && (last.bytes === undefined || last.bytes > 4 * this.reserveBytes)) return last.bytes;
    this.free = { bytes: this.storage.freeBytes?.(), at: now };
    return this.free.bytes;
  }

  private failedEarlier(): CommandError {
    const err = this.failed!;
    return new CommandError(isNoSpace(err) ? 'OutOfDiskSpace' : 'InternalError', `storage failed earlier: ${err.message}; restart the server once the cause is fixed`);
  }

  /** Called once the storage has been opened and loaded. */
  opened(): void {
    this.snapshotBytes = this.storage.diskBytes() - this.storage.journalBytes();
  }

  async commit(ops: JournalOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (this.failed) throw this.failedEarlier();
    try {
      await this.storage.commit(ops);
    } catch (err) {
      // The memory state is ahead of the disk now: stop accepting writes rather than diverge further.
      // The disk keeps every acknowledged write (a failed flush is cut off: file-storage.ts
      // undoPartialWrite); a restart reads that back, without this refused change.
      this.failed = err as Error;
      this.logger.error({ err }, 'embedded-mongo: journal write failed; refusing further writes until restarted');
      throw new CommandError(isNoSpace(err) ? 'OutOfDiskSpace' : 'InternalError', `journal write failed: ${(err as Error).message}`);
    }
    this.maybeCompact();
  }

  private maybeCompact(): void {
    // Half the snapshot (at least compactMinBytes): a restart replays at most that much journal
    // (~6.5 ms per MB measured: 124 MB took 0.8 s of a 100,000-case start), for writing the state
    // about twice per snapshot's worth of changes (it was twice the snapshot: up to 2.7 s of replay).
    if (this.compacting || this.storage.journalBytes() < Math.max(this.compactMinBytes, this.snapshotBytes / 2)) return;
    void this.compact().catch((err) => this.logger.error({ err }, 'embedded-mongo: compaction failed'));
  }

  async compact(): Promise<{ before: number; after: number }> {
    if (this.compacting) return { before: this.storage.diskBytes(), after: this.storage.diskBytes() };
    this.compacting = true;
    const before = this.storage.diskBytes();
    try {
      await this.storage.compact(this.snapshot());
      this.snapshotBytes = this.storage.diskBytes() - this.storage.journalBytes();
      const after = this.storage.diskBytes();
      this.logger.info({ before, after }, 'embedded-mongo: journal compacted');
      return { before, after };
    } finally {
      this.compacting = false;
    }
  }
}
