// The command layer's facade: what the wire server calls. It owns the catalog, the cursors and the
// journal, dispatches each command to its handler (commands/*.ts) and turns failures into replies.
import type { Doc } from './collection.ts';
import type { IndexSpec } from './indexes.ts';
import { CommandError, errorReply } from './errors.ts';
import { Catalog } from './catalog.ts';
import { CursorTable, cursorCommands, MAX_BSON_SIZE } from './cursors.ts';
import { Journal } from './journal.ts';
import { sweepTtl } from './ttl.ts';
import { collectIncrementally } from './reclaim.ts';
import { adminCommands, MAX_MESSAGE_SIZE, MAX_WRITE_BATCH } from './commands/admin.ts';
import { catalogCommands } from './commands/catalog.ts';
import { indexCommands } from './commands/indexes.ts';
import { writeCommands } from './commands/write.ts';
import { readCommands } from './commands/read.ts';
import { backupCommands } from './commands/backup.ts';
import type { CommandContext, ConnectionInfo, Handler, HandlerTable, OpCounters } from './commands/context.ts';
import type { Storage, CatalogSnapshot } from './storage/types.ts';

export { MAX_BSON_SIZE, MAX_MESSAGE_SIZE, MAX_WRITE_BATCH };
export type { ConnectionInfo };

export interface EngineLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** Idle-time decoding and index builds start after this long without a command… */
const IDLE_MS = 50;
/** …and decode this many documents per turn (a few milliseconds), so a command arriving meanwhile waits little. */
const IDLE_SLICE = 500;

/** Commands that read a collection's documents (index commands and the like never wait for them). */
const READS_DOCUMENTS = new Set(['find', 'aggregate', 'count', 'distinct', 'insert', 'update', 'delete', 'findAndModify', 'findandmodify']);
/** …and of those, the ones that maintain every index of the collection. */
const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);
/** Commands whose changes go through the journal. */
const JOURNALED = new Set([...WRITES, 'create', 'drop', 'dropDatabase', 'renameCollection', 'createIndexes', 'dropIndexes']);

const HANDLERS: HandlerTable = new Map<string, Handler>([
  ...adminCommands,
  ...catalogCommands,
  ...indexCommands,
  ...writeCommands,
  ...readCommands,
  ...cursorCommands,
  ...backupCommands,
]);

export class Engine implements CommandContext {
  readonly catalog = new Catalog();
  readonly cursors = new CursorTable();
  readonly journal: Journal;
  readonly startedAt = Date.now();
  private ttlTimer: NodeJS.Timeout | undefined;
  private cursorTimer: NodeJS.Timeout | undefined;
  private indexTimer: NodeJS.Timeout | undefined;
  private closed = false;
  connections = 0;
  /** When the last command arrived (performance.now()): idle-time work waits for a quiet moment. */
  private lastCommandAt = 0;
  opCounters: OpCounters = { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };

  constructor(
    private readonly storage: Storage,
    private readonly logger: EngineLogger,
    private readonly opts: { ttlIntervalMs?: number; compactMinBytes?: number; idleDecodeDelayMs?: number; now?: () => Date } = {},
  ) {
    this.journal = new Journal(storage, logger, () => this.snapshot(), opts.compactMinBytes);
  }

