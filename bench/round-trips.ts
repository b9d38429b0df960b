// Database round trips per page: the server's web thread is started on the benchmark data, each
// benchmark page is loaded 20 times one after another, and the write system calls of the web thread
// are counted (/proc/<pid>/task/<pid>/io, syscw). Each database command is one write on its
// socket, and on this machine each cost about 100 µs of the web thread under load, besides the
// driver's own work; the rest are the answer itself and the access log when it is flushed.
//   node --import tsx bench/round-trips.ts [data dir, default data/bench-100000]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ACCOUNTS_FILE, type BenchAccounts } from '../scripts/seed-bench.ts';
import { benchTargets, startAppServer, stopAppServer } from './support/app-server.ts';

const dataDir = path.resolve(process.argv[2] ?? 'data/bench-100000');
const accounts = JSON.parse(readFileSync(path.join(dataDir, ACCOUNTS_FILE), 'utf8')) as BenchAccounts;
const srv = await startAppServer({ dataDir });
try {
  // After the start-time jobs: their reads (minutes of them at 100,000 cases) would be counted as the pages'.
  await srv.settled;
  await srv.jobsDone;
  const targets = await benchTargets(srv.base, accounts);
  const pid = srv.child.pid!;
  const calls = () => {
    const io = readFileSync(`/proc/${pid}/task/${pid}/io`, 'utf8');
    return { writes: Number(/syscw: (\d+)/.exec(io)![1]), reads: Number(/syscr: (\d+)/.exec(io)![1]) };
  };
  const n = 20;
  console.log(`write / read system calls of the web thread per page (${n} loads each, one at a time)`);
  for (const [name, [url, cookie]] of Object.entries(targets)) {
    const before = calls();
    for (let i = 0; i < n; i++) await (await fetch(srv.base + url, { headers: { cookie, accept: 'text/html' } })).arrayBuffer();
    const after = calls();
    console.log(`  ${name.padEnd(10)} writes ${((after.writes - before.writes) / n).toFixed(1).padStart(5)}   reads ${((after.reads - before.reads) / n).toFixed(1).padStart(5)}`);
  }
} finally {
  await stopAppServer(srv.child);
}
