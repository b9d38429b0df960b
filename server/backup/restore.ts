// `npm run restore -- --from DIR [--data DIR] [--uploads DIR] [--force] [--unsigned]`: a backup back into an
// empty data folder (the embedded database) or an empty MONGODB_URI database, and its files into an
// empty upload folder. The whole backup is checked against its manifest before anything is written;
// a damaged or partial one is refused with what is wrong. Before that, its signature: manifest.sig
// must match the manifest's bytes under one of the installation's data-encryption keys
// (./signature.ts), or the backup is refused (exit 4) unless --unsigned accepts one without.
//
// The embedded database is rebuilt in a folder beside its place (db.restoring-…), started on its own
// with authentication: its first start generates a new user and credentials file, as any new data
// folder does (the backup holds neither the old password nor the data-encryption key). The files
// are put in place first and the database last, as the app stores a file before its record: a
// restore cut short leaves no record without its file.
//
// A restore cut short (killed, the disk full) is marked: restore-in-progress.json goes into the data
// and upload folders before anything else and is removed last (./restore-marker.ts). The app does
// not start on marked folders; the same backup restored again clears what the first one left (its
// files, its staging database) and finishes; another backup is refused unless --force.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { EJSON, deserialize, type Document } from 'bson';
import { MongoClient, type Db } from 'mongodb';
import type { Config } from '../config.ts';
import { databaseOptions } from '../db/index.ts';
import { BackupError, EMBEDDED_APP_DATABASE, databaseOfUri } from './connect.ts';
import { BSON_EXACT, BsonFrames, collectionName, openBackupFile, verifyBackup, type CollectionEntry, type Manifest, type UploadEntry } from './manifest.ts';
import { shownText } from '../support/shown-text.ts';
import { SIGNATURE, checkSignature, restoreKeys, type SignatureCheck } from './signature.ts';
import { RESTORE_MARKER, describeInterrupted, readRestoreMarker, removeRestoreMarker, writeRestoreMarker, type RestoreMarker } from './restore-marker.ts';

export interface RestoreResult {
  target: 'embedded' | 'mongodb';
  dataDir?: string;
  uploadDir: string;
  collections: number;
  documents: number;
  files: number;
  manifest: Manifest;
  /** Set aside by --force (never deleted). */
  setAside: string[];
  /** A restore of the same backup into these folders had not finished: what it left was cleared and the work done again. */
  resumed: boolean;
  /** Its signature checked (the key's id), or restored unchecked with --unsigned (and why). */
  signature: SignatureCheck;
  /** Restored with --unsigned: what the operator trusted unchecked (said in the log too). */
  trusted?: UnsignedSummary;
}

/**
 * What a restore with --unsigned trusts, from the backup itself (every text shown terminal-safe):
 * when and by what it was taken, what it holds, and its administrators, so that one added by
 * whoever could write to the backup store is seen before anyone signs in.
 */
export interface UnsignedSummary {
  createdAt: string;
  takenAt: string;
  /** The app version that took it (not recorded by backups before s39). */
  appVersion?: string;
  counts: Manifest['counts'];
  /** The accounts of its users dump with the administrator role (at most MAX_LISTED). */
  administrators: Array<{ email: string; disabled: boolean; notAdministratorInTarget?: boolean }>;
  /** Administrators beyond those listed. */
  moreAdministrators: number;
  /** How the administrators were compared with the target database's: done, or why not. */
  compared: string;
}

const MAX_LISTED = 50;

const INSERT_BATCH = 1000;
const INSERT_BATCH_BYTES = 16 * 1024 * 1024;
/** Left in a data folder by an operator before a restore: the key, kept apart from backups. */
const MAY_BE_THERE = new Set(['data-encryption.key']);
const MARKERS = new Set([RESTORE_MARKER, `${RESTORE_MARKER}.writing`]);
const SHARD = /^[a-f0-9]{2}$/;

/** A file of the backup that no longer is what verifyBackup checked: exit 3, as any damage. */
function changedSinceChecked(rel: string, what: string): BackupError {
  return new BackupError(`refusing to restore: ${rel} ${what}: it changed after the backup was checked (someone is writing to the backup store, or its disk is failing); what was restored so far is not put in place`, 3);
}

/**
 * Opens a file of the backup to restore it, as verifyBackup saw it (openBackupFile: not through a
 * link put there since the check, nor a pipe that would hang the read, at the size the manifest
 * names). Whatever else changed (a linked folder, the bytes) the hash of what is then read refuses.
 */
