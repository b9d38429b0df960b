// Durability for the command layer: every change goes through commit() before its reply is sent;
// a failed journal write stops further writes; the journal is compacted when it has grown.
import { CommandError } from './errors.ts';
import type { Storage, JournalOp, CatalogSnapshot } from './storage/types.ts';
import type { EngineLogger } from './engine.ts';

export class Journal {
  private failed: Error | undefined;
  private compacting = false;
  private snapshotBytes = 0;

  constructor(
    private readonly storage: Storage,
    private readonly logger: EngineLogger,
    private readonly snapshot: () => CatalogSnapshot,
    private readonly compactMinBytes = 64 * 1024 * 1024,
  ) {}

  /** Called once the storage has been opened and loaded. */
  opened(): void {
    this.snapshotBytes = this.storage.diskBytes() - this.storage.journalBytes();
  }

  async commit(ops: JournalOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (this.failed) throw new CommandError('InternalError', `storage failed earlier: ${this.failed.message}`);
    try {
      await this.storage.commit(ops);
    } catch (err) {
      // The memory state is ahead of the disk now: stop accepting writes rather than diverge further.
      this.failed = err as Error;
      this.logger.error({ err }, 'embedded-mongo: journal write failed; refusing further writes');
      throw new CommandError('InternalError', `journal write failed: ${(err as Error).message}`);
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
