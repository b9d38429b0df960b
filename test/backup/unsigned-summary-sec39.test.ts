// Security review s39: the --unsigned trust summary lists the administrators the restore puts into
// the app's database, whatever the manifest says about where its users dump is. A forged manifest
// could list a second users dump of the same collection (restored too, into the same collection),
// or name another app database than the one its dumps are restored into: the summary read only the
// first dump of `appDatabase`.users and said "no administrator" while one was restored.
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

  it('a second dump of the users collection: its administrator is restored and listed', async () => {
    const dir = copy();
    await addUsersDump(dir, [{ email: 'planted@example.org', role: 'admin' }]);
    const into = target();
    const logged: string[] = [];
    const r = await restoreBackup({ config: configFor(into), from: dir, unsigned: true, log: (l) => logged.push(l) });
    expect(await restoredUsers(into)).to.include('planted@example.org');
    expect(r.trusted?.administrators.map((a) => a.email)).to.have.members(['admin@example.org', 'planted@example.org']);
    expect(logged.join('\n')).to.include('WARNING:   administrator: planted@example.org');
  });

  it('a manifest naming another app database than the one its users dump is restored into: the administrators restored are listed', async () => {
    const dir = copy();
    await addUsersDump(dir, [{ email: 'planted@example.org', role: 'admin' }], (m) => ({ ...m, database: { ...m.database, appDatabase: 'decoy' } }));
    const into = target();
    const logged: string[] = [];
    const r = await restoreBackup({ config: configFor(into), from: dir, unsigned: true, log: (l) => logged.push(l) });
    expect(await restoredUsers(into)).to.include('planted@example.org');
    expect(r.trusted?.administrators.map((a) => a.email)).to.have.members(['admin@example.org', 'planted@example.org']);
    expect(logged.join('\n')).to.not.include('has no administrator account');
  });
});