async function openChecked(from: string, rel: string, bytes: number): Promise<FileHandle> {
  const o = await openBackupFile(path.join(from, rel), (size) => size === bytes);
  if ('fh' in o) return o.fh;
  throw changedSinceChecked(
    rel,
    'missing' in o ? 'is gone'
    : 'failed' in o ? `cannot be opened (${o.failed})`
    : o.refused === 'size' ? `has ${o.size} bytes, the manifest says ${bytes}`
    : o.refused === 'link' ? 'is now a link'
    : 'is no longer a file',
  );
}

/**
 * A dump's documents, read once from the file handle and hashed as they are read: the restore
 * inserts what it reads, so the SHA-256 and count the signed manifest names are checked on those
 * very bytes (verifyBackup's earlier reading proves nothing about a file rewritten since). A
 * mismatch throws at the end of the file, before the collection counts as restored.
 */
async function* checkedBsonDocuments(from: string, e: CollectionEntry): AsyncGenerator<Buffer> {
  const fh = await openChecked(from, e.path, e.bytes);
  const hash = createHash('sha256');
  const frames = new BsonFrames();
  let size = 0;
  try {
    for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      yield* frames.push(chunk as Buffer);
    }
  } finally {
    await fh.close();
  }
  const error = frames.end();
  if (error || size !== e.bytes || hash.digest('hex') !== e.sha256 || frames.count !== e.documents) throw changedSinceChecked(e.path, `(${collectionName(e)}) is not the dump the manifest names`);
}

/** Copies an upload of the backup to `temp` (new, 0600), hashing the bytes copied: refused unless they are the ones the manifest names. */
async function copyChecked(from: string, e: UploadEntry, temp: string): Promise<void> {
  const fh = await openChecked(from, e.path, e.bytes);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      fh.createReadStream({ highWaterMark: 1 << 20, autoClose: false }),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
    );
  } finally {
    await fh.close();
  }
  if (size !== e.bytes || hash.digest('hex') !== e.sha256) {
    await rm(temp, { force: true });
    throw changedSinceChecked(e.path, 'is not the file the manifest names');
  }
}

async function entriesOf(dir: string): Promise<string[] | undefined> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isDirectory()) throw new BackupError(`${dir} exists and is not a folder`);
  return readdir(dir);
}

/** A folder restored into must be new or empty; with --force, what is there is moved aside (never deleted). */
async function clearOrRefuse(dir: string, force: boolean, allowed: Set<string>, setAside: string[], stamp: string): Promise<void> {
  const present = ((await entriesOf(dir)) ?? []).filter((e) => !allowed.has(e));
  if (!present.length) return;
  if (!force) throw new BackupError(`${dir} is not empty (${present.slice(0, 3).map((e) => shownText(e)).join(', ')}${present.length > 3 ? ', …' : ''}): restore into an empty folder, or add --force to move what is there aside`);
  for (const e of present) {
    const aside = path.join(dir, `${e}.before-restore-${stamp}`);
    await rename(path.join(dir, e), aside);
    // Printed by the command: a name in the target folder is anyone's text (one line, marks for controls).
    setAside.push(shownText(aside, 1024));
  }
}

/** Puts the backup's files into a new folder beside `uploadDir`, then moves them into place. */
async function restoreFiles(from: string, manifest: Manifest, uploadDir: string, stamp: string): Promise<number> {
  const uploads = manifest.entries.filter((e) => e.kind === 'upload');
  await mkdir(uploadDir, { recursive: true, mode: 0o700 });
  // An empty folder made beforehand under a permissive umask: the applicants' files, for the app's user alone (security review s37).
  await chmod(uploadDir, 0o700);
  let n = 0;
  for (const e of uploads) {
    const shard = path.join(uploadDir, e.key.slice(0, 2));
    await mkdir(shard, { recursive: true, mode: 0o700 });
    const temp = path.join(shard, `.${e.key}.restoring-${stamp}`);
    // The bytes checked on the way in, not the path read again (a file swapped since verifyBackup).
    await copyChecked(from, e, temp);
    await chmod(temp, 0o600);
    await rename(temp, path.join(shard, e.key));
    n += 1;
  }
  return n;
}

function decoded(v: Record<string, unknown>): Document {
  return EJSON.deserialize(v, { relaxed: false }) as Document;
}

