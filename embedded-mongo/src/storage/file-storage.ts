// Durable storage in a data directory: a snapshot of the whole catalog plus an append-only journal
// of the commits since. Files (gen = generation, a number that grows at each compaction):
//   mongod.lock            locked by the process that owns the directory (dir-lock.ts); holds its pid
//   snapshot-<gen>.bson    full state; complete only when its trailer is present and its crcs match.
//                          Version 2 ends with a fixed-size footer pointing at the trailer, which lists
//                          each collection's section (offset, bytes, documents, crc32): sections of at
//                          least `lazySectionBytes` are read and checked when first used, not at open.
//   journal-<gen>.log      records committed after snapshot-<gen> was started
// State = newest complete snapshot (gen S, or empty with S = 0) + every journal with gen >= S, in order.
import { chmod, open as openFile, mkdir, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { constants as fsConstants, readSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { Double, deserialize, serialize, type Document } from 'bson';
import { idKey } from './id-key.ts';
import { STORAGE_DESERIALIZE_OPTIONS, isRaw, rawIdKey } from './raw-doc.ts';
import { acquireDirLock, type DirLock, type LockMode } from './dir-lock.ts';
import { removePortFile } from './port-file.ts';
import type {
  CatalogSnapshot,
  CollectionSnapshot,
  IndexSpecRecord,
  JournalOp,
  RecoveryReport,
  Storage,
} from './types.ts';

export { DbPathLockedError } from './dir-lock.ts';

export interface StorageLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface FileStorageOptions {
  logger?: StorageLogger;
  /** How the directory is locked (default: the OS lock where available, see dir-lock.ts). */
  lockMode?: LockMode;
  /**
   * Hand the snapshot's documents to the core as their BSON bytes (Uint8Array views of the file),
   * decoded by the core when first used; journal records are decoded as before. Default false.
   */
  rawDocuments?: boolean;
  /**
   * A version-2 snapshot's collection sections of at least this many bytes are read (and checked)
   * when the core first needs them rather than at open (default 4 MB; Infinity reads all at open).
   */
  lazySectionBytes?: number;
}

export interface StorageStats {
  /** Records acknowledged (each commit() that resolved). */
  commits: number;
  /** fdatasync calls on journal files; fewer than commits when group commit shares them. */
  fsyncs: number;
  /** Journal bytes written and synced. */
  bytes: number;
}

/** Longs stay Long so 64-bit integers survive a restart exactly. */
export { STORAGE_DESERIALIZE_OPTIONS } from './raw-doc.ts';

const JOURNAL_RE = /^journal-(\d+)\.log$/;
const SNAPSHOT_RE = /^snapshot-(\d+)\.bson$/;
const SNAPSHOT_TMP_RE = /^snapshot-\d+\.bson\.tmp$/;
const RECORD_HEADER = 8;
const SNAPSHOT_CHUNK = 1 << 20;
const SNAPSHOT_FORMAT = 'embedded-mongo-snapshot';
/** Written by this code; version 1 (one crc over the whole file, no footer) is still read. */
const SNAPSHOT_VERSION = 2;
const DEFAULT_LAZY_SECTION_BYTES = 4 << 20;
/** First field of the snapshot's own marker documents; user documents start with _id. */
const MARKER = '$snapshot';
const MARKER_PREFIX = Buffer.from([0x02, ...Buffer.from(MARKER, 'latin1'), 0x00]);
/** Version 2's last document: where the trailer starts (a double, so the footer's size is fixed). */
const footerDoc = (trailerAt: number): Document => ({ [MARKER]: 'footer', trailerAt: new Double(trailerAt) });
const FOOTER_SIZE = serialize(footerDoc(0)).length;

const OPS = new Set([
  'insert', 'replace', 'delete', 'createCollection', 'dropCollection', 'dropDatabase',
  'renameCollection', 'createIndex', 'dropIndex',
]);

const silentInfo = (): void => {};
const defaultLogger: StorageLogger = { info: silentInfo, warn: (m) => console.warn(`[embedded-mongo storage] ${m}`) };

// ---------------------------------------------------------------------------------------------
// In-memory catalog used while recovering.

interface CollState {
  db: string;
  coll: string;
  options: Document;
  indexes: Map<string, IndexSpecRecord>;
  docs: Map<string, Document>;
  /** A version-2 section not read yet; journal ops on its documents wait in `queued`. */
  lazy?: LazySection;
}

interface LazySection {
  file: SnapshotFile;
  ns: string;
  at: number;
  bytes: number;
  docs: number;
  crc: number;
  queued: JournalOp[];
}

/** The snapshot file lazy sections are read from; kept open (it stays readable after a compaction unlinks it) until every section is read. */
interface SnapshotFile {
  name: string;
  fh: FileHandle;
  open: number;
}
type Catalog = Map<string, CollState>;

const nsOf = (db: string, coll: string): string => `${db}.${coll}`;

function ensureColl(cat: Catalog, db: string, coll: string, options: Document = {}): CollState {
  const ns = nsOf(db, coll);
  let c = cat.get(ns);
  if (!c) {
    c = { db, coll, options, indexes: new Map(), docs: new Map() };
    cat.set(ns, c);
  }
  return c;
}

/** An insert, replace or delete on a collection's documents. */
function applyDocOp(docs: Map<string, Document>, op: JournalOp): void {
  if (op.op === 'insert') docs.set(isRaw(op.doc) ? rawIdKey(op.doc as unknown as Buffer) : idKey(op.doc._id), op.doc);
  else if (op.op === 'replace') docs.set(isRaw(op.doc) ? rawIdKey(op.doc as unknown as Buffer) : idKey(op.id), op.doc);
  else if (op.op === 'delete') docs.delete(idKey(op.id));
}

/** Replay is tolerant: the result is the same whatever state the op finds. */
function applyOp(cat: Catalog, op: JournalOp): void {
  switch (op.op) {
    case 'insert':
    case 'replace': {
      const c = ensureColl(cat, op.db, op.coll);
      if (c.lazy) c.lazy.queued.push(op);
      else applyDocOp(c.docs, op);
      return;
    }
    case 'delete': {
      const c = cat.get(nsOf(op.db, op.coll));
      if (c?.lazy) c.lazy.queued.push(op);
      else if (c) applyDocOp(c.docs, op);
      return;
    }
    case 'createCollection':
      ensureColl(cat, op.db, op.coll, op.options ?? {});
      return;
    case 'dropCollection':
      cat.delete(nsOf(op.db, op.coll));
      return;
    case 'dropDatabase':
      for (const [ns, c] of cat) if (c.db === op.db) cat.delete(ns);
      return;
    case 'renameCollection': {
      const from = nsOf(op.db, op.coll);
      const to = nsOf(op.toDb, op.toColl);
      const c = cat.get(from);
      if (!c || from === to) return;
      cat.delete(from);
      cat.delete(to);
      c.db = op.toDb;
      c.coll = op.toColl;
      cat.set(to, c);
      return;
    }
    case 'createIndex':
      if (op.spec.name === '_id_') return;
      {
        const c = ensureColl(cat, op.db, op.coll);
        if (!c.indexes.has(op.spec.name)) c.indexes.set(op.spec.name, op.spec);
      }
      return;
    case 'dropIndex': {
      const c = cat.get(nsOf(op.db, op.coll));
      if (!c) return;
      if (op.name === '*') c.indexes.clear();
      else c.indexes.delete(op.name);
      return;
    }
    default:
      throw new Error(`journal holds an unknown op ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}

/**
 * A lazy section's documents with the journal's queued ops applied. Throws when the section fails
 * its checksum or its count: the collection cannot be served (the file is kept for inspection).
 * The async path gives the event loop a `turn` every SECTION_SLICE bytes (checking and parsing a
 * 200 MB section take ~0.6 s of CPU; a ping should not wait for all of it).
 */
async function sectionDocsSliced(section: LazySection, buf: Buffer, raw: boolean, turn: () => Promise<void>): Promise<Map<string, Document>> {
  let crc = 0;
  for (let at = 0; at < buf.length; at += SECTION_SLICE) {
    crc = crc32(buf.subarray(at, Math.min(buf.length, at + SECTION_SLICE)), crc);
    await turn();
  }
  checkCrc(section, crc);
  const docs = new Map<string, Document>();
  let n = 0;
  let off = 0;
  while (off < buf.length) {
    const r = readDocs(buf, off, buf.length, raw, docs, SECTION_SLICE);
    n += r.n;
    off = r.end;
    await turn();
  }
  return finishSection(section, docs, n);
}

function sectionDocs(section: LazySection, buf: Buffer, raw: boolean): Map<string, Document> {
  checkCrc(section, crc32(buf));
  const docs = new Map<string, Document>();
  return finishSection(section, docs, readDocs(buf, 0, buf.length, raw, docs).n);
}

function checkCrc(section: LazySection, crc: number): void {
  if (crc !== section.crc) throw new Error(`snapshot ${section.file.name}: the section of ${section.ns} failed its checksum; the collection cannot be read`);
}

function finishSection(section: LazySection, docs: Map<string, Document>, n: number): Map<string, Document> {
  if (n !== section.docs) throw new Error(`snapshot ${section.file.name}: the section of ${section.ns} holds ${n} documents, its trailer says ${section.docs}`);
  for (const op of section.queued) applyDocOp(docs, op);
  section.queued = [];
  return docs;
}

/** Bytes checked or parsed per turn of the event loop when a section is read for a command (a few ms). */
const SECTION_SLICE = 4 << 20;

/** The last section read closes the file (FileStorage.close() closes it if some were never read). */
function releaseFile(file: SnapshotFile): void {
  if (--file.open === 0) void file.fh.close().catch(() => {});
}

/** Reads a lazy section once (async for commands, sync as a fallback); the result is shared by both. */
function deferredSection(section: LazySection, raw: boolean): NonNullable<CollectionSnapshot['deferred']> {
  let loaded: Map<string, Document> | undefined;
  let failed: Error | undefined;
  let reading: Promise<Map<string, Document>> | undefined;
  const settle = (buf: Buffer | undefined, err?: unknown, parsed?: Map<string, Document>): Map<string, Document> => {
    if (!loaded && !failed) {
      try {
        if (err) throw err;
        loaded = parsed ?? sectionDocs(section, buf!, raw);
      } catch (e) {
        failed = e as Error;
      }
      releaseFile(section.file);
    }
    if (failed) throw failed;
    return loaded!;
  };
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const cutShort = () => new Error(`snapshot ${section.file.name}: the section of ${section.ns} is cut short`);
  return {
    docs: section.docs,
    load: () =>
      (reading ??= (async () => {
        if (loaded || failed) return settle(undefined);
        const buf = Buffer.allocUnsafe(section.bytes);
        try {
          const { bytesRead } = await section.file.fh.read(buf, 0, section.bytes, section.at);
          if (bytesRead !== section.bytes) throw cutShort();
          if (loaded || failed) return settle(undefined);
          // Checked and parsed a slice per turn; a synchronous read meanwhile (loadSync) wins and is used.
          const parsed = await sectionDocsSliced(section, buf, raw, turn);
          return settle(undefined, undefined, parsed);
        } catch (e) {
          return settle(undefined, e);
        }
      })()),
    loadSync: () => {
      if (loaded || failed) return settle(undefined);
      const buf = Buffer.allocUnsafe(section.bytes);
      try {
        if (readSync(section.file.fh.fd, buf, 0, section.bytes, section.at) !== section.bytes) throw cutShort();
      } catch (e) {
        return settle(undefined, e);
      }
      return settle(buf);
    },
  };
}

function catalogToSnapshot(cat: Catalog, raw: boolean): CatalogSnapshot {
  const collections: CollectionSnapshot[] = [];
  for (const c of cat.values()) {
    if (c.lazy) {
      const deferred = deferredSection(c.lazy, raw);
      collections.push({
        db: c.db,
        coll: c.coll,
        options: c.options,
        indexes: [...c.indexes.values()],
        docs: { [Symbol.iterator]: () => deferred.loadSync().values() },
        deferred,
      });
      continue;
    }
    const docs = c.docs;
    collections.push({
      db: c.db,
      coll: c.coll,
      options: c.options,
      indexes: [...c.indexes.values()],
      // Re-iterable view over the map: no second copy of the documents.
      docs: { [Symbol.iterator]: () => docs.values() },
    });
  }
  return { collections };
}

// ---------------------------------------------------------------------------------------------
// Encoding.

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** [u32 payload length][u32 crc32 of payload][payload = one BSON document per op]. */
export function encodeRecord(ops: JournalOp[]): Buffer {
  const parts = ops.map((op) => toBuffer(serialize(op as unknown as Document)));
  let total = 0;
  for (const p of parts) total += p.length;
  const rec = Buffer.allocUnsafe(RECORD_HEADER + total);
  let off = RECORD_HEADER;
  for (const p of parts) {
    p.copy(rec, off);
    off += p.length;
  }
  rec.writeUInt32LE(total, 0);
  rec.writeUInt32LE(crc32(rec.subarray(RECORD_HEADER)), 4);
  return rec;
}

/** The ops of a record's payload, or null when it is not a clean sequence of BSON documents. */
function decodePayload(payload: Buffer, rawDocuments = false): JournalOp[] | null {
  const ops: JournalOp[] = [];
  let off = 0;
  while (off < payload.length) {
    if (payload.length - off < 5) return null;
    const size = payload.readInt32LE(off);
    if (size < 5 || off + size > payload.length) return null;
    const insert = rawDocuments ? rawInsertOp(payload.subarray(off, off + size)) : undefined;
    if (insert) {
      ops.push(insert);
      off += size;
      continue;
    }
    let doc: Document;
    try {
      doc = deserialize(payload.subarray(off, off + size), STORAGE_DESERIALIZE_OPTIONS);
    } catch {
      return null;
    }
    if (!OPS.has(doc.op as string)) {
      // The crc matched, so this is not a torn write but a format this code does not know: refuse
      // rather than silently drop committed data.
      throw new Error(`journal record holds an unknown op ${JSON.stringify(doc.op)}`);
    }
    ops.push(doc as unknown as JournalOp);
    off += size;
  }
  return ops;
}

/** Fixed sizes of the BSON types an op's `id` may have (ObjectId, double, int32, int64, date). */
const FIXED_SIZE: Record<number, number> = { 0x07: 12, 0x01: 8, 0x10: 4, 0x12: 8, 0x09: 8 };

/**
 * An insert or replace op (`{ op, db, coll, doc }`, a replace with its `id` too) read without
 * decoding its document (kept as a view of its bytes, see raw-doc.ts; the key comes from the
 * document's own _id, which a replace never changes); undefined for any other op or layout (then
 * decoded as usual).
 */
function rawInsertOp(buf: Buffer): JournalOp | undefined {
  const fields: Record<string, string | Buffer> = {};
  let hasId = false;
  let off = 4;
  const end = buf.length - 1;
  while (off < end) {
    const type = buf[off]!;
    const nameEnd = buf.indexOf(0, off + 1);
    if (nameEnd < 0 || nameEnd >= end) return undefined;
    const name = buf.toString('latin1', off + 1, nameEnd);
    const v = nameEnd + 1;
    if (name === 'id' && !hasId) {
      // Only skipped: the key is read from the document.
      hasId = true;
      if (FIXED_SIZE[type] !== undefined) off = v + FIXED_SIZE[type]!;
      else if (type === 0x02 || type === 0x03) {
        if (v + 4 > end) return undefined;
        const len = buf.readInt32LE(v);
        off = type === 0x02 ? v + 4 + len : v + len;
      } else return undefined;
      if (off > end) return undefined;
      continue;
    }
    if (v + 4 > end) return undefined;
    const len = buf.readInt32LE(v);
    if (type === 0x02) {
      if (len < 1 || v + 4 + len > end) return undefined;
      fields[name] = buf.toString('utf8', v + 4, v + 4 + len - 1);
      off = v + 4 + len;
    } else if (type === 0x03) {
      if (len < 5 || v + len > end) return undefined;
      fields[name] = buf.subarray(v, v + len);
      off = v + len;
    } else return undefined;
  }
  const { op, db, coll, doc } = fields;
  if (typeof db !== 'string' || typeof coll !== 'string' || !Buffer.isBuffer(doc) || Object.keys(fields).length !== 4) return undefined;
  if (op === 'insert' && !hasId) return { op: 'insert', db, coll, doc: doc as unknown as Document };
  if (op === 'replace' && hasId) return { op: 'replace', db, coll, id: undefined, doc: doc as unknown as Document };
  return undefined;
}

function isMarker(buf: Buffer, start: number): boolean {
  if (start + 4 + MARKER_PREFIX.length > buf.length) return false;
  return buf.compare(MARKER_PREFIX, 0, MARKER_PREFIX.length, start + 4, start + 4 + MARKER_PREFIX.length) === 0;
}

/**
 * Reads the documents in buf[start, end) into `into` (as bytes with `raw`), stopping after the one
 * that reaches `budget` bytes; returns how many and where it stopped. Throws on a malformed run.
 */
function readDocs(buf: Buffer, start: number, end: number, raw: boolean, into: Map<string, Document>, budget = Infinity): { n: number; end: number } {
  let off = start;
  let n = 0;
  while (off < end && off - start < budget) {
    if (end - off < 5) throw new Error('ends inside a document');
    const size = buf.readInt32LE(off);
    if (size < 5 || off + size > end) throw new Error('ends inside a document');
    if (isMarker(buf, off)) throw new Error('a marker among the documents');
    const slice = buf.subarray(off, off + size);
    if (raw) into.set(rawIdKey(slice), slice as unknown as Document);
    else {
      const d = deserialize(slice, STORAGE_DESERIALIZE_OPTIONS);
      into.set(idKey(d._id), d);
    }
    off += size;
    n++;
  }
  return { n, end: off };
}

type ParsedSnapshot = { catalog: Catalog; gen: number; docs: number; bytes: number; lazy: number; file?: SnapshotFile } | { error: string };

async function readAt(fh: FileHandle, at: number, n: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(n);
  const { bytesRead } = await fh.read(buf, 0, n, at);
  if (bytesRead !== n) throw new Error('ends early');
  return buf;
}

/**
 * Opens a snapshot file of either version. Version 2 is read by its trailer's section list: the
 * header and every collection's header and index specs are read and checked (crc) now, sections
 * below `lazyBytes` too; larger ones are left to be read when first used (LazySection).
 */
async function readSnapshotFile(file: string, raw: boolean, lazyBytes: number): Promise<ParsedSnapshot> {
  const fh = await openFile(file, 'r');
  let keep = false;
  try {
    const { size } = await fh.stat();
    if (size < 5) return { error: 'empty file' };
    const hsize = (await readAt(fh, 0, 4)).readInt32LE(0);
    if (hsize < 5 || hsize > size) return { error: 'ends inside a document' };
    const hbuf = await readAt(fh, 0, hsize);
    let header: Document;
    try {
      header = deserialize(hbuf, STORAGE_DESERIALIZE_OPTIONS);
    } catch {
      return { error: 'unreadable header' };
    }
    if (header[MARKER] !== 'header' || header.format !== SNAPSHOT_FORMAT) return { error: 'not a snapshot' };
    if (header.version === 1) {
      const parsed = parseSnapshot(await readFile(file), raw);
      return 'error' in parsed ? parsed : { ...parsed, bytes: size, lazy: 0 };
    }
    if (header.version !== SNAPSHOT_VERSION) return { error: `unsupported snapshot version ${header.version}` };

    const incomplete = { error: 'no trailer (incomplete write)' };
    if (size < hsize + FOOTER_SIZE) return incomplete;
    let trailerAt: number;
    let trailer: Document;
    try {
      const footer = deserialize(await readAt(fh, size - FOOTER_SIZE, FOOTER_SIZE), STORAGE_DESERIALIZE_OPTIONS);
      if (footer[MARKER] !== 'footer') return incomplete;
      trailerAt = Number(footer.trailerAt);
      if (!Number.isInteger(trailerAt) || trailerAt < hsize || trailerAt + 5 > size - FOOTER_SIZE) return incomplete;
      const tsize = (await readAt(fh, trailerAt, 4)).readInt32LE(0);
      if (trailerAt + tsize !== size - FOOTER_SIZE) return incomplete;
      trailer = deserialize(await readAt(fh, trailerAt, tsize), STORAGE_DESERIALIZE_OPTIONS);
      if (trailer[MARKER] !== 'trailer' || !Array.isArray(trailer.sections)) return incomplete;
    } catch {
      return incomplete;
    }
    const shared: SnapshotFile = { name: path.basename(file), fh, open: 0 };
    const catalog: Catalog = new Map();
    let crc = crc32(hbuf);
    let total = 0;
    let lazy = 0;
    try {
      for (const sec of trailer.sections as Array<Record<string, unknown>>) {
        const [at, docsAt, bytes, docs, sectionCrc] = [sec.at, sec.docsAt, sec.bytes, sec.docs, sec.crc32].map(Number) as [number, number, number, number, number];
        if (!(at >= hsize && docsAt > at && bytes >= 0 && docsAt + bytes <= trailerAt)) return { error: 'section out of bounds' };
        const meta = await readAt(fh, at, docsAt - at);
        crc = crc32(meta, crc);
        let off = 0;
        const next = (): Document => {
          const n = meta.readInt32LE(off);
          if (n < 5 || off + n > meta.length) throw new Error('ends inside a document');
          const d = deserialize(meta.subarray(off, off + n), STORAGE_DESERIALIZE_OPTIONS);
          off += n;
          return d;
        };
        const ch = next();
        if (ch[MARKER] !== 'collection') return { error: 'expected a collection header' };
        const c = ensureColl(catalog, ch.db as string, ch.coll as string, (ch.options as Document) ?? {});
        for (let i = 0; i < (ch.indexes as number); i++) {
          const spec = next() as IndexSpecRecord;
          c.indexes.set(spec.name, spec);
        }
        if (off !== meta.length) return { error: 'collection header mismatch' };
        if (bytes >= lazyBytes && docs > 0) {
          c.lazy = { file: shared, ns: nsOf(c.db, c.coll), at: docsAt, bytes, docs, crc: sectionCrc, queued: [] };
          shared.open++;
          lazy++;
        } else {
          const buf = await readAt(fh, docsAt, bytes);
          if (crc32(buf) !== sectionCrc) return { error: 'checksum mismatch' };
          if (readDocs(buf, 0, bytes, raw, c.docs).n !== docs) return { error: 'collection end marker mismatch' };
        }
        total += docs;
      }
    } catch (e) {
      return { error: `malformed: ${(e as Error).message}` };
    }
    if (crc !== trailer.crc32) return { error: 'checksum mismatch' };
    if (trailer.collections !== (trailer.sections as unknown[]).length || trailer.docs !== total) return { error: 'trailer counts mismatch' };
    keep = shared.open > 0;
    return { catalog, gen: header.gen as number, docs: total, bytes: size, lazy, file: keep ? shared : undefined };
  } finally {
    if (!keep) await fh.close();
  }
}

/**
 * Parses a version-1 snapshot file. Returns the catalog and its generation, or a reason why the file is not a
 * complete snapshot (no trailer, bad checksum, malformed).
 */
function parseSnapshot(buf: Buffer, rawDocuments = false): { catalog: Catalog; gen: number; docs: number } | { error: string } {
  // Walk the document boundaries to find the trailer, the last document.
  let off = 0;
  let last = -1;
  while (off < buf.length) {
    if (buf.length - off < 5) return { error: 'ends inside a document' };
    const size = buf.readInt32LE(off);
    if (size < 5 || off + size > buf.length) return { error: 'ends inside a document' };
    last = off;
    off += size;
  }
  if (last < 0) return { error: 'empty file' };
  let trailer: Document;
  try {
    trailer = deserialize(buf.subarray(last), STORAGE_DESERIALIZE_OPTIONS);
  } catch {
    return { error: 'unreadable trailer' };
  }
  if (trailer[MARKER] !== 'trailer') return { error: 'no trailer (incomplete write)' };
  if (crc32(buf.subarray(0, last)) !== trailer.crc32) return { error: 'checksum mismatch' };

  const catalog: Catalog = new Map();
  const readDoc = (): Document => {
    const size = buf.readInt32LE(off);
    const d = deserialize(buf.subarray(off, off + size), STORAGE_DESERIALIZE_OPTIONS);
    off += size;
    return d;
  };
  try {
    off = 0;
    const header = readDoc();
    if (header[MARKER] !== 'header' || header.format !== SNAPSHOT_FORMAT) return { error: 'not a snapshot' };
    if (header.version !== 1) return { error: `unsupported snapshot version ${header.version}` };
    let totalDocs = 0;
    let collections = 0;
    while (off < last) {
      const ch = readDoc();
      if (ch[MARKER] !== 'collection') return { error: 'expected a collection header' };
      const c = ensureColl(catalog, ch.db as string, ch.coll as string, (ch.options as Document) ?? {});
      collections++;
      for (let i = 0; i < (ch.indexes as number); i++) {
        const spec = readDoc() as IndexSpecRecord;
        c.indexes.set(spec.name, spec);
      }
      let n = 0;
      for (;;) {
        if (off >= last) return { error: 'collection without end marker' };
        if (isMarker(buf, off)) break;
        if (rawDocuments) {
          // Kept as its bytes (a view of the file's buffer): the core decodes it when first used.
          const size = buf.readInt32LE(off);
          const raw = buf.subarray(off, off + size);
          off += size;
          c.docs.set(rawIdKey(raw), raw as unknown as Document);
        } else {
          const d = readDoc();
          c.docs.set(idKey(d._id), d);
        }
        n++;
      }
      const end = readDoc();
      if (end[MARKER] !== 'end' || end.docs !== n) return { error: 'collection end marker mismatch' };
      totalDocs += n;
    }
    if (trailer.collections !== collections || trailer.docs !== totalDocs) return { error: 'trailer counts mismatch' };
    return { catalog, gen: header.gen as number, docs: totalDocs };
  } catch (e) {
    return { error: `malformed: ${(e as Error).message}` };
  }
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;

// ---------------------------------------------------------------------------------------------

interface Pending {
  gen: number;
  rec: Buffer;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface JournalFile {
  gen: number;
  /** Bytes of whole, synced records; the next record is written here. */
  size: number;
  fh?: FileHandle;
}

export class FileStorage implements Storage {
  readonly dir: string;
  private readonly logger: StorageLogger;
  private phase: 'new' | 'opening' | 'open' | 'closing' | 'closed' = 'new';
  private lock: DirLock | undefined;
  private readonly lockMode: LockMode | undefined;
  private readonly rawDocuments: boolean;
  private readonly lazySectionBytes: number;
  /** Snapshot files kept open for sections read when first used. */
  private readonly snapshotFiles: SnapshotFile[] = [];

  private journals = new Map<number, JournalFile>();
  /** Journal new commits go to. */
  private activeGen = 0;
  /** Generation of the newest complete snapshot on disk (0 = none). */
  private snapshotGen = 0;
  private snapshotBytes = 0;
  /** Journals with gen >= this are the ones a compaction has not yet covered. */
  private baseGen = 0;

  private queue: Pending[] = [];
  private flushing = false;
  /** Settles once every commit issued so far has settled (records are written in order). */
  private tail: Promise<void> = Promise.resolve();
  private compaction: Promise<void> = Promise.resolve();
  /** Set when the journal can no longer be trusted (a failed write could not be undone). */
  private broken: Error | undefined;
  private counters: StorageStats = { commits: 0, fsyncs: 0, bytes: 0 };

  constructor(dir: string, opts: FileStorageOptions = {}) {
    this.dir = path.resolve(dir);
    this.logger = opts.logger ?? defaultLogger;
    this.lockMode = opts.lockMode;
    this.rawDocuments = opts.rawDocuments ?? false;
    this.lazySectionBytes = opts.lazySectionBytes ?? DEFAULT_LAZY_SECTION_BYTES;
  }

  // ------------------------------------------------------------------------------------- open

  async open(): Promise<{ state: CatalogSnapshot; report: RecoveryReport }> {
    if (this.phase !== 'new') throw new Error('FileStorage.open() may be called once');
    this.phase = 'opening';
    const started = performance.now();
    try {
      // Every document of every database is in this folder: its owner's alone, whatever the umask (security review s37).
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // A folder made before that (0755 under the usual umask) closed too: without search permission on
      // it, no other account reaches its files, whatever their own modes.
      await chmod(this.dir, 0o700);
      await this.acquireLock();
      // A killed server's port.json names a port that is no longer this directory's (port-file.ts).
      await removePortFile(this.dir);
    } catch (e) {
      this.phase = 'closed';
      throw e;
    }
    try {
      const result = await this.recover();
      this.phase = 'open';
      return {
        state: catalogToSnapshot(result.catalog, this.rawDocuments),
        report: { ...result.report, durationMs: Math.round(performance.now() - started) },
      };
    } catch (e) {
      await this.releaseLock();
      this.phase = 'closed';
      throw e;
    }
  }

  private async recover(): Promise<{ catalog: Catalog; report: Omit<RecoveryReport, 'durationMs'> }> {
    const names = await readdir(this.dir);
    let dirChanged = false;

    // A tmp snapshot is a compaction that never finished; the previous state is still complete.
    for (const n of names.filter((n) => SNAPSHOT_TMP_RE.test(n))) {
      this.logger.info(`removing unfinished snapshot ${n}`);
      await unlink(path.join(this.dir, n));
      dirChanged = true;
    }

    const gens = (re: RegExp) =>
      names.flatMap((n) => {
        const m = re.exec(n);
        return m ? [Number(m[1])] : [];
      });
    const snapshotGens = gens(SNAPSHOT_RE).sort((a, b) => b - a);
    const journalGens = gens(JOURNAL_RE).sort((a, b) => a - b);

    let catalog: Catalog = new Map();
    let snapshotLoaded = false;
    for (const gen of snapshotGens) {
      const file = path.join(this.dir, `snapshot-${gen}.bson`);
      if (snapshotLoaded) {
        // Older than the one loaded: superseded (a compaction stopped before deleting it).
        await unlink(file);
        dirChanged = true;
        continue;
      }
      const parsed = await readSnapshotFile(file, this.rawDocuments, this.lazySectionBytes);
      if ('error' in parsed || parsed.gen !== gen) {
        const why = 'error' in parsed ? parsed.error : `header says gen ${parsed.gen}`;
        // Kept aside, not deleted: it is evidence, and no longer matches the snapshot file name.
        const aside = `${file}.corrupt-${Date.now()}`;
        this.logger.warn(`snapshot ${path.basename(file)} is not usable (${why}); moved to ${path.basename(aside)}, using an older state`);
        await rename(file, aside);
        dirChanged = true;
        continue;
      }
      catalog = parsed.catalog;
      snapshotLoaded = true;
      this.snapshotGen = gen;
      this.snapshotBytes = parsed.bytes;
      if (parsed.file) this.snapshotFiles.push(parsed.file);
      this.logger.info(`loaded snapshot-${gen}.bson: ${parsed.docs} documents in ${catalog.size} collections${parsed.lazy ? ` (${parsed.lazy} read when first used)` : ''}`);
    }

    let recordsReplayed = 0;
    let tornTailBytes = 0;
    let cutAt: number | undefined;
    for (const gen of journalGens) {
      const file = path.join(this.dir, `journal-${gen}.log`);
      if (gen < this.snapshotGen) {
        await unlink(file);
        dirChanged = true;
        continue;
      }
      if (cutAt !== undefined) {
        // An earlier journal ended in a torn record, so later records cannot be applied without breaking
        // commit order. Cannot happen with ordered flushing; kept aside in case of disk corruption.
        const buf = await readFile(file);
        if (buf.length > 0) {
          const aside = `${file}.discarded-${Date.now()}`;
          this.logger.warn(`journal-${gen}.log follows a torn journal-${cutAt}.log; ${buf.length} bytes moved to ${path.basename(aside)}`);
          await rename(file, aside);
          tornTailBytes += buf.length;
          dirChanged = true;
          continue;
        }
      }
      const r = await this.replayJournal(gen, file, catalog);
      recordsReplayed += r.records;
      if (r.torn > 0) {
        tornTailBytes += r.torn;
        cutAt ??= gen;
      }
      this.journals.set(gen, { gen, size: r.size });
    }

    this.activeGen = Math.max(this.snapshotGen, ...this.journals.keys());
    this.baseGen = this.snapshotGen;
    if (dirChanged) await this.syncDir();
    return { catalog, report: { snapshotLoaded, recordsReplayed, tornTailBytes } };
  }

  private async replayJournal(gen: number, file: string, catalog: Catalog): Promise<{ records: number; size: number; torn: number }> {
    const buf = await readFile(file);
    let off = 0;
    let records = 0;
    let why = '';
    while (off < buf.length) {
      if (buf.length - off < RECORD_HEADER) {
        why = 'short record header';
        break;
      }
      const len = buf.readUInt32LE(off);
      // Zero length is never written (commit([]) writes nothing): zero-filled blocks after a crash are torn.
      if (len === 0 || off + RECORD_HEADER + len > buf.length) {
        why = len === 0 ? 'zero-length record' : 'record runs past the end of the file';
        break;
      }
      const payload = buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len);
      if (crc32(payload) !== buf.readUInt32LE(off + 4)) {
        why = 'checksum mismatch';
        break;
      }
      const ops = decodePayload(payload, this.rawDocuments);
      if (!ops) {
        why = 'malformed payload';
        break;
      }
      for (const op of ops) applyOp(catalog, op);
      records++;
      off += RECORD_HEADER + len;
    }
    const torn = buf.length - off;
    if (torn > 0) {
      this.logger.warn(`journal-${gen}.log: cut ${torn} bytes at offset ${off} (${why}); ${records} records kept`);
      const fh = await openFile(file, 'r+');
      try {
        await fh.truncate(off);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
    return { records, size: off, torn };
  }

  // ------------------------------------------------------------------------------------- lock

  private async acquireLock(): Promise<void> {
    this.lock = await acquireDirLock(this.dir, { logger: this.logger, mode: this.lockMode });
  }

  private async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release();
  }

  /** Free bytes on the data directory's file system, as an unprivileged writer sees them (statfs). */
  freeBytes(): number | undefined {
    try {
      const st = statfsSync(this.dir);
      return st.bavail * st.bsize;
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------- commit

  commit(ops: JournalOp[]): Promise<void> {
    if (this.phase !== 'open') return Promise.reject(new Error(`storage is ${this.phase === 'new' ? 'not open' : this.phase}`));
    if (this.broken) return Promise.reject(this.broken);
    let rec: Buffer;
    try {
      rec = ops.length > 0 ? encodeRecord(ops) : Buffer.alloc(0);
    } catch (e) {
      return Promise.reject(e);
    }
    const p = new Promise<void>((resolve, reject) => {
      this.queue.push({ gen: this.activeGen, rec, resolve, reject });
    });
    this.tail = p.then(
      () => {},
      () => {},
    );
    if (!this.flushing) {
      this.flushing = true;
      // Started after the current synchronous code, so commits issued together share the first write.
      queueMicrotask(() => void this.flushLoop());
    }
    return p;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const gen = this.queue[0].gen;
        let n = 1;
        while (n < this.queue.length && this.queue[n].gen === gen) n++;
        const batch = this.queue.splice(0, n);
        await this.flushBatch(gen, batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async flushBatch(gen: number, batch: Pending[]): Promise<void> {
    if (this.broken) {
      for (const p of batch) p.reject(this.broken);
      return;
    }
    const buf = batch.length === 1 ? batch[0].rec : Buffer.concat(batch.map((p) => p.rec));
    if (buf.length === 0) {
      this.counters.commits += batch.length;
      for (const p of batch) p.resolve();
      return;
    }
    let jf: JournalFile | undefined;
    try {
      jf = await this.journalFile(gen);
      const fh = jf.fh!;
      let written = 0;
      while (written < buf.length) {
        const r = await fh.write(buf, written, buf.length - written, jf.size + written);
        written += r.bytesWritten;
      }
      await fh.datasync();
    } catch (e) {
      await this.undoPartialWrite(jf, e);
      for (const p of batch) p.reject(e);
      return;
    }
    jf.size += buf.length;
    this.counters.fsyncs++;
    this.counters.bytes += buf.length;
    this.counters.commits += batch.length;
    for (const p of batch) p.resolve();
  }

  /** Cuts what a failed flush may have left, so a later record never follows unacknowledged bytes. */
  private async undoPartialWrite(jf: JournalFile | undefined, cause: unknown): Promise<void> {
    if (!jf?.fh) return;
    try {
      await jf.fh.truncate(jf.size);
      await jf.fh.datasync();
    } catch {
      this.broken = new Error(`journal-${jf.gen}.log is unusable after a failed write (${(cause as Error)?.message ?? cause})`);
      this.logger.warn(this.broken.message);
    }
  }

  private async journalFile(gen: number): Promise<JournalFile> {
    let jf = this.journals.get(gen);
    if (jf?.fh) return jf;
    const file = path.join(this.dir, `journal-${gen}.log`);
    const isNew = !jf;
    // Not O_APPEND: positional writes let a failed flush be overwritten cleanly.
    const flags = fsConstants.O_RDWR | fsConstants.O_CREAT | (isNew ? fsConstants.O_TRUNC : 0);
    const fh = await openFile(file, flags, 0o600);
    if (isNew) {
      // A new file's directory entry must be durable too, or synced records could vanish with it.
      // Registered only once that is done, so a failure here is retried from the start.
      try {
        await this.syncDir();
      } catch (e) {
        await fh.close().catch(() => {});
        throw e;
      }
      jf = { gen, size: 0 };
      this.journals.set(gen, jf);
    }
    jf!.fh = fh;
    return jf!;
  }

  private async syncDir(): Promise<void> {
    const dh = await openFile(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  /** Counters for tests and server stats. */
  stats(): StorageStats {
    return { ...this.counters };
  }

  // ------------------------------------------------------------------------------------- compact

  compact(snapshot: CatalogSnapshot): Promise<void> {
    if (this.phase !== 'open') return Promise.reject(new Error(`storage is ${this.phase === 'new' ? 'not open' : this.phase}`));
    // Synchronously, before any await: commits issued from now on go to the new journal.
    const gen = ++this.activeGen;
    this.baseGen = gen;
    const before = this.tail;
    const run = this.compaction.then(() => this.writeCompaction(gen, snapshot, before));
    this.compaction = run.catch(() => {});
    return run;
  }

  private async writeCompaction(gen: number, snapshot: CatalogSnapshot, before: Promise<void>): Promise<void> {
    const started = performance.now();
    let size: number;
    try {
      size = await this.writeSnapshot(gen, snapshot);
    } catch (e) {
      // The old snapshot and every journal are intact; recovery replays them. Journal accounting goes
      // back to the last complete snapshot so the compaction policy tries again.
      this.baseGen = this.snapshotGen;
      throw e;
    }
    const oldSnapshotGen = this.snapshotGen;
    this.snapshotGen = gen;
    this.snapshotBytes = size;

    // Older journals are covered by the new snapshot once their last records are settled.
    await before;
    for (const [g, jf] of [...this.journals]) {
      if (g >= gen) continue;
      this.journals.delete(g);
      await jf.fh?.close();
      await unlinkIfExists(path.join(this.dir, `journal-${g}.log`));
    }
    if (oldSnapshotGen > 0) await unlinkIfExists(path.join(this.dir, `snapshot-${oldSnapshotGen}.bson`));
    await this.syncDir();
    this.logger.info(`compacted into snapshot-${gen}.bson (${size} bytes) in ${Math.round(performance.now() - started)} ms`);
  }

  /**
   * Header, then per collection: a header, its index specs, its documents and an end marker; then a
   * trailer listing each collection's section (where it starts, where its documents start, their
   * bytes, count and crc32) with the crc32 of the header and every collection's header and specs,
   * and a fixed-size footer holding the trailer's offset. Written to a tmp name, synced, renamed.
   */
  private async writeSnapshot(gen: number, snapshot: CatalogSnapshot): Promise<number> {
    const final = path.join(this.dir, `snapshot-${gen}.bson`);
    const tmp = `${final}.tmp`;
    const fh = await openFile(tmp, 'w', 0o600);
    let size = 0;
    try {
      let metaCrc = 0;
      let sectionCrc = 0;
      let chunks: Buffer[] = [];
      let chunkBytes = 0;
      const flush = async () => {
        if (chunkBytes === 0) return;
        const b = Buffer.concat(chunks, chunkBytes);
        chunks = [];
        chunkBytes = 0;
        let written = 0;
        while (written < b.length) written += (await fh.write(b, written, b.length - written)).bytesWritten;
      };
      const append = (b: Buffer): Buffer => {
        chunks.push(b);
        chunkBytes += b.length;
        size += b.length;
        return b;
      };
      /** A marker or index spec: counted in the trailer's crc. */
      const pushMeta = (doc: Document) => {
        const b = toBuffer(serialize(doc));
        metaCrc = crc32(b, metaCrc);
        append(b);
      };
      const pushDoc = (b: Buffer) => {
        sectionCrc = crc32(b, sectionCrc);
        return append(b);
      };

      pushMeta({ [MARKER]: 'header', format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, gen, createdAt: new Date() });
      const sections: Document[] = [];
      let totalDocs = 0;
      for (const c of snapshot.collections) {
        const at = size;
        const indexes = [...c.indexes].filter((s) => s.name !== '_id_');
        pushMeta({ [MARKER]: 'collection', db: c.db, coll: c.coll, options: c.options ?? {}, indexes: indexes.length });
        for (const spec of indexes) pushMeta(spec);
        const docsAt = size;
        sectionCrc = 0;
        let n = 0;
        for (const d of c.docs) {
          const b = pushDoc(isRaw(d) ? toBuffer(d) : toBuffer(serialize(d)));
          if (isMarker(b, 0)) throw new Error(`a document in ${c.db}.${c.coll} starts with the reserved field ${MARKER}`);
          n++;
          if (chunkBytes >= SNAPSHOT_CHUNK) await flush();
        }
        sections.push({ at, docsAt, bytes: size - docsAt, docs: n, crc32: sectionCrc });
        append(toBuffer(serialize({ [MARKER]: 'end', docs: n })));
        totalDocs += n;
      }
      const trailerAt = size;
      append(toBuffer(serialize({ [MARKER]: 'trailer', collections: sections.length, docs: totalDocs, crc32: metaCrc, sections })));
      append(toBuffer(serialize(footerDoc(trailerAt))));
      await flush();
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => {});
      await unlinkIfExists(tmp).catch(() => {});
      throw e;
    }
    await fh.close();
    await rename(tmp, final);
    await this.syncDir();
    return size;
  }

  // ------------------------------------------------------------------------------------- sizes, close

  journalBytes(): number {
    let n = 0;
    for (const jf of this.journals.values()) if (jf.gen >= this.baseGen) n += jf.size;
    return n;
  }

  diskBytes(): number {
    let n = this.snapshotBytes;
    for (const jf of this.journals.values()) n += jf.size;
    return n;
  }

  async close(): Promise<void> {
    if (this.phase === 'closed' || this.phase === 'closing') return;
    if (this.phase !== 'open') {
      this.phase = 'closed';
      return;
    }
    this.phase = 'closing';
    try {
      await this.compaction;
      await this.tail;
      for (const jf of this.journals.values()) {
        const fh = jf.fh;
        jf.fh = undefined;
        await fh?.close();
      }
      for (const f of this.snapshotFiles) {
        if (f.open > 0) await f.fh.close().catch(() => {});
        f.open = 0;
      }
    } finally {
      await this.releaseLock();
      this.phase = 'closed';
    }
  }
}

async function unlinkIfExists(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
}
