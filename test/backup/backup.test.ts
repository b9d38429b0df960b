// takeBackup and restoreBackup (server/backup/) on data folders of their own, the app stopped (the
// backup opens the embedded database itself), and on a database given by MONGODB_URI (the logical
// dump a real MongoDB gets, against embedded servers in memory: there is no mongod here). The drill
// (test/drills/backup-restore-s36.test.ts) takes one from the running app while it writes.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Int32 } from 'bson';
import { MongoClient } from 'mongodb';
import { takeBackup } from '../../server/backup/backup.ts';
import { restoreBackup } from '../../server/backup/restore.ts';
import { BackupError, databaseOfUri, userOfUri } from '../../server/backup/connect.ts';
import { startEmbeddedMongo, readCredentialsFile, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { configFor, key, sha256, storeFile, withRecords } from './support.ts';

describe('backup: takeBackup and restoreBackup', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'talent-backup-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('takes the files the versions name (a file no version names stays out) and restores them with a new database user', async () => {
    const data = path.join(root, 'data');
    const pdf = Buffer.from('%PDF-1.4 kept\n%%EOF\n');
    storeFile(data, key('a'), pdf);
    storeFile(data, key('b'), Buffer.from('%PDF-1.4 an upload cut short: no record\n'));
    await withRecords(data, [
      { storage: 'disk', storageKey: key('a'), sha256: sha256(pdf) },
      { storage: 'gridfs', storageKey: key('c'), sha256: 'f'.repeat(64) },
    ]);
    const out = path.join(root, 'backup');
    const taken = await takeBackup({ config: configFor(data), out });
    expect(taken.manifest.database).to.include({ source: 'embedded', consistency: 'point-in-time', appDatabase: 'talent' });
    expect(taken.manifest.entries.filter((e) => e.kind === 'upload').map((e) => e.kind === 'upload' && e.key)).to.deep.equal([key('a')]);
    expect(readdirSync(path.join(out, 'files'))).to.deep.equal(['aa']);

    const target = path.join(root, 'restored');
    const restored = await restoreBackup({ config: configFor(target), from: out });
    expect(restored).to.deep.include({ target: 'embedded', files: 1 });
    const server = await startEmbeddedMongo({ dbPath: path.join(target, 'db'), port: 0 });
    try {
      const creds = (await readCredentialsFile(server.credentialsFile!))!;
      expect(creds.username, 'a new generated user').to.not.equal(taken.manifest.database.connectedAs);
      const client = await MongoClient.connect(server.uri('talent', creds));
      expect(await client.db('talent').collection('documents').countDocuments()).to.equal(2);
      const c = await client.db('talent').collection('cases').findOne({}, { promoteValues: false });
      expect(c!.n, 'BSON types kept').to.be.instanceOf(Int32);
      const users = await client.db('admin').collection('system.users').find().toArray();
      expect(users.map((u) => u.user), 'the old generated user is not restored').to.deep.equal([creds.username]);
      await client.close();
    } finally {
      await server.stop();
    }
    expect(readdirSync(path.join(target, 'uploads', 'aa'))).to.deep.equal([key('a')]);
  });

  it('restores into a folder that is not empty only with --force, which moves what is there aside, never over a running database', async () => {
    const data = path.join(root, 'data');
    await withRecords(data, []);
    const out = path.join(root, 'backup');
    await takeBackup({ config: configFor(data), out });
    const target = path.join(root, 'target');
    mkdirSync(target);
    writeFileSync(path.join(target, 'data-encryption.key'), 'the key, put back from the secret store');
    writeFileSync(path.join(target, 'old'), 'old data');
    try {
      await restoreBackup({ config: configFor(target), from: out });
      expect.fail('not empty');
    } catch (err) {
      expect((err as Error).message).to.match(/target is not empty \(old\).*--force/);
    }
    expect(readdirSync(target).sort()).to.deep.equal(['data-encryption.key', 'old']);
    const forced = await restoreBackup({ config: configFor(target), from: out, force: true });
    expect(forced.setAside).to.have.length(1);
    expect(readdirSync(target).sort()).to.include.members(['data-encryption.key', 'db', 'uploads']);
    expect(readdirSync(target).find((f) => f.startsWith('old.before-restore-'))).to.not.equal(undefined);
    const running = await startEmbeddedMongo({ dbPath: path.join(target, 'db'), port: 0 });
    try {
      await restoreBackup({ config: configFor(target), from: out, force: true });
      expect.fail('the app runs on it');
    } catch (err) {
      expect((err as Error).message).to.match(/is in use \(the app runs on it\)/);
    } finally {
      await running.stop();
    }
  });

  it('writes no backup when a version’s file is missing, or is not the file its record names', async () => {
    const data = path.join(root, 'data');
    await withRecords(data, [{ storage: 'disk', storageKey: key('d'), sha256: 'e'.repeat(64) }]);
    const out = path.join(root, 'backup');
    try {
      await takeBackup({ config: configFor(data), out });
      expect.fail('a version without its file');
    } catch (err) {
      expect(err).to.be.instanceOf(BackupError);
      expect((err as Error).message).to.match(/1 document version\(s\) in the database have no file under .* in 4 snapshots/);
    }
    expect(existsSync(out), 'nothing left behind: no half copy of personal data').to.equal(false);
    storeFile(data, key('d'), Buffer.from('%PDF-1.4 another file\n'));
    mkdirSync(out);
    try {
      await takeBackup({ config: configFor(data), out });
      expect.fail('a file with another hash');
    } catch (err) {
      expect((err as Error).message).to.match(/does not have the SHA-256 its document record names/);
    }
    expect(readdirSync(out), 'a folder that was there is emptied, not removed').to.deep.equal([]);
  });

  it('refuses a folder that is not empty, a data folder with no database, and says how to reach a running app’s', async () => {
    const data = path.join(root, 'data');
    const out = path.join(root, 'backup');
    mkdirSync(out);
    writeFileSync(path.join(out, 'x'), 'x');
    for (const [cfg, re] of [
      [configFor(data), /is not empty/],
      [configFor(path.join(root, 'nothing')), /no database at/],
    ] as const) {
      try {
        await takeBackup({ config: cfg, out });
        expect.fail(String(re));
      } catch (err) {
        expect((err as Error).message).to.match(re);
      }
      rmSync(out, { recursive: true, force: true });
    }
    await withRecords(data, []);
    // A server holding the folder (the app running): the backup finds it by its port.json, no port configured.
    const running: EmbeddedMongo = await startEmbeddedMongo({ dbPath: path.join(data, 'db'), port: 0 });
    try {
      const portFile = JSON.parse(readFileSync(path.join(data, 'db', 'port.json'), 'utf8')) as { port: number };
      expect(portFile.port).to.equal(running.port);
      expect(statSync(path.join(data, 'db', 'port.json')).mode & 0o777).to.equal(0o600);
      await takeBackup({ config: configFor(data), out });
      expect(existsSync(path.join(out, 'manifest.json'))).to.equal(true);
      rmSync(out, { recursive: true, force: true });
      // Its port.json gone (an older server): told how to give the port.
      rmSync(path.join(data, 'db', 'port.json'));
      try {
        await takeBackup({ config: configFor(data), out });
        expect.fail('the directory is held and nothing says where its server listens');
      } catch (err) {
        expect((err as Error).message).to.match(/the app is running on .*port\.json is missing: set EMBEDDED_DB_PORT/);
      }
    } finally {
      await running.stop();
    }
    // A clean stop removes it: a file left by a kill is read only while the lock is held.
    expect(existsSync(path.join(data, 'db', 'port.json'))).to.equal(false);
  });

  it('reads the database and the user a MONGODB_URI names (the user is not restored: its password is not in the backup)', () => {
    expect(databaseOfUri('mongodb://u%40x:p@db.example.org:27017/talent?replicaSet=rs0')).to.equal('talent');
    expect(databaseOfUri('mongodb+srv://cluster.example.org/')).to.equal('test');
    expect(userOfUri('mongodb://u%40x:p@db.example.org:27017/talent')).to.equal('u@x');
    expect(userOfUri('mongodb://db.example.org/talent')).to.equal(undefined);
  });

  it('leaves the signed-in sessions out (embedded and logical): a restore signs no one back in; the collection and its expiry index come back empty', async () => {
    const sessions = [{ _id: 'sid-signed-out-since' as never, expires: new Date(Date.now() + 86_400_000), session: '{"passport":{"user":"u1"}}' }];
    const data = path.join(root, 'data');
    await withRecords(data, [], { sessions: [], users: [{ email: 'hr@example.org' }] });
    // Written with its own _id (a session id), and the TTL index connect-mongo creates.
    const server = await startEmbeddedMongo({ dbPath: path.join(data, 'db'), port: 0 });
    const client = await MongoClient.connect(server.uri('talent', (await readCredentialsFile(server.credentialsFile!))!));
    await client.db('talent').collection('sessions').insertMany(sessions);
    await client.db('talent').collection('sessions').createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
    await client.close();
    await server.stop();
    const out = path.join(root, 'backup');
    const taken = await takeBackup({ config: configFor(data), out });
    const entry = taken.manifest.entries.find((e) => e.kind === 'collection' && e.collection === 'sessions');
    expect(entry, 'the collection is listed').to.deep.include({ documents: 0 });
    for (const f of readdirSync(path.join(out, 'db'))) expect(readFileSync(path.join(out, 'db', f)).includes('sid-signed-out-since'), f).to.equal(false);
    const target = path.join(root, 'restored');
    await restoreBackup({ config: configFor(target), from: out });
    const back = await startEmbeddedMongo({ dbPath: path.join(target, 'db'), port: 0 });
    try {
      const c2 = await MongoClient.connect(back.uri('talent', (await readCredentialsFile(back.credentialsFile!))!));
      expect(await c2.db('talent').collection('sessions').countDocuments()).to.equal(0);
      expect((await c2.db('talent').collection('sessions').listIndexes().toArray()).find((i) => i.name === 'expires_1')).to.deep.include({ expireAfterSeconds: 0 });
      expect(await c2.db('talent').collection('users').countDocuments(), 'the rest is restored').to.equal(1);
      await c2.close();
    } finally {
      await back.stop();
    }
    // The logical dump (MONGODB_URI) leaves them out too.
    const source = await startEmbeddedMongo({ dbPath: null, port: 0 });
    try {
      const c3 = await MongoClient.connect(source.uri('talent'));
      await c3.db('talent').collection('sessions').insertMany(sessions);
      await c3.db('talent').collection('cases').insertOne({ reference: 'TA-1' });
      await c3.close();
      const out2 = path.join(root, 'backup-logical');
      const logical = await takeBackup({ config: configFor(path.join(root, 'data2'), { MONGODB_URI: source.uri('talent') }), out: out2, method: 'logical' });
      expect(logical.manifest.entries.find((e) => e.kind === 'collection' && e.collection === 'sessions')).to.deep.include({ documents: 0 });
      expect(logical.manifest.entries.find((e) => e.kind === 'collection' && e.collection === 'cases')).to.deep.include({ documents: 1 });
    } finally {
      await source.stop();
    }
  });

  it('on MONGODB_URI: a logical dump of the app’s database, restored into an empty database only', async () => {
    const source = await startEmbeddedMongo({ dbPath: null, port: 0 });
    const target = await startEmbeddedMongo({ dbPath: null, port: 0 });
    const data = path.join(root, 'data');
    try {
      const client = await MongoClient.connect(source.uri('talent'));
      await client.db('talent').collection('cases').createIndex({ reference: 1 }, { unique: true });
      await client.db('talent').collection('cases').insertMany([{ reference: 'TA-1' }, { reference: 'TA-2' }]);
      await client.close();
      const out = path.join(root, 'backup');
      const taken = await takeBackup({ config: configFor(data, { MONGODB_URI: source.uri('talent') }), out, method: 'logical' });
      expect(taken.manifest.database).to.include({ source: 'mongodb', consistency: 'per-collection', appDatabase: 'talent' });
      const cfg = configFor(data, { MONGODB_URI: target.uri('restored') });
      const r = await restoreBackup({ config: cfg, from: out });
      expect(r).to.deep.include({ target: 'mongodb', collections: 1, documents: 2 });
      const check = await MongoClient.connect(target.uri('restored'));
      expect((await check.db('restored').collection('cases').listIndexes().toArray()).find((i) => i.name === 'reference_1')).to.deep.include({ unique: true });
      await check.close();
      try {
        await restoreBackup({ config: cfg, from: out, uploadDir: path.join(root, 'other-uploads') });
        expect.fail('not empty');
      } catch (err) {
        expect((err as Error).message).to.match(/the database of MONGODB_URI is not empty/);
      }
    } finally {
      await source.stop();
      await target.stop();
    }
  });
});