/** Creates the collection with its options, inserts its documents, builds its indexes. */
async function restoreCollection(db: Db, from: string, e: CollectionEntry, skip?: (doc: Document) => boolean): Promise<number> {
  const options = decoded(e.options);
  if (Object.keys(options).length) await db.createCollection(e.collection, options);
  let batch: Document[] = [];
  let bytes = 0;
  let n = 0;
  const flush = async () => {
    if (!batch.length) return;
    await db.collection(e.collection).insertMany(batch, { ordered: true });
    n += batch.length;
    batch = [];
    bytes = 0;
  };
  try {
    for await (const raw of checkedBsonDocuments(from, e)) {
      const doc = deserialize(raw, BSON_EXACT);
      if (skip?.(doc)) continue;
      batch.push(doc);
      bytes += raw.length;
      // GridFS chunks are 255 kB each: a batch is bounded by its bytes too.
      if (batch.length >= INSERT_BATCH || bytes >= INSERT_BATCH_BYTES) await flush();
    }
    await flush();
  } catch (err) {
    // A dump that is not the one checked: what of it went in is taken out again (the embedded
    // target's staging database is removed as well; a MONGODB_URI one keeps no unchecked document).
    if (err instanceof BackupError) await db.collection(e.collection).drop().catch(() => undefined);
    throw err;
  }
  if (!Object.keys(options).length && n === 0) await db.createCollection(e.collection).catch(() => undefined);
  const indexes = e.indexes.map(decoded);
  if (indexes.length) await db.command({ createIndexes: e.collection, indexes });
  return n;
}

async function restoreEmbedded(from: string, manifest: Manifest, dataDir: string, stamp: string): Promise<{ collections: number; documents: number }> {
  const staging = path.join(dataDir, `db.restoring-${stamp}`);
  const { startEmbeddedMongo } = await import('../../embedded-mongo/src/index.ts');
  const { readCredentialsFile } = await import('../../embedded-mongo/src/auth/credentials-file.ts');
  const server = await startEmbeddedMongo({ dbPath: staging, port: 0 });
  let collections = 0;
  let documents = 0;
  try {
    const credentials = (await readCredentialsFile(server.credentialsFile!))!;
    const client = await MongoClient.connect(server.uri(EMBEDDED_APP_DATABASE, credentials), { serverSelectionTimeoutMS: 10_000 });
    try {
      for (const e of manifest.entries) {
        if (e.kind !== 'collection') continue;
        // The users the backup's database had, but not the generated one it was read with (its
        // password is in the old credentials file, not here) nor the new one made just now.
        const skip = e.db === 'admin' && e.collection === 'system.users' ? (d: Document) => String(d.user) === manifest.database.connectedAs || String(d.user) === credentials.username : undefined;
        documents += await restoreCollection(client.db(e.db), from, e, skip);
        collections += 1;
      }
    } finally {
      await client.close();
    }
    // One snapshot file rather than a journal of every insert: the app's first start reads it lazily.
    await server.compact();
  } catch (err) {
    await server.stop();
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await server.stop();
  // Personal data: the folder and its files for the app's user alone, whatever the umask.
  await chmod(staging, 0o700);
  for (const f of await readdir(staging)) await chmod(path.join(staging, f), 0o600);
  await rename(staging, path.join(dataDir, 'db'));
  return { collections, documents };
}

async function restoreMongo(from: string, manifest: Manifest, uri: string, force: boolean, config: Config): Promise<{ collections: number; documents: number }> {
  const client = await MongoClient.connect(uri, databaseOptions(config.db));
  try {
    const db = client.db(databaseOfUri(uri));
    const ours = manifest.entries.filter((e): e is CollectionEntry => e.kind === 'collection' && e.db === manifest.database.appDatabase);
    const existing = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => !n.startsWith('system.'));
    if (existing.length && !force) throw new BackupError(`the database of MONGODB_URI is not empty (${existing.slice(0, 3).map((n) => shownText(n)).join(', ')}…): restore into an empty database, or add --force to drop the collections the backup holds`);
    let documents = 0;
    for (const e of ours) {
      if (existing.includes(e.collection)) await db.collection(e.collection).drop();
      documents += await restoreCollection(db, from, e);
    }
    return { collections: ours.length, documents };
  } finally {
    await client.close();
  }
}

