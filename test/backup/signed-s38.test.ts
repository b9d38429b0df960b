// Signed backups (server/backup/signature.ts): a real backup of a seeded embedded database carries
// manifest.sig, an HMAC of manifest.json under a key derived from the data-encryption key, and the
// restore refuses (exit code 4, nothing written) a backup changed since, even by someone who knows
// the format and recomputed every hash; one signed by another installation; one whose signature
// was removed (unless --unsigned); and a manifest.sig that is a link, a folder, huge or hostile JSON.
// A key rotated since the backup, kept as a previous key, still verifies it.
import { expect } from 'chai';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serialize } from 'bson';
import { ObjectId } from 'mongodb';
import { restoreBackup } from '../../server/backup/restore.ts';
import { BackupError } from '../../server/backup/connect.ts';
import { MANIFEST, MANIFEST_SUM, bsonDocuments, sha256Hex, verifyBackup, writeRawManifest, type CollectionEntry, type Manifest } from '../../server/backup/manifest.ts';
import { EXIT_NOT_SIGNED, SIGNATURE, SIGNATURE_INFO, signManifest } from '../../server/backup/signature.ts';
import { deriveSubkey, keyId, keyringFromKeys } from '../../server/crypto/keyring.ts';
import { runScriptToEnd } from '../drills/support/app-process.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../support/keys.ts';
import { configFor, restoredUsers, seededBackup } from './support.ts';

const KEY_A = TEST_DATA_ENCRYPTION_KEY;
const KEY_B = 'b0'.repeat(32);
const KEY_C = 'c1'.repeat(32);
const idOf = (hex: string) => keyId(Buffer.from(hex, 'hex'));

/** The restore's refusal: a BackupError with its exit code and message; nothing of the backup written. */
async function refused(run: Promise<unknown>, target: string, code: number, re: RegExp): Promise<string> {
  let caught: unknown;
  try {
    await run;
  } catch (err) {
    caught = err;
  }
  expect(caught, `refused (${String(re)})`).to.be.instanceOf(BackupError);
  expect((caught as BackupError).message).to.match(re);
  expect((caught as BackupError).code, (caught as BackupError).message).to.equal(code);
  expect(existsSync(target), `nothing written into ${target}`).to.equal(false);
  return (caught as BackupError).message;
}

