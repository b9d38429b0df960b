// Where uploaded files live, behind one interface: local disk under UPLOAD_DIR (default uploads/) or
// GridFS (bucket 'documents'), so several app instances can share files. Both stream: no file is
// ever held whole in memory. Uploads arrive as complete local temporary files (upload-engine.ts);
// `put` moves one into storage under a generated key (a rename on disk; in GridFS, the chunks were
// inserted while the file was received (StagedUpload), and `put` writes the files document that
// makes them a file: writing them only after the whole file was in took about as long again as
// receiving it).
// A file is stored BEFORE its document record is written (upload.ts), so a crash can leave a stored
// file without a record but never a record without its file; `sweepUploads` (run at start-up)
// removes such orphans and the temporary files of uploads a crash cut short.
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, readdir } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import mongoose from 'mongoose';
import { GridFSBucket, MongoServerError, ObjectId, type Collection, type Db } from 'mongodb';
import type { Config } from '../config.ts';
import { NotFoundError } from '../errors.ts';
import { StoredShortError } from './errors.ts';

export interface StoredMeta {
  contentType: string;
  sha256: string;
}

export interface DocumentStorage {
  readonly kind: 'disk' | 'gridfs';
  /** Moves the complete temporary file into storage under `key`; the temporary file is gone afterwards. */
  put(tempPath: string, key: string, meta: StoredMeta): Promise<void>;
  /** A stream of the stored bytes; NotFoundError when the key is unknown. */
  openRead(key: string): Promise<Readable>;
  /** Removes a stored file (no error when it is already gone). */
  remove(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Every stored key (tests and housekeeping). */
  keys(): Promise<string[]>;
  /** Stored keys written before `before`, a batch at a time (the sweep's candidates). */
  keysWrittenBefore(before: Date): AsyncIterable<string[]>;
}

const KEY = /^[a-f0-9]{32}$/;

/** A storage key: random, never derived from anything the client sent. */
export function newStorageKey(): string {
  return randomBytes(16).toString('hex');
}

function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error('invalid storage key');
}

/** Temporary upload files, on the same file system as the disk store so that `put` is a rename. */
export function uploadTempDir(config: Pick<Config, 'upload'>): string {
  return path.join(config.upload.dir, '.tmp');
}

export class DiskStorage implements DocumentStorage {
  readonly kind = 'disk' as const;
  constructor(readonly dir: string) {}

  /** Two-level fan-out keeps directories small. */
  pathOf(key: string): string {
    checkKey(key);
    return path.join(this.dir, key.slice(0, 2), key);
  }

  /** Shard folders this process made or found: an upload into one is a rename alone. */
  private readonly madeDirs = new Set<string>();

