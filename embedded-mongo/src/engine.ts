// The command layer: a catalog of databases and collections in memory, MongoDB commands over it,
// and every change made durable through Storage before the reply is sent.
import { ObjectId, Long, calculateObjectSize, UUID } from 'bson';
import { Aggregator, Query, ProcessingMode } from './mingo.ts'; // BSON-aware numeric comparisons
import { runFastPrefix } from './fast-pipeline.ts';
import { Collection, compileFilter, sortComparator, type Doc, type Plan } from './collection.ts';
import { indexNameFor, type IndexSpec } from './indexes.ts';
import { CommandError, errorReply } from './errors.ts';
import { applyOperatorUpdate, applyReplacement, applyPipelineUpdate, isOperatorUpdate, seedFromQuery } from './update.ts';
import { isPlainObject, toNumber, isNumeric, valuesEqual, compareValues } from './compare.ts';
import { valuesAtPath } from './paths.ts';
import { idKey } from './storage/id-key.ts';
import type { Storage, JournalOp, CatalogSnapshot, CollectionSnapshot } from './storage/types.ts';

export interface EngineLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface ConnectionInfo {
  id: number;
  remote: string;
}

interface CursorState {
  id: number;
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
}

export const MAX_BSON_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE = 48_000_000;
export const MAX_WRITE_BATCH = 100_000;
const BATCH_BYTES = MAX_BSON_SIZE - 64 * 1024;
const VERSION = '7.0.0';

const SAFE_STAGES = new Set(['$match', '$group', '$sort', '$limit', '$skip', '$count', '$sortByCount', '$unwind', '$project', '$bucket', '$sample']);

function asInt(v: unknown, name: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (!isNumeric(v)) throw new CommandError('TypeMismatch', `${name} must be a number`);
  return Math.trunc(toNumber(v));
}

function validName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0') || name.startsWith('$') || name.length > 255) {
    throw new CommandError('InvalidNamespace', `Invalid ${what} name: ${String(name)}`);
  }
  return name;
}

function validDbName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || /[/\\. "$*<>:|?\0]/.test(name) || name.length > 63) {
    throw new CommandError('InvalidNamespace', `Invalid database name: '${String(name)}'`);
  }
  return name;
}

function checkDocument(doc: unknown): Doc {
  if (!isPlainObject(doc)) throw new CommandError('BadValue', 'document must be an object');
  for (const k of Object.keys(doc)) {
    if (k.startsWith('$')) throw new CommandError('BadValue', `Document can't have $ prefixed field names: ${k}`);
  }
  if (calculateObjectSize(doc) > MAX_BSON_SIZE) throw new CommandError('BSONObjectTooLarge', 'object to insert too large');
  return doc;
}

export class Engine {
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private readonly cursors = new Map<number, CursorState>();
  private readonly startedAt = Date.now();
  private failed: Error | undefined;
  private compacting = false;
  private snapshotBytes = 0;
  private ttlTimer: NodeJS.Timeout | undefined;
  private cursorTimer: NodeJS.Timeout | undefined;
  connections = 0;
  opCounters = { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };

  constructor(
    private readonly storage: Storage,
    private readonly logger: EngineLogger,
    private readonly opts: { ttlIntervalMs?: number; compactMinBytes?: number; now?: () => Date } = {},
  ) {}

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }

  async open(): Promise<void> {
    const { state, report } = await this.storage.open();
    let docs = 0;
    for (const c of state.collections) {
      const coll = this.ensureCollection(c.db, c.coll, c.options);
      const list = [...c.docs] as Doc[];
      coll.load(list, c.indexes as IndexSpec[]);
      docs += list.length;
    }
    this.snapshotBytes = this.storage.diskBytes() - this.storage.journalBytes();
    this.logger.info({ ...report, docs }, 'embedded-mongo: data loaded');
    const ttlMs = this.opts.ttlIntervalMs ?? 5000;
    this.ttlTimer = setInterval(() => void this.sweepTtl().catch((err) => this.logger.error({ err }, 'TTL sweep failed')), ttlMs);
    this.ttlTimer.unref();
    this.cursorTimer = setInterval(() => this.sweepCursors(), 60_000);
    this.cursorTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.ttlTimer);
    clearInterval(this.cursorTimer);
    await this.storage.close();
  }

  // ---- catalog -------------------------------------------------------------------------------

  private db(name: string): Map<string, Collection> | undefined {
    return this.dbs.get(name);
  }

  private ensureCollection(db: string, name: string, options: Doc = {}): Collection {
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    let coll = colls.get(name);
    if (!coll) {
      coll = new Collection(db, name, options);
      colls.set(name, coll);
    }
    return coll;
  }

  private coll(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** The collection, created (and journaled) when missing, as MongoDB does on first write. */
  private writable(db: string, name: string, ops: JournalOp[]): Collection {
    validDbName(db);
    validName(name, 'collection');
    // admin.system.users: where the authentication layer keeps users (auth/users.ts), as MongoDB does
    if (name.startsWith('system.') && !['system.js', 'system.views'].includes(name) && !(db === 'admin' && name === 'system.users')) {
      throw new CommandError('InvalidNamespace', `cannot write to '${db}.${name}'`);
    }
    const existing = this.coll(db, name);
    if (existing) return existing;
    ops.push({ op: 'createCollection', db, coll: name, options: {} });
    return this.ensureCollection(db, name);
  }

  // ---- durability ----------------------------------------------------------------------------

  private async commit(ops: JournalOp[]): Promise<void> {
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
    const min = this.opts.compactMinBytes ?? 64 * 1024 * 1024;
    if (this.compacting || this.storage.journalBytes() < Math.max(min, this.snapshotBytes * 2)) return;
    void this.compact().catch((err) => this.logger.error({ err }, 'embedded-mongo: compaction failed'));
  }

  /** Snapshot of the current state (document arrays are copied, documents are never mutated in place). */
  snapshot(): CatalogSnapshot {
    const collections: CollectionSnapshot[] = [];
    for (const [db, colls] of this.dbs) {
      for (const [name, coll] of colls) {
        collections.push({
          db,
          coll: name,
          options: coll.options,
          indexes: [...coll.indexes.values()].filter((i) => i.name !== '_id_').map((i) => i.spec),
          docs: [...coll.docs.values()],
        });
      }
    }
    return { collections };
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

  stats(): { journalBytes: number; diskBytes: number; collections: number; documents: number } {
    let collections = 0;
    let documents = 0;
    for (const colls of this.dbs.values()) for (const c of colls.values()) { collections++; documents += c.docs.size; }
    return { journalBytes: this.storage.journalBytes(), diskBytes: this.storage.diskBytes(), collections, documents };
  }

  private async sweepTtl(): Promise<void> {
    const now = this.now().getTime();
    for (const [db, colls] of this.dbs) {
      for (const coll of colls.values()) {
        for (const index of coll.indexes.values()) {
          const ttl = index.spec.expireAfterSeconds;
          if (ttl === undefined || index.fields.length !== 1) continue;
          const ops: JournalOp[] = [];
          // The index itself finds what expired (a date key at or before the cutoff; arrays expire by
          // their earliest date): no collection scan, and a partial TTL index expires only the
          // documents its filter covers, as in MongoDB.
          const cutoff = new Date(now - toNumber(ttl) * 1000);
          const expired = new Map<string, Doc>();
          for (const doc of index.range([{ lo: new Date(-8.64e15), hi: cutoff }])) expired.set(idKey(doc._id), doc);
          for (const doc of expired.values()) {
            coll.remove(doc);
            ops.push({ op: 'delete', db, coll: coll.name, id: doc._id });
          }
          if (ops.length) await this.commit(ops);
        }
      }
    }
  }

  private sweepCursors(): void {
    const cutoff = Date.now() - 10 * 60_000;
    for (const [id, c] of this.cursors) if (c.lastUsed < cutoff) this.cursors.delete(id);
  }

  // ---- dispatch ------------------------------------------------------------------------------

  /** Runs one command document against database `dbName`; never throws (errors become replies). */
  async run(dbName: string, cmd: Doc, conn: ConnectionInfo): Promise<Doc> {
    const name = Object.keys(cmd)[0];
    try {
      if (!name) throw new CommandError('CommandNotFound', 'no command given');
      const handler = this.handlers[name] ?? this.handlers[name.toLowerCase()];
      if (!handler) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
      this.opCounters.command++;
      if (cmd.txnNumber !== undefined || cmd.startTransaction !== undefined || cmd.autocommit !== undefined) {
        throw new CommandError('IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos');
      }
      return await handler.call(this, dbName, cmd, conn);
    } catch (err) {
      if (!(err instanceof CommandError)) this.logger.warn({ err, command: name }, 'embedded-mongo: command failed');
      return errorReply(err);
    }
  }

  private readonly handlers: Record<string, (this: Engine, db: string, cmd: Doc, conn: ConnectionInfo) => Doc | Promise<Doc>> = {
    hello: (_db, _cmd, conn) => this.hello(conn, false),
    isMaster: (_db, _cmd, conn) => this.hello(conn, true),
    ismaster: (_db, _cmd, conn) => this.hello(conn, true),
    ping: () => ({ ok: 1 }),
    buildInfo: () => this.buildInfo(),
    buildinfo: () => this.buildInfo(),
    serverStatus: () => this.serverStatus(),
    hostInfo: () => ({ system: { currentTime: new Date(), hostname: '127.0.0.1', numCores: 1 }, os: { type: process.platform }, extra: {}, ok: 1 }),
    getCmdLineOpts: () => ({ argv: ['embedded-mongo'], parsed: {}, ok: 1 }),
    getParameter: (_db, cmd) => ({ featureCompatibilityVersion: { version: '7.0' }, ...(cmd.getParameter === '*' ? {} : {}), ok: 1 }),
    getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
    connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
    whatsmyuri: (_db, _cmd, conn) => ({ you: conn.remote, ok: 1 }),
    endSessions: () => ({ ok: 1 }),
    killSessions: () => ({ ok: 1 }),
    startSession: () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 }),
    refreshSessions: () => ({ ok: 1 }),
    listDatabases: (_db, cmd) => this.listDatabases(cmd),
    listCollections: (db, cmd) => this.listCollections(db, cmd),
    create: (db, cmd) => this.create(db, cmd),
    drop: (db, cmd) => this.drop(db, cmd),
    dropDatabase: (db) => this.dropDatabase(db),
    renameCollection: (_db, cmd) => this.renameCollection(cmd),
    collStats: (db, cmd) => this.collStats(db, cmd),
    dbStats: (db) => this.dbStats(db),
    createIndexes: (db, cmd) => this.createIndexes(db, cmd),
    listIndexes: (db, cmd) => this.listIndexes(db, cmd),
    dropIndexes: (db, cmd) => this.dropIndexes(db, cmd),
    deleteIndexes: (db, cmd) => this.dropIndexes(db, cmd),
    insert: (db, cmd) => this.insert(db, cmd),
    update: (db, cmd) => this.update(db, cmd),
    delete: (db, cmd) => this.delete(db, cmd),
    find: (db, cmd) => this.find(db, cmd),
    getMore: (db, cmd) => this.getMore(db, cmd),
    killCursors: (_db, cmd) => this.killCursors(cmd),
    findAndModify: (db, cmd) => this.findAndModify(db, cmd),
    findandmodify: (db, cmd) => this.findAndModify(db, cmd),
    count: (db, cmd) => this.count(db, cmd),
    distinct: (db, cmd) => this.distinct(db, cmd),
    aggregate: (db, cmd) => this.aggregate(db, cmd),
    explain: (db, cmd) => this.explain(db, cmd),
    validate: (db, cmd) => ({ ns: `${db}.${String(cmd.validate)}`, valid: true, ok: 1 }),
    fsync: async () => ({ numFiles: 1, ok: 1 }),
    compact: async () => ({ ...(await this.compact()), ok: 1 }),
    abortTransaction: () => { throw new CommandError('IllegalOperation', 'Transactions are not supported by this server'); },
    commitTransaction: () => { throw new CommandError('IllegalOperation', 'Transactions are not supported by this server'); },
  };

  private hello(conn: ConnectionInfo, legacy: boolean): Doc {
    return {
      ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
      helloOk: true,
      maxBsonObjectSize: MAX_BSON_SIZE,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE,
      maxWriteBatchSize: MAX_WRITE_BATCH,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: conn.id,
      minWireVersion: 0,
      maxWireVersion: 21,
      readOnly: false,
      ok: 1,
    };
  }

  private buildInfo(): Doc {
    return {
      version: VERSION,
      gitVersion: 'embedded-mongo',
      versionArray: [7, 0, 0, 0],
      bits: 64,
      debug: false,
      maxBsonObjectSize: MAX_BSON_SIZE,
      storageEngines: ['embedded-journal'],
      modules: [],
      ok: 1,
    };
  }

  private serverStatus(): Doc {
    const mem = process.memoryUsage();
    return {
      host: '127.0.0.1',
      version: VERSION,
      process: 'embedded-mongo',
      pid: Long.fromNumber(process.pid),
      uptime: Math.floor((Date.now() - this.startedAt) / 1000),
      uptimeMillis: Long.fromNumber(Date.now() - this.startedAt),
      localTime: new Date(),
      connections: { current: this.connections, available: 10_000 },
      mem: { bits: 64, resident: Math.round(mem.rss / 1048576), virtual: Math.round(mem.rss / 1048576) },
      opcounters: this.opCounters,
      storageEngine: { name: 'embedded-journal', ...this.stats() },
      ok: 1,
    };
  }

  // ---- catalog commands ----------------------------------------------------------------------

  private listDatabases(cmd: Doc): Doc {
    const databases = [...this.dbs.entries()].map(([name, colls]) => {
      let size = 0;
      for (const c of colls.values()) for (const d of c.docs.values()) size += calculateObjectSize(d);
      return { name, sizeOnDisk: size, empty: colls.size === 0 };
    });
    const filtered = cmd.filter && isPlainObject(cmd.filter) ? databases.filter(compileFilter(cmd.filter as Doc)) : databases;
    if (cmd.nameOnly) return { databases: filtered.map((d) => ({ name: d.name })), ok: 1 };
    return { databases: filtered, totalSize: filtered.reduce((s, d) => s + d.sizeOnDisk, 0), ok: 1 };
  }

  private listCollections(db: string, cmd: Doc): Doc {
    const colls = [...(this.db(db)?.values() ?? [])];
    let infos: Doc[] = colls.map((c) =>
      cmd.nameOnly
        ? { name: c.name, type: 'collection' }
        : { name: c.name, type: 'collection', options: c.options, info: { readOnly: false }, idIndex: { v: 2, key: { _id: 1 }, name: '_id_' } },
    );
    if (isPlainObject(cmd.filter)) infos = infos.filter(compileFilter(cmd.filter as Doc));
    return this.cursorReply(`${db}.$cmd.listCollections`, infos, cmd.cursor);
  }

  private async create(db: string, cmd: Doc): Promise<Doc> {
    const name = validName(cmd.create, 'collection');
    validDbName(db);
    if (this.coll(db, name)) throw new CommandError('NamespaceExists', `Collection ${db}.${name} already exists.`);
    const options: Doc = {};
    for (const [k, v] of Object.entries(cmd)) {
      if (['create', '$db', 'lsid', '$clusterTime', '$readPreference', 'writeConcern', 'apiVersion', 'apiStrict', 'apiDeprecationErrors'].includes(k)) continue;
      options[k] = v;
    }
    this.ensureCollection(db, name, options);
    await this.commit([{ op: 'createCollection', db, coll: name, options }]);
    return { ok: 1 };
  }

  private async drop(db: string, cmd: Doc): Promise<Doc> {
    const name = validName(cmd.drop, 'collection');
    const coll = this.coll(db, name);
    // Since MongoDB 7.0 (the version this server reports), dropping a missing collection succeeds.
    if (!coll) return { ns: `${db}.${name}`, ok: 1 };
    const nIndexesWas = coll.indexes.size;
    this.dbs.get(db)!.delete(name);
    this.dropCursorsFor(`${db}.${name}`);
    await this.commit([{ op: 'dropCollection', db, coll: name }]);
    return { ns: `${db}.${name}`, nIndexesWas, ok: 1 };
  }

  private async dropDatabase(db: string): Promise<Doc> {
    if (this.dbs.has(db)) {
      this.dbs.delete(db);
      await this.commit([{ op: 'dropDatabase', db }]);
    }
    return { dropped: db, ok: 1 };
  }

  private async renameCollection(cmd: Doc): Promise<Doc> {
    const from = String(cmd.renameCollection ?? '');
    const to = String(cmd.to ?? '');
    const [fromDb, ...fr] = from.split('.');
    const [toDb, ...tr] = to.split('.');
    const fromColl = fr.join('.');
    const toColl = tr.join('.');
    if (!fromDb || !fromColl || !toDb || !toColl) throw new CommandError('InvalidNamespace', 'Invalid namespace specified');
    validName(toColl, 'collection');
    const source = this.coll(fromDb, fromColl);
    if (!source) throw new CommandError('NamespaceNotFound', `Source collection ${from} does not exist`);
    const target = this.coll(toDb, toColl);
    if (target && !cmd.dropTarget) throw new CommandError('NamespaceExists', 'target namespace exists');
    this.dbs.get(fromDb)!.delete(fromColl);
    // The documents move as they are (already valid), so the indexes are rebuilt in one pass.
    const moved = new Collection(toDb, toColl, source.options);
    moved.load(source.docs.values(), [...source.indexes.values()].map((i) => i.spec));
    this.ensureCollection(toDb, toColl); // creates the database entry when it is new
    this.dbs.get(toDb)!.set(toColl, moved);
    this.dropCursorsFor(from);
    await this.commit([{ op: 'renameCollection', db: fromDb, coll: fromColl, toDb, toColl, dropTarget: Boolean(cmd.dropTarget) }]);
    return { ok: 1 };
  }

  private collStats(db: string, cmd: Doc): Doc {
    const coll = this.coll(db, String(cmd.collStats));
    let size = 0;
    for (const d of coll?.docs.values() ?? []) size += calculateObjectSize(d);
    const count = coll?.docs.size ?? 0;
    return {
      ns: `${db}.${String(cmd.collStats)}`,
      count,
      size,
      avgObjSize: count ? Math.round(size / count) : 0,
      storageSize: size,
      nindexes: coll?.indexes.size ?? 0,
      indexSizes: Object.fromEntries([...(coll?.indexes.keys() ?? [])].map((n) => [n, 0])),
      totalIndexSize: 0,
      ok: 1,
    };
  }

  private dbStats(db: string): Doc {
    const colls = [...(this.db(db)?.values() ?? [])];
    let objects = 0;
    let dataSize = 0;
    let indexes = 0;
    for (const c of colls) {
      objects += c.docs.size;
      indexes += c.indexes.size;
      for (const d of c.docs.values()) dataSize += calculateObjectSize(d);
    }
    return { db, collections: colls.length, views: 0, objects, avgObjSize: objects ? dataSize / objects : 0, dataSize, storageSize: dataSize, indexes, indexSize: 0, totalSize: dataSize, scaleFactor: 1, ok: 1 };
  }

  private async createIndexes(db: string, cmd: Doc): Promise<Doc> {
    const name = validName(cmd.createIndexes, 'collection');
    if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) throw new CommandError('BadValue', 'Must specify at least one index to create');
    const ops: JournalOp[] = [];
    const created = !this.coll(db, name);
    const coll = this.writable(db, name, ops);
    const before = coll.indexes.size;
    for (const raw of cmd.indexes as Doc[]) {
      if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
        throw new CommandError('BadValue', 'Index spec must contain a non-empty key document');
      }
      const spec: IndexSpec = { v: 2, ...(raw as Doc), key: raw.key as IndexSpec['key'], name: typeof raw.name === 'string' ? raw.name : indexNameFor(raw.key as Doc) };
      for (const v of Object.values(spec.key)) {
        if (!(isNumeric(v) && toNumber(v) !== 0) && !['text', '2dsphere', '2d', 'hashed'].includes(String(v))) {
          throw new CommandError('BadValue', `Values in the index key pattern can only be non-zero numbers or the strings "text", "2dsphere", "2d" or "hashed": ${JSON.stringify(v)}`);
        }
      }
      if (spec.expireAfterSeconds !== undefined && !isNumeric(spec.expireAfterSeconds)) throw new CommandError('BadValue', 'TTL index \'expireAfterSeconds\' option must be numeric');
      const sameName = coll.indexes.get(spec.name);
      if (sameName) {
        if (!valuesEqual(sameName.spec.key, spec.key)) {
          throw new CommandError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`);
        }
        if (Boolean(sameName.spec.unique) !== Boolean(spec.unique) || Boolean(sameName.spec.sparse) !== Boolean(spec.sparse) || toNumber(sameName.spec.expireAfterSeconds ?? -1) !== toNumber(spec.expireAfterSeconds ?? -1)) {
          throw new CommandError('IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`);
        }
        continue;
      }
      const sameKey = [...coll.indexes.values()].find((i) => valuesEqual(i.spec.key, spec.key) && valuesEqual(i.spec.partialFilterExpression ?? null, spec.partialFilterExpression ?? null));
      if (sameKey) {
        throw new CommandError('IndexOptionsConflict', `Index already exists with a different name: ${sameKey.name}`);
      }
      coll.addIndex(spec);
      ops.push({ op: 'createIndex', db, coll: name, spec });
    }
    await this.commit(ops);
    return { createdCollectionAutomatically: created, numIndexesBefore: before, numIndexesAfter: coll.indexes.size, ok: 1 };
  }

  private listIndexes(db: string, cmd: Doc): Doc {
    const coll = this.coll(db, String(cmd.listIndexes));
    if (!coll) throw new CommandError('NamespaceNotFound', `ns does not exist: ${db}.${String(cmd.listIndexes)}`);
    const specs = [...coll.indexes.values()].map((i) => ({ ...i.spec, v: 2 }));
    return this.cursorReply(`${db}.${coll.name}`, specs, cmd.cursor);
  }

  private async dropIndexes(db: string, cmd: Doc): Promise<Doc> {
    const name = String(cmd.dropIndexes ?? cmd.deleteIndexes);
    const coll = this.coll(db, name);
    if (!coll) throw new CommandError('NamespaceNotFound', `ns not found ${db}.${name}`);
    const nIndexesWas = coll.indexes.size;
    const which = cmd.index;
    let names: string[];
    if (which === '*') names = [...coll.indexes.keys()].filter((n) => n !== '_id_');
    else if (typeof which === 'string') names = [which];
    else if (Array.isArray(which)) names = which.map(String);
    else if (isPlainObject(which)) {
      const found = [...coll.indexes.values()].find((i) => valuesEqual(i.spec.key, which));
      if (!found) throw new CommandError('IndexNotFound', `can't find index with key: ${JSON.stringify(which)}`);
      names = [found.name];
    } else throw new CommandError('BadValue', 'index must be a string, array or key pattern');
    for (const n of names) {
      if (n === '_id_') throw new CommandError('InvalidOptions', 'cannot drop _id index');
      if (!coll.indexes.has(n)) throw new CommandError('IndexNotFound', `index not found with name [${n}]`);
    }
    const ops: JournalOp[] = [];
    for (const n of names) {
      coll.indexes.delete(n);
      ops.push({ op: 'dropIndex', db, coll: name, name: n });
    }
    await this.commit(ops);
    return { nIndexesWas, ok: 1 };
  }

  // ---- writes ---------------------------------------------------------------------------------

  private async insert(db: string, cmd: Doc): Promise<Doc> {
    const name = validName(cmd.insert, 'collection');
    const docs = cmd.documents;
    if (!Array.isArray(docs)) throw new CommandError('BadValue', 'insert needs an array of documents');
    if (docs.length > MAX_WRITE_BATCH) throw new CommandError('InvalidLength', `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH}. Got ${docs.length} operations.`);
    const ordered = cmd.ordered !== false;
    const ops: JournalOp[] = [];
    const coll = this.writable(db, name, ops);
    const writeErrors: Doc[] = [];
    let n = 0;
    for (let i = 0; i < docs.length; i++) {
      try {
        const doc = checkDocument(docs[i]);
        if (doc._id === undefined) {
          // _id goes first, as MongoDB stores it
          const withId = { _id: new ObjectId(), ...doc };
          coll.insert(withId);
          ops.push({ op: 'insert', db, coll: name, doc: withId });
        } else {
          // MongoDB stores _id first even when the client (the driver does) appended it last
          const stored = Object.keys(doc)[0] === '_id' ? doc : { _id: doc._id, ...doc };
          coll.insert(stored);
          ops.push({ op: 'insert', db, coll: name, doc: stored });
        }
        n++;
      } catch (err) {
        writeErrors.push(writeError(i, err));
        if (ordered) break;
      }
    }
    this.opCounters.insert += n;
    await this.commit(ops);
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  /** Applies one update statement; returns counts and journal ops. */
  private updateOne(db: string, coll: Collection, stmt: Doc, ops: JournalOp[]): { n: number; nModified: number; upserted?: unknown } {
    const q = (stmt.q ?? {}) as Doc;
    const u = stmt.u;
    if (!isPlainObject(q)) throw new CommandError('TypeMismatch', 'q must be an object');
    const multi = stmt.multi === true;
    const upsert = stmt.upsert === true;
    const arrayFilters = Array.isArray(stmt.arrayFilters) ? (stmt.arrayFilters as Doc[]) : undefined;
    const pipeline = Array.isArray(u);
    if (!pipeline && !isPlainObject(u)) throw new CommandError('FailedToParse', 'Update argument must be either an object or an array');
    const operator = !pipeline && isOperatorUpdate(u as Doc);
    if (multi && !operator && !pipeline) throw new CommandError('FailedToParse', 'multi update is not supported for replacement-style update');
    const sort = isPlainObject(stmt.sort) ? (stmt.sort as Doc) : undefined;
    const { docs: matched } = coll.find(q, { sort, limit: multi ? 0 : 1 });
    const now = this.now();
    const compute = (doc: Doc, inserting: boolean): Doc => {
      if (pipeline) return applyPipelineUpdate(doc, u as Doc[], now);
      if (operator) return applyOperatorUpdate(doc, u as Doc, { query: q, arrayFilters, inserting, now });
      return applyReplacement(doc, u as Doc);
    };
    if (matched.length === 0) {
      if (!upsert) return { n: 0, nModified: 0 };
      const seed = operator || pipeline ? seedFromQuery(q) : {};
      if (!operator && !pipeline && q._id !== undefined && !isPlainObject(q._id)) seed._id = q._id;
      let doc = compute(seed, true);
      if (!operator && !pipeline && seed._id !== undefined) doc._id = seed._id;
      if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
      else if (Object.keys(doc)[0] !== '_id') doc = { _id: doc._id, ...doc };
      checkDocument(doc);
      coll.insert(doc);
      ops.push({ op: 'insert', db: coll.db, coll: coll.name, doc });
      return { n: 1, nModified: 0, upserted: doc._id };
    }
    let nModified = 0;
    for (const doc of matched) {
      const next = compute(doc, false);
      if (valuesEqual(next, doc) && Object.keys(next).join() === Object.keys(doc).join()) continue;
      checkDocument(next);
      coll.replace(doc, next);
      ops.push({ op: 'replace', db, coll: coll.name, id: doc._id, doc: next });
      nModified++;
    }
    return { n: matched.length, nModified };
  }

  private async update(db: string, cmd: Doc): Promise<Doc> {
    const name = validName(cmd.update, 'collection');
    const updates = cmd.updates;
    if (!Array.isArray(updates)) throw new CommandError('BadValue', 'update needs an array of updates');
    const ordered = cmd.ordered !== false;
    const ops: JournalOp[] = [];
    const coll = this.writable(db, name, ops);
    let n = 0;
    let nModified = 0;
    const upserted: Doc[] = [];
    const writeErrors: Doc[] = [];
    for (let i = 0; i < updates.length; i++) {
      try {
        const r = this.updateOne(db, coll, updates[i] as Doc, ops);
        n += r.n;
        nModified += r.nModified;
        if (r.upserted !== undefined) upserted.push({ index: i, _id: r.upserted });
      } catch (err) {
        writeErrors.push(writeError(i, err));
        if (ordered) break;
      }
    }
    this.opCounters.update += updates.length;
    await this.commit(ops);
    return { n, nModified, ...(upserted.length ? { upserted } : {}), ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private async delete(db: string, cmd: Doc): Promise<Doc> {
    const name = validName(cmd.delete, 'collection');
    const deletes = cmd.deletes;
    if (!Array.isArray(deletes)) throw new CommandError('BadValue', 'delete needs an array of deletes');
    const ordered = cmd.ordered !== false;
    const coll = this.coll(db, name);
    const ops: JournalOp[] = [];
    let n = 0;
    const writeErrors: Doc[] = [];
    for (let i = 0; i < deletes.length; i++) {
      try {
        const stmt = deletes[i] as Doc;
        if (!isPlainObject(stmt.q)) throw new CommandError('TypeMismatch', 'q must be an object');
        const limit = asInt(stmt.limit, 'limit', 0);
        if (limit !== 0 && limit !== 1) throw new CommandError('BadValue', 'The limit field in delete objects must be 0 or 1');
        if (!coll) continue;
        const { docs } = coll.find(stmt.q as Doc, { limit });
        for (const d of docs) {
          coll.remove(d);
          ops.push({ op: 'delete', db, coll: name, id: d._id });
          n++;
        }
      } catch (err) {
        writeErrors.push(writeError(i, err));
        if (ordered) break;
      }
    }
    this.opCounters.delete += n;
    await this.commit(ops);
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private async findAndModify(db: string, cmd: Doc): Promise<Doc> {
    const name = validName(cmd.findAndModify ?? cmd.findandmodify, 'collection');
    const query = (cmd.query ?? {}) as Doc;
    if (!isPlainObject(query)) throw new CommandError('TypeMismatch', 'query must be an object');
    const sort = isPlainObject(cmd.sort) ? (cmd.sort as Doc) : undefined;
    const fields = isPlainObject(cmd.fields) && Object.keys(cmd.fields).length ? (cmd.fields as Doc) : undefined;
    const ops: JournalOp[] = [];
    if (cmd.remove === true) {
      if (cmd.update !== undefined) throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true');
      const coll = this.coll(db, name);
      const doc = coll?.find(query, { sort, limit: 1 }).docs[0];
      if (coll && doc) {
        coll.remove(doc);
        ops.push({ op: 'delete', db, coll: name, id: doc._id });
        await this.commit(ops);
      }
      return { lastErrorObject: { n: doc ? 1 : 0 }, value: doc ? project([doc], fields, query)[0] : null, ok: 1 };
    }
    if (cmd.update === undefined) throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
    const coll = this.writable(db, name, ops);
    const before = coll.find(query, { sort, limit: 1 }).docs[0];
    const r = this.updateOne(db, coll, { q: query, u: cmd.update, upsert: cmd.upsert === true, arrayFilters: cmd.arrayFilters, sort }, ops);
    await this.commit(ops);
    let value: Doc | null = null;
    if (r.upserted !== undefined) value = cmd.new === true ? coll.docs.get(idKey(r.upserted)) ?? null : null;
    else if (before) value = cmd.new === true ? coll.docs.get(idKey(before._id)) ?? null : before;
    const lastErrorObject: Doc = { n: r.n, updatedExisting: r.upserted === undefined && r.n > 0 };
    if (r.upserted !== undefined) lastErrorObject.upserted = r.upserted;
    return { lastErrorObject, value: value ? project([value], fields, query)[0] : null, ok: 1 };
  }

  // ---- reads ----------------------------------------------------------------------------------

  private cursorReply(ns: string, docs: Doc[], cursorOpt: unknown, singleBatch = false, limitBatch?: number): Doc {
    const batchSize = isPlainObject(cursorOpt) && cursorOpt.batchSize !== undefined ? asInt(cursorOpt.batchSize, 'batchSize', 101) : limitBatch ?? 101;
    const { batch, rest } = takeBatch(docs, 0, batchSize);
    let id = 0;
    if (!singleBatch && rest < docs.length) {
      id = this.newCursorId();
      this.cursors.set(id, { id, ns, docs, pos: rest, lastUsed: Date.now() });
    }
    return { cursor: { firstBatch: batch, id: Long.fromNumber(id), ns }, ok: 1 };
  }

  private newCursorId(): number {
    let id = 0;
    while (id === 0 || this.cursors.has(id)) id = Math.floor(Math.random() * 2 ** 52) + 1;
    return id;
  }

  private dropCursorsFor(ns: string): void {
    for (const [id, c] of this.cursors) if (c.ns === ns) this.cursors.delete(id);
  }

  private findDocs(db: string, cmd: Doc, collName: string): { docs: Doc[]; plan: Plan } {
    const coll = this.coll(db, collName);
    const filter = (cmd.filter ?? {}) as Doc;
    if (!isPlainObject(filter)) throw new CommandError('TypeMismatch', "BSON field 'FindCommandRequest.filter' is the wrong type, expected type 'object'");
    const sort = isPlainObject(cmd.sort) && Object.keys(cmd.sort).length ? (cmd.sort as Doc) : undefined;
    const skip = asInt(cmd.skip, 'skip', 0);
    let limit = asInt(cmd.limit, 'limit', 0);
    if (skip < 0) throw new CommandError('BadValue', 'skip value must be non-negative');
    if (limit < 0) limit = -limit;
    if (!coll) return { docs: [], plan: { stage: 'COLLSCAN', sorted: true, docsExamined: 0 } };
    const r = coll.find(filter, { sort, skip, limit });
    this.opCounters.query++;
    const projection = isPlainObject(cmd.projection) && Object.keys(cmd.projection).length ? (cmd.projection as Doc) : undefined;
    return { docs: projection ? project(r.docs, projection, filter) : r.docs, plan: r.plan };
  }

  private find(db: string, cmd: Doc): Doc {
    const name = validName(cmd.find, 'collection');
    const { docs } = this.findDocs(db, cmd, name);
    const single = cmd.singleBatch === true || (typeof cmd.limit === 'number' && cmd.limit < 0);
    const batchSize = cmd.batchSize !== undefined ? asInt(cmd.batchSize, 'batchSize', 101) : 101;
    return this.cursorReply(`${db}.${name}`, docs, { batchSize }, single);
  }

  private getMore(db: string, cmd: Doc): Doc {
    const id = toNumber(cmd.getMore);
    const cursor = this.cursors.get(id);
    const ns = `${db}.${String(cmd.collection)}`;
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    if (cursor.ns !== ns && !cursor.ns.startsWith(`${db}.$cmd`)) throw new CommandError('Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    const batchSize = cmd.batchSize !== undefined ? asInt(cmd.batchSize, 'batchSize', 0) : 0;
    const { batch, rest } = takeBatch(cursor.docs, cursor.pos, batchSize > 0 ? batchSize : Infinity);
    cursor.pos = rest;
    cursor.lastUsed = Date.now();
    this.opCounters.getmore++;
    let outId = id;
    if (rest >= cursor.docs.length) {
      this.cursors.delete(id);
      outId = 0;
    }
    return { cursor: { nextBatch: batch, id: Long.fromNumber(outId), ns: cursor.ns }, ok: 1 };
  }

  private killCursors(cmd: Doc): Doc {
    const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
    const cursorsKilled: unknown[] = [];
    const cursorsNotFound: unknown[] = [];
    for (const raw of ids) {
      const id = toNumber(raw);
      if (this.cursors.delete(id)) cursorsKilled.push(Long.fromNumber(id));
      else cursorsNotFound.push(Long.fromNumber(id));
    }
    return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  private count(db: string, cmd: Doc): Doc {
    const coll = this.coll(db, validName(cmd.count, 'collection'));
    if (!coll) return { n: 0, ok: 1 };
    const query = (cmd.query ?? {}) as Doc;
    const skip = asInt(cmd.skip, 'skip', 0);
    const limit = Math.abs(asInt(cmd.limit, 'limit', 0));
    let n = Object.keys(query).length === 0 ? coll.docs.size : coll.find(query).docs.length;
    n = Math.max(0, n - skip);
    if (limit > 0) n = Math.min(n, limit);
    return { n, ok: 1 };
  }

  private distinct(db: string, cmd: Doc): Doc {
    const coll = this.coll(db, validName(cmd.distinct, 'collection'));
    if (typeof cmd.key !== 'string') throw new CommandError('TypeMismatch', "BSON field 'distinct.key' is missing or not a string");
    const values: unknown[] = [];
    if (coll) {
      const { docs } = coll.find((cmd.query ?? {}) as Doc);
      const seen = new Map<string, unknown>();
      for (const d of docs) {
        for (const v of valuesAtPath(d, cmd.key)) {
          for (const x of Array.isArray(v) ? v : [v]) {
            if (x === undefined) continue;
            const k = idKey(x);
            if (!seen.has(k)) seen.set(k, x);
          }
        }
      }
      values.push(...[...seen.values()].sort(compareValues));
    }
    return { values, ok: 1 };
  }

  private aggregate(db: string, cmd: Doc): Doc {
    const pipeline = cmd.pipeline;
    if (!Array.isArray(pipeline)) throw new CommandError('TypeMismatch', "'pipeline' option must be specified as an array");
    if (cmd.cursor === undefined && cmd.explain !== true) throw new CommandError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
    const collName = cmd.aggregate;
    if (typeof collName !== 'string') throw new CommandError('InvalidNamespace', 'aggregate on a database (aggregate: 1) is not supported');
    validName(collName, 'collection');
    const out = pipeline.length ? pipeline[pipeline.length - 1] : undefined;
    const outStage = isPlainObject(out) && ('$out' in out || '$merge' in out);
    if (outStage) throw new CommandError('IllegalOperation', '$out and $merge are not supported by this server');
    for (const st of pipeline) {
      const name = isPlainObject(st) ? Object.keys(st)[0] : undefined;
      if (name === '$collStats' || name === '$indexStats' || name === '$currentOp' || name === '$changeStream') {
        throw new CommandError('IllegalOperation', `${name} is not supported by this server`);
      }
    }
    const docs = this.runPipeline(db, collName, pipeline as Doc[]);
    return this.cursorReply(`${db}.${collName}`, docs, cmd.cursor);
  }

  /** Runs a pipeline; a leading $match (and $sort/$limit) use the collection's indexes. */
  runPipeline(db: string, collName: string, pipeline: Doc[]): Doc[] {
    const coll = this.coll(db, collName);
    let i = 0;
    let filter: Doc = {};
    let sort: Doc | undefined;
    let limit = 0;
    let skip = 0;
    // Leading $match stages (often one for the scope, one for the figure) become one filter, so
    // the planner sees every predicate and the scan matches once.
    const matches: Doc[] = [];
    while (pipeline[i] && isPlainObject(pipeline[i]!.$match) && !('$text' in (pipeline[i]!.$match as Doc))) {
      matches.push(pipeline[i]!.$match as Doc);
      i++;
    }
    if (matches.length === 1) filter = matches[0]!;
    else if (matches.length > 1) filter = { $and: matches };
    if (pipeline[i] && isPlainObject(pipeline[i]!.$sort)) {
      sort = pipeline[i]!.$sort as Doc;
      i++;
      while (pipeline[i] && (pipeline[i]!.$skip !== undefined || pipeline[i]!.$limit !== undefined)) {
        if (pipeline[i]!.$skip !== undefined) {
          if (limit) break;
          skip += asInt(pipeline[i]!.$skip, '$skip', 0);
        } else limit = asInt(pipeline[i]!.$limit, '$limit', 0);
        i++;
      }
    }
    let input = coll ? coll.find(filter, { sort, skip, limit: limit ? limit : 0 }).docs : [];
    let rest = pipeline.slice(i);
    if (rest.length === 0) return input;
    const fast = runFastPrefix(input, rest);
    rest = rest.slice(fast.consumed);
    if (rest.length === 0) return fast.docs;
    input = fast.docs;
    const mutating = rest.some((st) => !SAFE_STAGES.has(Object.keys(st)[0] ?? ''));
    const agg = new Aggregator(rest as never, {
      processingMode: mutating ? ProcessingMode.CLONE_INPUT : ProcessingMode.CLONE_OFF,
      collectionResolver: (name: string) => [...(this.coll(db, name)?.docs.values() ?? [])],
    } as never);
    // MongoDB keeps _id first in stage output; mingo's $project appends it last.
    return (agg.run(input) as Doc[]).map(idFirst);
  }

  private explain(db: string, cmd: Doc): Doc {
    const inner = cmd.explain;
    if (!isPlainObject(inner)) throw new CommandError('BadValue', 'explain needs a command document');
    const kind = Object.keys(inner)[0];
    let plan: Plan = { stage: 'COLLSCAN', sorted: true, docsExamined: 0 };
    let n = 0;
    let ns = db;
    if (kind === 'find' || kind === 'count' || kind === 'distinct') {
      const name = String(inner[kind]);
      ns = `${db}.${name}`;
      const r = this.findDocs(db, { ...inner, filter: inner.filter ?? inner.query }, name);
      plan = r.plan;
      n = r.docs.length;
    } else if (kind === 'aggregate') {
      const name = String(inner.aggregate);
      ns = `${db}.${name}`;
      const pipeline = (inner.pipeline ?? []) as Doc[];
      const first = pipeline[0] && isPlainObject(pipeline[0].$match) ? (pipeline[0].$match as Doc) : {};
      const coll = this.coll(db, name);
      if (coll) {
        const r = coll.find(first);
        plan = r.plan;
        n = r.docs.length;
      }
    } else if (kind === 'update' || kind === 'delete' || kind === 'findAndModify') {
      const name = String(inner[kind]);
      ns = `${db}.${name}`;
      const q = (kind === 'findAndModify' ? inner.query : ((inner.updates ?? inner.deletes) as Doc[] | undefined)?.[0]?.q) ?? {};
      const coll = this.coll(db, name);
      if (coll) {
        const r = coll.find(q as Doc);
        plan = r.plan;
        n = r.docs.length;
      }
    } else throw new CommandError('BadValue', `explain of ${kind} is not supported`);
    const inputStage = plan.stage === 'COLLSCAN' ? { stage: 'COLLSCAN', direction: 'forward' } : { stage: plan.stage === 'IDHACK' ? 'IDHACK' : 'IXSCAN', indexName: plan.index };
    const winningPlan = plan.stage === 'COLLSCAN' ? inputStage : { stage: 'FETCH', inputStage };
    return {
      queryPlanner: { namespace: ns, winningPlan, rejectedPlans: [] },
      executionStats: { executionSuccess: true, nReturned: n, totalDocsExamined: plan.docsExamined, totalKeysExamined: plan.stage === 'COLLSCAN' ? 0 : plan.docsExamined, executionStages: winningPlan },
      serverInfo: { host: '127.0.0.1', version: VERSION },
      ok: 1,
    };
  }
}

function idFirst(doc: Doc): Doc {
  if (!isPlainObject(doc) || !('_id' in doc) || Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

function writeError(index: number, err: unknown): Doc {
  const reply = errorReply(err);
  const out: Doc = { index, code: reply.code, errmsg: reply.errmsg };
  if (reply.keyPattern) out.keyPattern = reply.keyPattern;
  if (reply.keyValue) out.keyValue = reply.keyValue;
  return out;
}

function takeBatch(docs: Doc[], from: number, count: number): { batch: Doc[]; rest: number } {
  const batch: Doc[] = [];
  let bytes = 0;
  let i = from;
  for (; i < docs.length && batch.length < count; i++) {
    const size = calculateObjectSize(docs[i]!);
    if (batch.length > 0 && bytes + size > BATCH_BYTES) break;
    bytes += size;
    batch.push(docs[i]!);
  }
  return { batch, rest: i };
}

/** Applies a find projection to documents already matched; the filter is needed only by a positional `a.$` projection. */
function project(docs: Doc[], projection: Doc | undefined, filter: Doc): Doc[] {
  if (!projection) return docs;
  const positional = Object.keys(projection).some((k) => k.endsWith('.$'));
  return new Query((positional ? filter : {}) as never).find(docs as never, projection as never).all() as Doc[];
}

export { sortComparator };
