// The start's index sync (server/db/index.ts): the indexes correctness needs (unique ones) exist
// before the server is ready; the others, which on data stored before an upgrade read a whole
// collection to build, are built after it serves, as are the drops of indexes no schema declares;
// a failure is logged and the rest still built.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose, { Schema } from 'mongoose';
import { MongoClient } from 'mongodb';
import type { Logger } from '../../server/logger.ts';
import { indexesAfterReady, indexesBeforeReady, neededBeforeReady } from '../../server/db/index.ts';
import '../../models/all.ts';
import { CaseDocument } from '../../models/document.ts';
import { SavedFilter } from '../../models/saved-filter.ts';
import { testDatabase } from '../support/app.ts';
import { startCommand } from '../../scripts/support/start-flags.ts';
import { runningAt } from '../support/running-at.ts';

const root = path.resolve(import.meta.dirname, '../..');

function logger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const log = {
    warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'warn', obj, msg }),
    info: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'info', obj, msg }),
  } as unknown as Pick<Logger, 'warn' | 'info'>;
  return Object.assign(log, { lines });
}

describe('db: indexes at start', function () {
  this.timeout(60_000);

  it('models/all.ts registers every model the models folder defines', () => {
    const all = readFileSync(path.join(root, 'models/all.ts'), 'utf8');
    const defining = readdirSync(path.join(root, 'models')).filter((f) => f.endsWith('.ts') && /\bmodel\(\s*'/.test(readFileSync(path.join(root, 'models', f), 'utf8')));
    expect(defining.length).to.be.greaterThan(10);
    for (const f of defining) expect(all, f).to.include(`import './${f}';`);
  });

  it('unique indexes (partial ones too) are needed before ready; plain, sparse and TTL ones are not', () => {
    expect(neededBeforeReady({ unique: true })).to.equal(true);
    expect(neededBeforeReady({ unique: true, partialFilterExpression: { code: { $gt: '' } } })).to.equal(true);
    expect(neededBeforeReady({})).to.equal(false);
    expect(neededBeforeReady({ sparse: true })).to.equal(false);
    expect(neededBeforeReady({ expireAfterSeconds: 0 })).to.equal(false);
    expect(neededBeforeReady(undefined)).to.equal(false);
  });

  describe('on the test database', () => {
    before(async () => {
      await testDatabase();
    });
    after(async () => {
      // Whatever a test left, every schema index is back for the test files after this one.
      await mongoose.syncIndexes();
    });

    it('builds a missing unique index and drops a stale unique one before ready, and leaves the plain ones for after', async () => {
      const documents = CaseDocument.collection;
      await documents.dropIndex('updatedAt_1');
      await SavedFilter.collection.dropIndex('user_1_nameKey_1');
      // Left by an older version: a unique index would refuse writes the code now makes; a plain one only costs space.
      await documents.createIndex({ legacyUnique: 1 }, { name: 'legacy_unique', unique: true, sparse: true });
      await documents.createIndex({ legacyPlain: 1 }, { name: 'legacy_plain' });

      const log = logger();
      const before = await indexesBeforeReady(log);
      // (Other models are left to their own tests: an earlier file may have left data an index refuses.)
      expect(before.failed, JSON.stringify(log.lines)).not.to.include.members(['Document', 'SavedFilter']);
      expect(before.built).to.include('SavedFilter.user_1_nameKey_1');
      expect(before.built).not.to.include('Document.updatedAt_1');
      expect(before.dropped).to.include('Document.legacy_unique').and.not.include('Document.legacy_plain');
      expect(await SavedFilter.collection.indexExists('user_1_nameKey_1')).to.equal(true);
      expect(await documents.indexExists('updatedAt_1'), 'a plain index waits for after ready').to.equal(false);
      expect(await documents.indexExists('legacy_plain')).to.equal(true);
      expect(await documents.indexExists('legacy_unique')).to.equal(false);

      const after = await indexesAfterReady(log);
      expect(after.failed).not.to.include('Document');
      expect(after.built.filter((i) => i.startsWith('Document.') || i.startsWith('SavedFilter.'))).to.deep.equal(['Document.updatedAt_1']);
      expect(after.dropped.filter((i) => i.startsWith('Document.'))).to.deep.equal(['Document.legacy_plain']);
      expect(await documents.indexExists('updatedAt_1')).to.equal(true);
      expect(await documents.indexExists('legacy_plain')).to.equal(false);
      const info = log.lines.find((l) => l.msg === 'indexes synced after start');
      expect(info?.obj).to.include.keys('built', 'dropped', 'ms');
      // Nothing left to do for these models: a second sync builds and drops nothing of theirs.
      const again = await indexesAfterReady(logger());
      expect([...again.built, ...again.dropped, ...again.failed].filter((i) => /^(Document|SavedFilter)\b/.test(i))).to.deep.equal([]);
    });

    it('logs an index that fails to build after ready and still builds the others', async () => {
      // An index no server can build (an unknown index type), on a model of its own registered for this test.
      const probe = mongoose.model('IndexProbe', new Schema({ a: String }, { autoIndex: false, autoCreate: false }).index({ a: 'no-such-type' } as never));
      try {
        await CaseDocument.collection.dropIndex('updatedAt_1');
        const log = logger();
        const result = await indexesAfterReady(log);
        expect(result.failed).to.include('IndexProbe').and.not.include('Document');
        expect(result.built).to.include('Document.updatedAt_1');
        expect(await CaseDocument.collection.indexExists('updatedAt_1')).to.equal(true);
        const warned = log.lines.filter((l) => l.level === 'warn' && l.obj.model === 'IndexProbe');
        expect(warned).to.have.length(1);
        expect(warned[0]!.obj).to.include({ model: 'IndexProbe', index: 'a_no-such-type' });
        expect(warned[0]!.obj.err).to.be.instanceOf(Error);
      } finally {
        await probe.collection.drop().catch(() => undefined);
        mongoose.deleteModel('IndexProbe');
      }
    });
  });

  describe('npm start on data stored before an index was added', () => {
    let dataDir: string;
    let child: ChildProcess | undefined;
    let out = '';

    async function start(): Promise<{ url: string; dbUri: string }> {
      // Port 0: the port it binds is read from its banner (test/support/running-at.ts).
      const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', WEB_WORKERS: '0' };
      out = '';
      child = spawn(process.execPath, startCommand(root), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      let url: string | undefined;
      const until = Date.now() + 45_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
        if (Date.now() > until) throw new Error(`not ready:\n${out}`);
        url = runningAt(out);
        if (url && (await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const dbPort = /"port":(\d+),"msg":"embedded database started"/.exec(out)?.[1];
      const credentials = JSON.parse(readFileSync(path.join(dataDir, 'db', 'credentials.json'), 'utf8')) as { username: string; password: string };
      return { url: url!, dbUri: `mongodb://${credentials.username}:${encodeURIComponent(credentials.password)}@127.0.0.1:${dbPort}/talent?authSource=admin` };
    }

    async function logged(msg: string): Promise<Record<string, unknown>> {
      const until = Date.now() + 20_000;
      for (;;) {
        const line = out.split('\n').find((l) => l.includes(`"msg":"${msg}"`));
        if (line) return JSON.parse(line) as Record<string, unknown>;
        if (Date.now() > until) throw new Error(`no "${msg}" in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    async function stop(): Promise<void> {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }

    before(() => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'talent-indexes-'));
    });
    after(async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('has the unique index when ready, builds the plain one after, and serves', async () => {
      // A fresh data folder: its first start builds every index, the plain ones after ready.
      let { dbUri } = await start();
      await logged('indexes synced after start');
      let client = await MongoClient.connect(dbUri);
      try {
        await client.db().collection('documents').dropIndex('updatedAt_1');
        await client.db().collection('users').dropIndex('email_1');
      } finally {
        await client.close();
      }
      await stop();

      let url: string;
      ({ url, dbUri } = await start());
      client = await MongoClient.connect(dbUri);
      try {
        expect(await client.db().collection('users').indexExists('email_1'), 'the unique index, built before ready').to.equal(true);
        // Built by the sync after ready, not before it (which would have left it nothing to build).
        expect((await logged('indexes synced after start')).built).to.deep.equal(['Document.updatedAt_1']);
        expect(await client.db().collection('documents').indexExists('updatedAt_1'), 'the plain index, built after').to.equal(true);
      } finally {
        await client.close();
      }
      expect((await fetch(`${url}/signin`)).status).to.equal(200);
    });
  });
});
