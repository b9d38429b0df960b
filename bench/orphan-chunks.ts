// What one run of the GridFS orphan-chunk sweep costs on a large bucket (server/documents/storage.ts
// removeOrphanChunks): the whole bucket (distinct files_id over every chunk, as the start-up sweep
// reads it) against the running app's window (the uploads begun in the last hour and a minute before
// the grace, an index range on files_id: server/documents/orphan-chunks.ts), in alternation, against
// the embedded server in a child process. Chunks carry a few bytes, not 1 MB: the reads' cost is in
// the number of chunk documents, and the bucket fits in memory.
//
//   node --import tsx bench/orphan-chunks.ts [--files 100000] [--chunks 4] [--recent 60] [--rounds 5]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MongoClient, ObjectId } from 'mongodb';
import { freePort } from '../scripts/support/free-port.ts';
import { waitForPort } from '../scripts/support/wait-for-port.ts';
import { GridFsStorage } from '../server/documents/storage.ts';

const { values } = parseArgs({ options: { files: { type: 'string', default: '100000' }, chunks: { type: 'string', default: '4' }, recent: { type: 'string', default: '60' }, rounds: { type: 'string', default: '5' } } });
const FILES = Number(values.files);
const CHUNKS = Number(values.chunks);
const RECENT = Number(values.recent);
const GRACE_MS = 15 * 60_000;

/** An id whose time is `ms` (random after it, as a real one is unique). */
function idAt(ms: number): ObjectId {
  const b = randomBytes(12);
  b.writeUInt32BE(Math.floor(ms / 1000), 0);
  return new ObjectId(b);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', String(port), '--in-memory', '--no-auth'], { stdio: 'ignore' });
  try {
    await waitForPort(port, { what: 'database' });
    const client = await MongoClient.connect(`mongodb://127.0.0.1:${port}/orphan_bench`);
    const db = client.db();
    await db.collection('documents.chunks').createIndex({ files_id: 1, n: 1 }, { unique: true });
    await db.collection('documents.files').createIndex({ filename: 1, uploadDate: 1 });
    const now = Date.now();
    const data = Buffer.alloc(16, 7);
    // Two years of stored files, then RECENT stored in the last two hours (the window's), and one orphan in the window.
    const times = [...Array.from({ length: FILES }, () => now - 2 * 3600_000 - Math.random() * 730 * 86_400_000), ...Array.from({ length: RECENT }, () => now - Math.random() * 2 * 3600_000)];
    const t0 = performance.now();
    for (let i = 0; i < times.length; i += 5000) {
      const files = times.slice(i, i + 5000).map((t) => ({ _id: idAt(t), length: CHUNKS * 16, chunkSize: 16, uploadDate: new Date(t), filename: randomBytes(16).toString('hex') }));
      await db.collection('documents.files').insertMany(files, { ordered: false });
      await db.collection('documents.chunks').insertMany(files.flatMap((f) => Array.from({ length: CHUNKS }, (_, n) => ({ files_id: f._id, n, data }))), { ordered: false });
    }
    console.log(`seeded ${times.length} files, ${times.length * CHUNKS} chunks in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const store = new GridFsStorage(() => db);
    const whole: number[] = [];
    const windowed: number[] = [];
    const removed: number[] = [];
    for (let r = 0; r < Number(values.rounds); r++) {
      // An orphan in the window each round (an upload cut short 30 minutes ago): both reads must find it.
      const orphan = idAt(Date.now() - 30 * 60_000);
      await db.collection('documents.chunks').insertMany(Array.from({ length: CHUNKS }, (_, n) => ({ files_id: orphan, n, data })));
      const before = new Date(Date.now() - GRACE_MS);
      const since = new Date(before.getTime() - 3600_000 - 60_000);
      const ways: Array<[number[], () => Promise<{ chunks: number }>]> = [
        [whole, () => store.removeOrphanChunks(before)],
        [windowed, () => store.removeOrphanChunks(before, since)],
      ];
      for (const [out, way] of r % 2 ? ways.reverse() : ways) {
        const s = performance.now();
        const res = await way();
        out.push(performance.now() - s);
        removed.push(res.chunks);
      }
    }
    console.log(`whole bucket (start-up sweep): median ${median(whole).toFixed(1)} ms [${whole.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`window of an hour (running sweep): median ${median(windowed).toFixed(1)} ms [${windowed.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`chunks removed by the first way each round: ${removed.filter((_, i) => i % 2 === 0).join(', ')}`);
    await client.close();
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
