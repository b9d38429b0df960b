// The mark of a restore under way (server/backup/restore-marker.ts) on a MONGODB_URI target, where
// there is no data folder: it goes into the upload folder. The drill (test/drills/restore-killed-s37)
// kills real restores into the embedded database; here the mark an interrupted restore leaves is
// written as it would be, in process: the app's start check names it, the same backup restored again
// drops what the first had written and finishes (the documents not doubled), another is refused.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../../server/config.ts';
import { takeBackup } from '../../server/backup/backup.ts';
import { restoreBackup } from '../../server/backup/restore.ts';
import { RESTORE_MARKER, interruptedRestore, writeRestoreMarker } from '../../server/backup/restore-marker.ts';
import { startEmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../support/keys.ts';

describe('backup: a restore into MONGODB_URI cut short (drills s37)', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'talent-restore-mark-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('the app will not start on the marked upload folder; the same backup finishes, not doubled; another is refused', async () => {
    const source = await startEmbeddedMongo({ dbPath: null, port: 0 });
    const target = await startEmbeddedMongo({ dbPath: null, port: 0 });
    try {
      const client = await MongoClient.connect(source.uri('talent'));
      await client.db('talent').collection('cases').insertMany([{ reference: 'TA-1' }, { reference: 'TA-2' }]);
      const data = path.join(root, 'data');
      const cfgSource = loadConfig({ DATA_DIR: data, UPLOAD_DIR: path.join(data, 'uploads'), DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, MONGODB_URI: source.uri('talent') });
      const out = path.join(root, 'backup');
      await takeBackup({ config: cfgSource, out, method: 'logical' });
      await client.db('talent').collection('cases').insertOne({ reference: 'TA-3' });
      const later = path.join(root, 'backup-later');
      await takeBackup({ config: cfgSource, out: later, method: 'logical' });
      await client.close();

      const uploads = path.join(root, 'restored-uploads');
      const cfg = loadConfig({ DATA_DIR: path.join(root, 'restored'), UPLOAD_DIR: uploads, DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, MONGODB_URI: target.uri('restored') });
      // What a restore killed after its first collection leaves: the mark, and part of the database.
      mkdirSync(uploads);
      const sum = readFileSync(path.join(out, 'manifest.sha256'), 'utf8').slice(0, 64);
      await writeRestoreMarker(uploads, { from: out, manifestSha256: sum, takenAt: '2026-12-07T00:00:00.000Z', startedAt: '2026-12-07T01:00:00.000Z' });
      const partial = await MongoClient.connect(target.uri('restored'));
      await partial.db('restored').collection('cases').insertOne({ reference: 'TA-1' });
      expect(await interruptedRestore(cfg), 'the app\'s start check').to.match(new RegExp(`${uploads} holds a restore that did not finish \\(of the backup ${out},.*npm run restore -- --from ${out}`));

      try {
        await restoreBackup({ config: cfg, from: later });
        expect.fail('another backup restored over an unfinished one');
      } catch (err) {
        expect((err as Error).message).to.match(/refusing to restore .*holds a restore that did not finish.*--force/);
      }
      const r = await restoreBackup({ config: cfg, from: out });
      expect(r).to.deep.include({ target: 'mongodb', resumed: true, documents: 2 });
      expect((await partial.db('restored').collection('cases').find({}, { projection: { _id: 0 } }).toArray()).map((c) => c.reference).sort()).to.deep.equal(['TA-1', 'TA-2']);
      expect(existsSync(path.join(uploads, RESTORE_MARKER)), 'the mark removed').to.equal(false);
      expect(await interruptedRestore(cfg)).to.equal(undefined);
      await partial.close();
    } finally {
      await source.stop();
      await target.stop();
    }
  });
});
