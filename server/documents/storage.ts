// Where uploaded files live, behind one interface: local disk under UPLOAD_DIR (default uploads/) or
// GridFS (bucket 'documents'), so several app instances can share files. Both stream: no file is
// ever held whole in memory. Uploads arrive as complete local temporary files (upload-engine.ts);
// `put` moves one into storage under a generated key (a rename on disk, a streamed copy into GridFS).
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import mongoose from 'mongoose';
import { GridFSBucket, type Db } from 'mongodb';
import type { Config } from '../config.ts';
import { NotFoundError } from '../errors.ts';

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

  async put(tempPath: string, key: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(tempPath, target);
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
}

export class GridFsStorage implements DocumentStorage {
  readonly kind = 'gridfs' as const;
  private bucketCache?: GridFSBucket;
  constructor(private readonly getDb: () => Db) {}

  private bucket(): GridFSBucket {
    this.bucketCache ??= new GridFSBucket(this.getDb(), { bucketName: 'documents', chunkSizeBytes: 255 * 1024 });
    return this.bucketCache;
  }

  async put(tempPath: string, key: string, meta: StoredMeta): Promise<void> {
    checkKey(key);
    const upload = this.bucket().openUploadStream(key, { metadata: { contentType: meta.contentType, sha256: meta.sha256 } });
    try {
      await pipeline(createReadStream(tempPath), upload);
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
