// What every HTTP benchmark needs: the real server (as `npm start` runs it, production mode, embedded
// database) started on a data directory as a child process, its readiness and idle-time build
// timed, its memory read, and one autocannon target measured with exact percentiles.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freePort } from '../../scripts/support/free-port.ts';
import { WebClient } from '../../scripts/support/web-client.ts';
import { startCommand } from '../../scripts/support/start-flags.ts';
import { processTree } from '../../scripts/support/process-tree.ts';
import type { BenchAccounts } from '../../scripts/seed-bench.ts';

const require = createRequire(import.meta.url);
type AutocannonResult = { errors: number; timeouts: number };
type AutocannonInstance = { on(event: 'response', cb: (client: unknown, status: number, bytes: number, ms: number) => void): void } & PromiseLike<AutocannonResult>;
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => AutocannonInstance;

const root = path.resolve(import.meta.dirname, '../..');

export interface AppServer {
  child: ChildProcess;
  base: string;
  /** From spawn to /readyz 200. */
  readyMs: number;
  /** Resolves with the time from spawn once the embedded database has decoded every document and built every index in idle time. */
  settled: Promise<number>;
  /**
   * Resolves with the time from spawn once each start-time background job (START_JOBS: the
   * planner's refresh, reminders, escalation, retention, the stranded-cases repair, the holiday recounts' resumption, the unrecorded account decisions and case changes) has finished its first run: their work
   * at start (minutes of database time at 100,000 cases before today's changes) is not serving.
   */
  jobsDone: Promise<number>;
}

/** Background jobs whose first run follows every start (server/services.ts logs 'background run finished'). */
export const START_JOBS = ['planner', 'reminders', 'document-expiry-reminders', 'procedure-escalation', 'retention', 'stranded-cases', 'deadline-recount-resume', 'pending-account-audits', 'pending-case-audits', 'dashboard-figures'] as const;

/**
 * Starts the app on `dataDir` (uploads under it) and resolves once /readyz answers 200. `root`: the
 * checkout to run (another worktree, for an A/B comparison); `nodeArgs`: flags for its node
 * (by default those of its `npm start`).
 */
