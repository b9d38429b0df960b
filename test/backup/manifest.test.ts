// The backup manifest on its own (server/backup/manifest.ts), without a database: a backup folder
// written by hand with writeManifest is verified; each kind of damage is named; a manifest whose
// paths point outside the backup, or whose counts lie, is refused.
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serialize } from 'bson';
import { ObjectId } from 'mongodb';
import {
  BsonFrames, MANIFEST, MANIFEST_SUM, FORMAT, FORMAT_VERSION, countBsonDocuments, sha256Hex, uploadPath, verifyBackup, writeManifest, writeRawManifest,
  type Manifest,
} from '../../server/backup/manifest.ts';

const KEY = 'ab'.repeat(16);
const FILE_BYTES = Buffer.from('%PDF-1.4 a document version\n%%EOF\n');

/** A small backup: one users dump, one documents dump naming one file on disk, and that file. */
function writeBackup(dir: string, opts: { fileSha?: string } = {}): Manifest {
  mkdirSync(path.join(dir, 'db'), { recursive: true });
  mkdirSync(path.join(dir, 'files', KEY.slice(0, 2)), { recursive: true });
  const users = Buffer.concat([serialize({ _id: new ObjectId(), email: 'a@example.org' }), serialize({ _id: new ObjectId(), email: 'b@example.org' })].map((b) => Buffer.from(b)));
  const documents = Buffer.from(serialize({ _id: new ObjectId(), storage: 'disk', storageKey: KEY, sha256: opts.fileSha ?? sha256Hex(FILE_BYTES) }));
  writeFileSync(path.join(dir, 'db/0001.bson'), users);
  writeFileSync(path.join(dir, 'db/0002.bson'), documents);
  writeFileSync(path.join(dir, uploadPath(KEY)), FILE_BYTES);
  return {
    format: FORMAT,
    version: FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    database: { source: 'embedded', consistency: 'point-in-time', takenAt: new Date().toISOString(), appDatabase: 'talent', connectedAs: 'admin-1234' },
    uploads: { storage: 'disk' },
    encryption: { keyIds: ['abcd1234'] },
    counts: { collections: 2, documents: 3, files: 1, bytes: users.length + documents.length + FILE_BYTES.length },
    entries: [
      { kind: 'collection', path: 'db/0001.bson', db: 'talent', collection: 'users', options: {}, indexes: [{ key: { email: 1 }, name: 'email_1', unique: true }], documents: 2, bytes: users.length, sha256: sha256Hex(users) },
      { kind: 'collection', path: 'db/0002.bson', db: 'talent', collection: 'documents', options: {}, indexes: [], documents: 1, bytes: documents.length, sha256: sha256Hex(documents) },
      { kind: 'upload', path: uploadPath(KEY), key: KEY, bytes: FILE_BYTES.length, sha256: sha256Hex(FILE_BYTES) },
    ],
  };
}