/** Refuses a data folder whose database a running app holds (db/mongod.lock), --force or not. */
async function refuseIfInUse(dataDir: string): Promise<void> {
  if (!(await stat(path.join(dataDir, 'db')).catch(() => undefined))) return;
  const { acquireDirLock } = await import('../../embedded-mongo/src/storage/dir-lock.ts');
  const quiet = { info() {}, warn() {}, error() {} };
  let lock;
  try {
    lock = await acquireDirLock(path.join(dataDir, 'db'), { logger: quiet });
  } catch (err) {
    if ((err as { code?: string }).code === 'DBPATH_LOCKED') throw new BackupError(`${dataDir}/db is in use (the app runs on it): stop it before restoring over it`);
    throw err;
  }
  await lock.release();
}

/**
 * What an unfinished restore of this backup left, removed so that it is done again whole: in the
 * data folder its database (staged or moved in: the marker says it never got its last step) and in
 * the upload folder its temporary files (the files in place are the backup's and are written
 * again). Anything else there was not the restore's: refused, nothing removed.
 */
async function clearUnfinished(dataDir: string | undefined, uploadDir: string, uploadsTop: string | undefined, manifest: Manifest): Promise<void> {
  const keys = new Set(manifest.entries.flatMap((e) => (e.kind === 'upload' ? [e.key] : [])));
  const stranger = (dir: string, name: string) => new BackupError(`${dir} holds ${shownText(name)}, which the unfinished restore did not write: move it away and run the restore again, or add --force to move everything there aside`);
  const ours: string[] = [];
  if (dataDir) {
    for (const e of (await entriesOf(dataDir)) ?? []) {
      if (MAY_BE_THERE.has(e) || MARKERS.has(e) || e === uploadsTop) continue;
      if (e === 'db' || e.startsWith('db.restoring-')) ours.push(path.join(dataDir, e));
      else throw stranger(dataDir, e);
    }
  }
  for (const shard of (await entriesOf(uploadDir)) ?? []) {
    if (MARKERS.has(shard)) continue;
    if (!SHARD.test(shard)) throw stranger(uploadDir, shard);
    for (const f of (await entriesOf(path.join(uploadDir, shard))) ?? []) {
      const temp = /^\.([a-f0-9]{32})\.restoring-/.exec(f);
      if (temp && keys.has(temp[1]!)) ours.push(path.join(uploadDir, shard, f));
      else if (!keys.has(f) || !f.startsWith(shard)) throw stranger(uploadDir, `${shard}/${f}`);
    }
  }
  for (const p of ours) await rm(p, { recursive: true, force: true });
}

/** A user document of a dump as the summary reads it: its role said administrator (the app's `role`, or a `roles` list). */
function isAdministrator(doc: Document): boolean {
  return doc.role === 'admin' || (Array.isArray(doc.roles) && doc.roles.includes('admin'));
}

/**
 * What --unsigned trusts (UnsignedSummary): the manifest's dates, version and counts, and the
 * administrators of its users dump, read with the dump's hash checked as the restore reads it. With
 * MONGODB_URI, each is compared with the target database's users (a database --force replaces may
 * hold them); an embedded target is a new or empty data folder, or one whose database --force moves
 * aside unopened: nothing to compare with.
 */
/** `text`'s first and last `each` characters, when it is longer than both. */
const ends = (text: string, each: number) => (text.length > 2 * each ? text.slice(0, each) + text.slice(-each) : text);

