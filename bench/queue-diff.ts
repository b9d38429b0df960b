// The HR queue's HTML of two checkouts, compared page by page: a change meant to make the queue
// faster (server/cases/queue.ts) must not change what it shows. Both servers start on copies of the
// benchmark data (as bench/ab.ts does), the same officers, leader and administrator sign in to each,
// and each queue address below is read from both; the pages must be equal but for their CSRF tokens
// (and the session-bound values that go with them). Prints each address and its result; exits 1 on
// any difference, with the first differing lines.
//
//   node --import tsx bench/queue-diff.ts --a-root /work/main [--b-root .] [--env QUEUE_ROWS_KEPT_MS=0]
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ACCOUNTS_FILE, type BenchAccounts } from '../scripts/seed-bench.ts';
import { signIn, startAppServer, stopAppServer, type AppServer } from './support/app-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'a-root': { type: 'string' },
    'b-root': { type: 'string' },
    env: { type: 'string', default: 'QUEUE_ROWS_KEPT_MS=0' },
    'data-dir': { type: 'string' },
  },
});
const dataDir = path.resolve(root, values['data-dir'] ?? 'data/bench-100000');
const env = Object.fromEntries((values.env ?? '').split(',').filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));

/** The addresses read: the default page and its neighbours, each sort, filters, a search, both page sizes. */
const QUEUE_URLS = [
  '/cases',
  '/cases?size=50',
  '/cases?size=50&page=2',
  '/cases?size=100&page=7',
  '/cases?size=25&page=999',
  '/cases?sort=arrival&size=50',
  '/cases?sort=submitted&size=50&page=3',
  '/cases?sort=reference&size=50',
  '/cases?sort=score&size=50',
  '/cases?closed=1&size=100',
  '/cases?overdue=1&size=50',
  '/cases?soon=1&size=50',
  '/cases?procedures=1&size=50',
  '/cases?documents=1&size=50',
  '/cases?refused=1&size=50',
  '/cases?support=work_permit&size=50',
  '/cases?track=researcher&size=50',
  '/cases?stage=offer&size=50',
  '/cases?stage=onboarding&sort=arrival&size=100',
  '/cases?assignee=unassigned&size=50',
  '/cases?assignee=me&size=50',
  '/cases?size=50&q=Candidate%2012',
  '/cases?q=TA-2026',
  '/cases?size=50&lang=vi',
];

/** The page without what differs by session alone: the CSRF token in forms and meta tags. */
function normalise(html: string): string {
  return html
    .replace(/(name="_csrf" value=")[^"]*"/g, '$1…"')
    .replace(/(<meta name="csrf-token" content=")[^"]*"/g, '$1…"');
}

async function main(): Promise<void> {
  if (!existsSync(path.join(dataDir, ACCOUNTS_FILE))) throw new Error(`no benchmark data in ${dataDir}`);
  const accounts = JSON.parse(readFileSync(path.join(dataDir, ACCOUNTS_FILE), 'utf8')) as BenchAccounts;
  const dirs = ['a', 'b'].map((s) => `${dataDir}-diff-${s}`);
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
    cpSync(dataDir, d, { recursive: true, filter: (src) => !src.endsWith('mongod.lock') });
  }
  const servers: AppServer[] = [];
  let differences = 0;
  try {
    servers.push(await startAppServer({ dataDir: dirs[0]!, root: values['a-root'] ? path.resolve(values['a-root']) : undefined, env }));
    servers.push(await startAppServer({ dataDir: dirs[1]!, root: values['b-root'] ? path.resolve(values['b-root']) : undefined, env }));
    // The start-time jobs write to cases (planner, escalation...): compared once both have run them.
    await Promise.all(servers.map((s) => s.settled));
    const late = new Promise<string>((r) => setTimeout(() => r('late'), 600_000).unref());
    if ((await Promise.race([Promise.all(servers.map((s) => s.jobsDone)), late])) === 'late') console.log('warning: the start-time jobs did not all report their first run within 10 minutes');
    const people = [
      ['officer', accounts.officers[0]!],
      ['officer 2', accounts.officers[1]!],
      ['leader', accounts.leader],
      ['admin', accounts.admin],
    ] as const;
    let pages = 0;
    for (const [who, account] of people) {
      // One sign-in per server (a TOTP code is used once per server: each has its own database).
      const cookies = await Promise.all(servers.map((s) => signIn(s.base, account.email, accounts.password, account.totpSecret)));
      for (const url of QUEUE_URLS) {
        const read = () =>
          Promise.all(
            servers.map(async (s, i) => {
              const r = await fetch(s.base + url, { headers: { cookie: cookies[i]!, accept: 'text/html' } });
              return { status: r.status, html: normalise(await r.text()) };
            }),
          );
        let [a, b] = await read();
        // A 503 is the database not answering in time on a machine loaded by others: read again, once.
        if (a!.status === 503 || b!.status === 503) [a, b] = await read();
        pages += 1;
        const rows = (a!.html.match(/<tr data-case=/g) ?? []).length;
        if (a!.status === b!.status && a!.html === b!.html) {
          console.log(`  same       ${who.padEnd(10)} ${url} (${a!.status}, ${rows} rows, ${a!.html.length} chars)`);
          continue;
        }
        differences += 1;
        console.log(`  DIFFERENT  ${who.padEnd(10)} ${url} (A ${a!.status}, B ${b!.status})`);
        const al = a!.html.split('\n');
        const bl = b!.html.split('\n');
        let shown = 0;
        for (let i = 0; i < Math.max(al.length, bl.length) && shown < 5; i++) {
          if (al[i] === bl[i]) continue;
          shown += 1;
          console.log(`    line ${i + 1}\n    A: ${(al[i] ?? '').slice(0, 400)}\n    B: ${(bl[i] ?? '').slice(0, 400)}`);
        }
      }
    }
    console.log(`${pages} pages compared, ${differences} different`);
  } finally {
    await Promise.all(servers.map((s) => stopAppServer(s.child)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  if (differences > 0) process.exitCode = 1;
}

await main();
