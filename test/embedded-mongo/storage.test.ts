// Durability layer of the embedded server: real files in temp directories, real child processes
// for the lock and for kill -9.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync,
  statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Double, EJSON, Int32, Long, ObjectId, type Document } from 'bson';
import { DbPathLockedError, FileStorage, type StorageLogger } from '../../embedded-mongo/src/storage/file-storage.ts';
import { idKey } from '../../embedded-mongo/src/storage/id-key.ts';
import { MemoryStorage } from '../../embedded-mongo/src/storage/memory-storage.ts';
import type { CatalogSnapshot, IndexSpecRecord, JournalOp } from '../../embedded-mongo/src/storage/types.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FILE_STORAGE_URL = pathToFileURL(path.join(ROOT, 'embedded-mongo/src/storage/file-storage.ts')).href;

// ------------------------------------------------------------------------------------ helpers

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'emb-storage-'));
  dirs.push(d);
  return d;
}

function recordingLogger(): StorageLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, warn: (m) => warnings.push(m) };
}

/** A plain, comparable picture of a catalog: ns → options, index names, documents in order (canonical EJSON). */
function picture(state: CatalogSnapshot): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of state.collections) {
    out[`${c.db}.${c.coll}`] = {
      options: EJSON.serialize(c.options, { relaxed: false }),
      indexes: c.indexes.map((s) => s.name).sort(),
      docs: [...c.docs].map((d) => EJSON.serialize(d, { relaxed: false })),
    };
  }
  return out;
}

/** Independent reference model of what the ops used in these tests mean. */
class Model {
  colls = new Map<string, { db: string; coll: string; options: Document; indexes: IndexSpecRecord[]; docs: Map<string, Document> }>();

  apply(ops: JournalOp[]): JournalOp[] {
    for (const op of ops) {
      const ns = `${op.db}.${'coll' in op ? op.coll : ''}`;
      const get = () => {
        let c = this.colls.get(ns);
        if (!c && 'coll' in op) {
          c = { db: op.db, coll: op.coll, options: {}, indexes: [], docs: new Map() };
          this.colls.set(ns, c);
        }
        return c!;
      };
      switch (op.op) {
        case 'createCollection':
          if (!this.colls.has(ns)) get().options = op.options;
          break;
        case 'insert':
          get().docs.set(idKey(op.doc._id), op.doc);
          break;
        case 'replace':
          get().docs.set(idKey(op.id), op.doc);
          break;
        case 'delete':
          this.colls.get(ns)?.docs.delete(idKey(op.id));
          break;
        case 'createIndex':
          get().indexes.push(op.spec);
          break;
        case 'dropIndex':
          get().indexes = get().indexes.filter((s) => s.name !== op.name);
          break;
        case 'dropCollection':
          this.colls.delete(ns);
          break;
        case 'dropDatabase':
          for (const [k, c] of this.colls) if (c.db === op.db) this.colls.delete(k);
          break;
        case 'renameCollection': {
          const c = this.colls.get(ns)!;
          this.colls.delete(ns);
          c.db = op.toDb;
          c.coll = op.toColl;
          this.colls.set(`${op.toDb}.${op.toColl}`, c);
          break;
        }
      }
    }
    return ops;
  }

  /** What the core hands compact(): arrays of references captured now. */
  snapshot(): CatalogSnapshot {
    return {
      collections: [...this.colls.values()].map((c) => ({
        db: c.db, coll: c.coll, options: c.options, indexes: [...c.indexes], docs: [...c.docs.values()],
      })),
    };
  }
}

function journalFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^journal-\d+\.log$/.test(n)).sort();
}

