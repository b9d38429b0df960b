// In-memory mode (tests, throwaway servers): nothing is written, every commit is acknowledged at once,
// and each start begins empty.
import type { CatalogSnapshot, JournalOp, RecoveryReport, Storage } from './types.ts';

export class MemoryStorage implements Storage {
  private opened = false;
  private closed = false;
  private counters = { commits: 0, fsyncs: 0, bytes: 0 };

  async open(): Promise<{ state: CatalogSnapshot; report: RecoveryReport }> {
    if (this.opened) throw new Error('storage already opened');
    this.opened = true;
    return {
      state: { collections: [] },
      report: { snapshotLoaded: false, recordsReplayed: 0, tornTailBytes: 0, durationMs: 0 },
    };
  }

  async commit(_ops: JournalOp[]): Promise<void> {
    if (this.closed) throw new Error('storage is closed');
    this.counters.commits++;
  }

  async compact(_snapshot: CatalogSnapshot): Promise<void> {
    if (this.closed) throw new Error('storage is closed');
  }

  journalBytes(): number {
    return 0;
  }

  diskBytes(): number {
    return 0;
  }

  stats(): { commits: number; fsyncs: number; bytes: number } {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