async function unsignedSummary(from: string, manifest: Manifest, mongo: Config | undefined, dataDir: string | undefined): Promise<UnsignedSummary> {
  const admins: Array<{ email: string; disabled: boolean }> = [];
  let more = 0;
  // Every users dump the restore writes into the database the app will read, not the first one of
  // the manifest's `appDatabase`: a forged manifest may list the collection twice (both are restored
  // into it) or name another app database than the one an embedded restore writes its dumps into.
  const appDb = mongo?.mongodbUri ? manifest.database.appDatabase : EMBEDDED_APP_DATABASE;
  const dumps = manifest.entries.filter((e): e is CollectionEntry => e.kind === 'collection' && e.db === appDb && e.collection === 'users');
  for (const users of dumps) {
    for await (const raw of checkedBsonDocuments(from, users)) {
      const doc = deserialize(raw);
      if (!isAdministrator(doc)) continue;
      if (admins.length >= MAX_LISTED) more += 1;
      // Cut as it is kept, its two ends (shownText shows them): a dump may carry megabytes of "e-mail" (50 held whole could take the restore's memory).
      else admins.push({ email: ends(typeof doc.email === 'string' ? doc.email : String(doc.email), 512), disabled: Boolean(doc.disabledAt) });
    }
  }
  let compared: string;
  let targetAdmins: Set<string> | undefined;
  if (mongo?.mongodbUri) {
    try {
      const client = await MongoClient.connect(mongo.mongodbUri, { ...databaseOptions(mongo.db), serverSelectionTimeoutMS: 5_000 });
      try {
        const there = await client.db(databaseOfUri(mongo.mongodbUri)).collection('users').find({}, { projection: { email: 1, role: 1, roles: 1 } }).toArray();
        if (there.length) {
          targetAdmins = new Set(there.filter(isAdministrator).map((u) => String(u.email).toLowerCase()));
          compared = `compared with the ${there.length} user(s) of the database of MONGODB_URI now`;
        } else compared = 'the database of MONGODB_URI has no users now: nothing to compare with';
      } finally {
        await client.close();
      }
    } catch (err) {
      compared = `the database of MONGODB_URI could not be read to compare (${shownText((err as Error).message, 120)})`;
    }
  } else {
    const hasDb = dataDir ? Boolean(await stat(path.join(dataDir, 'db')).catch(() => undefined)) : false;
    compared = hasDb ? `${dataDir}/db is not opened to compare (a database --force moves aside is kept as it is)` : 'the target data folder has no database yet: nothing to compare with';
  }
  return {
    createdAt: shownText(manifest.createdAt, 40),
    takenAt: shownText(manifest.database.takenAt, 40),
    ...(manifest.app ? { appVersion: shownText(manifest.app.version, 64) } : {}),
    counts: manifest.counts,
    administrators: admins.map((a) => ({
      email: shownText(a.email, 254),
      disabled: a.disabled,
      ...(targetAdmins ? { notAdministratorInTarget: !targetAdmins.has(a.email.toLowerCase()) } : {}),
    })),
    moreAdministrators: more,
    compared,
  };
}

/** The summary as the lines the log and the command print (terminal-safe: every text was shown already). */
export function describeTrusted(t: UnsignedSummary): string[] {
  const c = t.counts;
  const lines = [
    `trusted unchecked: a backup created ${t.createdAt} (database taken ${t.takenAt}) by app version ${t.appVersion ?? 'not recorded (a backup taken before s39)'}, ` +
      `holding ${c.collections} collections, ${c.documents} documents, ${c.files} files, ${c.bytes} bytes`,
    t.administrators.length
      ? `its users dump makes ${t.administrators.length + t.moreAdministrators} account(s) administrators: check each is one you know before anyone signs in (${t.compared}):`
      : `its users dump has no administrator account (${t.compared})`,
    // A known name is no proof: the unchecked dump also sets every account's password hash and second factor.
    'every account\'s sign-in secrets (password hash, second factor) come from this unchecked backup too: if it may have been changed, have every staff account reset its password (npm run create-admin for a new administrator)',
    ...t.administrators.map((a) => `  administrator: ${a.email}${a.disabled ? ' (disabled)' : ''}${a.notAdministratorInTarget ? ' — NOT an administrator in the target database now' : ''}`),
    ...(t.moreAdministrators ? [`  … and ${t.moreAdministrators} more administrator(s)`] : []),
  ];
  return lines;
}

/**
 * `unsigned`: restore a backup without manifest.sig (taken before backups were signed), or one this
 * machine has no key to check, unchecked (--unsigned). A signature that is there and does not match,
 * or names a key none of those here has, is refused all the same.
 */
