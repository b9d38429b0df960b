// Start → /readyz 200 of two checkouts in alternation (A B B A …), each on a fresh copy of one data
// directory (so that no run finds what an earlier one built or stored), and optionally the time to
// the start-time jobs' first runs and the dashboards' warming; medians per checkout. The other
// helpers' load on the machine shifts single runs: the alternation spreads it over both.
//
//   node --import tsx bench/start-ab.ts --template /tmp/bench-copy --a /path/to/checkoutA --b . [--pairs 3] [--jobs] [--logs DIR] [--cpu-prof DIR]
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startAppServer, stopAppServer } from './support/app-server.ts';

const { values } = parseArgs({
  options: {
    template: { type: 'string' },
    a: { type: 'string' },
    b: { type: 'string' },
    pairs: { type: 'string', default: '3' },
    jobs: { type: 'boolean', default: false },
    'jobs-timeout': { type: 'string', default: '600' },
    logs: { type: 'string', default: '/tmp/start-ab-logs' },
    work: { type: 'string', default: '/tmp/start-ab-run' },
    'cpu-prof': { type: 'string' },
  },
});
const template = path.resolve(values.template!);
const roots = { A: path.resolve(values.a!), B: path.resolve(values.b!) };
const order = Array.from({ length: Number(values.pairs) }, () => ['A', 'B', 'B', 'A'] as const).flat().slice(0, Number(values.pairs) * 2);
mkdirSync(values.logs!, { recursive: true });
const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const results: Record<'A' | 'B', Array<{ ready: number; openMs: number; jobs?: number; warmMs?: number; dashboardMs?: number }>> = { A: [], B: [] };
let i = 0;
for (const which of order) {
  i += 1;
  rmSync(values.work!, { recursive: true, force: true });
  const cp = spawnSync('cp', ['-a', template, values.work!]);
  if (cp.status !== 0) throw new Error(`cp failed: ${cp.stderr}`);
  let log = '';
  const srv = await startAppServer({ dataDir: values.work!, root: roots[which], readyTimeoutMs: 180_000, cpuProfDir: values['cpu-prof'] ? path.join(values['cpu-prof'], `${i}-${which}`) : undefined, onStdout: (t) => (log += t) });
  const spawnedAt = Date.now() - srv.readyMs;
  // The index sync before ready: from the database's start to the first line logged after
  // openDatabase resolved (the data-encryption key), less sensitive to the machine's load than the whole start.
  const at = (msg: string) => Number(new RegExp(`"time":(\\d+)[^\\n]*"msg":"${msg}"`).exec(log)?.[1] ?? NaN);
  const openMs = at('data-encryption key loaded') - at('embedded database started');
  // The dashboards' job follows the other start-time jobs: its first run's end, from spawn (a job
  // whose run failed, as under heavy load, never counts as finished in jobsDone).
  let dashDone: (ms: number) => void = () => {};
  const dashboard = new Promise<number>((r) => (dashDone = r));
  srv.child.stdout!.on('data', () => {
    const m = /\{[^\n]*"service":"dashboard-figures"[^\n]*"first":true[^\n]*background run finished[^\n]*/.exec(log);
    if (m) dashDone((JSON.parse(m[0]) as { time: number }).time - spawnedAt);
  });
  const row: { ready: number; openMs: number; jobs?: number; warmMs?: number; dashboardMs?: number } = { ready: srv.readyMs, openMs };
  if (values.jobs) {
    const timeout = new Promise<number>((r) => setTimeout(() => r(NaN), Number(values['jobs-timeout']) * 1000).unref());
    row.dashboardMs = await Promise.race([dashboard, timeout]);
    row.jobs = await Promise.race([srv.jobsDone, timeout, new Promise<number>((r) => setTimeout(() => r(NaN), 5_000))]);
    row.warmMs = Number(/"ms":(\d+)[^\n]*dashboards warmed/.exec(log)?.[1] ?? NaN);
  } else {
    await new Promise((r) => setTimeout(r, 15_000)); // the indexes built after ready, logged
  }
  await stopAppServer(srv.child);
  writeFileSync(path.join(values.logs!, `${i}-${which}.log`), log);
  results[which].push(row);
  console.log(`${i} ${which}: ready ${row.ready.toFixed(0)} ms (database started → opened ${row.openMs} ms)${values.jobs ? `, dashboard-figures' first run done ${(row.dashboardMs! / 1000).toFixed(1)} s after spawn, all start-time jobs ${(row.jobs! / 1000).toFixed(1)} s, dashboards warmed in ${(row.warmMs! / 1000).toFixed(1)} s` : ''}`);
}
rmSync(values.work!, { recursive: true, force: true });
for (const k of ['A', 'B'] as const) {
  const r = results[k];
  console.log(`${k} (${roots[k]}): median ready ${median(r.map((x) => x.ready)).toFixed(0)} ms [${r.map((x) => x.ready.toFixed(0)).join(', ')}], database started → opened ${median(r.map((x) => x.openMs)).toFixed(0)} ms [${r.map((x) => x.openMs).join(', ')}]` + (values.jobs ? `; dashboard-figures' first run ${(median(r.map((x) => x.dashboardMs!)) / 1000).toFixed(1)} s; jobs ${(median(r.map((x) => x.jobs!)) / 1000).toFixed(1)} s; warm ${(median(r.map((x) => x.warmMs!)) / 1000).toFixed(1)} s` : ''));
}
