// Crash recovery of the embedded server, end to end: the server runs in a child process on a real
// data directory, 16 driver clients write and record what was acknowledged, the child is killed
// with SIGKILL mid-stream and restarted on the same directory. Embedded-only by nature.
// The server requires authentication on a data directory: clients sign in with the credentials its
// first start wrote to <dbPath>/credentials.json.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
  /** The server's pid (the process spawned may be a shell that started it). */
  pid: number;
  /** A URI for database `db` that signs in. */
  uri(db: string): string;
  /** Every JSON line the child printed so far. */
  lines: Document[];
  exited: Promise<number | null>;
}

function signedInUri(dbPath: string, port: number, db: string): string {
  const c = JSON.parse(readFileSync(path.join(dbPath, 'credentials.json'), 'utf8')) as { username: string; password: string; authSource: string };
  return `mongodb://${encodeURIComponent(c.username)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/${db}?authSource=${c.authSource}`;
}

/**
 * Starts the server fixture in a child process. underSleep: as the child of a `sleep` that never
 * reaps it (`sh -c 'server & exec sleep'`), so once killed it stays a zombie, as under a
 * supervisor that restarts before it has reaped.
 */
function startChild(dbPath: string, opts: { underSleep?: boolean } = {}): Promise<Child> {
  const proc = opts.underSleep
    ? spawn('sh', ['-c', '"$0" --import tsx "$1" "$2" & exec sleep 600', process.execPath, FIXTURE, dbPath], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, ['--import', 'tsx', FIXTURE, dbPath], { stdio: ['ignore', 'pipe', 'inherit'] });
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
        const port = msg.port;
        resolve({ proc, port, pid: msg.pid as number, uri: (db) => signedInUri(dbPath, port, db), lines, exited });
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

function procState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
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
  const child = async (dbPath: string, opts: { underSleep?: boolean } = {}) => {
    const c = await startChild(dbPath, opts);
    children.push(c);
    return c;
  };

  after(async () => {
    for (const c of children) {
      if (c.pid !== c.proc.pid) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already dead
        }
      }
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every acknowledged write and no half-applied batch after SIGKILL during 16 writers', async () => {
    const dbPath = tempDir();
    const first = await child(dbPath);
    const uri = first.uri('crash');
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
    const check = new MongoClient(second.uri('crash'), clientOptions);
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

  it('SIGKILL then an immediate restart, 20 times in a row: each start opens (the killed server still an unreaped zombie) and finds every acknowledged write', async function () {
    this.timeout(300_000);
    const dbPath = tempDir();
    const acked: string[] = [];
    let killed: number | undefined;
    for (let round = 0; round <= 20; round++) {
      // started at once after the kill, without waiting for the killed process to be reaped
      const server = await child(dbPath, { underSleep: true });
      if (killed !== undefined) expect(procState(killed), `server killed in round ${round - 1} is a zombie`).to.equal('Z');
      const client = new MongoClient(server.uri('kill9'), { ...clientOptions, maxPoolSize: 4 });
      await client.connect();
      const coll = client.db().collection<AnyDoc>('acked');
      const present = new Set((await coll.find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
      const lost = acked.filter((id) => !present.has(id));
      expect(lost, `acknowledged writes lost after restart ${round}`).to.deep.equal([]);
      if (round === 20) {
        await client.close();
        // a clean stop at the end: the server exits and releases the lock
        process.kill(server.pid, 'SIGTERM');
        const t0 = Date.now();
        while (procState(server.pid) !== 'Z' && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
        expect(existsSync(path.join(dbPath, 'mongod.lock')), 'lock released at a clean stop').to.equal(false);
        break;
      }
      // 4 writers; the server is killed mid-stream once this round has some acknowledged writes
      const before = acked.length;
      const target = 20 + ((round * 37) % 120);
      const writer = async (k: number) => {
        for (let seq = 0; ; seq++) {
          const id = `r${round}-w${k}-${seq}`;
          try {
            await coll.insertOne({ _id: id, round, pad: 'x'.repeat(100) });
          } catch {
            return; // the server is gone: this write was not acknowledged
          }
          acked.push(id);
        }
      };
      const writing = Promise.all([0, 1, 2, 3].map(writer));
      const t0 = Date.now();
      while (acked.length - before < target && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 5));
      expect(acked.length - before, `writes acknowledged in round ${round}`).to.be.at.least(target);
      process.kill(server.pid, 'SIGKILL');
      killed = server.pid;
      await writing;
      await client.close(true).catch(() => {});
    }
    expect(acked.length).to.be.greaterThan(20 * 20);
  });

  it('cuts a torn journal tail at restart, reports it, and keeps the data', async () => {
    const dbPath = tempDir();
    const first = await child(dbPath);
    const c1 = new MongoClient(first.uri('torn'), clientOptions);
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
    const c2 = new MongoClient(second.uri('torn'), clientOptions);
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
    const c3 = new MongoClient(third.uri('torn'), clientOptions);
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
    const c = new MongoClient(owner.uri('lock'), clientOptions);
    await c.connect();
    expect((await c.db().command({ ping: 1 })).ok).to.equal(1);
    await c.close();
    await stopChild(owner);
    // once the owner has stopped, the directory opens again
    const next = await child(dbPath);
    await stopChild(next);
  });
});
