// Crash recovery of the embedded server, end to end: the server runs in a child process on a real
// data directory, 16 driver clients write and record what was acknowledged, the child is killed
// with SIGKILL mid-stream and restarted on the same directory. Embedded-only by nature.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MongoClient, type Document } from 'mongodb';
import { startEmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import type { AnyDoc } from './conformance-support.ts';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/embedded-server.ts');

interface Child {
  proc: ChildProcess;
  port: number;
  /** Every JSON line the child printed so far. */
  lines: Document[];
  exited: Promise<number | null>;
}

function startChild(dbPath: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dbPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Document[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child server did not start within 20 s')), 20_000);
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      let msg: Document;
      try {
        msg = JSON.parse(l) as Document;
      } catch {
        return;
      }
      lines.push(msg);
      if (typeof msg.port === 'number') {
        clearTimeout(timer);
        resolve({ proc, port: msg.port, lines, exited });
      } else if (msg.error) {
        clearTimeout(timer);
        reject(Object.assign(new Error(String(msg.error)), { code: msg.code }));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code} before listening`));
    });
  });
}

async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  await c.exited;
}

const clientOptions = { retryWrites: false, retryReads: false, serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500, maxPoolSize: 2 };

describe('embedded-mongo recovery (child process, SIGKILL)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const children: Child[] = [];
  const tempDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'emb-recovery-'));
    dirs.push(d);
    return d;
  };
  const child = async (dbPath: string) => {
    const c = await startChild(dbPath);
    children.push(c);
    return c;
  };

  after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every acknowledged write and no half-applied batch after SIGKILL during 16 writers', async () => {
    const dbPath = tempDir();
    const first = await child(dbPath);
    const uri = `mongodb://127.0.0.1:${first.port}/crash`;
    const setup = new MongoClient(uri, clientOptions);
    await setup.connect();
    await setup.db().collection<AnyDoc>('counters').insertMany(Array.from({ length: 16 }, (_, k) => ({ _id: `k${k}`, n: 0 })));
    await setup.close();

    const ackedInserts = new Set<string>();
    const ackedBatches = new Set<string>();
    const ackedIncs = new Array<number>(16).fill(0);
    const attemptedIncs = new Array<number>(16).fill(0);
    let stopWriting = false;
    const clients = await Promise.all(Array.from({ length: 16 }, async () => {
      const c = new MongoClient(uri, clientOptions);
      await c.connect();
      return c;
    }));

    const writer = async (k: number) => {
      const db = clients[k]!.db();
      for (let seq = 0; !stopWriting; seq++) {
        try {
          const id = `c${k}-${seq}`;
          await db.collection<AnyDoc>('seq').insertOne({ _id: id, k, seq, pad: 'x'.repeat(200) });
          ackedInserts.add(id);
          attemptedIncs[k]!++;
          await db.collection<AnyDoc>('counters').updateOne({ _id: `k${k}` }, { $inc: { n: 1 } });
          ackedIncs[k]!++;
          if (seq % 3 === 0) {
            const batch = `b${k}-${seq}`;
            await db.collection<AnyDoc>('batches').insertMany(Array.from({ length: 5 }, (_, j) => ({ _id: `${batch}-${j}`, batch, j })));
            ackedBatches.add(batch);
          }
        } catch {
          return; // the server is gone: nothing after this point was acknowledged
        }
      }
    };
    const writing = Promise.all(Array.from({ length: 16 }, (_, k) => writer(k)));
    // let the writers get going, then pull the plug while they are mid-stream
    const started = Date.now();
    while (ackedInserts.size < 1500 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
    first.proc.kill('SIGKILL');
    await first.exited;
    await writing;
    stopWriting = true;
    await Promise.all(clients.map((c) => c.close(true).catch(() => {})));
    expect(ackedInserts.size).to.be.greaterThan(100);

    const second = await child(dbPath);
    const check = new MongoClient(`mongodb://127.0.0.1:${second.port}/crash`, clientOptions);
    await check.connect();
    try {
      const db = check.db();
      const seqIds = new Set((await db.collection<AnyDoc>('seq').find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
      const missing = [...ackedInserts].filter((id) => !seqIds.has(id));
      expect(missing, 'acknowledged inserts lost').to.deep.equal([]);
      // at most one unacknowledged insert per writer may have reached the journal before the kill
      expect(seqIds.size - ackedInserts.size).to.be.within(0, 16);

      const counters = await db.collection<AnyDoc>('counters').find().sort({ _id: 1 }).toArray();
      for (let k = 0; k < 16; k++) {
        const n = counters.find((c) => c._id === `k${k}`)!.n as number;
        expect(n, `counter k${k}`).to.be.within(ackedIncs[k]!, attemptedIncs[k]!);
      }

      const batches = await db.collection<AnyDoc>('batches').aggregate([{ $group: { _id: '$batch', n: { $sum: 1 } } }]).toArray();
      for (const b of batches) expect(b.n, `batch ${String(b._id)} is half-applied`).to.equal(5);
      const present = new Set(batches.map((b) => String(b._id)));
      expect([...ackedBatches].filter((b) => !present.has(b)), 'acknowledged batches lost').to.deep.equal([]);

      // the restarted server accepts writes again
      await db.collection<AnyDoc>('seq').insertOne({ _id: 'after-restart' });
      expect(await db.collection('seq').countDocuments({ _id: 'after-restart' } as Document)).to.equal(1);
    } finally {
      await check.close();
      await stopChild(second);
    }
  });

  it('cuts a torn journal tail at restart, reports it, and keeps the data', async () => {
    const dbPath = tempDir();
    const first = await child(dbPath);
    const c1 = new MongoClient(`mongodb://127.0.0.1:${first.port}/torn`, clientOptions);
    await c1.connect();
    await c1.db().collection<AnyDoc>('docs').insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, v: i * 2 })));
    await c1.db().collection<AnyDoc>('docs').updateOne({ _id: 7 }, { $set: { v: 'seven' } });
    await c1.close();
    await stopChild(first);

    const journals = readdirSync(dbPath).filter((f) => /^journal-\d+\.log$/.test(f)).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
    expect(journals.length).to.be.greaterThan(0);
    const journal = path.join(dbPath, journals[journals.length - 1]!);
    const before = statSync(journal).size;
    // a half-written record: a plausible length prefix followed by garbage
    const garbage = Buffer.alloc(37);
    garbage.writeUInt32LE(4096, 0);
    garbage.fill(0xab, 4);
    appendFileSync(journal, garbage);

    const second = await child(dbPath);
    const c2 = new MongoClient(`mongodb://127.0.0.1:${second.port}/torn`, clientOptions);
    await c2.connect();
    try {
      expect(await c2.db().collection('docs').countDocuments()).to.equal(100);
      expect(await c2.db().collection<AnyDoc>('docs').findOne({ _id: 7 })).to.deep.equal({ _id: 7, v: 'seven' });
      const loaded = second.lines.find((l) => l.msg === 'embedded-mongo: data loaded');
      expect(loaded, 'recovery report logged').to.not.equal(undefined);
      expect(loaded!.obj.tornTailBytes).to.equal(garbage.length);
      const warned = second.lines.filter((l) => l.level === 'warn').map((l) => String(l.obj));
      expect(warned.some((w) => /cut \d+ bytes/.test(w)), `warnings: ${warned.join(' | ')}`).to.equal(true);
      // the tail is gone from the file and new writes append after the cut
      await c2.db().collection<AnyDoc>('docs').insertOne({ _id: 'new' });
      expect(statSync(journal).size).to.be.greaterThan(before);
    } finally {
      await c2.close();
      await stopChild(second);
    }
    const third = await child(dbPath);
    const c3 = new MongoClient(`mongodb://127.0.0.1:${third.port}/torn`, clientOptions);
    await c3.connect();
    expect(await c3.db().collection('docs').countDocuments()).to.equal(101);
    const report = third.lines.find((l) => l.msg === 'embedded-mongo: data loaded');
    expect(report!.obj.tornTailBytes).to.equal(0);
    await c3.close();
    await stopChild(third);
  });

  it('refuses a second server on the same data directory (lock), in another process and in this one', async () => {
    const dbPath = tempDir();
    const owner = await child(dbPath);
    let err: (Error & { code?: string }) | undefined;
    try {
      await child(dbPath);
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err, 'second process started on a locked directory').to.not.equal(undefined);
    expect(err!.code).to.equal('DBPATH_LOCKED');
    let local: (Error & { code?: string }) | undefined;
    try {
      const s = await startEmbeddedMongo({ port: 0, dbPath });
      await s.stop();
    } catch (e) {
      local = e as Error & { code?: string };
    }
    expect(local?.code).to.equal('DBPATH_LOCKED');
    // the owner is unaffected
    const c = new MongoClient(`mongodb://127.0.0.1:${owner.port}/lock`, clientOptions);
    await c.connect();
    expect((await c.db().command({ ping: 1 })).ok).to.equal(1);
    await c.close();
    await stopChild(owner);
    // once the owner has stopped, the directory opens again
    const next = await child(dbPath);
    await stopChild(next);
  });
});