export async function restoreBackup(opts: { config: Config; from: string; dataDir?: string; uploadDir?: string; force?: boolean; unsigned?: boolean; log?: (line: string) => void }): Promise<RestoreResult> {
  const { config } = opts;
  const log = opts.log ?? (() => undefined);
  const from = path.resolve(opts.from);
  const force = opts.force ?? false;
  const uploadDir = path.resolve(opts.uploadDir ?? config.upload.dir);
  const toMongo = Boolean(config.mongodbUri) && !opts.dataDir;
  const dataDir = toMongo ? undefined : path.resolve(opts.dataDir ?? config.dataDir);
  // Before anything is touched: the manifest's signature (on the bytes then parsed), then every byte of the backup against the manifest.
  const keys = restoreKeys(config, dataDir);
  let signature: SignatureCheck | undefined;
  const verified = await verifyBackup(from, {
    checkManifest: async (bytes) => {
      signature = await checkSignature(from, bytes, keys, opts.unsigned ?? false);
    },
  });
  if (!verified.ok) throw new BackupError(`refusing to restore ${from}: the backup is damaged or incomplete:\n  ${verified.problems.slice(0, 20).map((p) => shownText(p, 1000)).join('\n  ')}${verified.problems.length > 20 ? `\n  … ${verified.problems.length - 20} more` : ''}`, 3);
  if (!signature) throw new Error('the backup was verified without its signature being checked');
  const manifest = verified.manifest;
  let trusted: UnsignedSummary | undefined;
  if (signature.verified) log(`backup signature verified (data-encryption key ${signature.keyId})`);
  else {
    log('WARNING: --unsigned: THE BACKUP\'S SIGNATURE WAS NOT CHECKED');
    log(
      signature.why === 'unsigned'
        ? `WARNING: ${from} has no ${SIGNATURE}: it is restored as it is; whoever could write to the backup store could have changed it (an administrator added, a decision changed)`
        : `WARNING: ${from} is signed with data-encryption key ${signature.keyId ?? '?'}, and this machine has no key to check it: it is restored unchecked; set DATA_ENCRYPTION_KEY to that key before starting the app`,
    );
    trusted = await unsignedSummary(from, manifest, toMongo ? config : undefined, dataDir);
    for (const line of describeTrusted(trusted)) log(`WARNING: ${line}`);
  }
  log(`backup verified: ${manifest.counts.collections} collections, ${manifest.counts.documents} documents, ${manifest.counts.files} files (taken ${shownText(manifest.database.takenAt, 40)})`);
  const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const setAside: string[] = [];
  const relUploads = dataDir ? path.relative(dataDir, uploadDir) : undefined;
  const uploadsInsideData = relUploads !== undefined && relUploads.split(path.sep)[0] !== '..' && !path.isAbsolute(relUploads);
  const marked = [...new Set([...(dataDir ? [dataDir] : []), uploadDir])];
  // The hash of the manifest bytes checked above (manifest.sha256 is not read a second time).
  const marker: RestoreMarker = { from, manifestSha256: verified.manifestSha256, takenAt: manifest.database.takenAt, startedAt: new Date().toISOString() };
  // A restore into these folders that did not finish: the same backup's is finished now, another's refused.
  let resumed = false;
  for (const dir of marked) {
    const previous = await readRestoreMarker(dir);
    if (!previous || force) continue;
    if (previous !== 'unreadable' && previous.manifestSha256 === marker.manifestSha256) resumed = true;
    else throw new BackupError(`refusing to restore ${from}: ${describeInterrupted(dir, previous)}`);
  }
  if (dataDir) await refuseIfInUse(dataDir);
  if (resumed) {
    log('an unfinished restore of this backup is there: what it left is cleared and the restore done again');
    await clearUnfinished(dataDir, uploadDir, uploadsInsideData ? relUploads!.split(path.sep)[0] || undefined : undefined, manifest);
  } else {
    if (dataDir) await clearOrRefuse(dataDir, force, MAY_BE_THERE, setAside, stamp);
    if (!uploadsInsideData) await clearOrRefuse(uploadDir, force, new Set(), setAside, stamp);
  }
  if (dataDir) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
  }
  await mkdir(uploadDir, { recursive: true, mode: 0o700 });
  // Before anything of the backup is written; removed after its last step.
  for (const dir of marked) await writeRestoreMarker(dir, marker);
  const files = await restoreFiles(from, manifest, uploadDir, stamp);
  log(`files restored: ${files}`);
  // A resumed restore into MONGODB_URI finds the collections it had written: dropped, as --force does.
  const done = toMongo ? await restoreMongo(from, manifest, config.mongodbUri!, force || resumed, config) : await restoreEmbedded(from, manifest, dataDir!, stamp);
  // The upload folder's first: the data folder's, removed last, still stops the app until the end.
  for (const dir of [...marked].reverse()) await removeRestoreMarker(dir);
  return { target: toMongo ? 'mongodb' : 'embedded', ...(dataDir ? { dataDir } : {}), uploadDir, files, manifest, setAside, resumed, signature, ...(trusted ? { trusted } : {}), ...done };
}
