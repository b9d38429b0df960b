// Dashboard and shortlist latency under load, measured in the same run as a bare page of the same app.
//
//   node --import tsx bench/dashboard.ts [--data-dir data/bench] [--duration 20] [--connections 10] [--cases 100000]
//
// 1. Seeds DATA_DIR with scripts/seed-bench.ts when it is empty (100,000 cases; one call with
//    2,000 cases in evaluation and 6,000 evaluations).
// 2. Starts the real server (`dist/server/main.js` as `npm start` runs it, embedded database under
//    DATA_DIR, production mode) as a child process, and signs a leader and an administrator in
//    through the real forms (password, then TOTP).
// 3. Runs autocannon (10 connections) against each target in turn with the signed-in cookie and
//    prints p50/p95/p99 (exact, from every response time) and each target's p95 relative to the
//    bare page. Target: p95 ≤ 150 ms for the dashboard and the 2,000-case shortlist.
// The dashboard page serves stored figures, computed in the background (server/dashboard/stored.ts); the uncached
// computation is measured separately on /reports/steering, which always computes fresh.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seedIfNeeded } from './support/seed.ts';
import { totpNow } from '../server/accounts/totp.ts';
import { autocannonLoad, runBenchmark, startAppServer, stopAppServer, timedGet, type LoadRow } from './support/app-server.ts';


const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: 'data/bench' },
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '10' },
    cases: { type: 'string', default: '100000' },
  },
});
const dataDir = path.resolve(root, values['data-dir']!);
const duration = Number(values.duration);
const connections = Number(values.connections);


const baseEnv = { ...process.env, DATA_DIR: dataDir, MONGODB_URI: '', LOG_LEVEL: 'warn' };
delete (baseEnv as Record<string, string | undefined>).MONGODB_URI;


class Jar {
  cookies = new Map<string, string>();
  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function signIn(base: string, email: string, password: string, secret: string): Promise<string> {
  const jar = new Jar();
  const get = async (p: string) => {
    const r = await fetch(base + p, { headers: { cookie: jar.header(), accept: 'text/html' }, redirect: 'manual' });
    jar.take(r);
    return r.text();
  };
  const post = async (p: string, form: Record<string, string>) => {
    const r = await fetch(base + p, { method: 'POST', headers: { cookie: jar.header(), accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form), redirect: 'manual' });
    jar.take(r);
    return r;
  };
  const csrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  let r = await post('/signin', { _csrf: csrf(await get('/signin')), email, password });
  if (r.status !== 303) throw new Error(`sign-in failed for ${email}: ${r.status}`);
  if ((r.headers.get('location') ?? '').startsWith('/signin/second-factor')) {
    r = await post('/signin/second-factor', { _csrf: csrf(await get('/signin/second-factor')), code: totpNow(secret) });
    if (r.status !== 303) throw new Error(`second factor failed for ${email}: ${r.status}`);
  }
  const check = await fetch(`${base}/account`, { headers: { cookie: jar.header(), accept: 'text/html' }, redirect: 'manual' });
  if (check.status !== 200) throw new Error(`not signed in after sign-in (${check.status})`);
  return jar.header();
}

type Row = LoadRow;

async function load(name: string, base: string, url: string, cookie: string): Promise<Row> {
  const row = await autocannonLoad({ name, base, url, cookie, connections, duration });
  return { ...row, rps: Math.round(row.rps) };
}

async function main(): Promise<void> {
  const accounts = seedIfNeeded({ root, dataDir, cases: Number(values.cases), env: baseEnv });
  const t0 = Date.now();
  const { child: server, base } = await startAppServer({ dataDir });
  process.stdout.write(`server ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${accounts.cases} cases, embedded database in ${dataDir})\n`);
  try {
    const leader = await signIn(base, accounts.leader.email, accounts.password, accounts.leader.totpSecret);
    // A fresh 30-second TOTP window for the second account, so the one-time code is not a replay.
    await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 500));
    const admin = await signIn(base, accounts.admin.email, accounts.password, accounts.admin.totpSecret);
    const shortlist = `/shortlists/${accounts.bigCallId}`;

    // Uncached figure computation (what the background job pays for each institute viewed, each minute).
    const fresh = { leader: [] as number[], admin: [] as number[] };
    for (let i = 0; i < 3; i += 1) fresh.leader.push(await timedGet(base, '/reports/steering', leader));
    for (let i = 0; i < 1; i += 1) fresh.admin.push(await timedGet(base, '/reports/steering', admin));
    for (const u of ['/', '/dashboard', shortlist]) await timedGet(base, u, leader); // warm-up
    await timedGet(base, '/dashboard', admin);

    const rows: Row[] = [];
    rows.push(await load('bare page (GET /, signed in)', base, '/', leader));
    rows.push(await load('dashboard (leader, 1 institute)', base, '/dashboard', leader));
    rows.push(await load('shortlist (2,000-case call)', base, shortlist, leader));
    rows.push(await load('dashboard (admin, all 100k)', base, '/dashboard', admin));
    rows.push(await load('bare page again', base, '/', leader));

    const bare = rows[0]!.p95;
    const fmt = (n: number) => n.toFixed(1).padStart(7);
    process.stdout.write(`\nautocannon: ${connections} connections, ${duration} s per target, signed-in cookie\n\n`);
    process.stdout.write(`${'target'.padEnd(34)} ${'req/s'.padStart(6)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)}  p95/bare  non-200\n`);
    for (const r of rows) process.stdout.write(`${r.name.padEnd(34)} ${String(r.rps).padStart(6)} ${fmt(r.p50)} ${fmt(r.p95)} ${fmt(r.p99)}  ${(r.p95 / bare).toFixed(2).padStart(8)}  ${r.bad}\n`);
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    process.stdout.write(`\nuncached figures (/reports/steering, one request at a time): leader median ${med(fresh.leader).toFixed(0)} ms, admin (all institutes) median ${med(fresh.admin).toFixed(0)} ms\n`);
    const target = rows.slice(1, 3).every((r) => r.p95 <= 150 && r.bad === 0);
    process.stdout.write(`target p95 ≤ 150 ms for the dashboard and the shortlist: ${target ? 'met' : 'NOT met'}\n`);
    process.exitCode = target ? 0 : 1;
  } finally {
    await stopAppServer(server);
  }
}

runBenchmark(main);
