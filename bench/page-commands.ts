// The database commands behind one page: the server (as `npm start` runs it) on a copy of the
// benchmark data, with the driver's command events logged (bench/support/command-log.mjs); each
// page is loaded `n` times one after another and its commands listed per load (collection, filter
// and projection keys, reply bytes). Complements bench/round-trips.ts (counts only).
//   node --import tsx bench/page-commands.ts [--targets case,bare] [--n 3] [--data-dir data/bench-100000]
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ACCOUNTS_FILE, type BenchAccounts } from '../scripts/seed-bench.ts';
import { benchTargets, startAppServer, stopAppServer } from './support/app-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { targets: { type: 'string', default: 'bare,case' }, n: { type: 'string', default: '3' }, 'data-dir': { type: 'string' }, root: { type: 'string' } } });
const source = path.resolve(root, values['data-dir'] ?? 'data/bench-100000');
const accounts = JSON.parse(readFileSync(path.join(source, ACCOUNTS_FILE), 'utf8')) as BenchAccounts;
// A copy: the server writes to its data directory (sessions, start-time jobs).
const dataDir = `${source}-commands`;
rmSync(dataDir, { recursive: true, force: true });
cpSync(source, dataDir, { recursive: true, filter: (src) => !src.endsWith('mongod.lock') });
const log = path.join(dataDir, 'commands.jsonl');
writeFileSync(log, '');
const preload = path.join(import.meta.dirname, 'support/command-log.mjs');
const srv = await startAppServer({ dataDir, root: values.root ? path.resolve(values.root) : undefined, env: { COMMAND_LOG: log, NODE_OPTIONS: `--import ${preload}` } });
try {
  await srv.settled;
  await srv.jobsDone;
  const targets = await benchTargets(srv.base, accounts);
  await new Promise((r) => setTimeout(r, 1000));
  for (const name of values.targets!.split(',')) {
    const [url, cookie] = targets[name as keyof typeof targets];
    for (let i = 0; i < Number(values.n); i++) {
      const from = Date.now();
      const r = await fetch(srv.base + url, { headers: { cookie, accept: 'text/html' } });
      const bytes = (await r.arrayBuffer()).byteLength;
      await new Promise((res) => setTimeout(res, 50)); // the session store's write after the answer
      const rows = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: number; name: string; coll: string; filter: string; projection: string; ms: number; replyBytes: number }).filter((c) => c.t >= from);
      console.log(`${name} ${url} load ${i + 1}: ${r.status}, ${bytes} bytes of page, ${rows.length} commands, ${rows.reduce((s, c) => s + c.replyBytes, 0)} reply bytes`);
      for (const c of rows) console.log(`  ${c.name.padEnd(8)} ${c.coll.padEnd(16)} filter {${c.filter}} projection {${c.projection}} ${String(c.replyBytes).padStart(7)} B ${c.ms.toFixed(1).padStart(6)} ms`);
      await new Promise((res) => setTimeout(res, 200));
      appendFileSync(log, '');
    }
  }
} finally {
  await stopAppServer(srv.child);
  rmSync(dataDir, { recursive: true, force: true });
}