describe('backup: signed backups (s38)', function () {
  this.timeout(90_000);
  let root: string;
  let out: string;
  /** A copy of the backup to change. */
  let copy: () => string;
  let n = 0;
  const target = () => path.join(root, `target-${(n += 1)}`);

  before(async () => {
    // One real backup of a seeded database, taken under key A (the test key): copied for each test.
    root = mkdtempSync(path.join(tmpdir(), 'talent-backup-signed-'));
    ({ out, copy } = await seededBackup(root, [
      { email: 'hr@example.org', roles: ['hr'] },
      { email: 'applicant@example.org', roles: ['applicant'] },
    ]));
  });
  after(() => rmSync(root, { recursive: true, force: true }));



  it('signs the manifest last, 0600, naming the key by its id, with nothing secret in the backup; a fresh backup restores', async () => {
    const sig = JSON.parse(readFileSync(path.join(out, SIGNATURE), 'utf8')) as Record<string, unknown>;
    expect(sig).to.deep.include({ algorithm: 'HMAC-SHA256', kdf: 'HKDF-SHA256', info: SIGNATURE_INFO, keyId: idOf(KEY_A) });
    expect(sig.mac).to.match(/^[a-f0-9]{64}$/);
    expect(statSync(path.join(out, SIGNATURE)).mode & 0o777).to.equal(0o600);
    // Written after manifest.sha256 (its rename the backup's last step).
    expect(statSync(path.join(out, SIGNATURE)).mtimeMs).to.be.at.least(statSync(path.join(out, MANIFEST_SUM)).mtimeMs);
    // Neither the data key nor the derived signing key, in any form, in any file of the backup.
    const a = Buffer.from(KEY_A, 'hex');
    const secrets = [a, deriveSubkey(a, SIGNATURE_INFO)].flatMap((k) => [k, Buffer.from(k.toString('hex')), Buffer.from(k.toString('base64')), Buffer.from(k.toString('base64url'))]);
    for (const f of readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
      const bytes = readFileSync(path.join(f.parentPath, f.name));
      for (const s of secrets) expect(bytes.includes(s), `${f.name} holds a key`).to.equal(false);
    }
    const logged: string[] = [];
    const into = target();
    const r = await restoreBackup({ config: configFor(into), from: out, log: (l) => logged.push(l) });
    expect(r.signature).to.deep.equal({ verified: true, keyId: idOf(KEY_A) });
    expect(logged.join('\n')).to.include(`backup signature verified (data-encryption key ${idOf(KEY_A)})`);
    expect(await restoredUsers(into)).to.deep.equal(['applicant@example.org', 'hr@example.org']);
  });

  it('refuses a dump changed with every hash recomputed (an administrator added): nothing written', async () => {
    const dir = copy();
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    const entry = manifest.entries.find((e): e is CollectionEntry => e.kind === 'collection' && e.db === 'talent' && e.collection === 'users')!;
    const dump = path.join(dir, entry.path);
    const docs = [...bsonDocuments(readFileSync(dump))];
    const changed = Buffer.concat([...docs, { _id: new ObjectId(), email: 'attacker@example.org', roles: ['admin'] }].map((d) => Buffer.from(serialize(d))));
    writeFileSync(dump, changed);
    // What an attacker who knows the format does: the entry, the totals, manifest.json and manifest.sha256 made to agree.
    const forged: Manifest = {
      ...manifest,
      counts: { ...manifest.counts, documents: manifest.counts.documents + 1, bytes: manifest.counts.bytes - entry.bytes + changed.length },
      entries: manifest.entries.map((e) => (e === entry ? { ...entry, documents: entry.documents + 1, bytes: changed.length, sha256: sha256Hex(changed) } : e)),
    };
    await writeRawManifest(dir, `${JSON.stringify(forged, null, 1)}\n`);
    expect((await verifyBackup(dir)).ok, 'the hashes alone accept it: only the signature tells').to.equal(true);
    const into = target();
    await refused(restoreBackup({ config: configFor(into), from: dir }), into, EXIT_NOT_SIGNED, /manifest\.sig does not match manifest\.json under key .*: the backup was changed after it was taken, or taken by another installation: nothing was restored/);
    // --unsigned does not let a signature that fails through.
    await refused(restoreBackup({ config: configFor(into), from: dir, unsigned: true }), into, EXIT_NOT_SIGNED, /the backup was changed after it was taken/);
    // The attacker's own key, the signature labelled with ours: the same refusal.
    const bytes = readFileSync(path.join(dir, MANIFEST));
    const theirs = signManifest(bytes, keyringFromKeys(Buffer.from(KEY_C, 'hex')).current());
    writeFileSync(path.join(dir, SIGNATURE), JSON.stringify({ ...theirs, keyId: idOf(KEY_A) }));
    await refused(restoreBackup({ config: configFor(into), from: dir }), into, EXIT_NOT_SIGNED, /does not match manifest\.json under key .*taken by another installation: nothing was restored/);
  });

  it('refuses a backup whose manifest.sig was removed, unless --unsigned, which restores it and says so loudly', async () => {
    const dir = copy();
    unlinkSync(path.join(dir, SIGNATURE));
    const into = target();
    const message = await refused(restoreBackup({ config: configFor(into), from: dir }), into, EXIT_NOT_SIGNED, /the backup is not signed \(no manifest\.sig\)/);
    expect(message).to.include('add --unsigned');
    const logged: string[] = [];
    const r = await restoreBackup({ config: configFor(into), from: dir, unsigned: true, log: (l) => logged.push(l) });
    expect(r.signature).to.deep.equal({ verified: false, why: 'unsigned' });
    expect(logged.join('\n')).to.match(/WARNING: --unsigned: THE BACKUP'S SIGNATURE WAS NOT CHECKED/).and.to.match(/has no manifest\.sig: it is restored as it is/);
    expect(await restoredUsers(into)).to.deep.equal(['applicant@example.org', 'hr@example.org']);
  });

  it('verifies a backup signed under key A with the keyring rotated since (current B, previous A), from the environment or the key file', async () => {
    const into = target();
    const r = await restoreBackup({ config: configFor(into, { DATA_ENCRYPTION_KEY: KEY_B, DATA_ENCRYPTION_PREVIOUS_KEYS: KEY_A }), from: out });
    expect(r.signature).to.deep.equal({ verified: true, keyId: idOf(KEY_A) });
    // No key in the environment: the key file the operator put in the target data folder (current B, then A).
    const intoFile = target();
    mkdirSync(intoFile);
    writeFileSync(path.join(intoFile, 'data-encryption.key'), `# rotated\n${KEY_B}\n${KEY_A}\n`, { mode: 0o600 });
    const r2 = await restoreBackup({ config: configFor(intoFile, { DATA_ENCRYPTION_KEY: undefined }), from: out });
    expect(r2.signature).to.deep.equal({ verified: true, keyId: idOf(KEY_A) });
  });

  it('refuses a backup of another installation (its key not here), naming the key id needed and where keys come from', async () => {
    const into = target();
    const message = await refused(restoreBackup({ config: configFor(into, { DATA_ENCRYPTION_KEY: KEY_C }), from: out }), into, EXIT_NOT_SIGNED, new RegExp(`signed with data-encryption key ${idOf(KEY_A)}, which is not among the keys here \\(${idOf(KEY_C)}, from DATA_ENCRYPTION_KEY\\)`));
    expect(message).to.match(/a backup of another installation/).and.to.match(/DATA_ENCRYPTION_PREVIOUS_KEYS/).and.to.match(/nothing was restored/);
    // Even with --unsigned: a signature that names a key not here is not an unsigned backup.
    await refused(restoreBackup({ config: configFor(into, { DATA_ENCRYPTION_KEY: KEY_C }), from: out, unsigned: true }), into, EXIT_NOT_SIGNED, /not among the keys here/);
  });

  it('on a machine with no key at all: refused, naming the key and the flag, no key file generated; --unsigned restores it unchecked', async () => {
    const into = target();
    const config = configFor(into, { DATA_ENCRYPTION_KEY: undefined });
    const message = await refused(restoreBackup({ config, from: out }), into, EXIT_NOT_SIGNED, new RegExp(`signed with data-encryption key ${idOf(KEY_A)} and this machine has no data-encryption key to check it`));
    expect(message).to.include(`no key file at ${path.join(into, 'data-encryption.key')}`).and.to.include('--unsigned');
    const logged: string[] = [];
    const r = await restoreBackup({ config, from: out, unsigned: true, log: (l) => logged.push(l) });
    expect(r.signature).to.deep.equal({ verified: false, why: 'no key', keyId: idOf(KEY_A) });
    expect(logged.join('\n')).to.match(/WARNING: .*this machine has no key to check it: it is restored unchecked/);
    expect(existsSync(path.join(into, 'data-encryption.key')), 'the restore generates no key').to.equal(false);
    // A key file put back that holds no key: said, as a configuration error (exit 2), nothing restored.
    const bad = target();
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'data-encryption.key'), 'the key, put back from the secret store\n');
    try {
      await restoreBackup({ config: configFor(bad, { DATA_ENCRYPTION_KEY: undefined }), from: out });
      expect.fail('a key file that holds no key');
    } catch (err) {
      expect((err as BackupError).message).to.match(/data-encryption\.key cannot be read as a key file: .*line 1 is not a 32-byte key/);
      expect((err as BackupError).code).to.equal(2);
    }
    expect(readdirSync(bad)).to.deep.equal(['data-encryption.key']);
  });

  it('refuses a hostile manifest.sig (a link, a folder, huge, not JSON, __proto__ or constructor keys, a field too many) cleanly', async () => {
    const valid = readFileSync(path.join(out, SIGNATURE), 'utf8');
    const cases: Array<[string, (sig: string) => void, RegExp]> = [
      ['a link to a valid signature', (sig) => {
        writeFileSync(path.join(root, 'elsewhere.sig'), valid);
        symlinkSync(path.join(root, 'elsewhere.sig'), sig);
      }, /manifest\.sig is a link, not a file of the backup/],
      ['a folder', (sig) => mkdirSync(sig), /manifest\.sig is a folder/],
      ['huge', (sig) => writeFileSync(sig, `${valid.trimEnd()}${' '.repeat(8 * 1024 * 1024)}`), /manifest\.sig has \d+ bytes, more than/],
      ['not JSON', (sig) => writeFileSync(sig, 'HMAC-SHA256 deadbeef'), /manifest\.sig is not a backup signature: it is not JSON/],
      ['__proto__', (sig) => writeFileSync(sig, valid.replace('{', '{"__proto__":{"polluted":true},')), /it holds a key named __proto__/],
      ['constructor', (sig) => writeFileSync(sig, valid.replace('{', '{"constructor":{"prototype":{"polluted":true}},')), /it holds a key named (constructor|prototype)/],
      ['a field too many', (sig) => writeFileSync(sig, valid.replace('{', '{"key":"7e57",')), /not a signature this version writes/],
      ['an array', (sig) => writeFileSync(sig, '[]'), /not a signature this version writes/],
    ];
    for (const [label, plant, re] of cases) {
      const dir = copy();
      const sig = path.join(dir, SIGNATURE);
      unlinkSync(sig);
      plant(sig);
      const into = target();
      await refused(restoreBackup({ config: configFor(into), from: dir }), into, EXIT_NOT_SIGNED, re).catch((err: Error) => {
        throw new Error(`${label}: ${err.message}`);
      });
      // --unsigned is for a backup without manifest.sig, not for one with a bad one.
      await refused(restoreBackup({ config: configFor(into), from: dir, unsigned: true }), into, EXIT_NOT_SIGNED, re);
    }
    expect(({} as Record<string, unknown>).polluted, 'no prototype polluted').to.equal(undefined);
    // manifest.json as a link (to a manifest of another backup, its hash beside it): refused as damaged, not followed.
    const dir = copy();
    cpSync(path.join(dir, MANIFEST), path.join(root, 'other-manifest.json'));
    unlinkSync(path.join(dir, MANIFEST));
    symlinkSync(path.join(root, 'other-manifest.json'), path.join(dir, MANIFEST));
    const into = target();
    await refused(restoreBackup({ config: configFor(into), from: dir }), into, 3, /manifest\.json is a link, not a file of the backup/);
  });

  it('npm run restore: exit 4 for an unsigned backup, naming --unsigned; with --unsigned it restores and warns', async () => {
    const dir = copy();
    unlinkSync(path.join(dir, SIGNATURE));
    const into = target();
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: into, UPLOAD_DIR: path.join(into, 'uploads'), DATA_ENCRYPTION_KEY: KEY_A };
    const no = await runScriptToEnd('scripts/restore.ts', ['--from', dir], env);
    expect(no.code, no.err).to.equal(4);
    expect(no.err).to.match(/restore failed: refusing to restore .*not signed .*add --unsigned/s);
    expect(existsSync(into)).to.equal(false);
    const yes = await runScriptToEnd('scripts/restore.ts', ['--from', dir, '--unsigned'], env);
    expect(yes.code, yes.err).to.equal(0);
    expect(yes.err).to.include("WARNING: --unsigned: THE BACKUP'S SIGNATURE WAS NOT CHECKED");
    expect(yes.out).to.include("WARNING: restored with --unsigned: the backup's signature was NOT checked");
  });
});
