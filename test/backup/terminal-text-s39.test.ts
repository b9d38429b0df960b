// What the backup and restore commands print is shown, never acted on by the operator's terminal
// (server/support/shown-text.ts): a backup store someone else can write to can put ESC sequences
// (erase the line, move the cursor), CRs and bidi overrides in the manifest's fields, its collection
// names, the users' e-mails and manifest.sig, to hide "NOT CHECKED" or fake "signature verified".
// The real scripts run as child processes; their stdout and stderr hold none of those characters and
// still name the problem. With --unsigned the restore says what it trusts: the backup's dates, app
// version, counts and administrators, those not administrators in the target database marked.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serialize } from 'bson';
import { MongoClient, ObjectId } from 'mongodb';
import { startEmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { takeBackup } from '../../server/backup/backup.ts';
import { MANIFEST, bsonDocuments, sha256Hex, writeRawManifest, type CollectionEntry, type Manifest } from '../../server/backup/manifest.ts';
import { restoreBackup } from '../../server/backup/restore.ts';
import { SIGNATURE } from '../../server/backup/signature.ts';
import { shownError, shownLines, shownText } from '../../server/support/shown-text.ts';
import { runScriptToEnd } from '../drills/support/app-process.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../support/keys.ts';
import { configFor, key, seededBackup, sha256, storeFile, withRecords } from './support.ts';

/** What a terminal acts on: C0 controls but the line feed, DEL, C1, the bidi embeddings, overrides and isolates, the marks and zero-width characters. */
const ACTED_ON = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/;
const HOSTILE = '\u001b[2K\r\u001b[1Asignature verified \u202Edetcehc TON\u202C\u0085';
const LONG = `${'\u001b[2K'.repeat(1000)}${'x'.repeat(10_000)}\u202E`;

/** Rewrites the users dump with `add` appended and the manifest made to agree (every hash recomputed), as whoever can write the store can; the signature removed. */
async function forge(dir: string, change: (m: Manifest) => Manifest, add: Array<Record<string, unknown>>): Promise<void> {
  const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  const entry = manifest.entries.find((e): e is CollectionEntry => e.kind === 'collection' && e.db === 'talent' && e.collection === 'users')!;
  const dump = path.join(dir, entry.path);
  const docs = [...bsonDocuments(readFileSync(dump))];
  const changed = Buffer.concat([...docs, ...add.map((d) => ({ _id: new ObjectId(), ...d }))].map((d) => Buffer.from(serialize(d))));
  writeFileSync(dump, changed);
  const forged = change({
    ...manifest,
    counts: { ...manifest.counts, documents: manifest.counts.documents + add.length, bytes: manifest.counts.bytes - entry.bytes + changed.length },
    entries: manifest.entries.map((e) => (e === entry ? { ...entry, documents: entry.documents + add.length, bytes: changed.length, sha256: sha256Hex(changed) } : e)),
  });
  await writeRawManifest(dir, `${JSON.stringify(forged, null, 1)}\n`);
  if (existsSync(path.join(dir, SIGNATURE))) unlinkSync(path.join(dir, SIGNATURE));
}

function expectShown(label: string, text: string): void {
  const hit = ACTED_ON.exec(text);
  expect(hit, `${label}: a raw U+${hit?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${hit?.index}: ${JSON.stringify(text.slice(Math.max(0, (hit?.index ?? 0) - 60), (hit?.index ?? 0) + 20))}`).to.equal(null);
}

describe('backup: terminal-safe text and what --unsigned trusts (s39)', function () {
  this.timeout(120_000);
  let root: string;
  let copy: () => string;
  let n = 0;
  const target = () => path.join(root, `target-${(n += 1)}`);
  const envFor = (into: string) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: into, UPLOAD_DIR: path.join(into, 'uploads'), DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY });

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'talent-backup-terminal-'));
    ({ copy } = await seededBackup(root, [
      { email: 'admin@example.org', role: 'admin' },
      { email: 'hr@example.org', role: 'hr_officer' },
    ]));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('shownText', () => {
    it('shows controls as marks and format characters by their code, bounded, one line, and is stable', () => {
      expect(shownText('a\u001b[2K\rb\u202Ec\u0085d\u2028e')).to.equal('a\u241B[2K\u240Db[U+202E]c[U+0085]d[U+2028]e');
      const long = shownText(LONG);
      expect([...long].length).to.be.at.most(200);
      expect(long).to.include('…').and.to.match(/\[U\+202E\]$/);
      // Cut between whole marks: never "[U+20" left over.
      expect(shownText(`${'\u202E'.repeat(100)}`, 50)).to.match(/^(\[U\+202E\])+…(\[U\+202E\])+$/);
      expect(shownText(shownText(HOSTILE))).to.equal(shownText(HOSTILE));
      expectShown('shownText', shownText(HOSTILE));
      expect(shownLines(`one ${HOSTILE}\ntwo`).split('\n')).to.have.length(2);
      const err = new Error(`E11000 duplicate key: { email: "${HOSTILE}" }`);
      const shown = shownError(err);
      expectShown('shownError', shown);
      expect(shown).to.match(/^Error: E11000 duplicate key/).and.to.match(/\n\s+at /);
    });
  });

  it('npm run restore: a damaged backup whose manifest and collection names carry ESC, CR, U+202E and 10 kB: exit 3, named, nothing raw printed', async () => {
    const dir = copy();
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    const users = manifest.entries.find((e): e is CollectionEntry => e.kind === 'collection' && e.collection === 'users')!;
    // The dump damaged (its hash no longer the manifest's), the names hostile, the manifest's own hash made to agree.
    writeFileSync(path.join(dir, users.path), Buffer.concat([readFileSync(path.join(dir, users.path)), Buffer.alloc(0)]).fill(1, 4, 5));
    const hostile: Manifest = { ...manifest, createdAt: LONG, database: { ...manifest.database, takenAt: HOSTILE }, entries: manifest.entries.map((e) => (e === users ? { ...users, collection: `users${HOSTILE}`, db: `talent${LONG}`.slice(0, 255) } : e)) };
    await writeRawManifest(dir, `${JSON.stringify(hostile, null, 1)}\n`);
    unlinkSync(path.join(dir, SIGNATURE));
    const into = target();
    const r = await runScriptToEnd('scripts/restore.ts', ['--from', dir, '--unsigned'], envFor(into));
    expect(r.code, r.err).to.equal(3);
    expectShown('stderr', r.err);
    expectShown('stdout', r.out);
    expect(r.err).to.match(/damaged: db\/\d{4}\.bson \(talent\u241B\[2K.*….*\.users\u241B\[2K\u240D\u241B\[1Asignature verified \[U\+202E\]detcehc TON\[U\+202C\]\[U\+0085\]: its SHA-256 differs/);
    expect(r.err.length, 'bounded').to.be.below(4000);
    expect(existsSync(into), 'nothing written').to.equal(false);
  });

  it('npm run restore: manifest.sig that is not JSON and quotes ESC and CR: exit 4, named, nothing raw printed', async () => {
    const dir = copy();
    writeFileSync(path.join(dir, SIGNATURE), `\u001b[2K\r${HOSTILE}`);
    const into = target();
    const r = await runScriptToEnd('scripts/restore.ts', ['--from', dir, '--unsigned'], envFor(into));
    expect(r.code, r.err).to.equal(4);
    expectShown('stderr', r.err);
    expect(r.err).to.match(/manifest\.sig is not a backup signature: it is not JSON a signature is written in \(.*\u241B/);
    // A key in manifest.sig named in zod's message: shown too.
    writeFileSync(path.join(dir, SIGNATURE), JSON.stringify({ [`k${HOSTILE}`]: 1 }));
    const r2 = await runScriptToEnd('scripts/restore.ts', ['--from', dir], envFor(into));
    expect(r2.code, r2.err).to.equal(4);
    expectShown('stderr', r2.err);
    expect(r2.err).to.match(/not a signature this version writes/);
    expect(existsSync(into), 'nothing written').to.equal(false);
  });

  it('npm run restore --unsigned: says what it trusts (created, app version, counts, administrators with hostile e-mails shown), nothing raw printed', async () => {
    const dir = copy();
    await forge(dir, (m) => ({ ...m, createdAt: `2026-01-01T00:00:00Z${HOSTILE}` }), [
      { email: `evil${HOSTILE}@example.org`, role: 'admin' },
      { email: `${'\u001b[2K'.repeat(200)}${'a'.repeat(10_000)}@example.org`, role: 'admin' },
      { email: 'applicant@example.org', role: 'applicant' },
    ]);
    const into = target();
    const r = await runScriptToEnd('scripts/restore.ts', ['--from', dir, '--unsigned'], envFor(into));
    expect(r.code, r.err).to.equal(0);
    expectShown('stderr', r.err);
    expectShown('stdout', r.out);
    for (const text of [r.err, r.out]) {
      expect(text).to.match(/signature WAS NOT CHECKED/i);
      expect(text).to.match(/trusted unchecked: a backup created 2026-01-01T00:00:00Z\u241B\[2K\u240D.* by app version \d+\.\d+\.\d+, holding \d+ collections, \d+ documents, 1 files/);
      expect(text).to.match(/its users dump makes 3 account\(s\) administrators: check each is one you know before anyone signs in \(the target data folder has no database yet/);
      expect(text).to.include('administrator: admin@example.org\n');
      expect(text).to.include('administrator: evil\u241B[2K\u240D\u241B[1Asignature verified [U+202E]detcehc TON[U+202C][U+0085]@example.org');
      expect(text).to.match(/administrator: \u241B\[2K[^\n]*…a+@example\.org\n/);
      expect(text).to.not.include('administrator: hr@example.org').and.to.not.include('administrator: applicant@');
      // A known name is no proof: the dump also sets every account's password hash and second factor.
      expect(text).to.match(/sign-in secrets \(password hash, second factor\) come from this unchecked backup too/);
    }
    expect(r.err.length, 'bounded').to.be.below(8000);
  });

  it('npm run restore --force: a name in the target folder carrying a line break and ESC is said moved aside on one line, as marks', async () => {
    const into = target();
    mkdirSync(into, { recursive: true });
    const planted = `old\nsignature verified (data-encryption key k1)${'\u001b[2K'}`;
    writeFileSync(path.join(into, planted), 'x');
    const r = await runScriptToEnd('scripts/restore.ts', ['--from', copy(), '--force'], envFor(into));
    expect(r.code, r.err).to.equal(0);
    expectShown('stdout', r.out);
    const aside = r.out.split('\n').find((l) => l.startsWith('moved aside'));
    expect(aside, r.out).to.include('old\u240Asignature verified (data-encryption key k1)\u241B[2K.before-restore-');
    expect(r.out.split('\n').filter((l) => l.startsWith('signature verified')), 'the genuine line only').to.have.length(1);
    // The file itself is kept under its own name, moved aside, not renamed to the shown text.
    expect(readdirSync(into).some((f) => f.startsWith(`${planted}.before-restore-`))).to.equal(true);
  });

  it('npm run backup: a key id read from a sealed secret in the database, carrying ESC and U+202E, is shown, not acted on', async () => {
    const data = path.join(root, 'backup-cli-data');
    const pdf = Buffer.from('%PDF-1.4 key ids\n%%EOF\n');
    storeFile(data, key('c'), pdf);
    await withRecords(data, [{ storage: 'disk', storageKey: key('c'), sha256: sha256(pdf) }], { users: [{ email: 'staff@example.org', role: 'admin', totp: { secret: `v1:k\u001b[2K\r\u202Eevil:sealed` } }] });
    const r = await runScriptToEnd('scripts/backup.ts', ['--out', path.join(root, 'backup-cli-out')], envFor(data));
    expect(r.code, r.err).to.equal(0);
    expectShown('stdout', r.out);
    expectShown('stderr', r.err);
    expect(r.out).to.include('sealed fields need the data-encryption key(s) k\u241B[2K\u240D[U+202E]evil');
  });

  it('--unsigned into MONGODB_URI: the administrators not administrators in the target database now are marked', async () => {
    const source = await startEmbeddedMongo({ dbPath: null, port: 0 });
    const into = await startEmbeddedMongo({ dbPath: null, port: 0 });
    try {
      const s = await MongoClient.connect(source.uri('talent'));
      await s.db('talent').collection('users').insertMany([
        { email: 'admin@example.org', role: 'admin' },
        { email: 'Planted@Example.org', role: 'admin' },
        { email: 'hr@example.org', role: 'admin' },
      ]);
      await s.close();
      const t = await MongoClient.connect(into.uri('restored'));
      await t.db('restored').collection('users').insertMany([
        { email: 'admin@example.org', role: 'admin' },
        { email: 'hr@example.org', role: 'hr_officer' },
      ]);
      await t.close();
      const data = path.join(root, 'mongo-data');
      const out = path.join(root, 'mongo-backup');
      await takeBackup({ config: configFor(data, { MONGODB_URI: source.uri('talent') }), out, method: 'logical' });
      unlinkSync(path.join(out, SIGNATURE));
      const logged: string[] = [];
      const r = await restoreBackup({ config: configFor(data, { MONGODB_URI: into.uri('restored') }), from: out, unsigned: true, force: true, uploadDir: path.join(root, 'mongo-uploads'), log: (l) => logged.push(l) });
      expect(r.trusted?.administrators).to.deep.equal([
        { email: 'admin@example.org', disabled: false, notAdministratorInTarget: false },
        { email: 'Planted@Example.org', disabled: false, notAdministratorInTarget: true },
        { email: 'hr@example.org', disabled: false, notAdministratorInTarget: true },
      ]);
      expect(r.trusted?.compared).to.equal('compared with the 2 user(s) of the database of MONGODB_URI now');
      const log = logged.join('\n');
      expect(log).to.include('WARNING:   administrator: Planted@Example.org — NOT an administrator in the target database now');
      expect(log).to.include('WARNING:   administrator: admin@example.org\n');
    } finally {
      await source.stop();
      await into.stop();
    }
  });
});
