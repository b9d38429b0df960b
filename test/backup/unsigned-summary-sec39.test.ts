// Security review s39: what --unsigned lists as the backup's administrators is what the restore puts
// into the app's database. A forged manifest could list a second dump of talent.users (restored into
// the same collection, its administrator never listed: such a manifest is now refused), or name
// another app database than the one an embedded restore writes its dumps into (the summary read that
// database's users, found none and said "no administrator" while the real dump's were restored).
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serialize } from 'bson';
import { ObjectId } from 'mongodb';
import { MANIFEST, sha256Hex, writeRawManifest, type CollectionEntry, type Manifest } from '../../server/backup/manifest.ts';
import { restoreBackup } from '../../server/backup/restore.ts';
import { configFor, restoredUsers, seededBackup } from './support.ts';
import { SIGNATURE } from '../../server/backup/signature.ts';

/** Adds a second dump of talent.users holding `docs` (a new entry and file), `change` applied to the manifest; the signature removed. */
async function addUsersDump(dir: string, docs: Array<Record<string, unknown>>, change: (m: Manifest) => Manifest = (m) => m): Promise<void> {
  const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  const first = manifest.entries.find((e): e is CollectionEntry => e.kind === 'collection' && e.collection === 'users')!;
  const bytes = Buffer.concat(docs.map((d) => Buffer.from(serialize({ _id: new ObjectId(), ...d }))));
  const rel = 'db/9999.bson';
  writeFileSync(path.join(dir, rel), bytes);
  const entry: CollectionEntry = { ...first, path: rel, options: {}, indexes: [], documents: docs.length, bytes: bytes.length, sha256: sha256Hex(bytes) };
  const forged = change({
    ...manifest,
    counts: { ...manifest.counts, collections: manifest.counts.collections + 1, documents: manifest.counts.documents + docs.length, bytes: manifest.counts.bytes + bytes.length },
    entries: [...manifest.entries, entry],
  });
  await writeRawManifest(dir, `${JSON.stringify(forged, null, 1)}\n`);
  if (existsSync(path.join(dir, SIGNATURE))) unlinkSync(path.join(dir, SIGNATURE));
}

/** The manifest changed by `change` (its hash recomputed, the signature removed), as whoever can write the store can. */
async function forgeManifest(dir: string, change: (m: Manifest) => Manifest): Promise<void> {
  const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  await writeRawManifest(dir, `${JSON.stringify(change(manifest), null, 1)}\n`);
  if (existsSync(path.join(dir, SIGNATURE))) unlinkSync(path.join(dir, SIGNATURE));
}

describe('backup: --unsigned lists every administrator the restore writes (security review s39)', function () {
  this.timeout(120_000);
  let root: string;
  let copy: () => string;
  let n = 0;
  const target = () => path.join(root, `target-${(n += 1)}`);

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'talent-unsigned-summary-'));
    ({ copy } = await seededBackup(root, [{ email: 'admin@example.org', role: 'admin' }]));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a second dump of the users collection (its administrator would be restored beside the first dump): refused as damaged, nothing restored', async () => {
    const dir = copy();
    await addUsersDump(dir, [{ email: 'planted@example.org', role: 'admin' }]);
    const into = target();
    const err = await restoreBackup({ config: configFor(into), from: dir, unsigned: true, log: () => undefined }).then(() => undefined, (e: unknown) => e);
    expect(err, 'refused').to.be.instanceOf(Error);
    expect((err as { code?: number }).code).to.equal(3);
    expect((err as Error).message).to.include('db/9999.bson (talent.users) is a collection the manifest lists twice');
    expect(await restoredUsers(into)).to.deep.equal([]);
  });

  it('a manifest naming another app database than the one its users dump is restored into: the administrators restored are listed', async () => {
    const dir = copy();
    await forgeManifest(dir, (m) => ({ ...m, database: { ...m.database, appDatabase: 'decoy' } }));
    const into = target();
    const logged: string[] = [];
    const r = await restoreBackup({ config: configFor(into), from: dir, unsigned: true, log: (l) => logged.push(l) });
    expect(await restoredUsers(into)).to.include('admin@example.org');
    expect(r.trusted?.administrators.map((a) => a.email)).to.deep.equal(['admin@example.org']);
    expect(logged.join('\n')).to.include('WARNING:   administrator: admin@example.org').and.to.not.include('has no administrator account');
  });
});
