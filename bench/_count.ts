import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startAppServer, stopAppServer, benchTargets } from './support/app-server.ts';
const dataDir = path.resolve('data/bench-100000');
const accounts = JSON.parse(readFileSync(path.join(dataDir, 'bench-accounts.json'), 'utf8'));
const srv = await startAppServer({ dataDir });
await srv.settled;
const targets = await benchTargets(srv.base, accounts);
const pid = srv.child.pid!;
function io(tid: number) {
  const s = readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8');
  return { w: Number(/syscw: (\d+)/.exec(s)![1]), r: Number(/syscr: (\d+)/.exec(s)![1]) };
}
for (const [name, [url, cookie]] of Object.entries(targets)) {
  const N = 20;
  const a = io(pid);
  for (let i = 0; i < N; i++) { const r = await fetch(srv.base + url, { headers: { cookie, accept: 'text/html' } }); await r.arrayBuffer(); }
  const b = io(pid);
  console.log(name.padEnd(10), 'writes/req', ((b.w - a.w) / N).toFixed(1), 'reads/req', ((b.r - a.r) / N).toFixed(1));
}
await stopAppServer(srv.child);