  now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }

  async open(): Promise<void> {
    const { state, report } = await this.storage.open();
    let docs = 0;
    for (const c of state.collections) {
      const coll = this.catalog.ensureCollection(c.db, c.coll, c.options);
      if (c.deferred) {
        // Still in the snapshot file: read when a command first needs it, or in idle time.
        coll.load([], c.indexes as IndexSpec[], true, c.deferred);
        docs += c.deferred.docs;
        continue;
      }
      const list = [...c.docs] as Doc[]; // some may be BSON bytes still (FileStorage rawDocuments)
      coll.load(list, c.indexes as IndexSpec[], true);
      docs += list.length;
    }
    // Documents read from a snapshot are decoded, and indexes built, after the server starts
    // serving: a slice per turn of the event loop (commands run in between), everything a command
    // needs at once if it comes first (Collection.docs, Index.ready). Start-up waits for neither.
    const started = performance.now();
    /** Collections whose snapshot section failed its check: skipped here, their commands answer the error. */
    const unreadable = new Set<unknown>();
    let decoded = false;
    const buildNext = () => {
      if (this.closed) return;
      // Only in idle time: while clients talk (the app's start-up, a burst of requests), wait.
      const quiet = performance.now() - this.lastCommandAt;
      if (quiet < IDLE_MS) {
        this.indexTimer = setTimeout(buildNext, IDLE_MS - quiet);
        return;
      }
      for (const [, coll] of this.catalog.collections()) {
        if (unreadable.has(coll)) continue;
        if (coll.unread) {
          // Read off the event loop; a section that fails its checksum is reported once, and its
          // collection's commands answer DataCorruptionDetected.
          coll.read().then(
            () => (this.indexTimer = setTimeout(buildNext, 0)),
            (err: unknown) => {
              unreadable.add(coll);
              this.logger.error({ err }, 'embedded-mongo: a collection could not be read from the snapshot');
              this.indexTimer = setTimeout(buildNext, 0);
            },
          );
          return;
        }
        if (coll.undecoded) {
          coll.decodeSome(IDLE_SLICE);
          this.indexTimer = setTimeout(buildNext, 0);
          return;
        }
      }
      if (!decoded) {
        decoded = true;
        // The snapshot's bytes (250 MB at 100,000 cases) are garbage now: collected while the indexes
        // are built, not after, they no longer add to the build's peak.
        void collectIncrementally();
      }
      for (const [, coll] of this.catalog.collections()) {
        if (unreadable.has(coll)) continue;
        if (coll.buildDeferredIndex()) {
          this.indexTimer = setTimeout(buildNext, 0);
          return;
        }
      }
      this.logger.info({ ms: Math.round(performance.now() - started) }, 'embedded-mongo: documents decoded and indexes built');
    };
    this.indexTimer = setTimeout(buildNext, this.opts.idleDecodeDelayMs ?? 0);
    this.journal.opened();
    this.logger.info({ ...report, docs }, 'embedded-mongo: data loaded');
    const ttlMs = this.opts.ttlIntervalMs ?? 5000;
    this.ttlTimer = setInterval(() => void sweepTtl(this.catalog, this.journal, this.now()).catch((err) => this.logger.error({ err }, 'TTL sweep failed')), ttlMs);
    this.ttlTimer.unref();
    this.cursorTimer = setInterval(() => this.cursors.sweep(), 60_000);
    this.cursorTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.indexTimer);
    clearInterval(this.ttlTimer);
    clearInterval(this.cursorTimer);
    await this.storage.close();
  }

  /** Snapshot of the current state (document arrays are copied, documents are never mutated in place). */
  snapshot(): CatalogSnapshot {
    return this.catalog.snapshot();
  }

  compact(): Promise<{ before: number; after: number }> {
    return this.journal.compact();
  }

  stats(): { journalBytes: number; diskBytes: number; collections: number; documents: number } {
    return { journalBytes: this.storage.journalBytes(), diskBytes: this.storage.diskBytes(), ...this.catalog.counts() };
  }

  /** Runs one command document against database `dbName`; never throws (errors become replies). */
  async run(dbName: string, cmd: Doc, conn: ConnectionInfo): Promise<Doc> {
    const name = Object.keys(cmd)[0];
    this.lastCommandAt = performance.now();
    try {
      if (!name) throw new CommandError('CommandNotFound', 'no command given');
      const handler = HANDLERS.get(name) ?? HANDLERS.get(name.toLowerCase());
      if (!handler) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
      this.opCounters.command++;
      if (cmd.txnNumber !== undefined || cmd.startTransaction !== undefined || cmd.autocommit !== undefined) {
        throw new CommandError('IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos');
      }
      // A collection still as bytes from the snapshot (or with indexes not built yet) is made ready
      // in slices first, so a command on it never stalls the commands on other collections.
      const target = cmd[name];
      if (READS_DOCUMENTS.has(name) && typeof target === 'string' && target !== '') {
        const pending = this.catalog.coll(dbName, target)?.prepare(WRITES.has(name));
        if (pending) await pending;
      }
      // Refused before it changes anything when the disk could not keep it (journal.ts checkRoom).
      if (JOURNALED.has(name)) this.journal.checkRoom();
      return await handler(this, dbName, cmd, conn);
    } catch (err) {
      if (!(err instanceof CommandError)) this.logger.warn({ err, command: name }, 'embedded-mongo: command failed');
      return errorReply(err);
    }
  }
}
