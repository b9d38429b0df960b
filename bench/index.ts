// Every benchmark in one run, on one seeded data set: `npm run bench` (100,000 cases) or
// `npm run bench -- --quick` (10,000 cases, under 3 minutes).
//
//   npm run bench -- [--quick] [--cases N] [--duration S] [--connections 10] [--data-dir data/bench-N]
//   npm run bench -- --targets queue,case --cpu-prof   (profiling: those pages only, a .cpuprofile per thread in data/profiles)
//
// 1. Seeds data/bench-<N> with scripts/seed-bench.ts when it holds no benchmark accounts (half of
//    the cases in institute 0, the benchmarked HR officer's institute).
// 2. Times npm start's build step (scripts/build.mjs, its prestart), then starts the real server
//    (`dist/server/main.js` as `npm start` runs it, production mode, embedded database) on an
//    empty data directory (the baseline) and on the seeded one, each timed from process start to
//    `/readyz` 200; prints the seeded server's RSS once ready (/proc/<pid>/status VmRSS: the
//    embedded database runs on a worker thread of that process).
// 3. Waits for the database's idle-time decoding and index builds and for the first run of the jobs
//    every start runs (planner, reminders, escalation, retention: bench/support/app-server.ts
//    START_JOBS), printing both times, so that pages are measured in the steady state; then 10 s
//    with no traffic, and the server's RSS.
//    Signs an HR officer of institute 0 and a leader in through the real forms and runs autocannon
//    (--connections, --duration s per target) against: the bare page (GET /, signed in), the HR
//    queue (50 rows, default sort), a case page, the queue search (`/cases?q=…`), the dashboard and
//    the 2,000-case shortlist. p95 from every response time; the queue's throughput over the bare
//    page's; each target's line ends with the server's minor page faults per request, of the web
//    thread + of its other threads (a fault cost ~13 µs on this machine: bench/support/app-server.ts
//    minorFaults). Then the server's RSS after the run and 10 s later, and the highest RSS sampled each second since start.
// 4. bench/upload.ts on disk and on GridFS (upload throughput over a direct write of the same bytes)
//    and bench/embedded-mongo.ts (durable inserts/s, indexed findOne p99) on 50,000 documents of its
//    own (20,000 with --quick).
// 5. Prints the table (figure, baseline measured in this run, ratio, target) and, as its last line,
//    one JSON object with the figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seedIfNeeded } from './support/seed.ts';
import { autocannonLoad, benchTargets, minorFaults, rssMb, runBenchmark, startAppServer, stopAppServer, type AppServer, type LoadRow, type Target } from './support/app-server.ts';
import { buildServer } from '../scripts/support/start-flags.ts';


const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '10' },
    'data-dir': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    /** For profiling: only these HTTP targets (comma-separated: queue,case,search,dashboard,shortlist), no uploads or database figures, no table. */
    targets: { type: 'string' },
  },
});
const quick = values.quick!;
const cases = Number(values.cases ?? (quick ? 10_000 : 100_000));
const duration = Number(values.duration ?? (quick ? 5 : 15));
const connections = Number(values.connections);
const dataDir = path.resolve(root, values['data-dir'] ?? `data/bench-${cases}`);
const log = (s: string) => process.stdout.write(`${s}\n`);

const baseEnv: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'warn' };
delete baseEnv.MONGODB_URI;


async function startServer(dir: string, prof = false): Promise<AppServer> {
  return startAppServer({ dataDir: dir, cpuProfDir: prof ? path.join(root, 'data/profiles') : undefined });
}

const stopServer = stopAppServer;

type Load = LoadRow;

/** One target under load; its line ends with the server's page faults per request (web thread / the others). */
async function load(name: string, srv: AppServer, url: string, cookie: string): Promise<Load> {
  const pid = srv.child.pid!;
  const before = minorFaults(pid);
  const row = await autocannonLoad({ name, base: srv.base, url, cookie, connections, duration });
  const after = minorFaults(pid);
  const perRequest = (n: number) => (n / Math.max(1, row.requests)).toFixed(1);
  log(`  ${name.padEnd(36)} ${row.rps.toFixed(0).padStart(6)} req/s  p50 ${row.p50.toFixed(1).padStart(6)}  p95 ${row.p95.toFixed(1).padStart(6)}  p99 ${row.p99.toFixed(1).padStart(6)} ms  non-200 ${row.bad}  faults/req ${perRequest(after.web - before.web)} + ${perRequest(after.others - before.others)}`);
  return row;
}

