// `npm run backup -- --out DIR`: the database and the uploaded files, consistent with each other,
// taken while the app runs and writes.
//
// The database: on the embedded server, every collection at one moment (backupSnapshot,
// embedded-mongo/src/commands/backup.ts); on a real MongoDB (MONGODB_URI), a logical dump through
// the driver, collection by collection: each collection is consistent with itself, not with the
// others (a case changed between two collections' reads can show its newer events in one only).
//
// The files: a file is stored before its version's record is written, and an erasure removes the
// file before the record (server/documents/storage.ts, server/privacy/erase.ts). So the files on
// disk are copied first, the database after: a version in the copy was either there at the first
// step (its file copied then, even if an erasure removes it meanwhile) or written since, its file
// stored before its record, copied in a second pass. A file gone by then (uploaded and erased
// between the two steps) means another snapshot; files no copied record names are left out.
//
// Nothing secret goes in: not the data-encryption key (sealed fields are copied sealed), not the
// database's credentials file. The folder is made 0700 and every file 0600. The manifest is signed
// with a key derived from the current data-encryption key (manifest.sig, ./signature.ts), so a
// restore refuses a backup changed since, whatever hashes were recomputed.
import { createHash } from 'node:crypto';
import { copyFile, chmod, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { EJSON, serialize, type Document } from 'bson';
import type { Db } from 'mongodb';
import type { Config } from '../config.ts';
import { keyringFor } from '../crypto/keyring.ts';
import { connectForBackup, BackupError, type BackupConnection } from './connect.ts';
import { BSON_EXACT, FORMAT, FORMAT_VERSION, hashFile, uploadPath, writeManifest, type CollectionEntry, type Manifest, type UploadEntry } from './manifest.ts';
import { writeSignature } from './signature.ts';
import { fromRoot } from '../support/project-root.ts';
import { shownText } from '../support/shown-text.ts';

const KEY = /^[a-f0-9]{32}$/;
/** Snapshots taken at most, when files vanish between the two steps each time (erasures racing the backup). */
const SNAPSHOT_TRIES = 4;

export interface BackupResult {
  dir: string;
  manifest: Manifest;
  snapshots: number;
  /** The id of the data-encryption key manifest.sig was made with (never the key). */
  signedWith: string;
}

interface Dumped {
  entries: CollectionEntry[];
  /** Document versions stored on disk: key → the SHA-256 their record names. */
  diskFiles: Map<string, string>;
  keyIds: Set<string>;
  takenAt: Date;
  source: Manifest['database']['source'];
  consistency: Manifest['database']['consistency'];
}

/** A dump file of the backup: each document's BSON appended, hashed and counted as it is written. */
class DumpWriter {
  private readonly hash = createHash('sha256');
  bytes = 0;
  documents = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private constructor(private readonly fh: Awaited<ReturnType<typeof open>>) {}

  static async create(file: string): Promise<DumpWriter> {
    return new DumpWriter(await open(file, 'wx', 0o600));
  }

  async add(doc: Document): Promise<void> {
    const bson = Buffer.from(serialize(doc));
    this.hash.update(bson);
    this.bytes += bson.length;
    this.documents += 1;
    this.pending.push(bson);
    this.pendingBytes += bson.length;
    if (this.pendingBytes >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.pending.length) return;
    await this.fh.write(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  async finish(): Promise<{ bytes: number; documents: number; sha256: string }> {
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
    return { bytes: this.bytes, documents: this.documents, sha256: this.hash.digest('hex') };
  }
}

/** What the dump notes while writing: the app's document versions on disk, and the keys that sealed fields name. */
function noteDocument(dumped: Dumped, appDb: string, db: string, coll: string, doc: Document): void {
  if (db !== appDb) return;
  if (coll === 'documents' && String(doc.storage) === 'disk' && typeof doc.storageKey === 'string') dumped.diskFiles.set(doc.storageKey, String(doc.sha256));
  if (coll === 'users') {
    const secret = (doc.totp as { secret?: unknown } | undefined)?.secret;
    const id = typeof secret === 'string' ? /^v1:([^:]{1,64}):/.exec(secret)?.[1] : undefined;
    if (id) dumped.keyIds.add(id);
  }
}

/**
 * Collections of the app's database whose documents a backup leaves out (the collection and its
 * indexes are kept, empty): the signed-in sessions. Restored, they would sign back in whoever had
 * signed out or been signed out since the backup (a stolen cookie included); after a restore everyone
 * signs in again.
 *
 * Carried on purpose (security review s38): `tokens` (e-mailed links, only their hashes, expiring in
 * 1 h to 7 days) and the secrets kept on `users` (password, authenticator, recovery codes, calendar
 * feed) roll back with the accounts they belong to, as an invitation does with its account; left
 * out, they would break the invitations still open and protect nothing the restored accounts do not
 * already undo. The counters of the rate limits (`login_limits`, `mail_limits`, `message_limits`,
 * `upload_limits`): left out, every lockout and count would restart at zero, more lenient than the
 * backup's own; carried, they expire by their own dates.
 */
const NOT_CARRIED = new Set(['sessions']);

function carried(appDb: string, db: string, coll: string): boolean {
  return !(db === appDb && NOT_CARRIED.has(coll));
}

function cleanIndex(spec: Document): Document {
  const { v: _v, ns: _ns, ...rest } = spec;
  return rest;
}

async function dumpEmbedded(conn: BackupConnection, dbDir: string): Promise<Dumped | undefined> {
  const admin = conn.client.db('admin');
  let taken: Document;
  try {
    taken = await admin.command({ backupSnapshot: 1 });
  } catch (err) {
    // A real mongod (or another server) has no such command: the logical dump instead.
    if ((err as { code?: number }).code === 59) return undefined;
    throw err;
  }
  const snapshotId = String(taken.snapshotId);
  const dumped: Dumped = { entries: [], diskFiles: new Map(), keyIds: new Set(), takenAt: taken.takenAt as Date, source: 'embedded', consistency: 'point-in-time' };
  try {
    const listed = taken.collections as Array<{ db: string; coll: string; options: Document; indexes: Document[]; count: number }>;
    for (const [i, c] of listed.entries()) {
      const rel = `db/${String(i + 1).padStart(4, '0')}.bson`;
      const out = await DumpWriter.create(path.join(dbDir, path.basename(rel)));
      const take = carried(conn.appDatabase, c.db, c.coll);
      let from: number | null = take ? 0 : null;
      while (from !== null) {
        const page = await admin.command({ backupSnapshot: 1, snapshotId, db: c.db, coll: c.coll, from }, BSON_EXACT);
        for (const doc of page.docs as Document[]) {
          await out.add(doc);
          noteDocument(dumped, conn.appDatabase, c.db, c.coll, doc);
        }
        from = page.next === null || page.next === undefined ? null : Number(page.next);
      }
      const done = await out.finish();
      if (take && done.documents !== c.count) throw new BackupError(`${shownText(c.db)}.${shownText(c.coll)}: ${done.documents} documents read, the snapshot held ${c.count}`);
      dumped.entries.push({
        kind: 'collection', path: rel, db: c.db, collection: c.coll,
        options: EJSON.serialize(c.options ?? {}) as Record<string, unknown>,
        indexes: c.indexes.map((x) => EJSON.serialize(cleanIndex(x)) as Record<string, unknown>),
        documents: done.documents, bytes: done.bytes, sha256: done.sha256,
      });
    }
  } finally {
    await admin.command({ backupSnapshot: 1, snapshotId, release: true }).catch(() => undefined);
  }
  return dumped;
}

async function dumpLogical(conn: BackupConnection, dbDir: string): Promise<Dumped> {
  const db: Db = conn.client.db(conn.appDatabase);
  const dumped: Dumped = { entries: [], diskFiles: new Map(), keyIds: new Set(), takenAt: new Date(), source: 'mongodb', consistency: 'per-collection' };
  const colls = (await db.listCollections({}, { nameOnly: false }).toArray()).filter((c) => c.type !== 'view' && !c.name.startsWith('system.'));
  // The document versions first: a version's file is on disk before its record, and the files were
  // copied before this; the other collections follow.
  colls.sort((a, b) => Number(b.name === 'documents') - Number(a.name === 'documents') || a.name.localeCompare(b.name));
  for (const [i, c] of colls.entries()) {
    const rel = `db/${String(i + 1).padStart(4, '0')}.bson`;
    const out = await DumpWriter.create(path.join(dbDir, path.basename(rel)));
    const docs = carried(conn.appDatabase, conn.appDatabase, c.name) ? db.collection(c.name).find({}, { ...BSON_EXACT, batchSize: 1000 }) : [];
    for await (const doc of docs) {
      await out.add(doc);
      noteDocument(dumped, conn.appDatabase, conn.appDatabase, c.name, doc);
    }
    const done = await out.finish();
    const indexes = (await db.collection(c.name).listIndexes().toArray()).filter((x) => x.name !== '_id_');
    const options = (c as { options?: Document }).options ?? {};
    dumped.entries.push({
      kind: 'collection', path: rel, db: conn.appDatabase, collection: c.name,
      options: EJSON.serialize(options) as Record<string, unknown>,
      indexes: indexes.map((x) => EJSON.serialize(cleanIndex(x)) as Record<string, unknown>),
      documents: done.documents, bytes: done.bytes, sha256: done.sha256,
    });
  }
  return dumped;
}

/** Copies one stored file into the backup (0600), hashing what was copied. Undefined when the file is gone. */
async function copyUpload(uploadDir: string, filesDir: string, key: string): Promise<UploadEntry | undefined> {
  const source = path.join(uploadDir, key.slice(0, 2), key);
  const shard = path.join(filesDir, key.slice(0, 2));
  await mkdir(shard, { recursive: true, mode: 0o700 });
  const target = path.join(shard, key);
  try {
    await copyFile(source, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  await chmod(target, 0o600);
  const { sha256, bytes } = await hashFile(target);
  return { kind: 'upload', path: uploadPath(key), key, bytes, sha256 };
}

async function storedKeys(uploadDir: string): Promise<string[]> {
  const keys: string[] = [];
  const shards = await readdir(uploadDir).catch(() => [] as string[]);
  for (const shard of shards.filter((s) => /^[a-f0-9]{2}$/.test(s))) {
    for (const f of await readdir(path.join(uploadDir, shard)).catch(() => [] as string[])) if (KEY.test(f) && f.startsWith(shard)) keys.push(f);
  }
  return keys;
}

/** The app's version (package.json), as the manifest records it. */
async function appVersion(): Promise<string> {
  const v = (JSON.parse(await readFile(fromRoot('package.json'), 'utf8')) as { version?: unknown }).version;
  return typeof v === 'string' ? v.slice(0, 64) : 'unknown';
}

/** The backup folder: new, or empty; 0700 whatever the umask. Says whether it was there already. */
async function prepareOut(dir: string): Promise<boolean> {
  const st = await stat(dir).catch(() => undefined);
  if (st) {
    if (!st.isDirectory()) throw new BackupError(`${dir} exists and is not a folder`);
    const there = await readdir(dir);
    // A backup killed before its manifest (the last file) left its db/ and files/: said as such.
    if (there.length && !there.includes('manifest.sha256') && there.includes('db')) throw new BackupError(`${dir} holds a backup that did not finish (no manifest: it was stopped midway) and is not usable: remove the folder, or back up into a new one`);
    // Killed after its manifest, before its signature (the last file): complete but unsigned, refused by a restore.
    if (there.includes('manifest.sha256') && !there.includes('manifest.sig')) throw new BackupError(`${dir} holds a backup that did not finish (no manifest.sig: it was stopped before signing it) and a restore refuses it: remove the folder, or back up into a new one`);
    if (there.length) throw new BackupError(`${dir} is not empty: a backup goes into a new or empty folder`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  for (const sub of ['db', 'files']) await mkdir(path.join(dir, sub), { mode: 0o700 });
  return Boolean(st);
}

/**
 * `method: 'logical'` dumps collection by collection even on the embedded server: what a real MongoDB
 * gets, for the tests (no mongod here); 'auto' takes the embedded server's snapshot when it has one.
 */
export async function takeBackup(opts: { config: Config; out: string; log?: (line: string) => void; method?: 'auto' | 'logical' }): Promise<BackupResult> {
  const log = opts.log ?? (() => undefined);
  const dir = path.resolve(opts.out);
  const existed = await prepareOut(dir);
  const dbDir = path.join(dir, 'db');
  const filesDir = path.join(dir, 'files');
  try {
    return await backupInto({ ...opts, log }, dir, dbDir, filesDir);
  } catch (err) {
    // A backup that failed leaves no half copy of personal data behind (it was new or empty).
    for (const entry of await readdir(dir).catch(() => [] as string[])) await rm(path.join(dir, entry), { recursive: true, force: true });
    if (!existed) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function backupInto(opts: { config: Config; log: (line: string) => void; method?: 'auto' | 'logical' }, dir: string, dbDir: string, filesDir: string): Promise<BackupResult> {
  const { config, log } = opts;
  // The key the manifest is signed with, found before anything is read: a keyring that cannot be read fails the backup now.
  const signingKey = keyringFor(config).current();
  const conn = await connectForBackup(config);
  try {
    const files = new Map<string, UploadEntry>();
    const onDisk = config.upload.dir;
    // Step 1: every file stored now (those on GridFS are in the database and come with it).
    for (const key of await storedKeys(onDisk)) {
      const copied = await copyUpload(onDisk, filesDir, key);
      if (copied) files.set(key, copied);
    }
    log(`files copied: ${files.size}`);
    let dumped: Dumped | undefined;
    let snapshots = 0;
    for (;;) {
      snapshots += 1;
      await rm(dbDir, { recursive: true, force: true });
      await mkdir(dbDir, { mode: 0o700 });
      dumped = (opts.method === 'logical' ? undefined : await dumpEmbedded(conn, dbDir)) ?? (await dumpLogical(conn, dbDir));
      // Step 2: the files of versions written since step 1 (their files were stored before them).
      const missing: string[] = [];
      for (const key of dumped.diskFiles.keys()) {
        if (files.has(key)) continue;
        const copied = KEY.test(key) ? await copyUpload(onDisk, filesDir, key) : undefined;
        if (copied) files.set(key, copied);
        else missing.push(key);
      }
      if (!missing.length) break;
      if (snapshots >= SNAPSHOT_TRIES) {
        throw new BackupError(
          `${missing.length} document version(s) in the database have no file under ${onDisk} (${missing.slice(0, 5).map((k) => shownText(k, 80)).join(', ')}${missing.length > 5 ? ', …' : ''}), ` +
            `in ${snapshots} snapshots: the upload store is missing files the database names; no backup was written`,
        );
      }
      log(`${missing.length} file(s) erased while the backup ran: taking another snapshot`);
    }
    // A file whose hash is not its record's would be restored as a different document: say so now.
    for (const [key, sha] of dumped.diskFiles) {
      if (files.get(key)!.sha256 !== sha) throw new BackupError(`the stored file ${key} does not have the SHA-256 its document record names: the upload store is damaged; no backup was written`);
    }
    // Files no version in the copy names (an upload cut short, an erasure since step 1) stay out.
    for (const key of [...files.keys()]) {
      if (dumped.diskFiles.has(key)) continue;
      await rm(path.join(filesDir, key.slice(0, 2), key), { force: true });
      files.delete(key);
    }
    for (const shard of await readdir(filesDir)) {
      if ((await readdir(path.join(filesDir, shard))).length === 0) await rm(path.join(filesDir, shard), { recursive: true });
    }
    const uploads = [...files.values()].sort((a, b) => a.key.localeCompare(b.key));
    const manifest: Manifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      // Said by a restore with --unsigned, which trusts the backup unchecked.
      app: { version: await appVersion() },
      database: {
        source: dumped.source,
        consistency: dumped.consistency,
        takenAt: dumped.takenAt.toISOString(),
        appDatabase: conn.appDatabase,
        ...(conn.user ? { connectedAs: conn.user } : {}),
      },
      uploads: { storage: config.upload.storage },
      encryption: { keyIds: [...dumped.keyIds].sort() },
      counts: {
        collections: dumped.entries.length,
        documents: dumped.entries.reduce((n, e) => n + e.documents, 0),
        files: uploads.length,
        bytes: dumped.entries.reduce((n, e) => n + e.bytes, 0) + uploads.reduce((n, e) => n + e.bytes, 0),
      },
      entries: [...dumped.entries, ...uploads],
    };
    const written = await writeManifest(dir, manifest);
    // Last, after manifest.sha256: a backup cut short before this has no signature and is refused as unsigned.
    const signature = await writeSignature(dir, written, signingKey);
    log(`manifest signed with data-encryption key ${signature.keyId}`);
    return { dir, manifest, snapshots, signedWith: signature.keyId };
  } finally {
    await conn.close();
  }
}

