// Security review s38: the restore checks the signature and every file's hash first, then reads the
// dumps and uploads a second time to restore them. Whoever can write to the backup store can swap a
// file in between (the check of a large backup takes minutes): what is restored must be the bytes
// that were checked. The swap happens at the restore's own "backup verified" line, after every
// check and before any file of the backup is read again.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serialize } from 'bson';
import { MongoClient, ObjectId } from 'mongodb';
import { takeBackup } from '../../server/backup/backup.ts';
import { restoreBackup } from '../../server/backup/restore.ts';
import { BackupError } from '../../server/backup/connect.ts';
import { MANIFEST, bsonDocuments, type CollectionEntry, type Manifest } from '../../server/backup/manifest.ts';
import { startEmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { loadConfig } from '../../server/config.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../support/keys.ts';
import { configFor, key, restoredUsers, seededBackup } from './support.ts';

describe('backup: a file swapped after the restore checked it (security review s38)', function () {
  this.timeout(90_000);
  let root: string;
  let copy: () => string;
  let n = 0;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'talent-backup-swap-'));
    ({ copy } = await seededBackup(root, [{ email: 'hr@example.org', roles: ['hr'] }]));
  });
  after(() => rmSync(root, { recursive: true, force: true }));


  const usersDump = (dir: string) => {
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    return path.join(dir, manifest.entries.find((e): e is CollectionEntry => e.kind === 'collection' && e.db === 'talent' && e.collection === 'users')!.path);
  };
  /** The users dump with an administrator of the attacker's added. */
  const withAttacker = (dump: string) =>
    Buffer.concat([...bsonDocuments(readFileSync(dump)), { _id: new ObjectId(), email: 'attacker@example.org', roles: ['admin'] }].map((d) => Buffer.from(serialize(d))));

  /** Restores `dir`, running `swap` when the restore says the backup is verified; the error it ends with. */
  async function restoreSwapping(dir: string, into: string, swap: () => void): Promise<unknown> {
    let swapped = false;
    try {
      await restoreBackup({
        config: configFor(into),
        from: dir,
        log: (line) => {
          if (!swapped && line.startsWith('backup verified')) {
            swapped = true;
            swap();
          }
        },
      });
    } catch (err) {
      expect(swapped, 'the swap happened').to.equal(true);
      return err;
    }
    expect(swapped, 'the swap happened').to.equal(true);
    return undefined;
  }

  for (const [how, swap] of [
    ['rewritten in place', (dump: string) => writeFileSync(dump, withAttacker(dump))],
    ['replaced by a link to another file', (dump: string) => {
      const elsewhere = path.join(root, `elsewhere-${(n += 1)}.bson`);
      writeFileSync(elsewhere, withAttacker(dump));
      unlinkSync(dump);
      symlinkSync(elsewhere, dump);
    }],
  ] as const) {
    it(`refuses a dump ${how} after it was checked: the attacker's administrator is not restored, no database put in place`, async () => {
      const dir = copy();
      const into = path.join(root, `target-${(n += 1)}`);
      const err = await restoreSwapping(dir, into, () => swap(usersDump(dir)));
      expect(await restoredUsers(into)).to.not.include('attacker@example.org');
      expect(err, 'the restore refuses').to.be.instanceOf(BackupError);
      expect((err as BackupError).code).to.equal(3);
      expect((err as BackupError).message).to.match(/db\/\d{4}\.bson .*changed after the backup was checked/);
      expect(existsSync(path.join(into, 'db')), 'no database put in place').to.equal(false);
      // The folder stays marked: the app does not start on what was half restored.
      expect(existsSync(path.join(into, 'restore-in-progress.json'))).to.equal(true);
    });
  }

  it('refuses an uploaded file swapped after it was checked: the other bytes are never put in the upload folder', async () => {
    const dir = copy();
    const into = path.join(root, `target-${(n += 1)}`);
    const evil = Buffer.from('%PDF-1.4 not what was checked\n%%EOF\n');
    const err = await restoreSwapping(dir, into, () => writeFileSync(path.join(dir, 'files', 'aa', key('a')), evil));
    expect(err, 'the restore refuses').to.be.instanceOf(BackupError);
    expect((err as BackupError).code).to.equal(3);
    expect((err as BackupError).message).to.match(/files\/aa\/a{32} .*changed after the backup was checked/);
    const placed = path.join(into, 'uploads', 'aa', key('a'));
    expect(existsSync(placed) && readFileSync(placed).equals(evil), 'the swapped bytes restored').to.equal(false);
    expect(readdirSync(path.join(into, 'uploads', 'aa')).filter((f) => f.includes('.restoring-')), 'no temporary copy left').to.deep.equal([]);
    expect(existsSync(path.join(into, 'db'))).to.equal(false);
  });
  it('into MONGODB_URI: a dump swapped after it was checked leaves none of its documents in the database, and the upload folder marked', async () => {
    const source = await startEmbeddedMongo({ dbPath: null, port: 0 });
    const target = await startEmbeddedMongo({ dbPath: null, port: 0 });
    try {
      const client = await MongoClient.connect(source.uri('talent'));
      await client.db('talent').collection('users').insertOne({ email: 'hr@example.org', roles: ['hr'] });
      await client.close();
      const data = path.join(root, `mongo-data-${(n += 1)}`);
      const backup = path.join(root, `mongo-backup-${n}`);
      await takeBackup({ config: loadConfig({ DATA_DIR: data, UPLOAD_DIR: path.join(data, 'uploads'), DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, MONGODB_URI: source.uri('talent') }), out: backup, method: 'logical' });
      const uploads = path.join(root, `mongo-uploads-${n}`);
      const config = loadConfig({ DATA_DIR: path.join(root, `mongo-restored-${n}`), UPLOAD_DIR: uploads, DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, MONGODB_URI: target.uri('restored') });
      let caught: unknown;
      try {
        await restoreBackup({ config, from: backup, log: (line) => line.startsWith('backup verified') && writeFileSync(usersDump(backup), withAttacker(usersDump(backup))) });
      } catch (err) {
        caught = err;
      }
      const check = await MongoClient.connect(target.uri('restored'));
      const users = (await check.db('restored').collection('users').find().toArray()).map((u) => String(u.email));
      await check.close();
      expect(users, 'no document of the swapped dump').to.deep.equal([]);
      expect(caught, 'the restore refuses').to.be.instanceOf(BackupError);
      expect((caught as BackupError).code).to.equal(3);
      expect(existsSync(path.join(uploads, 'restore-in-progress.json')), 'the app will not start on it').to.equal(true);
    } finally {
      await source.stop();
      await target.stop();
    }
  });
});