export async function startAppServer(opts: { dataDir: string; env?: Record<string, string | undefined>; cpuProfDir?: string; readyTimeoutMs?: number; root?: string; nodeArgs?: string[]; jobs?: readonly string[]; onStdout?: (text: string) => void }): Promise<AppServer> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: opts.dataDir,
    UPLOAD_DIR: path.join(opts.dataDir, 'uploads'),
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: `http://127.0.0.1:${port}`,
    SESSION_SECRET: 'benchmark-session-secret-0123456789abcdef',
    // Production refuses to start without a data-encryption key (server/config.ts).
    DATA_ENCRYPTION_KEY: 'b'.repeat(64),
    SECURE_COOKIES: 'false',
    LOG_LEVEL: 'info', // as in production: one access-log line per request
    DISPATCH_INTERVAL_MS: '60000',
    // The benchmarks measure serving, not the per-user upload limit (60 an hour by default).
    UPLOAD_RATE_PER_HOUR: '1000000',
    ...opts.env,
  };
  delete env.MONGODB_URI;
  const args = startCommand(opts.root ?? root, { flags: opts.nodeArgs, extraFlags: opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : [] });
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: opts.root ?? root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  // The app logs JSON lines to stdout: watched for the idle-time build's end, otherwise discarded.
  let resolveJobs: (ms: number) => void = () => {};
  const jobsDone = new Promise<number>((resolve) => (resolveJobs = resolve));
  // Of the jobs wanted, those the checkout started ('service started': an older checkout has fewer,
  // and every one is started before any runs).
  const wanted = new Set<string>(opts.jobs ?? START_JOBS);
  const started = new Set<string>();
  const finished = new Set<string>();
  const settled = new Promise<number>((resolve) => {
    let tail = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      opts.onStdout?.(chunk.toString('utf8')); // every line from spawn (bench/start-ab.ts reads the start's phases)
      // Every complete line of the chunk: a reader behind on a busy machine gets chunks of many
      // lines, and cutting them to their last 4 K characters lost the line of a job's first run
      // (jobsDone then never resolved: bench/queue-diff.ts waited for it for ten minutes).
      const lines = (tail + chunk.toString('utf8')).split('\n');
      // Keep only an unfinished last line (a log line is short: a longer one is cut, not kept growing).
      tail = lines.pop()!.slice(-65_536);
      for (const line of lines) {
        if (line.includes('documents decoded and indexes built')) resolve(performance.now() - t0);
        const m = /"service":"([^"]+)"/.exec(line);
        if (!m || !wanted.has(m[1]!)) continue;
        if (line.includes('service started')) started.add(m[1]!);
        // A first run that failed (the database late on a loaded machine) is over too: waiting for
        // its 'finished' line waited for ever.
        if (!line.includes('background run finished') && !line.includes('background run failed')) continue;
        finished.add(m[1]!);
        if ([...started].every((n) => finished.has(n))) resolveJobs(performance.now() - t0);
      }
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + (opts.readyTimeoutMs ?? 300_000);
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/readyz`);
      await r.arrayBuffer();
      if (r.status === 200) return { child, base, readyMs: performance.now() - t0, settled, jobsDone };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGTERM');
  throw new Error('server did not become ready');
}

export async function stopAppServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** One signed-in GET of a page, read to its end: its time in ms (a non-200 answer throws). */
export async function timedGet(base: string, url: string, cookie: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(base + url, { headers: { cookie, accept: 'text/html' } });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
  return performance.now() - t;
}

/** A few sequential requests, each of which must answer 200. */
export async function warm(base: string, url: string, cookie: string, n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await timedGet(base, url, cookie);
}

/** Signs in (password and TOTP code) and returns the session's cookie header. */
export async function signIn(base: string, email: string, password: string, secret: string): Promise<string> {
  const c = new WebClient(base, 180_000); // a server still decoding and indexing after start may be slow to answer at first
  try {
    await c.signIn(email, password, secret);
  } catch {
    // A code already used in this 30-second step (an earlier run): wait for the next one.
    await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 500));
    await c.signIn(email, password, secret);
  }
  return c.cookieHeader();
}

/** A page the benchmarks load: its path and the signed-in cookie that reads it. */
export type Target = readonly [url: string, cookie: string];

/**
 * Signs in the first benchmark officer and the leader, and names the pages every HTTP benchmark
 * loads: the bare page, the queue (50 rows), a case from the middle of its first page, the queue
 * search, the dashboard and the 2,000-case shortlist; each is warmed (and must answer 200).
 */
export async function benchTargets(base: string, accounts: BenchAccounts): Promise<Record<'bare' | 'queue' | 'queue100' | 'case' | 'search' | 'dashboard' | 'shortlist', Target>> {
  const officer = await signIn(base, accounts.officers[0]!.email, accounts.password, accounts.officers[0]!.totpSecret);
  const leader = await signIn(base, accounts.leader.email, accounts.password, accounts.leader.totpSecret);
  const queueUrl = '/cases?size=50';
  const first = await fetch(base + queueUrl, { headers: { cookie: officer, accept: 'text/html' } });
  const html = await first.text();
  const ids = [...new Set([...html.matchAll(/href="\/cases\/([a-f0-9]{24})"/g)].map((m) => m[1]!))];
  if (first.status !== 200 || ids.length === 0) throw new Error(`the queue answered ${first.status} with ${ids.length} cases`);
  const targets = {
    bare: ['/', officer],
    queue: [queueUrl, officer],
    // The longest page an officer can ask for: over 64 K characters, so sent in pieces (server/views/pieces.ts).
    queue100: ['/cases?size=100', officer],
    case: [`/cases/${ids[Math.floor(ids.length / 2)]}`, officer],
    // `q` is the queue's search (name or reference); a branch without it shows the unfiltered queue.
    search: ['/cases?size=50&q=Candidate%2012', officer],
    dashboard: ['/dashboard', leader],
    shortlist: [`/shortlists/${accounts.bigCallId}`, leader],
  } as const;
  for (const [u, c] of Object.values(targets)) await warm(base, u, c);
  return targets;
}

/**
 * Resident set size in MB of the server: the process and its web processes (Linux; the embedded
 * database's thread included). Summed, so memory they share (node's own code) counts once per
 * process: the figure errs high.
 */
export function rssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // a web process that ended meanwhile
    }
  }
  if (kb === 0) throw new Error('no VmRSS');
  return kb / 1024;
}

/**
 * Minor page faults so far of the server's web threads (the main thread of each web process, or of
 * the server itself when it serves alone) and of its other threads together (the database worker,
 * the primary's main thread when web processes serve, V8's GC helpers): /proc/<pid>/task/<tid>/stat,
 * field 10. A fault cost about 13 µs on this machine (a first touch of fresh memory: 3.3 ms a
 * megabyte), so they are worth counting.
 */
export function minorFaults(pid: number): { web: number; others: number } {
  let web = 0;
  let others = 0;
  const tree = processTree(pid);
  const webPids = tree.length > 1 ? new Set(tree.slice(1)) : new Set([pid]);
  for (const p of tree) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${p}/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // a thread that ended meanwhile
      }
      const faults = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
      if (Number(tid) === p && webPids.has(p)) web += faults;
      else others += faults;
    }
  }
  return { web, others };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export interface LoadRow {
  name: string;
  url: string;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** The slowest response. */
  max: number;
  /** Non-200 answers, errors and timeouts. */
  bad: number;
}

/** One target under autocannon with the signed-in cookie; percentiles from every response time. */
export async function autocannonLoad(opts: { name: string; base: string; url: string; cookie: string; connections: number; duration: number }): Promise<LoadRow> {
  const times: number[] = [];
  let bad = 0;
  const inst = autocannon({ url: opts.base + opts.url, connections: opts.connections, duration: opts.duration, headers: { cookie: opts.cookie, accept: 'text/html' } });
  inst.on('response', (_c, status, _b, ms) => {
    times.push(ms);
    if (status !== 200) bad += 1;
  });
  const result = await inst;
  times.sort((a, b) => a - b);
  return {
    name: opts.name,
    url: opts.url,
    requests: times.length,
    rps: times.length / opts.duration,
    p50: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    p99: percentile(times, 0.99),
    max: times.at(-1) ?? NaN,
    bad: bad + result.errors + result.timeouts,
  };
}

/** Runs a benchmark's main(); an error is printed and ends the process with status 1. */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