/** Runs TypeScript in a child `node --import tsx` process; `code` is an ES module body. */
function child(code: string, nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function collect(p: ChildProcess): { out: () => string; err: () => string; exited: Promise<number | null> } {
  let out = '';
  let err = '';
  p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  return { out: () => out, err: () => err, exited };
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function openStorage(dir: string, logger: StorageLogger = recordingLogger()) {
  const s = new FileStorage(dir, { logger });
  const opened = await s.open();
  return { s, ...opened };
}

const ins = (coll: string, doc: Document): JournalOp => ({ op: 'insert', db: 'app', coll, doc });

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------ tests

describe('embedded-mongo storage: idKey', () => {
  it('gives equal _ids one key and different types different keys', () => {
    const oid = new ObjectId();
    expect(idKey(oid)).to.equal('o' + oid.toHexString());
    expect(idKey(new ObjectId(oid.toHexString()))).to.equal(idKey(oid));
    expect(idKey('7')).to.equal('s7');
    expect(idKey(7)).to.equal('n7');
    expect(new Set([idKey(7), idKey(new Int32(7)), idKey(new Double(7)), idKey(Long.fromNumber(7))]).size).to.equal(1);
    expect(idKey(Long.fromString('9223372036854775807'))).to.equal('n9223372036854775807');
    expect(idKey(new Date(1000))).to.equal('d1000');
    expect(idKey({ a: 1, b: 'x' })).to.equal(idKey({ a: Long.fromNumber(1), b: 'x' }));
    expect(idKey({ a: 1, b: 'x' })).not.to.equal(idKey({ b: 'x', a: 1 }));
    expect(idKey('7')).not.to.equal(idKey(7));
    expect(idKey(null)).not.to.equal(idKey('null'));
  });
});

describe('embedded-mongo storage: MemoryStorage', () => {
  it('opens empty and acknowledges commits at once', async () => {
    const m = new MemoryStorage();
    const { state, report } = await m.open();
    expect([...state.collections]).to.deep.equal([]);
    expect(report.snapshotLoaded).to.equal(false);
    await m.commit([ins('c', { _id: 1 })]);
    await m.compact({ collections: [] });
    expect(m.journalBytes()).to.equal(0);
    expect(m.stats().commits).to.equal(1);
    await m.close();
    await m.commit([ins('c', { _id: 2 })]).then(
      () => expect.fail('commit after close must fail'),
      (e: Error) => expect(e.message).to.match(/closed/),
    );
  });
});

describe('embedded-mongo storage: FileStorage', function () {
  this.timeout(60_000);

  it('round-trips every op kind and BSON types across a reopen', async () => {
    const dir = tempDir();
    const model = new Model();
    const { s, state, report } = await openStorage(dir);
    expect([...state.collections]).to.have.length(0);
    expect(report).to.include({ snapshotLoaded: false, recordsReplayed: 0, tornTailBytes: 0 });

    const oid = new ObjectId();
    const big = Long.fromString('9007199254740993');
    const batches: JournalOp[][] = [
      [{ op: 'createCollection', db: 'app', coll: 'users', options: { validator: { name: { $type: 'string' } } } }],
      [{ op: 'createIndex', db: 'app', coll: 'users', spec: { v: 2, key: { email: 1 }, name: 'email_1', unique: true } }],
      [ins('users', { _id: oid, email: 'a@x', n: big, at: new Date(1700000000000), nested: { list: [1, 'two', { three: 3.5 }] } })],
      [ins('users', { _id: 'u2', email: 'b@x' }), ins('users', { _id: 3, email: 'c@x' })],
      [{ op: 'replace', db: 'app', coll: 'users', id: 'u2', doc: { _id: 'u2', email: 'b2@x' } }],
      [{ op: 'delete', db: 'app', coll: 'users', id: 3 }],
      [ins('tmp', { _id: 1 }), { op: 'renameCollection', db: 'app', coll: 'tmp', toDb: 'app', toColl: 'renamed', dropTarget: false }],
      [ins('gone', { _id: 1 }), { op: 'dropCollection', db: 'app', coll: 'gone' }],
      [{ op: 'insert', db: 'other', coll: 'x', doc: { _id: 1 } }, { op: 'dropDatabase', db: 'other' }],
      [{ op: 'createIndex', db: 'app', coll: 'users', spec: { v: 2, key: { n: -1 }, name: 'n_-1' } }],
      [{ op: 'dropIndex', db: 'app', coll: 'users', name: 'n_-1' }],
    ];
    for (const ops of batches) await s.commit(model.apply(ops));
    expect(s.stats().commits).to.equal(batches.length);
    expect(s.journalBytes()).to.be.greaterThan(0);
    expect(s.diskBytes()).to.equal(s.journalBytes());
    await s.close();
    expect(existsSync(path.join(dir, 'mongod.lock'))).to.equal(false);

    const again = await openStorage(dir);
    expect(again.report.recordsReplayed).to.equal(batches.length);
    expect(picture(again.state)).to.deep.equal(picture(model.snapshot()));
    const users = [...again.state.collections].find((c) => c.coll === 'users')!;
    expect(users.options).to.deep.equal({ validator: { name: { $type: 'string' } } });
    expect(users.indexes.map((i) => i.name)).to.deep.equal(['email_1']);
    const first = [...users.docs][0];
    expect(first.n).to.be.instanceOf(Long);
    expect((first.n as Long).toString()).to.equal('9007199254740993');
    expect(first._id).to.be.instanceOf(ObjectId);
    expect(first.at).to.be.instanceOf(Date);
    await again.s.close();
  });

  it('tolerates replays that find unexpected state (insert of an existing id, delete of a missing one)', async () => {
    const dir = tempDir();
    const { s } = await openStorage(dir);
    await s.commit([{ op: 'createCollection', db: 'app', coll: 'c', options: { capped: false } }]);
    await s.commit([ins('c', { _id: 1, v: 'a' }), ins('c', { _id: 2, v: 'b' })]);
    await s.commit([ins('c', { _id: 1, v: 'a2' })]);
    await s.commit([{ op: 'delete', db: 'app', coll: 'c', id: 99 }, { op: 'delete', db: 'app', coll: 'nope', id: 1 }]);
    await s.commit([{ op: 'createCollection', db: 'app', coll: 'c', options: { other: true } }]);
    await s.close();
    const { s: s2, state } = await openStorage(dir);
    const [c] = [...state.collections];
    expect(c.options).to.deep.equal({ capped: false });
    expect([...c.docs]).to.deep.equal([{ _id: 1, v: 'a2' }, { _id: 2, v: 'b' }]);
    await s2.close();
  });

  it('group commit: 100 concurrent commits share a few fsyncs and are replayed in call order', async () => {
    const dir = tempDir();
    const { s } = await openStorage(dir);
    const commits = Array.from({ length: 100 }, (_, i) =>
      s.commit([{ op: 'replace', db: 'app', coll: 'counter', id: 'c', doc: { _id: 'c', value: i } }, ins('log', { _id: i })]),
    );
    await Promise.all(commits);
    const { commits: n, fsyncs, bytes } = s.stats();
    expect(n).to.equal(100);
    expect(fsyncs).to.be.at.least(1).and.at.most(5);
    expect(bytes).to.equal(statSync(path.join(dir, 'journal-0.log')).size);

    // Commits issued while a flush is in flight are queued and written together by the next one.
    const first = s.commit([ins('log', { _id: 'first' })]);
    await new Promise((r) => setImmediate(r));
    const rest = Array.from({ length: 50 }, (_, i) => s.commit([ins('log', { _id: `later-${i}` })]));
    await Promise.all([first, ...rest]);
    expect(s.stats().fsyncs - fsyncs).to.be.at.most(3);
    await s.close();

    const { s: s2, state, report } = await openStorage(dir);
    expect(report.recordsReplayed).to.equal(151);
    const byName = new Map([...state.collections].map((c) => [c.coll, [...c.docs]]));
    expect(byName.get('counter')).to.deep.equal([{ _id: 'c', value: 99 }]);
    expect(byName.get('log')!.map((d) => d._id)).to.deep.equal([
      ...Array.from({ length: 100 }, (_, i) => i), 'first', ...Array.from({ length: 50 }, (_, i) => `later-${i}`),
    ]);
    await s2.close();
  });

  it('a failed write rejects its commits and acknowledges nothing', async () => {
    const dir = tempDir();
    const { s } = await openStorage(dir);
    // The journal file is created at the first commit; make it a device that answers every write with ENOSPC.
    symlinkSync('/dev/full', path.join(dir, 'journal-0.log'));
    const results = await Promise.allSettled([s.commit([ins('c', { _id: 1 })]), s.commit([ins('c', { _id: 2 })])]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    expect(s.stats()).to.include({ commits: 0, fsyncs: 0 });
    // The failed write could not be cut back (a device cannot be truncated): the journal refuses further commits.
    await s.commit([ins('c', { _id: 3 })]).then(
      () => expect.fail('must not acknowledge'),
      (e: Error) => expect(e.message).to.match(/unusable|ENOSPC/),
    );
    await s.close();
    unlinkSync(path.join(dir, 'journal-0.log'));
  });

  describe('torn tails', () => {
    async function tenRecords(dir: string): Promise<number[]> {
      const { s } = await openStorage(dir);
      const sizes: number[] = [];
      for (let i = 0; i < 10; i++) {
        const before = s.journalBytes();
        await s.commit([ins('c', { _id: i, pad: 'x'.repeat(i * 10) })]);
        sizes.push(s.journalBytes() - before);
      }
      await s.close();
      return sizes;
    }
    const ids = (state: CatalogSnapshot) => [...[...state.collections][0].docs].map((d) => d._id);

    it('cuts a record truncated mid-way, reports it, and keeps appending after the cut', async () => {
      const dir = tempDir();
      const sizes = await tenRecords(dir);
      const file = path.join(dir, 'journal-0.log');
      const full = statSync(file).size;
      truncateSync(file, full - 5);

      const log = recordingLogger();
      const { s, state, report } = await openStorage(dir, log);
      expect(report.tornTailBytes).to.equal(sizes[9] - 5);
      expect(report.recordsReplayed).to.equal(9);
      expect(ids(state)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(statSync(file).size).to.equal(full - sizes[9]);
      expect(log.warnings.join('\n')).to.match(/journal-0\.log: cut/);
      await s.commit([ins('c', { _id: 'after' })]);
      await s.close();

      const again = await openStorage(dir);
      expect(again.report.tornTailBytes).to.equal(0);
      expect(ids(again.state)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 'after']);
      await again.s.close();
    });

    it('cuts random garbage appended after the last record', async () => {
      const dir = tempDir();
      await tenRecords(dir);
      const file = path.join(dir, 'journal-0.log');
      const clean = statSync(file).size;
      appendFileSync(file, randomBytes(37));
      const { s, state, report } = await openStorage(dir);
      expect(report.tornTailBytes).to.equal(37);
      expect(ids(state)).to.have.length(10);
      expect(statSync(file).size).to.equal(clean);
      await s.close();
    });

    it('cuts a last record whose checksum fails, and a zero-filled tail', async () => {
      const dir = tempDir();
      const sizes = await tenRecords(dir);
      const file = path.join(dir, 'journal-0.log');
      const bytes = readFileSync(file);
      bytes[bytes.length - 3] ^= 0xff; // inside the last record's payload
      writeFileSync(file, bytes);
      let opened = await openStorage(dir);
      expect(opened.report.tornTailBytes).to.equal(sizes[9]);
      expect(ids(opened.state)).to.have.length(9);
      await opened.s.close();

      appendFileSync(file, Buffer.alloc(4096));
      opened = await openStorage(dir);
      expect(opened.report.tornTailBytes).to.equal(4096);
      expect(ids(opened.state)).to.have.length(9);
      await opened.s.close();
    });
  });

  describe('compaction', () => {
    it('writes a snapshot, starts a new journal at the call, deletes the old files; reopen gives the same state', async () => {
      const dir = tempDir();
      const model = new Model();
      const { s } = await openStorage(dir);
      await s.commit(model.apply([{ op: 'createCollection', db: 'app', coll: 'a', options: { x: 1 } }]));
      await s.commit(model.apply([{ op: 'createIndex', db: 'app', coll: 'a', spec: { v: 2, key: { k: 1 }, name: 'k_1' } }]));
      await s.commit(model.apply([{ op: 'createCollection', db: 'app', coll: 'empty', options: {} }]));
      await Promise.all(Array.from({ length: 200 }, (_, i) => s.commit(model.apply([ins('a', { _id: i, k: i % 7, big: Long.fromNumber(i) })]))));
      const journalBefore = s.journalBytes();
      expect(journalBefore).to.be.greaterThan(0);

      const compacting = s.compact(model.snapshot());
      // Issued after the call: belongs to the new journal, not to the snapshot.
      const late = [
        s.commit(model.apply([{ op: 'delete', db: 'app', coll: 'a', id: 0 }])),
        s.commit(model.apply([ins('a', { _id: 'late' })])),
      ];
      expect(s.journalBytes()).to.equal(0);
      await Promise.all([compacting, ...late]);
      expect(readdirSync(dir).sort()).to.deep.equal(['journal-1.log', 'mongod.lock', 'snapshot-1.bson']);
      expect(s.journalBytes()).to.equal(statSync(path.join(dir, 'journal-1.log')).size);
      expect(s.diskBytes()).to.equal(s.journalBytes() + statSync(path.join(dir, 'snapshot-1.bson')).size);
      await s.close();

      let opened = await openStorage(dir);
      expect(opened.report.snapshotLoaded).to.equal(true);
      expect(opened.report.recordsReplayed).to.equal(2);
      expect(picture(opened.state)).to.deep.equal(picture(model.snapshot()));
      const a = [...opened.state.collections].find((c) => c.coll === 'a')!;
      expect([...a.docs][0].big).to.be.instanceOf(Long);

      // A second cycle from the reopened state.
      await opened.s.commit(model.apply([ins('empty', { _id: 1 })]));
      await opened.s.compact(model.snapshot());
      expect(journalFiles(dir)).to.deep.equal([]);
      expect(existsSync(path.join(dir, 'snapshot-1.bson'))).to.equal(false);
      await opened.s.commit(model.apply([ins('empty', { _id: 2 })]));
      await opened.s.close();
      opened = await openStorage(dir);
      expect(readdirSync(dir).sort()).to.deep.equal(['journal-2.log', 'mongod.lock', 'snapshot-2.bson']);
      expect(picture(opened.state)).to.deep.equal(picture(model.snapshot()));
      await opened.s.close();
    });

    it('back-to-back compactions run one after the other and leave only the newest files', async () => {
      const dir = tempDir();
      const model = new Model();
      const { s } = await openStorage(dir);
      for (let i = 0; i < 20; i++) await s.commit(model.apply([ins('c', { _id: i })]));
      const first = s.compact(model.snapshot());
      const mid = s.commit(model.apply([ins('c', { _id: 'mid' })]));
      const second = s.compact(model.snapshot());
      const last = s.commit(model.apply([{ op: 'delete', db: 'app', coll: 'c', id: 0 }]));
      await Promise.all([first, mid, second, last]);
      expect(readdirSync(dir).sort()).to.deep.equal(['journal-2.log', 'mongod.lock', 'snapshot-2.bson']);
      await s.close();
      const opened = await openStorage(dir);
      expect(opened.report.recordsReplayed).to.equal(1);
      expect(picture(opened.state)).to.deep.equal(picture(model.snapshot()));
      await opened.s.close();
    });

    it('a snapshot that fails to write leaves the previous state and the new journal in force', async () => {
      const dir = tempDir();
      const model = new Model();
      const { s } = await openStorage(dir);
      for (let i = 0; i < 5; i++) await s.commit(model.apply([ins('c', { _id: i })]));
      const failing: CatalogSnapshot = {
        collections: [{
          db: 'app', coll: 'c', options: {}, indexes: [],
          docs: (function* () { yield { _id: 0 }; throw new Error('iteration failed'); })(),
        }],
      };
      const compacting = s.compact(failing);
      const late = s.commit(model.apply([ins('c', { _id: 'late' })]));
      await compacting.then(() => expect.fail('compact must fail'), (e: Error) => expect(e.message).to.equal('iteration failed'));
      await late;
      expect(readdirSync(dir).filter((n) => n.startsWith('snapshot'))).to.deep.equal([]);
      expect(s.journalBytes()).to.equal(s.diskBytes());
      await s.close();
      const opened = await openStorage(dir);
      expect(picture(opened.state)).to.deep.equal(picture(model.snapshot()));
      await opened.s.close();
    });

    describe('crash in the middle of a compaction', () => {
      // Files of the two sides of a compaction: journal-0 (before), snapshot-1 and journal-1 (after).
      let before: string;
      let after: string;
      let stateBefore: Record<string, unknown>;
      let stateAfter: Record<string, unknown>;

      beforeEach(async () => {
        const dir = tempDir();
        const model = new Model();
        const { s } = await openStorage(dir);
        for (let i = 0; i < 50; i++) await s.commit(model.apply([ins('c', { _id: i, v: i })]));
        await s.close();
        stateBefore = picture(model.snapshot());
        before = tempDir();
        copyFileSync(path.join(dir, 'journal-0.log'), path.join(before, 'journal-0.log'));

        const { s: s2 } = await openStorage(dir);
        const compacting = s2.compact(model.snapshot());
        const late = [s2.commit(model.apply([ins('c', { _id: 'late' })])), s2.commit(model.apply([{ op: 'delete', db: 'app', coll: 'c', id: 1 }]))];
        await Promise.all([compacting, ...late]);
        await s2.close();
        stateAfter = picture(model.snapshot());
        after = dir;
      });

      function crashDir(files: Record<string, string | Buffer>): string {
        const d = tempDir();
        for (const [name, src] of Object.entries(files)) {
          if (typeof src === 'string') copyFileSync(src, path.join(d, name));
          else writeFileSync(path.join(d, name), src);
        }
        return d;
      }
      const snapshotBytes = () => readFileSync(path.join(after, 'snapshot-1.bson'));

      it('before the rename: the tmp snapshot is removed; old journal + new journal are replayed', async () => {
        const half = snapshotBytes().subarray(0, Math.floor(snapshotBytes().length / 2));
        const d = crashDir({
          'journal-0.log': path.join(before, 'journal-0.log'),
          'journal-1.log': path.join(after, 'journal-1.log'),
          'snapshot-1.bson.tmp': half,
        });
        const { s, state, report } = await openStorage(d);
        expect(report.snapshotLoaded).to.equal(false);
        expect(picture(state)).to.deep.equal(stateAfter);
        expect(existsSync(path.join(d, 'snapshot-1.bson.tmp'))).to.equal(false);
        await s.close();
      });

      it('before the rename, with no commit after the call: the state before the compaction', async () => {
        const d = crashDir({
          'journal-0.log': path.join(before, 'journal-0.log'),
          'snapshot-1.bson.tmp': snapshotBytes(),
        });
        const { s, state } = await openStorage(d);
        expect(picture(state)).to.deep.equal(stateBefore);
        await s.close();
      });

      it('an incomplete or corrupt snapshot-<gen>.bson is set aside and the previous state is used', async () => {
        const full = snapshotBytes();
        const flipped = Buffer.from(full);
        flipped[Math.floor(full.length / 2)] ^= 0x01;
        for (const bad of [full.subarray(0, full.length - 10), flipped]) {
          const d = crashDir({
            'journal-0.log': path.join(before, 'journal-0.log'),
            'journal-1.log': path.join(after, 'journal-1.log'),
            'snapshot-1.bson': bad,
          });
          const log = recordingLogger();
          const { s, state, report } = await openStorage(d, log);
          expect(report.snapshotLoaded).to.equal(false);
          expect(picture(state)).to.deep.equal(stateAfter);
          expect(log.warnings.join('\n')).to.match(/snapshot-1\.bson is not usable/);
          expect(existsSync(path.join(d, 'snapshot-1.bson'))).to.equal(false);
          // The next compaction is not confused by the file set aside.
          await s.commit([ins('c', { _id: 'next' })]);
          await s.compact({ collections: [] });
          await s.close();
          const again = await openStorage(d);
          expect(again.report.snapshotLoaded).to.equal(true);
          expect(picture(again.state)).to.deep.equal({});
          await again.s.close();
        }
      });

      it('after the rename, before the old files are deleted: the new snapshot + new journal', async () => {
        const d = crashDir({
          'journal-0.log': path.join(before, 'journal-0.log'),
          'snapshot-1.bson': path.join(after, 'snapshot-1.bson'),
          'journal-1.log': path.join(after, 'journal-1.log'),
        });
        const { s, state, report } = await openStorage(d);
        expect(report.snapshotLoaded).to.equal(true);
        expect(report.recordsReplayed).to.equal(2);
        expect(picture(state)).to.deep.equal(stateAfter);
        expect(journalFiles(d)).to.deep.equal(['journal-1.log']);
        await s.close();
      });
    });
  });

  // A guard against a pathological (quadratic) open, not a speed measure (bench/ measures that): the
  // bound is the title's 5 s, which a shared machine under load still meets (3.3 s was seen with a
  // browser and two app processes beside the test run).
  it('opens 100,000 small documents well under 5 s, from the journal and from a snapshot', async () => {
    const dir = tempDir();
    const model = new Model();
    const { s } = await openStorage(dir);
    for (let b = 0; b < 10; b++) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => {
        const ops = Array.from({ length: 1000 }, (_, i) => {
          const n = (b * 10 + j) * 1000 + i;
          return ins('many', { _id: new ObjectId(), n, name: `user ${n}`, tags: ['a', 'b'], active: n % 2 === 0 });
        });
        return s.commit(model.apply(ops));
      }));
    }
    await s.close();

    let opened = await openStorage(dir);
    expect(opened.report.durationMs).to.be.below(5000);
    expect([...[...opened.state.collections][0].docs]).to.have.length(100_000);
    await opened.s.compact(model.snapshot());
    await opened.s.close();

    opened = await openStorage(dir);
    expect(opened.report.snapshotLoaded).to.equal(true);
    expect(opened.report.durationMs).to.be.below(5000);
    expect([...[...opened.state.collections][0].docs]).to.have.length(100_000);
    await opened.s.close();
  });

  describe('data directory lock', () => {
    it('refuses a second opener in the same process', async () => {
      const dir = tempDir();
      const { s } = await openStorage(dir);
      const err = await new FileStorage(dir).open().then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(DbPathLockedError);
      expect((err as DbPathLockedError).code).to.equal('DBPATH_LOCKED');
      await s.close();
      const { s: s2 } = await openStorage(dir);
      await s2.close();
    });

    it('refuses a second opener in another process, and the other way round', async () => {
      const dir = tempDir();
      const { s } = await openStorage(dir);
      const other = child(`
        const { FileStorage } = await import(${JSON.stringify(FILE_STORAGE_URL)});
        try { await new FileStorage(${JSON.stringify(dir)}).open(); console.log('OPENED'); }
        catch (e) { console.log(e.code + ' ' + e.message); }
      `);
      const io = collect(other);
      expect(await io.exited, io.err()).to.equal(0);
      expect(io.out()).to.match(new RegExp(`^DBPATH_LOCKED .*in use by process ${process.pid}`));
      await s.close();

      // Now the child holds it.
      const holder = child(`
        const { FileStorage } = await import(${JSON.stringify(FILE_STORAGE_URL)});
        await new FileStorage(${JSON.stringify(dir)}).open();
        console.log('READY');
        process.stdin.resume();
      `);
      const hio = collect(holder);
      try {
        await waitFor(() => hio.out().includes('READY'), 15_000, `child to open (${hio.err()})`);
        const err = await new FileStorage(dir).open().then(() => null, (e: unknown) => e);
        expect((err as DbPathLockedError).code).to.equal('DBPATH_LOCKED');
        expect((err as Error).message).to.include(`process ${holder.pid}`);
      } finally {
        holder.kill('SIGKILL');
        await hio.exited;
      }
      // Its owner died without closing: the lock is stale and is taken over.
      expect(readFileSync(path.join(dir, 'mongod.lock'), 'utf8').trim()).to.equal(String(holder.pid));
      const log = recordingLogger();
      const { s: s2 } = await openStorage(dir, log);
      expect(readFileSync(path.join(dir, 'mongod.lock'), 'utf8').trim()).to.equal(String(process.pid));
      expect(log.warnings.join('\n')).to.match(/stale lock/);
      await s2.close();
      expect(existsSync(path.join(dir, 'mongod.lock'))).to.equal(false);
    });

    it('keeps the lock while its owner runs even when nothing references the storage (garbage collection)', async () => {
      const dir = tempDir();
      // The owner drops its storage object and collects garbage: an unreferenced FileHandle is
      // closed by the collector, which used to drop the OS lock (CI s39 flake).
      const holder = child(
        `
        const { FileStorage } = await import(${JSON.stringify(FILE_STORAGE_URL)});
        await new FileStorage(${JSON.stringify(dir)}).open();
        for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); }
        console.log('READY');
        process.stdin.resume();
      `,
        ['--expose-gc'],
      );
      const hio = collect(holder);
      try {
        await waitFor(() => hio.out().includes('READY'), 15_000, `child to open (${hio.err()})`);
        const err = await new FileStorage(dir).open().then(() => null, (e: unknown) => e);
        expect(err, hio.err()).to.be.instanceOf(DbPathLockedError);
        expect((err as Error).message).to.include(`process ${holder.pid}`);
      } finally {
        holder.kill('SIGKILL');
        await hio.exited;
      }
    });

    it('takes over a lock file left by a dead process', async () => {
      const dir = tempDir();
      const dead = spawn(process.execPath, ['-e', '']);
      await new Promise((r) => dead.on('exit', r));
      writeFileSync(path.join(dir, 'mongod.lock'), `${dead.pid}\n`);
      const { s } = await openStorage(dir);
      expect(readFileSync(path.join(dir, 'mongod.lock'), 'utf8').trim()).to.equal(String(process.pid));
      await s.close();
    });
  });

  it('kill -9 while committing (and compacting): every acknowledged record survives, the state is a prefix', async function () {
    this.timeout(120_000);
    const dir = tempDir();
    // The child inserts seq 0, 1, 2, ... with 8 commits in flight, prints each seq once acknowledged,
    // and compacts every 300 commits with the documents committed so far.
    const script = `
      const { FileStorage } = await import(${JSON.stringify(FILE_STORAGE_URL)});
      const s = new FileStorage(${JSON.stringify(dir)}, { logger: { info() {}, warn() {} } });
      const { state } = await s.open();
      const docs = [];
      for (const c of state.collections) for (const d of c.docs) docs.push(d);
      let seq = docs.length;
      const pad = 'p'.repeat(200);
      const one = async () => {
        for (;;) {
          const n = seq++;
          const doc = { _id: n, seq: n, pad };
          docs.push(doc);
          const p = s.commit([{ op: 'insert', db: 't', coll: 'c', doc }]);
          if (n % 300 === 299) {
            s.compact({ collections: [{ db: 't', coll: 'c', options: {}, indexes: [], docs: docs.slice() }] }).catch(() => {});
          }
          await p;
          process.stdout.write(n + '\\n');
        }
      };
      for (let i = 0; i < 8; i++) one();
    `;
    let totalAcked = 0;
    let snapshotSeen = false;
    for (let round = 0; round < 3; round++) {
      const p = child(script);
      const io = collect(p);
      const target = totalAcked + 700 + round * 300;
      await waitFor(() => io.out().split('\n').length > target - totalAcked, 30_000, `acks (round ${round}; ${io.err()})`);
      p.kill('SIGKILL');
      await io.exited;
      // Only complete lines: the last one may have been cut by the kill.
      const lines = io.out().split('\n');
      lines.pop();
      const acked = lines.map(Number);
      expect(acked.length).to.be.greaterThan(0);

      const { s, state, report } = await openStorage(dir);
      const colls = [...state.collections];
      expect(colls).to.have.length(1);
      const seqs = [...colls[0].docs].map((d) => d.seq as number).sort((a, b) => a - b);
      // A prefix of the commit order: exactly 0..k-1.
      seqs.forEach((v, i) => expect(v).to.equal(i));
      const present = new Set(seqs);
      for (const a of acked) expect(present.has(a), `acknowledged ${a} lost (round ${round}, torn ${report.tornTailBytes})`).to.equal(true);
      totalAcked = seqs.length;
      snapshotSeen ||= report.snapshotLoaded;
      await s.close();
    }
    expect(totalAcked).to.be.greaterThan(1500);
    expect(snapshotSeen, 'the child compacted at least once').to.equal(true);
  });
});