  async put(tempPath: string, key: string): Promise<void> {
    const target = this.pathOf(key);
    const dir = path.dirname(target);
    if (this.madeDirs.has(dir)) {
      try {
        await rename(tempPath, target);
        return;
      } catch (err) {
        // Removed since (by hand, a wiped store): made again below.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.madeDirs.delete(dir);
      }
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rename(tempPath, target);
    this.madeDirs.add(dir);
  }

  async openRead(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    try {
      await stat(file);
    } catch {
      throw new NotFoundError();
    }
    return createReadStream(file);
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async keys(): Promise<string[]> {
    const out: string[] = [];
    let shards: string[] = [];
    try {
      shards = await readdir(this.dir);
    } catch {
      return out;
    }
    for (const shard of shards.filter((s) => /^[a-f0-9]{2}$/.test(s))) {
      for (const f of await readdir(path.join(this.dir, shard))) if (KEY.test(f)) out.push(f);
    }
    return out;
  }

  /** One batch per shard directory; a file's mtime is when its upload finished writing it. */
  async *keysWrittenBefore(before: Date): AsyncIterable<string[]> {
    const shards = await readdirOrEmpty(this.dir);
    for (const shard of shards.filter((s) => s.isDirectory() && /^[a-f0-9]{2}$/.test(s.name))) {
      const batch: string[] = [];
      for (const f of await readdirOrEmpty(path.join(this.dir, shard.name))) {
        if (!f.isFile() || !KEY.test(f.name)) continue;
        const st = await stat(path.join(this.dir, shard.name, f.name)).catch(() => undefined);
        if (st && st.mtimeMs < before.getTime()) batch.push(f.name);
      }
      if (batch.length) yield batch;
    }
  }
}

async function readdirOrEmpty(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/**
 * The chunk size of new GridFS files, staged or copied at `put` (files.chunkSize: files written in the
 * driver's default 255 kB read as before). 1 MB, not 255 kB, with 2 chunks an insert (2 MB, as the
 * 8 × 255 kB before): a quarter of the chunk documents for the driver to serialise and the database to
 * index. bench/upload-ab.ts gridfs 16 rounds (load 4-12), 1 MB × 2 against main's 255 kB × 8: CPU
 * (app + database) 227 -> 206 and 244 -> 234 ms an upload (roles swapped), B/A time 0.80 and 0.97;
 * 2 MB × 1: 214 -> 197, B/A 1.01. Like for like: the direct write it is compared with writes 64 kB
 * pieces (fs streams' default); the chunk size is the store's record size, not a write size.
 */
export const GRIDFS_CHUNK_BYTES = 1024 * 1024;
const CHUNK_BYTES = GRIDFS_CHUNK_BYTES;
/**
 * Chunks sent in one insert, and such batches waiting on the database at once: ~6 MB of a file at
 * most. With 255 kB chunks: 8 a batch rather than 4 since the database reads a message into one
 * buffer (embedded-mongo framing.ts): GridFS 20 MB, bench/upload-ab.ts 20 rounds, 2 runs: B/A time 0.34
 * and 0.83, CPU 188 -> 173 ms an upload. Not better (upload-ab gridfs, load 7-14): 15 a batch, 2 in
 * flight: its time over 8/3's 1.01, and 0.98 with the roles swapped, CPU 5-7 ms less of ~215; 6 in
 * flight: CPU 273 against 272, B/A 1.09. With 1 MB chunks (bench/gridfs-insert-cpu.ts, load 12):
 * 4 a batch with 2 in flight, or 2 with 2, no cheaper than 2 with 3.
 */
const CHUNKS_PER_BATCH = 2;
const BATCHES_IN_FLIGHT = 3;
/**
 * Stagings of one store begun and not yet stored or dropped. Past this, an upload is received to its
 * temporary file only and copied at `put`, as before staging: the bytes of files no check has passed
 * yet (quota, scan) held by the database stay under STAGINGS_MAX × the largest file however many
 * uploads are sent at once (the embedded server holds every collection in memory: 30 uploads held
 * open were 30 files' chunks in its heap).
 */
export const STAGINGS_MAX = 8;

/**
 * Chunk buffers whose insert has settled, taken again by the next chunks (of any upload): the driver
 * has serialised a batch before its insertMany settles and keeps none of its buffers. Without them
 * each 20 MB upload allocated 80 fresh 255 kB buffers. At most enough for the batches in flight and
 * the one filling (8 MB).
 */
const freeChunks: Buffer[] = [];
const FREE_CHUNKS_MAX = CHUNKS_PER_BATCH * (BATCHES_IN_FLIGHT + 1);

function takeChunk(): Buffer {
  return freeChunks.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
}

function giveBack(bufs: Buffer[]): void {
  for (const b of bufs) if (freeChunks.length < FREE_CHUNKS_MAX) freeChunks.push(b);
}

/**
 * A file copied into its store while it is received (server/http/upload-engine.ts tees the bytes to
 * it beside the temporary file), so that `put` has nothing left to copy. Until `put` the stored bytes
 * are visible to no one; `discardReceived` (or `abort`) removes them.
 * Not better (s33, upload-ab gridfs 16 rounds, load 13-14): no temporary file beside a staging when no scanner reads it, the hash thread hashing the chunk buffers in shared memory (SharedArrayBuffer, a busy flag each): B/A 1.07, 0.98, swapped 1.41 slower, CPU (staging's/main's) 221/217, 214/229, 219/211 ms (runs of 387 and 453 on either side: load 13-21).
 */
export interface StagedUpload {
  /**
   * The bytes go to the store only: the upload engine writes no temporary file beside it (no
   * scanner reads one, stores.ts uploadStaging). `put` then needs this staging finished.
   */
  readonly withoutTempFile: boolean;
  /** Takes the next bytes; resolves once fewer than the bound are waiting on the store. */
  write(data: Buffer): Promise<void>;
  /** Every byte written is stored: `put(tempPath, …)` will use these bytes. */
  finish(): Promise<void>;
  /** Removes whatever was stored (after the writes in flight have landed). */
  abort(): Promise<void>;
}

/**
 * The chunks of an aborted staging that the database did not remove (down or restarting: the upload
 * failed for that very reason), tried again after 2 s, 4 s… up to 5 min apart, for about half an hour:
 * the sweeps remove such chunks only past their grace (orphan-chunks.ts, hourly). Timers unref'd: they never hold the process.
 */
function removeChunksLater(chunks: Collection, id: ObjectId, attempt = 1): void {
  if (attempt > 12) return;
  setTimeout(() => void chunks.deleteMany({ files_id: id }).catch(() => removeChunksLater(chunks, id, attempt + 1)), Math.min(300_000, 1_000 * 2 ** attempt)).unref();
}

type ChunkDoc = { _id: ObjectId; files_id: ObjectId; n: number; data: Buffer };

/**
 * Inserts chunk documents as one `insert` command (a runCommand), not through insertMany: the driver
 * then serialises the command once (into BSON's shared buffer, then out) and joins it with its header,
 * where insertMany's document sequence made two joins more of every byte (the sequence, then the
 * sections), each into a fresh buffer. Same command for the server, same write concern; its
 * per-document refusals (writeErrors in an ok answer) are thrown here as insertMany throws them.
 * bench/gridfs-insert-cpu.ts (20 MB in 1 MB chunks, 2 a command, 3 in flight, 20 files each way,
 * load 9): app CPU 47.8 -> 32.3 ms a file, time 62 -> 44 ms; 255 kB × 8: 53.9 -> 35.6 ms (load 12).
 * bench/upload-ab.ts gridfs 16 rounds against main (255 kB × 8 by insertMany), load 11-13: B/A time
 * 0.90 and 0.59, CPU (app + database) 161 -> 145 and 171 -> 142 ms an upload; roles swapped: main
 * 2.03 times as long, CPU 268 against 146. Not better: 5 batches in flight (B/A 3.27, CPU 154 -> 317);
 * 2 in flight: B/A 0.95 and 0.78, CPU 150 -> 137 and 290 -> 296 (load 12-14: not kept, unclear).
 * Not better either (s39): these inserts on a worker thread with a client of its own, the chunk buffers
 * transferred there and back (the web thread then only parses, copies and hashes): bench/upload.ts 20
 * gridfs, 3 pairs alternating, ratio 0.25 / 0.30 / 0.32 against 0.31 / 0.33 / 0.30 here.
 */
async function insertChunks(db: Db, docs: ChunkDoc[]): Promise<void> {
  const wc = db.writeConcern;
  const concern = wc && (wc.w !== undefined || wc.wtimeoutMS !== undefined || wc.journal !== undefined) ? { writeConcern: { ...(wc.w !== undefined ? { w: wc.w } : {}), ...(wc.wtimeoutMS !== undefined ? { wtimeout: wc.wtimeoutMS } : {}), ...(wc.journal !== undefined ? { j: wc.journal } : {}) } } : {};
  // To the primary whatever the connection's read preference. Unlike insertMany on a replica set, not
  // retried once after a network error or a step-down: the upload then fails (503), as when the retry fails.
  const res = await db.command({ insert: 'documents.chunks', documents: docs, ordered: true, ...concern }, { readPreference: 'primary' });
  const writeError = (res.writeErrors as Array<{ code?: number; errmsg?: string }> | undefined)?.[0];
  if (writeError) throw new MongoServerError({ message: writeError.errmsg ?? 'chunk insert refused', code: writeError.code, errmsg: writeError.errmsg });
  const concernError = res.writeConcernError as { code?: number; errmsg?: string } | undefined;
  if (concernError) throw new MongoServerError({ message: concernError.errmsg ?? 'write concern failed', code: concernError.code, errmsg: concernError.errmsg });
  // Unacknowledged writes (w: 0 in the connection string) answer nothing to count.
  if (wc?.w !== 0 && res.n !== docs.length) throw new Error(`chunk insert stored ${String(res.n)} of ${docs.length}`);
}

/** Finished stagings by the temporary file they mirror, until `put` takes them or `discardReceived` drops them. */
const staged = new Map<string, GridFsStaging>();

/** Whether the staging of a received file is still held: finished, neither taken by `put` nor dropped. */
export function stagingHeld(tempPath: string): boolean {
  return staged.has(tempPath);
}

/**
 * Removes a received temporary file that will not be stored, and what was staged beside it. Every
 * place that drops a received file uses this rather than `rm`, so a refused upload leaves no chunks.
 */
export async function discardReceived(tempPath: string): Promise<void> {
  const s = staged.get(tempPath);
  staged.delete(tempPath);
  await Promise.all([rm(tempPath, { force: true }), s?.abort()]);
}

/**
 * The chunks of one GridFS file, inserted as they arrive, a few batches at a time: the driver's own
 * upload stream inserts only what one write() fills and waits for it, one round trip after another,
 * and only once the whole file was received. No files document is written here: chunks without one
 * belong to no file (GridFS reads start from it), and the sweeps (at start, and while the app runs:
 * orphan-chunks.ts) remove them if the process stops before `put` or `abort` (removeOrphanChunks;
 * the files id carries the time the upload began).
 */
class GridFsStaging implements StagedUpload {
  readonly id = new ObjectId();
  length = 0;
  complete = false;
  private n = 0;
  /** Chunks cut so far: after `finish`, how many the files document's bytes are in. */
  get chunkCount(): number {
    return this.n;
  }
  private buf?: Buffer;
  private pos = 0;
  private batch: ChunkDoc[] = [];
  /** The whole chunk buffers of `batch` (its last chunk's data may be a view of the first bytes of one). */
  private batchBufs: Buffer[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failed?: unknown;
  private aborted?: Promise<void>;

  constructor(
    readonly owner: GridFsStorage,
    private readonly db: Db,
    private readonly chunks: Collection,
    private readonly tempPath: string,
    private readonly ready: Promise<unknown>,
    /** Called once, when `put` has taken the staging or it is aborted (GridFsStorage's count of live stagings). */
    private onSettled: (() => void) | undefined,
    readonly withoutTempFile = false,
  ) {
    // A staging dropped before its first insert never awaits the indexes: their failure is not unhandled.
    ready.catch(() => undefined);
  }

  async write(data: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    for (let off = 0; off < data.length; ) {
      this.buf ??= takeChunk();
      const copied = data.copy(this.buf, this.pos, off);
      off += copied;
      this.pos += copied;
      if (this.pos === CHUNK_BYTES) this.cut();
    }
    this.length += data.length;
    if (this.batch.length >= CHUNKS_PER_BATCH) this.send();
    while (this.inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(this.inFlight);
    if (this.failed) throw this.failed;
  }

  private cut(): void {
    if (!this.buf || this.pos === 0) return;
    this.batch.push({ _id: new ObjectId(), files_id: this.id, n: this.n++, data: this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos) });
    this.batchBufs.push(this.buf);
    this.buf = undefined;
    this.pos = 0;
  }

  private send(): void {
    if (this.batch.length === 0) return;
    const docs = this.batch;
    const bufs = this.batchBufs;
    this.batch = [];
    this.batchBufs = [];
    const sent: Promise<void> = this.ready
      .then(() => insertChunks(this.db, docs))
      .then(
        () => undefined,
        (err: unknown) => {
          this.failed ??= err;
        },
      )
      .finally(() => {
        this.inFlight.delete(sent);
        giveBack(bufs);
      });
    this.inFlight.add(sent);
  }

  async finish(): Promise<void> {
    if (this.failed) throw this.failed;
    this.cut();
    this.send();
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
    if (this.failed) throw this.failed;
    this.complete = true;
    staged.set(this.tempPath, this);
  }

  /** No longer counted as live by its store (taken by `put`, or aborted). */
  settle(): void {
    this.onSettled?.();
    this.onSettled = undefined;
  }

  abort(): Promise<void> {
    this.settle();
    this.failed ??= new Error('staged upload aborted');
    this.complete = false;
    if (staged.get(this.tempPath) === this) staged.delete(this.tempPath);
    this.aborted ??= (async () => {
      this.batch = [];
      this.batchBufs = [];
      this.buf = undefined;
      // An insert still in flight would land after the delete: wait for every one first.
      while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
      await this.chunks.deleteMany({ files_id: this.id }).catch(() => removeChunksLater(this.chunks, this.id));
    })();
    return this.aborted;
  }
}

export class GridFsStorage implements DocumentStorage {
  readonly kind = 'gridfs' as const;
  private bucketCache?: GridFSBucket;
  private indexes?: Promise<unknown>;
  /** Stagings begun and not yet settled (STAGINGS_MAX). */
  private live = 0;
  constructor(private readonly getDb: () => Db) {}

  /** Stagings begun and not yet settled (at most STAGINGS_MAX take new bytes as they arrive). */
  get stagingsLive(): number {
    return this.live;
  }

  /** Whether a new upload may be staged now (fewer than STAGINGS_MAX live); otherwise it is copied at `put`. */
  canStage(): boolean {
    return this.live < STAGINGS_MAX;
  }


  /**
   * Starts copying the file that is about to be received to `tempPath` into GridFS as it arrives
   * (StagedUpload); `put(tempPath, …)` then only writes its files document. `withoutTempFile`: no
   * temporary file will be written (StagedUpload.withoutTempFile).
   */
  stage(tempPath: string, { withoutTempFile = false }: { withoutTempFile?: boolean } = {}): StagedUpload {
    const db = this.getDb();
    // The indexes the driver's upload stream makes before a bucket's first file (its checkIndexes).
    this.indexes ??= Promise.all([
      db.collection('documents.files').createIndex({ filename: 1, uploadDate: 1 }),
      db.collection('documents.chunks').createIndex({ files_id: 1, n: 1 }, { unique: true }),
    ]).catch((err: unknown) => {
      this.indexes = undefined;
      throw err;
    });
    this.live += 1;
    return new GridFsStaging(this, db, db.collection('documents.chunks'), tempPath, this.indexes, () => (this.live -= 1), withoutTempFile);
  }

  private bucket(): GridFSBucket {
    // The staging's chunk size, so that a file copied at `put` (past STAGINGS_MAX) is stored as a
    // staged one is. Files keep the chunk size they were written with (files.chunkSize): older
    // uploads, in the driver's default 255 kB, read as before. (Through the driver's upload stream
    // alone, 2 MB chunks were once slower: each fresh 2 MB buffer cost ~6 ms of page faults on this VM.)
    this.bucketCache ??= new GridFSBucket(this.getDb(), { bucketName: 'documents', chunkSizeBytes: CHUNK_BYTES });
    return this.bucketCache;
  }

  async put(tempPath: string, key: string, meta: StoredMeta): Promise<void> {
    checkKey(key);
    const ready = staged.get(tempPath);
    staged.delete(tempPath);
    if (ready?.complete && ready.owner === this) {
      // The chunks are in: the files document (as the driver writes it, createFilesDoc) makes them a file.
      try {
        await this.getDb()
          .collection('documents.files')
          .insertOne({ _id: ready.id, length: ready.length, chunkSize: CHUNK_BYTES, uploadDate: new Date(), filename: key, metadata: { contentType: meta.contentType, sha256: meta.sha256 } });
        // Counted after the files document is in: a sweep of chunks without one (orphan-chunks.ts) that
        // took them (an upload past GRIDFS_GRACE_MS, an instance whose clock is behind) is then seen
        // here, and the upload fails rather than storing a file that cannot be read whole.
        const db = this.getDb();
        // Unacknowledged writes (w: 0) may not have landed yet: nothing to count against.
        const have = db.writeConcern?.w === 0 ? ready.chunkCount : await db.collection('documents.chunks').countDocuments({ files_id: ready.id });
        if (have !== ready.chunkCount) {
          await db.collection('documents.files').deleteOne({ _id: ready.id });
          throw new StoredShortError(`staged upload lost chunks before it was stored (${have} of ${ready.chunkCount})`);
        }
        ready.settle();
      } catch (err) {
        await ready.abort().catch(() => undefined);
        throw err;
      }
      await rm(tempPath, { force: true });
      return;
    }
    // Staged for another store (or not finished): not these bytes; copied from the file instead.
    await ready?.abort().catch(() => undefined);
    const upload = this.bucket().openUploadStream(key, { metadata: { contentType: meta.contentType, sha256: meta.sha256 } });
    try {
      // Read 1 MB at a time: the driver inserts the chunks one write() fills together and waits for
      // them before taking the next, so 64 kB reads sent the 255 kB chunks one round trip at a time.
      // 20 MB went in at 0.25-0.28 s an upload against 0.31-0.33 s (bench/upload.ts 5 gridfs, 3 rounds
      // each, alternating; 2 and 4 MB no faster, more memory).
      await pipeline(createReadStream(tempPath, { highWaterMark: 1024 * 1024 }), upload);
    } catch (err) {
      // An unfinished upload leaves chunks without a files document: remove them.
      await upload.abort().catch(() => undefined);
      throw err;
    }
    await rm(tempPath, { force: true });
  }

  private async idOf(key: string) {
    checkKey(key);
    const file = await this.bucket().find({ filename: key }, { limit: 1 }).next();
    return file?._id;
  }

  async openRead(key: string): Promise<Readable> {
    const id = await this.idOf(key);
    if (!id) throw new NotFoundError();
    return this.bucket().openDownloadStream(id);
  }

  async remove(key: string): Promise<void> {
    const id = await this.idOf(key);
    if (id) await this.bucket().delete(id);
  }

  async exists(key: string): Promise<boolean> {
    return !!(await this.idOf(key));
  }

  async keys(): Promise<string[]> {
    const files = await this.bucket().find({}, { projection: { filename: 1 } }).toArray();
    return files.map((f) => f.filename);
  }

  async *keysWrittenBefore(before: Date): AsyncIterable<string[]> {
    let batch: string[] = [];
    for await (const f of this.bucket().find({ uploadDate: { $lt: before } }, { projection: { filename: 1 } })) {
      batch.push(f.filename);
      if (batch.length === 500) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  /**
   * Removes chunks whose file document is missing (an upload cut short before `put` wrote it), of
   * uploads begun before `before` and, with `since`, not before `since` (a file's id carries the time
   * its upload began, to the second). Without `since` every chunk is read (distinct over the whole
   * bucket: the start-up sweep, once); with it only the chunks of uploads begun in the window, an
   * index range on files_id, which the running app's sweep reads each time. bench/orphan-chunks.ts,
   * 100,000 files in 400,000 chunks: the whole bucket 2.2 s (median of 5), a window of an hour 5 ms.
   */
  async removeOrphanChunks(before: Date, since?: Date): Promise<OrphanChunks> {
    const db = this.getDb();
    const chunks = db.collection('documents.chunks');
    const started = Math.floor(before.getTime() / 1000);
    const out: OrphanChunks = { chunks: 0, uploads: [] };
    if (since && since.getTime() >= before.getTime()) return out;
    const range = since ? { files_id: { $gte: ObjectId.createFromTime(Math.floor(since.getTime() / 1000)), $lt: ObjectId.createFromTime(started) } } : {};
    const ids = (await chunks.distinct('files_id', range)) as unknown[];
    const old = ids.filter((id): id is ObjectId => id instanceof ObjectId && id.getTimestamp().getTime() / 1000 < started);
    if (old.length === 0) return out;
    const files = db.collection('documents.files');
    // The files of the same range of ids, read whole and compared here: `_id: { $in: ids }` cost the
    // embedded database time in proportion to files × ids (bench/orphan-chunks.ts: 1,000 ids against
    // 10,000 files 361 ms, 10,000 ids 1.6 s; at 100,000 files it held its thread past the driver's timeouts).
    const idRange = since ? { $gte: range.files_id!.$gte, $lt: range.files_id!.$lt } : { $lt: ObjectId.createFromTime(started) };
    const present = new Set<string>();
    for await (const f of files.find({ _id: idRange }, { projection: { _id: 1 } })) present.add(String(f._id));
    for (const id of old) {
      if (present.has(String(id))) continue;
      // Read again just before: a `put` that wrote its files document since the read above (an
      // upload that outlived the grace, which nothing should) keeps its chunks.
      if (await files.findOne({ _id: id }, { projection: { _id: 1 } })) continue;
      const res = await chunks.deleteMany({ files_id: id });
      if (res.deletedCount === 0) continue;
      out.chunks += res.deletedCount;
      out.uploads.push({ filesId: id.toHexString(), began: id.getTimestamp(), chunks: res.deletedCount });
    }
    return out;
  }
}

/** What removeOrphanChunks removed: every chunk, and each cut-short upload's files id, start and chunk count. */
export interface OrphanChunks {
  chunks: number;
  uploads: Array<{ filesId: string; began: Date; chunks: number }>;
}

/** The storage named by UPLOAD_STORAGE, on the app's mongoose connection for GridFS. */
export function createStorage(config: Pick<Config, 'upload'>, connection: mongoose.Connection = mongoose.connection): DocumentStorage {
  if (config.upload.storage === 'gridfs') {
    return new GridFsStorage(() => {
      if (!connection.db) throw new Error('database not connected');
      return connection.db as unknown as Db;
    });
  }
  return new DiskStorage(config.upload.dir);
}

export interface SweepResult {
  /** Temporary upload files left by requests of an earlier process. */
  tempFiles: number;
  /** Stored files that no document record names. */
  storedFiles: number;
  /** GridFS chunks of uploads that never got their file document. */
  chunks: number;
}

export interface SweepOptions {
  /** Removes only what was written before this moment (the start of this process, or earlier). */
  before: Date;
  /** Answers which of `keys` a document record of this store names. */
  referenced: (kind: 'disk' | 'gridfs', keys: string[]) => Promise<Set<string>>;
  /** Temporary upload files (uploadTempDir); omitted when this store has none of its own. */
  tempDir?: string;
}

/**
 * Removes what a crash can leave behind: temporary upload files, stored files without a document
 * record and (GridFS) chunks without a file. Only files written before `before` are candidates, so
 * an upload in progress is never touched when `before` is no later than the first request this
 * process could have served: a record is written after its file is stored, so a file newer than
 * that may still be getting its record.
 */
export async function sweepUploads(storage: DocumentStorage, opts: SweepOptions): Promise<SweepResult> {
  const result: SweepResult = { tempFiles: 0, storedFiles: 0, chunks: 0 };
  if (opts.tempDir) {
    for (const f of await readdirOrEmpty(opts.tempDir)) {
      if (!f.isFile()) continue;
      const file = path.join(opts.tempDir, f.name);
      const st = await stat(file).catch(() => undefined);
      if (st && st.mtimeMs < opts.before.getTime()) {
        await rm(file, { force: true });
        result.tempFiles += 1;
      }
    }
  }
  for await (const batch of storage.keysWrittenBefore(opts.before)) {
    const known = await opts.referenced(storage.kind, batch);
    for (const key of batch) {
      if (known.has(key)) continue;
      await storage.remove(key);
      result.storedFiles += 1;
    }
  }
  if (storage instanceof GridFsStorage) result.chunks = (await storage.removeOrphanChunks(opts.before)).chunks;
  return result;
}