function runChild(args: string[], env: Record<string, string | undefined> = {}): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: { ...baseEnv, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface Upload {
  ratio: number;
  appMbps: number;
  directMbps: number;
}

function upload(storage: 'disk' | 'gridfs', n: number): Upload {
  const out = runChild(['bench/upload.ts', String(n), storage]);
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const r = { ratio: num(/ratio app\/direct: ([\d.]+)/), appMbps: num(/through the app: [\d.]+ s, ([\d.]+) MB\/s/), directMbps: num(/direct fs streams: [\d.]+ s, ([\d.]+) MB\/s/) };
  const cpu = /CPU per upload: (.*)/.exec(out)?.[1];
  log(`  upload (${storage}): app ${r.appMbps} MB/s, direct ${r.directMbps} MB/s, ratio ${r.ratio}${cpu ? `; CPU per upload: ${cpu}` : ''}`);
  return r;
}

/** NaN after `ms`, on a timer that does not keep the process alive (it kept `--quick` running 3 minutes after its table). */
function giveUpAfter(ms: number): Promise<number> {
  return new Promise<number>((r) => setTimeout(() => r(NaN), ms).unref());
}

async function main(): Promise<void> {
  const started = Date.now();
  const accounts = seedIfNeeded({ root, dataDir, cases, env: baseEnv });
  log(`\n${accounts.cases} cases in ${dataDir}; autocannon ${connections} connections, ${duration} s per target`);

  // npm start's prestart step, timed; the servers below run what it wrote (without building again).
  const b0 = performance.now();
  const built = buildServer(root);
  const buildMs = performance.now() - b0;
  log(`  npm start's build (prestart): ${buildMs.toFixed(0)} ms (${built})`);

  // Baseline start: the same app on an empty data directory.
  const empty = mkdtempSync(path.join(tmpdir(), 'bench-empty-'));
  const blank = await startServer(empty);
  await stopServer(blank.child);
  rmSync(empty, { recursive: true, force: true });
  log(`  start → /readyz 200, empty data:          ${blank.readyMs.toFixed(0)} ms`);

  const srv = await startServer(dataDir, values['cpu-prof']);
  const pid = srv.child.pid!;
  const rssLoaded = rssMb(pid);
  log(`  start → /readyz 200, ${accounts.cases} cases:        ${srv.readyMs.toFixed(0)} ms (RSS ${rssLoaded.toFixed(0)} MB once ready)`);

  // The highest RSS seen, sampled each second from start to stop (the start-time jobs' peak included).
  // `phase` names what the server was doing, so the peak says where memory is to be won.
  let rssPeak = rssLoaded;
  let phase = 'start-up: idle-time build and start-time jobs';
  let peakPhase = phase;
  const sampler = setInterval(() => {
    try {
      const rss = rssMb(pid);
      if (rss > rssPeak) {
        rssPeak = rss;
        peakPhase = phase;
      }
    } catch {
      // the server is stopping
    }
  }, 1000);
  const rows: Load[] = [];
  let rssAfter = NaN;
  let rssIdle = NaN;
  let rssSettled = NaN;
  let settledMs = NaN;
  let jobsMs = NaN;
  try {
    const targets = await benchTargets(srv.base, accounts);
    // Steady state: the pages are measured once the database has finished its idle-time work
    // (decoding and index builds after start; start → ready above does not wait for it).
    settledMs = await Promise.race([srv.settled, giveUpAfter(300_000)]);
    log(`  start → every document decoded and index built: ${settledMs.toFixed(0)} ms`);
    // ... and once the jobs every start runs (planner, reminders, escalation, retention) have run once.
    jobsMs = await Promise.race([srv.jobsDone, giveUpAfter(300_000)]);
    log(`  start → first run of every start-time background job done: ${jobsMs.toFixed(0)} ms`);
    // With no traffic, once the threads have had a quiet moment to give memory back (embedded-mongo/src/reclaim.ts).
    phase = 'no traffic after the start-time jobs';
    await new Promise((r) => setTimeout(r, 10_000));
    rssIdle = rssMb(pid);
    log(`  server RSS with no traffic, 10 s after the start-time jobs: ${rssIdle.toFixed(0)} MB`);

    const names = {
      queue: 'queue (50 rows, due date)',
      queue100: 'queue (100 rows, due date)',
      case: 'case page',
      search: 'queue search (?q=)',
      dashboard: 'dashboard (leader)',
      shortlist: 'shortlist (2,000-case call)',
    } as const;
    const measure = (name: string, [url, cookie]: Target) => {
      phase = name;
      return load(name, srv, url, cookie);
    };
    if (values.targets) {
      await measure('bare page (GET /, signed in)', targets.bare);
      for (const name of values.targets.split(',').map((n) => n.trim())) {
        if (!(name in names)) throw new Error(`unknown target ${name}: one of ${Object.keys(names).join(', ')}`);
        const key = name as keyof typeof names;
        await measure(names[key], targets[key]);
      }
      return;
    }

    rows.push(await measure('bare page (GET /, signed in)', targets.bare));
    for (const key of ['queue', 'case', 'search', 'dashboard', 'shortlist'] as const) rows.push(await measure(names[key], targets[key]));
    rows.push(await measure('bare page again', targets.bare));
    rssAfter = rssMb(pid);
    log(`  server RSS after the run: ${rssAfter.toFixed(0)} MB`);
    // "After the run" grows with the requests served (garbage not yet collected), so it differs
    // between a quiet and a busy machine; 10 s later the threads have had their quiet moment to
    // give memory back, which makes this the figure to compare between runs.
    phase = 'no traffic after the run';
    await new Promise((r) => setTimeout(r, 10_000));
    rssSettled = rssMb(pid);
    log(`  server RSS with no traffic, 10 s after the run: ${rssSettled.toFixed(0)} MB`);
  } finally {
    clearInterval(sampler);
    await stopServer(srv.child);
  }
  log(`  server RSS, highest sampled (each second): ${rssPeak.toFixed(0)} MB, during ${peakPhase}`);

  const disk = upload('disk', quick ? 3 : 10);
  const gridfs = upload('gridfs', quick ? 3 : 5);
  const dbOut = runChild(['bench/embedded-mongo.ts'], { BENCH_DOCS: String(quick ? 20_000 : 50_000), BENCH_QUERIES: quick ? '2000' : '10000', BENCH_GATE_ROUNDS: quick ? '6' : '20' });
  const db = JSON.parse(dbOut.trim().split('\n').pop()!) as { insertsPerSec: number; indexedFindOneMs: { p50: number; p99: number }; unindexedFindOneMs: { p50: number } };
  log(`  embedded database: ${db.insertsPerSec} durable inserts/s, indexed findOne p99 ${db.indexedFindOneMs.p99} ms`);

  const bare = rows[0]!;
  const bareAgain = rows[6]!;
  const bareP95 = Math.max(bare.p95, bareAgain.p95);
  const bareRps = (bare.rps + bareAgain.rps) / 2;
  const [queue, casePage, search, dashboard, shortlist] = rows.slice(1, 6) as [Load, Load, Load, Load, Load];
  const r2 = (n: number) => Math.round(n * 100) / 100;
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  const table: Array<[string, string, string, string, string, boolean | undefined]> = [];
  const add = (name: string, fig: string, base: string, ratio: string, target: string, met?: boolean) => table.push([name, fig, base, ratio, target, met]);
  add('queue p95 (ms)', queue.p95.toFixed(1), `bare ${bareP95.toFixed(1)}`, (queue.p95 / bareP95).toFixed(2), '≤ 50', queue.p95 <= 50 && queue.bad === 0);
  add('queue throughput (req/s)', queue.rps.toFixed(0), `bare ${bareRps.toFixed(0)}`, (queue.rps / bareRps).toFixed(2), 'ratio ≥ 0.2', queue.rps / bareRps >= 0.2);
  add('case page p95 (ms)', casePage.p95.toFixed(1), `bare ${bareP95.toFixed(1)}`, (casePage.p95 / bareP95).toFixed(2), '≤ 50', casePage.p95 <= 50 && casePage.bad === 0);
  add('queue search p95 (ms)', search.p95.toFixed(1), `bare ${bareP95.toFixed(1)}`, (search.p95 / bareP95).toFixed(2), '≤ 100', search.p95 <= 100 && search.bad === 0);
  add('dashboard p95 (ms)', dashboard.p95.toFixed(1), `bare ${bareP95.toFixed(1)}`, (dashboard.p95 / bareP95).toFixed(2), '≤ 150', dashboard.p95 <= 150 && dashboard.bad === 0);
  add('shortlist p95 (ms)', shortlist.p95.toFixed(1), `bare ${bareP95.toFixed(1)}`, (shortlist.p95 / bareP95).toFixed(2), '≤ 150', shortlist.p95 <= 150 && shortlist.bad === 0);
  add(`start → ready (ms, ${accounts.cases} cases)`, srv.readyMs.toFixed(0), `empty ${blank.readyMs.toFixed(0)}`, (srv.readyMs / blank.readyMs).toFixed(2), '≤ 3000', srv.readyMs <= 3000);
  add("npm start's build + start → ready (ms)", (buildMs + srv.readyMs).toFixed(0), `build ${buildMs.toFixed(0)}`, '', '', undefined);
  add('start → idle-time build done (ms)', settledMs.toFixed(0), `ready ${srv.readyMs.toFixed(0)}`, '', '', undefined);
  add('start → start-time jobs done (ms)', jobsMs.toFixed(0), `ready ${srv.readyMs.toFixed(0)}`, '', '', undefined);
  add('upload, disk (MB/s)', String(disk.appMbps), `direct ${disk.directMbps}`, disk.ratio.toFixed(2), 'ratio ≥ 0.5', disk.ratio >= 0.5);
  add('upload, GridFS (MB/s)', String(gridfs.appMbps), `direct ${gridfs.directMbps}`, gridfs.ratio.toFixed(2), 'ratio ≥ 0.35', gridfs.ratio >= 0.35);
  add('durable inserts/s (16 clients)', String(db.insertsPerSec), '', '', '≥ 5000', db.insertsPerSec >= 5000);
  add('indexed findOne p99 (ms)', String(db.indexedFindOneMs.p99), `unindexed p50 ${db.unindexedFindOneMs.p50}`, '', '≤ 1', db.indexedFindOneMs.p99 <= 1);
  add('server RSS, loaded (MB)', rssLoaded.toFixed(0), '', '', '< 1536', rssLoaded < 1536);
  add('server RSS, idle after the jobs (MB)', rssIdle.toFixed(0), `loaded ${rssLoaded.toFixed(0)}`, (rssIdle / rssLoaded).toFixed(2), '< 1536', rssIdle < 1536);
  add('server RSS, after the run (MB)', rssAfter.toFixed(0), `loaded ${rssLoaded.toFixed(0)}`, (rssAfter / rssLoaded).toFixed(2), '< 1536', rssAfter < 1536);
  add('server RSS, 10 s after the run (MB)', rssSettled.toFixed(0), `loaded ${rssLoaded.toFixed(0)}`, (rssSettled / rssLoaded).toFixed(2), '< 1536', rssSettled < 1536);
  add('server RSS, highest sampled (MB)', rssPeak.toFixed(0), `loaded ${rssLoaded.toFixed(0)}`, (rssPeak / rssLoaded).toFixed(2), '< 1536', rssPeak < 1536);

  const heads = ['measure', 'figure', 'baseline (same run)', 'ratio', 'target', 'met'];
  const cells = table.map((r) => [r[0], r[1], r[2], r[3], r[4], r[5] === undefined ? '' : r[5] ? 'yes' : 'NO']);
  const widths = heads.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  log('');
  log(`${accounts.cases} cases, ${connections} connections, ${duration} s per target, total ${Math.round((Date.now() - started) / 1000)} s`);
  log(heads.map((h, i) => h.padEnd(widths[i]!)).join(' | '));
  log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells) log(c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join(' | '));
  log(JSON.stringify({
    queue_p95_ms: r2(queue.p95),
    queue_ratio: r3(queue.rps / bareRps),
    case_page_p95_ms: r2(casePage.p95),
    search_p95_ms: r2(search.p95),
    dashboard_p95_ms: r2(dashboard.p95),
    shortlist_p95_ms: r2(shortlist.p95),
    start_ready_ms: Math.round(srv.readyMs),
    upload_ratio_disk: r3(disk.ratio),
    upload_ratio_gridfs: r3(gridfs.ratio),
    inserts_per_s: db.insertsPerSec,
    findone_p99_ms: db.indexedFindOneMs.p99,
  }));
}

runBenchmark(main);
