// A/B of the upload path of two checkouts, upload by upload: on this shared 2-core VM one run of
// bench/upload.ts against the next moved by a factor of two or more (other work comes and goes), so
// two separate runs tell little about a change of 10-30 %. Here both apps run at once (each in a
// process of its own, with an embedded database server of its own, both from that checkout), and the
// same 20 MB PDF goes to A and to B in alternation (A B, then B A), each upload followed by a
// direct write of the same bytes, as in bench/upload.ts. Prints per side the median time of an
// upload and the median of its ratio to the direct write next to it, the CPU time its app and
// database processes used per upload (steadier than the times when the machine is busy: then what
// an upload costs in CPU decides), and the median of B's time over A's in the same round. The
// direct write runs in this process, not the app's: its ratios are not bench/upload.ts's.
//
//   node --import tsx bench/upload-ab.ts --a-root /work/main --b-root /tmp/wt-x [--storage disk|gridfs] [--rounds 20]
//
// No memory figure here: bench/upload.ts checks the RSS bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { makePdf } from '../test/documents/support.ts';
import { freePort } from '../scripts/support/free-port.ts';
import { waitForPort } from '../scripts/support/wait-for-port.ts';
import { cpuSeconds } from '../scripts/support/process-tree.ts';
import { startClient, type UploadClient } from './support/upload-client.ts';

const here = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { 'a-root': { type: 'string', default: here }, 'b-root': { type: 'string', default: here }, storage: { type: 'string', default: 'disk' }, rounds: { type: 'string', default: '20' }, 'warm-ups': { type: 'string', default: '3' } } });
const storage = values.storage as 'disk' | 'gridfs';
const rounds = Number(values.rounds);
const SIZE = 20_000_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};


interface Side {
  name: string;
  child: ChildProcess;
  db: ChildProcess;
  cpu: number;
  dbCpu: number;
  client: UploadClient;
  seconds: number[];
  ratios: number[];
}

/** Every database server started, stopped at the end whatever happened. */
const databases: ChildProcess[] = [];

/** The embedded server of the checkout at `root`: a change to the database is part of what is compared. */
async function startDatabase(root: string): Promise<{ db: ChildProcess; port: number }> {
  const port = await freePort();
  const db = spawn(process.execPath, ['--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', String(port), '--in-memory', '--no-auth'], { cwd: path.resolve(root), stdio: 'ignore' });
  databases.push(db);
  await waitForPort(port, { what: 'database' });
  return { db, port };
}

async function startSide(name: string, root: string, work: string, file: string): Promise<Side> {
  const { db, port } = await startDatabase(root);
  const uri = `mongodb://127.0.0.1:${port}/bench_ab`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'bench/support/upload-ab-server.ts'), path.resolve(root), storage, uri, work], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
  if (line.done) throw new Error(`${name}: the app ended before it served`);
  const { url, cookie, token } = JSON.parse(line.value as string) as { url: string; cookie: string; token: string };
  const client = await startClient(url, cookie, token, 'recommendation_letter', file, Number(values['warm-ups']));
  return { name, child, db, cpu: 0, dbCpu: 0, client, seconds: [], ratios: [] };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'bench-upload-ab-'));
  const sides: Side[] = [];
  try {
    const file = path.join(work, 'bench.pdf');
    await writeFile(file, await makePdf('Benchmark', { padTo: SIZE }));
    const size = (await stat(file)).size;
    sides.push(await startSide('A', values['a-root']!, path.join(work, 'a'), file));
    sides.push(await startSide('B', values['b-root']!, path.join(work, 'b'), file));
    const used = (s: Side) => cpuSeconds(s.child.pid!) + cpuSeconds(s.db.pid!);
    const direct = async (): Promise<number> => {
      const t = process.hrtime.bigint();
      await pipeline(createReadStream(file), createWriteStream(path.join(work, 'direct.pdf')));
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    const bOverA: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const cpu0 = used(side);
        const db0 = cpuSeconds(side.db.pid!);
        const r = await side.client.upload();
        side.cpu += used(side) - cpu0;
        side.dbCpu += cpuSeconds(side.db.pid!) - db0;
        if (r.status !== 201) throw new Error(`${side.name}: upload answered ${r.status}`);
        const d = await direct();
        side.seconds.push(r.seconds);
        side.ratios.push(d / r.seconds);
      }
      bOverA.push(sides[1]!.seconds[i]! / sides[0]!.seconds[i]!);
    }
    console.log(`upload A/B: ${rounds} rounds × ${(size / 1048576).toFixed(1)} MB PDF, storage=${storage}`);
    for (const s of sides) {
      console.log(`  ${s.name} (${s.name === 'A' ? values['a-root'] : values['b-root']}): median ${(median(s.seconds) * 1000).toFixed(0)} ms an upload, ${(size / 1048576 / median(s.seconds)).toFixed(0)} MB/s; ratio to the direct write beside it: median ${median(s.ratios).toFixed(2)}; CPU (app + database) ${((s.cpu / rounds) * 1000).toFixed(0)} ms an upload (database ${((s.dbCpu / rounds) * 1000).toFixed(0)})`);
    }
    console.log(`  B/A time, same round: median ${median(bOverA).toFixed(2)} (below 1: B faster)`);
  } finally {
    for (const s of sides) {
      s.client.close();
      s.child.stdin?.end();
    }
    await Promise.all(sides.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once('exit', r)))));
    for (const db of databases) db.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
