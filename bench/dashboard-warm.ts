// What a leader waits for on the dashboard after a start and across the minute's recomputation,
// for one checkout (run it for two to compare: the same data set, one after the other).
//
//   node --import tsx bench/dashboard-warm.ts [--root /tmp/other-checkout] [--data-dir data/bench-100000] [--duration 75] [--connections 4]
//
// 1. Starts the checkout's server on the seeded data set; waits for its idle-time build and the
//    first run of its start-time jobs (the checkout's own list: --jobs, default bench START_JOBS).
// 2. Signs the benchmark leader in and times the first view of /dashboard (the cold view), then
//    five views one at a time (warm).
// 3. Loads /dashboard for --duration seconds (longer than a minute, so the minute's recomputation
//    lands inside) and, for the baseline of the same run, the bare page for the same time: p50, p99
//    and the slowest response of each.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ACCOUNTS_FILE, type BenchAccounts } from '../scripts/seed-bench.ts';
import { START_JOBS, autocannonLoad, runBenchmark, signIn, startAppServer, stopAppServer, timedGet } from './support/app-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    'data-dir': { type: 'string', default: 'data/bench-100000' },
    duration: { type: 'string', default: '75' },
    connections: { type: 'string', default: '4' },
    jobs: { type: 'string' },
  },
});
const dataDir = path.resolve(root, values['data-dir']!);
const accounts = JSON.parse(readFileSync(path.join(dataDir, ACCOUNTS_FILE), 'utf8')) as BenchAccounts;
const log = (s: string) => process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  const checkout = values.root ? path.resolve(values.root) : root;
  const jobs = values.jobs ? values.jobs.split(',') : START_JOBS;
  const srv = await startAppServer({ dataDir, root: checkout, jobs });
  try {
    log(`${checkout}: ready in ${srv.readyMs.toFixed(0)} ms`);
    const leader = await signIn(srv.base, accounts.leader.email, accounts.password, accounts.leader.totpSecret);
    log(`  idle-time build done at ${(await srv.settled).toFixed(0)} ms; start-time jobs (${jobs.length}) done at ${(await srv.jobsDone).toFixed(0)} ms`);
    const cold = await timedGet(srv.base, '/dashboard', leader);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push(await timedGet(srv.base, '/dashboard', leader));
    warm.sort((a, b) => a - b);
    log(`  first view of /dashboard: ${cold.toFixed(0)} ms; next five: median ${warm[2]!.toFixed(0)} ms, max ${warm[4]!.toFixed(0)} ms`);
    const duration = Number(values.duration);
    const connections = Number(values.connections);
    for (const [name, url] of [['bare page (GET /)', '/'], ['dashboard (leader)', '/dashboard']] as const) {
      const row = await autocannonLoad({ name, base: srv.base, url, cookie: leader, connections, duration });
      log(`  ${name.padEnd(20)} ${duration} s × ${connections}: ${row.requests} requests, p50 ${row.p50.toFixed(1)}  p99 ${row.p99.toFixed(1)}  max ${row.max.toFixed(0)} ms  non-200 ${row.bad}`);
    }
  } finally {
    await stopAppServer(srv.child);
  }
}

runBenchmark(main);
