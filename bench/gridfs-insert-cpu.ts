// The app-side CPU of inserting one 20 MB file's GridFS chunks, by way of insertMany (the driver's
// document sequence) or of one `insert` command (db.command), in alternation, in this process alone
// against the embedded server in a child process: what the staging's inserts cost the web thread,
// without the rest of an upload (HTTP, multipart, hashing) and with less of the shared machine's noise
// than bench/upload-ab.ts. process.cpuUsage() of this process (user + system) per file.
//
//   node --import tsx bench/gridfs-insert-cpu.ts [--files 20] [--chunk-kb 1024] [--batch 2] [--in-flight 3]
// BENCH_DB_CPU_PROF=D writes the database's profile to D (as bench/upload.ts).
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { freePort } from '../scripts/support/free-port.ts';
import { waitForPort } from '../scripts/support/wait-for-port.ts';

const { values } = parseArgs({ options: { files: { type: 'string', default: '20' }, 'chunk-kb': { type: 'string', default: '1024' }, batch: { type: 'string', default: '2' }, 'in-flight': { type: 'string', default: '3' } } });
const FILE = 20_000_000;
const CHUNK = Number(values['chunk-kb']) * 1024;
const BATCH = Number(values.batch);
const IN_FLIGHT = Number(values['in-flight']);
type Doc = { _id: ObjectId; files_id: ObjectId; n: number; data: Buffer };
type Insert = (db: Db, docs: Doc[]) => Promise<unknown>;

const ways: Record<string, Insert> = {
  insertMany: (db, docs) => db.collection('documents.chunks').insertMany(docs, { ordered: true }),
  command: (db, docs) => db.command({ insert: 'documents.chunks', documents: docs, ordered: true }),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function oneFile(db: Db, insert: Insert, bufs: Buffer[]): Promise<void> {
  const id = new ObjectId();
  const inFlight = new Set<Promise<unknown>>();
  let n = 0;
  for (let off = 0; off < FILE; ) {
    const docs: Doc[] = [];
    for (let i = 0; i < BATCH && off < FILE; i++, off += CHUNK) {
      const buf = bufs[n % bufs.length]!;
      docs.push({ _id: new ObjectId(), files_id: id, n: n++, data: FILE - off >= CHUNK ? buf : buf.subarray(0, FILE - off) });
    }
    const p: Promise<unknown> = insert(db, docs).finally(() => inFlight.delete(p));
    inFlight.add(p);
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await db.collection('documents.chunks').deleteMany({ files_id: id });
}

async function main(): Promise<void> {
  const port = await freePort();
  const prof = process.env.BENCH_DB_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_DB_CPU_PROF] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', String(port), '--in-memory', '--no-auth'], { stdio: 'ignore' });
  try {
    await waitForPort(port, { what: 'database' });
    const client = await MongoClient.connect(`mongodb://127.0.0.1:${port}/gridfs_cpu`);
    const db = client.db();
    const bufs = Array.from({ length: BATCH * (IN_FLIGHT + 1) }, () => Buffer.alloc(CHUNK, 7));
    const cpu: Record<string, number[]> = { insertMany: [], command: [] };
    const wall: Record<string, number[]> = { insertMany: [], command: [] };
    for (let i = 0; i < 3; i++) for (const w of Object.values(ways)) await oneFile(db, w, bufs);
    for (let i = 0; i < Number(values.files); i++) {
      for (const [name, w] of i % 2 ? Object.entries(ways).reverse() : Object.entries(ways)) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await oneFile(db, w, bufs);
        wall[name]!.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[name]!.push((c.user + c.system) / 1000);
      }
    }
    console.log(`20 MB in ${CHUNK / 1024} kB chunks, ${BATCH} a command, ${IN_FLIGHT} in flight, ${values.files} files each way (alternating)`);
    for (const name of Object.keys(ways)) console.log(`  ${name}: CPU median ${median(cpu[name]!).toFixed(1)} ms a file, time median ${median(wall[name]!).toFixed(1)} ms`);
    await client.close();
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
