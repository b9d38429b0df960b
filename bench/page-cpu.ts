// CPU time per page of two checkouts (A, B) on identical copies of the benchmark data: for a
// machine too busy for latency figures (other work on its 2 cores turns p95 into a measure of
// the neighbours), the server's own CPU time per request is what a change moves. Rounds alternate
// A B / B A; each loads a page `n` times with `concurrency` requests in flight and reads the web
// thread's and the whole process's CPU time (/proc/<pid>/task/<tid>/stat, utime + stime).
//   node --import tsx bench/page-cpu.ts --a-root /work/main --b-root . [--targets case] [--rounds 6] [--n 400] [--concurrency 4]
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ACCOUNTS_FILE, type BenchAccounts } from '../scripts/seed-bench.ts';
import { benchTargets, startAppServer, stopAppServer, type AppServer, type Target } from './support/app-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { 'a-root': { type: 'string' }, 'b-root': { type: 'string' }, targets: { type: 'string', default: 'case' }, rounds: { type: 'string', default: '6' }, n: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '4' }, 'data-dir': { type: 'string' } } });
const source = path.resolve(root, values['data-dir'] ?? 'data/bench-100000');
const accounts = JSON.parse(readFileSync(path.join(source, ACCOUNTS_FILE), 'utf8')) as BenchAccounts;
const n = Number(values.n);
const concurrency = Number(values.concurrency);
const TICK_MS = 10; // USER_HZ 100

/** CPU ms so far of the thread `tid` of `pid`, or of every thread of it. */
function cpuMs(pid: number, tid?: number): number {
  const stat = (p: string) => {
    const f = readFileSync(p, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  };
  if (tid !== undefined) return stat(`/proc/${pid}/task/${tid}/stat`);
  return readdirSync(`/proc/${pid}/task`).reduce((s, t) => s + stat(`/proc/${pid}/task/${t}/stat`), 0);
}

async function side(name: string, checkout: string | undefined) {
  const dir = `${source}-cpu-${name}`;
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true, filter: (src) => !src.endsWith('mongod.lock') });
  const srv = await startAppServer({ dataDir: dir, root: checkout ? path.resolve(checkout) : undefined });
  return { name, dir, srv, urls: undefined as undefined | Record<string, Target>, rows: {} as Record<string, Array<{ web: number; all: number }>> };
}

async function load(srv: AppServer, [url, cookie]: Target): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < n) {
      const r = await fetch(srv.base + url, { headers: { cookie, accept: 'text/html' } });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const sides = await Promise.all([side('A', values['a-root']), side('B', values['b-root'])]);
try {
  // Once both have run their start-time jobs (73 s at 100,000 cases on a quiet machine); some runs
  // never saw their end logged (not understood), so at most 4 minutes.
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([Promise.all(sides.map((s) => Promise.all([s.srv.settled, s.srv.jobsDone]))).then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 240_000)))]);
  clearTimeout(timer);
  if (!waited) console.log('(went on without seeing the start-time jobs end after 4 minutes)');
  for (const s of sides) s.urls = await benchTargets(s.srv.base, accounts);
  const targets = ['bare', ...values.targets!.split(',')];
  console.log(`A: ${values['a-root'] ?? root}\nB: ${values['b-root'] ?? root}\n${values.rounds} rounds of ${n} loads, ${concurrency} in flight; CPU ms per page (web thread / whole process)`);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const t of targets) {
      const line: string[] = [];
      for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
        const pid = s.srv.child.pid!;
        const w0 = cpuMs(pid, pid), a0 = cpuMs(pid);
        await load(s.srv, s.urls![t]!);
        const row = { web: (cpuMs(pid, pid) - w0) / n, all: (cpuMs(pid) - a0) / n };
        (s.rows[t] ??= []).push(row);
        line.push(`${s.name} ${row.web.toFixed(2)} / ${row.all.toFixed(2)}`);
      }
      console.log(`  round ${r + 1} ${t.padEnd(6)} ${line.join('   ')}`);
    }
  }
  const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); const m = Math.floor(v.length / 2); return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2; };
  console.log('\ntarget | A web ms | B web ms | B/A web | A all ms | B all ms | B/A all   (medians over rounds)');
  for (const t of targets) {
    const [a, b] = sides.map((s) => s.rows[t]!);
    const aw = median(a!.map((x) => x.web)), bw = median(b!.map((x) => x.web)), aa = median(a!.map((x) => x.all)), ba = median(b!.map((x) => x.all));
    console.log(`${t.padEnd(6)} | ${aw.toFixed(2).padStart(8)} | ${bw.toFixed(2).padStart(8)} | ${(bw / aw).toFixed(2).padStart(7)} | ${aa.toFixed(2).padStart(8)} | ${ba.toFixed(2).padStart(8)} | ${(ba / aa).toFixed(2)}`);
  }
  for (const t of targets.filter((x) => x !== 'bare')) {
    const ratio = (s: (typeof sides)[number]) => median(s.rows[t]!.map((x) => x.web)) / median(s.rows.bare!.map((x) => x.web));
    console.log(`${t} / bare, web thread CPU per page: A ${ratio(sides[0]!).toFixed(2)}, B ${ratio(sides[1]!).toFixed(2)}`);
  }
} finally {
  await Promise.all(sides.map((s) => stopAppServer(s.srv.child)));
  for (const s of sides) rmSync(s.dir, { recursive: true, force: true });
}