describe('backup: the manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'talent-backup-manifest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const problems = async () => {
    const v = await verifyBackup(dir);
    expect(v.ok, 'refused').to.equal(false);
    return v.ok ? [] : v.problems;
  };

  it('verifies a complete backup, its manifest written 0600 with its SHA-256 beside it in sha256sum’s format', async () => {
    await writeManifest(dir, writeBackup(dir));
    const v = await verifyBackup(dir);
    expect(v.ok, JSON.stringify(v)).to.equal(true);
    expect(statSync(path.join(dir, MANIFEST)).mode & 0o777).to.equal(0o600);
    expect(statSync(path.join(dir, MANIFEST_SUM)).mode & 0o777).to.equal(0o600);
    expect(readFileSync(path.join(dir, MANIFEST_SUM), 'utf8')).to.equal(`${sha256Hex(readFileSync(path.join(dir, MANIFEST)))}  manifest.json\n`);
    if (v.ok) expect(v.manifest.counts).to.deep.include({ collections: 2, documents: 3, files: 1 });
  });

  it('names a collection dump with one byte changed, and an uploaded file with one byte changed', async () => {
    await writeManifest(dir, writeBackup(dir));
    const dump = path.join(dir, 'db/0001.bson');
    const b = readFileSync(dump);
    b[b.length - 3] ^= 0x20;
    writeFileSync(dump, b);
    const f = path.join(dir, uploadPath(KEY));
    const fb = readFileSync(f);
    fb[0] ^= 0x01;
    writeFileSync(f, fb);
    expect(await problems()).to.deep.equal([
      'damaged: db/0001.bson (talent.users: its SHA-256 differs from the manifest\u2019s)',
      `damaged: ${uploadPath(KEY)} (its SHA-256 differs from the manifest\u2019s)`,
    ]);
  });

  it('names a missing file and a truncated one', async () => {
    await writeManifest(dir, writeBackup(dir));
    unlinkSync(path.join(dir, uploadPath(KEY)));
    appendFileSync(path.join(dir, 'db/0002.bson'), Buffer.from([1, 2]));
    const found = await problems();
    expect(found).to.have.length(2);
    expect(found[0]).to.match(/^damaged: db\/0002\.bson has \d+ bytes, the manifest says \d+$/);
    expect(found[1]).to.equal(`missing: ${uploadPath(KEY)}`);
  });

  it('refuses a backup that never finished (no manifest, or no manifest.sha256) and a manifest changed by one byte', async () => {
    writeBackup(dir);
    expect((await problems())[0]).to.match(/holds no complete backup: manifest\.json and manifest\.sha256 missing/);
    await writeManifest(dir, writeBackup(dir));
    const text = readFileSync(path.join(dir, MANIFEST), 'utf8');
    // The same length and still valid JSON: only the hash beside it tells.
    writeFileSync(path.join(dir, MANIFEST), text.replace('"documents": 2', '"documents": 3'));
    expect(await problems()).to.deep.equal(['manifest.json is damaged: its SHA-256 is not the one in manifest.sha256']);
    unlinkSync(path.join(dir, MANIFEST_SUM));
    expect((await problems())[0]).to.match(/no complete backup/);
  });

  it('refuses paths outside the backup’s own layout (.., absolute, a collection’s name), whatever their hashes', async () => {
    const m = writeBackup(dir);
    for (const bad of ['../../etc/passwd', '/etc/passwd', 'db/../../x.bson', 'db/users.bson', `files/${KEY.slice(0, 2)}/../../${KEY}`]) {
      const entries = m.entries.map((e, i) => (i === 0 ? { ...e, path: bad } : e));
      await writeRawManifest(dir, JSON.stringify({ ...m, entries }));
      expect((await problems())[0], bad).to.match(/^manifest\.json is not a manifest this version can read/);
    }
    // An upload stored under another key's path.
    const other = 'cd'.repeat(16);
    await writeRawManifest(dir, JSON.stringify({ ...m, entries: m.entries.map((e) => (e.kind === 'upload' ? { ...e, path: uploadPath(other) } : e)) }));
    expect((await problems())[0]).to.match(/not a manifest this version can read/);
  });

  it('refuses counts that do not match: a dump’s document count, the totals', async () => {
    const m = writeBackup(dir);
    await writeRawManifest(dir, JSON.stringify({ ...m, entries: m.entries.map((e) => (e.path === 'db/0001.bson' ? { ...e, documents: 3 } : e)) }));
    expect(await problems()).to.deep.equal(['damaged: db/0001.bson (talent.users): 2 documents, the manifest says 3']);
    await writeRawManifest(dir, JSON.stringify({ ...m, counts: { ...m.counts, files: 2 } }));
    expect(await problems()).to.deep.equal(['the manifest\u2019s counts do not match its entries']);
    await writeRawManifest(dir, JSON.stringify({ ...m, counts: { ...m.counts, documents: 4 } }));
    expect(await problems()).to.deep.equal(['the manifest\u2019s counts do not match its entries']);
  });

  it('refuses a document version whose file is not in the backup, or is another file', async () => {
    const m = writeBackup(dir);
    const withoutFile = m.entries.filter((e) => e.kind !== 'upload');
    await writeRawManifest(dir, JSON.stringify({ ...m, counts: { ...m.counts, files: 0, bytes: m.counts.bytes - FILE_BYTES.length }, entries: withoutFile }));
    expect((await problems())[0]).to.match(new RegExp(`^missing: the file of document version [a-f0-9]{24} \\(files/ab/${KEY}\\)$`));
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    await writeManifest(dir, writeBackup(dir, { fileSha: 'f'.repeat(64) }));
    expect((await problems())[0]).to.match(/^damaged: files\/ab\/a?b.* is not the file document version [a-f0-9]{24} names/);
  });

  it('splits a dump read in chunks of any size into the same documents', () => {
    const docs = [{ a: 1 }, { b: 'x'.repeat(300) }, { c: [1, 2, 3] }];
    const bytes = Buffer.concat(docs.map((d) => Buffer.from(serialize(d))));
    for (const size of [1, 3, 4, 5, 17, 64, bytes.length]) {
      const frames = new BsonFrames();
      const out: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...frames.push(bytes.subarray(i, i + size)));
      expect(frames.end(), `chunks of ${size}`).to.equal(undefined);
      expect(Buffer.concat(out).equals(bytes), `chunks of ${size}`).to.equal(true);
      expect(frames.count).to.equal(3);
    }
  });

  it('counts the documents of a dump and says where one is cut off', () => {
    const two = Buffer.concat([Buffer.from(serialize({ a: 1 })), Buffer.from(serialize({ b: 'x' }))]);
    expect(countBsonDocuments(two)).to.equal(2);
    expect(countBsonDocuments(Buffer.alloc(0))).to.equal(0);
    expect(countBsonDocuments(two.subarray(0, two.length - 1))).to.match(/cut off or malformed/);
    expect(countBsonDocuments(Buffer.concat([two, Buffer.from([9, 0])]))).to.match(/truncated at byte/);
  });
});
