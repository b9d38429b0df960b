// Contract between the server core (commands, catalog, indexes) and the durability layer.
// The core keeps every collection in memory; storage makes each change durable and gives the
// state back at start. Documents travel as plain BSON-serializable objects (bson 7 types).
import type { Document } from 'bson';

export interface IndexSpecRecord {
  /** MongoDB index document as listIndexes returns it: { v: 2, key, name, unique?, sparse?, partialFilterExpression?, expireAfterSeconds?, ... } */
  [k: string]: unknown;
  name: string;
  key: Document;
}

/** One logical change. A commit groups the ops of one write that must be applied together or not at all. */
export type JournalOp =
  | { op: 'insert'; db: string; coll: string; doc: Document }
  /** Full document after an update (the core computes it); `id` is the _id value. */
  | { op: 'replace'; db: string; coll: string; id: unknown; doc: Document }
  | { op: 'delete'; db: string; coll: string; id: unknown }
  | { op: 'createCollection'; db: string; coll: string; options: Document }
  | { op: 'dropCollection'; db: string; coll: string }
  | { op: 'dropDatabase'; db: string }
  | { op: 'renameCollection'; db: string; coll: string; toDb: string; toColl: string; dropTarget: boolean }
  | { op: 'createIndex'; db: string; coll: string; spec: IndexSpecRecord }
  | { op: 'dropIndex'; db: string; coll: string; name: string };

export interface CollectionSnapshot {
  db: string;
  coll: string;
  options: Document;
  /** Index specs other than the implicit _id_ index. */
  indexes: IndexSpecRecord[];
  /**
   * Documents in insertion order; may be a generator so a snapshot never needs the whole state twice
   * in memory. With FileStorage's `rawDocuments`, a document read from a snapshot is its BSON bytes
   * (a Uint8Array, see raw-doc.ts) until the core decodes it; compaction writes such bytes as they are.
   */
  docs: Iterable<Document>;
  /**
   * Set when the documents are still on disk (a large section of a version-2 snapshot): the core
   * keeps this instead of iterating `docs` (which would read them synchronously) and loads them when
   * first needed. `load` and `loadSync` read once and share the result; both throw when the section
   * fails its checksum. `docs` (the count) is the snapshot's, before journal replay.
   */
  deferred?: DeferredDocs;
}

export interface DeferredDocs {
  docs: number;
  load(): Promise<Map<string, Document>>;
  loadSync(): Map<string, Document>;
}

/** What storage hands back at open, and what the core hands to compact(). */
export interface CatalogSnapshot {
  collections: Iterable<CollectionSnapshot>;
}

export interface RecoveryReport {
  snapshotLoaded: boolean;
  recordsReplayed: number;
  /** Bytes cut from the journal's end because the last record was torn or failed its checksum (0 when clean). */
  tornTailBytes: number;
  durationMs: number;
}

export interface Storage {
  /** Loads the latest snapshot, replays the journal after it, cuts a torn tail. Called once. */
  open(): Promise<{ state: CatalogSnapshot; report: RecoveryReport }>;
  /**
   * Appends one record holding `ops` and resolves only once it is on disk (fsync).
   * Concurrent calls share one fsync (group commit). Records are applied at recovery in the
   * order commit() was called. A record is all-or-nothing at recovery.
   */
  commit(ops: JournalOp[]): Promise<void>;
  /**
   * Writes `snapshot` (the full current state) and starts a new, empty journal, atomically:
   * a crash at any moment leaves either the old snapshot+journal or the new ones.
   * Commits issued after compact() is called go to the new journal.
   */
  compact(snapshot: CatalogSnapshot): Promise<void>;
  /** Current journal size in bytes (for the compaction policy and stats). */
  journalBytes(): number;
  /** Total bytes on disk (snapshot + journal). */
  diskBytes(): number;
  /** Flushes and releases the data directory lock. */
  close(): Promise<void>;
  /** Bytes free for writing on the data directory's file system (none for a store in memory). */
  freeBytes?(): number | undefined;
}
