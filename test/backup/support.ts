// What the backup tests share: a configuration on a data folder of its own (the test data key, or
// another), files stored as the app stores them, and records written into the folder's embedded
// database (started and stopped here: the app is not running, the backup opens the folder itself).
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Int32 } from 'bson';
import { MongoClient, ObjectId } from 'mongodb';
import { loadConfig, type Config } from '../../server/config.ts';
import { takeBackup } from '../../server/backup/backup.ts';
import { startEmbeddedMongo, readCredentialsFile } from '../../embedded-mongo/src/index.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../support/keys.ts';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const key = (c: string) => c.repeat(32);

/** The app's configuration on `dataDir` (uploads inside it), on the test data key unless `extra` says otherwise (undefined: no key in the environment). */
export function configFor(dataDir: string, extra: Record<string, string | undefined> = {}): Config {
  return loadConfig({ DATA_DIR: dataDir, UPLOAD_DIR: path.join(dataDir, 'uploads'), DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, ...extra });
}

export function storeFile(dataDir: string, k: string, bytes: Buffer): void {
  mkdirSync(path.join(dataDir, 'uploads', k.slice(0, 2)), { recursive: true });
  writeFileSync(path.join(dataDir, 'uploads', k.slice(0, 2), k), bytes);
}

/**
 * Writes `documents` (version records), one case and the documents of `more` (collection → documents)
 * into the data folder's embedded database, then stops it.
 */
export async function withRecords(dataDir: string, documents: Array<Record<string, unknown>>, more: Record<string, Array<Record<string, unknown>>> = {}): Promise<void> {
  const server = await startEmbeddedMongo({ dbPath: path.join(dataDir, 'db'), port: 0 });
  const client = await MongoClient.connect(server.uri('talent', (await readCredentialsFile(server.credentialsFile!))!));
  if (documents.length) await client.db('talent').collection('documents').insertMany(documents.map((d) => ({ _id: new ObjectId(), ...d })));
  await client.db('talent').collection('cases').insertOne({ _id: new ObjectId(), reference: 'TA-2026-000001', n: new Int32(7) });
  for (const [name, docs] of Object.entries(more)) if (docs.length) await client.db('talent').collection(name).insertMany(docs.map((d) => ({ _id: new ObjectId(), ...d })));
  await client.close();
  await server.stop();
}

/**
 * One real backup of a seeded data folder under `root` (a stored file, its version record, these
 * users), taken once under the test key; `copy()` gives a fresh copy of it to change.
 */
export async function seededBackup(root: string, users: Array<Record<string, unknown>>): Promise<{ out: string; copy: () => string }> {
  const data = path.join(root, 'data');
  const pdf = Buffer.from('%PDF-1.4 backed up\n%%EOF\n');
  storeFile(data, key('a'), pdf);
  await withRecords(data, [{ storage: 'disk', storageKey: key('a'), sha256: sha256(pdf) }], { users });
  const out = path.join(root, 'backup');
  await takeBackup({ config: configFor(data), out });
  let n = 0;
  return {
    out,
    copy: () => {
      const dir = path.join(root, `copy-${(n += 1)}`);
      cpSync(out, dir, { recursive: true });
      return dir;
    },
  };
}

/** The e-mails of the users of a restored data folder's app database, sorted (none when no database was put in place). */
export async function restoredUsers(target: string): Promise<string[]> {
  if (!existsSync(path.join(target, 'db'))) return [];
  const server = await startEmbeddedMongo({ dbPath: path.join(target, 'db'), port: 0 });
  try {
    const client = await MongoClient.connect(server.uri('talent', (await readCredentialsFile(server.credentialsFile!))!));
    const users = await client.db('talent').collection('users').find().toArray();
    await client.close();
    return users.map((u) => String(u.email)).sort();
  } finally {
    await server.stop();
  }
}
