// Correctness check for case-page performance work: two checkouts (A and B) on identical copies of
// the benchmark data, the same case pages fetched from both by each signed-in role, and every
// difference printed, apart from what is random per render (the CSRF token, form keys, nonces).
//   node --import tsx bench/case-page-diff.ts --a-root /work/main --b-root . [--cases 40] [--data-dir data/bench-100000]
// Roles: HR officers of institute 0 (whose cases they are) and of institute 1 (another institute:
// not found, or the panel's view of the big call's cases in evaluation), the leader of institute 0,
// the administrator. Exits 1 when a page differs.
import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ACCOUNTS_FILE, type BenchAccounts } from '../scripts/seed-bench.ts';
import { signIn, startAppServer, stopAppServer, type AppServer } from './support/app-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { 'a-root': { type: 'string' }, 'b-root': { type: 'string' }, cases: { type: 'string', default: '40' }, 'data-dir': { type: 'string' } } });
const source = path.resolve(root, values['data-dir'] ?? 'data/bench-100000');
const accounts = JSON.parse(readFileSync(path.join(source, ACCOUNTS_FILE), 'utf8')) as BenchAccounts;

/** What differs between two renders of the same page by design. */
function masked(html: string): string {
  return html
    .replace(/(name="_csrf" value=")[^"]*/g, '$1…')
    .replace(/(name="formKey" value=")[^"]*/g, '$1…')
    .replace(/(name="csrf-token" content=")[^"]*/g, '$1…')
    .replace(/nonce="[^"]*"/g, 'nonce="…"')
    // An error page's request id.
    .replace(/<code>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}<\/code>/g, '<code>…</code>');
}

async function side(name: string, checkout: string | undefined): Promise<AppServer> {
  const dir = `${source}-diff-${name}`;
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true, filter: (src) => !src.endsWith('mongod.lock') });
  return startAppServer({ dataDir: dir, root: checkout ? path.resolve(checkout) : undefined });
}

const servers = await Promise.all([side('a', values['a-root']), side('b', values['b-root'])]);
// Compared once both have run their start-time jobs (they change cases: forecasts, escalations).
async function within(p: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(() => r(console.log(`(went on without ${what} after 5 minutes)`)), 300_000)))]);
  clearTimeout(timer);
}
await within(Promise.all(servers.map((s) => s.settled)), 'the idle-time build');
await within(Promise.all(servers.map((s) => s.jobsDone)), 'the start-time jobs');
let differ = 0;
let compared = 0;
try {
  const who = {
    officer0: accounts.officers[0]!,
    officer1: accounts.officers[5]!,
    leader: accounts.leader,
    admin: accounts.admin,
  };
  const cookies = await Promise.all(servers.map(async (s) => Object.fromEntries(await Promise.all(Object.entries(who).map(async ([k, a]) => [k, await signIn(s.base, a.email, accounts.password, a.totpSecret)] as const)))));
  // Cases of every stage: the officer's queue, its other pages, the big call's shortlist.
  const ids = new Set<string>();
  for (const url of ['/cases?size=100', '/cases?size=100&page=2', '/cases?size=100&page=7', `/shortlists/${accounts.bigCallId}`]) {
    const html = await (await fetch(servers[0]!.base + url, { headers: { cookie: cookies[0]![url.startsWith('/shortlists') ? 'leader' : 'officer0']!, accept: 'text/html' } })).text();
    for (const m of html.matchAll(/\/cases\/([a-f0-9]{24})/g)) ids.add(m[1]!);
  }
  const picked = [...ids].filter((_, i) => i % Math.max(1, Math.floor(ids.size / Number(values.cases))) === 0).slice(0, Number(values.cases));
  const statuses: Record<string, number> = {};
  for (const id of picked) {
    for (const role of Object.keys(who)) {
      const pages = await Promise.all(servers.map(async (s, i) => {
        const r = await fetch(`${s.base}/cases/${id}`, { headers: { cookie: cookies[i]![role]!, accept: 'text/html' } });
        return { status: r.status, html: masked(await r.text()) };
      }));
      compared++;
      statuses[`${role} ${pages[0]!.status}`] = (statuses[`${role} ${pages[0]!.status}`] ?? 0) + 1;
      if (pages[0]!.status === pages[1]!.status && pages[0]!.html === pages[1]!.html) continue;
      differ++;
      const a = pages[0]!.html.split('\n'), b = pages[1]!.html.split('\n');
      const at = a.findIndex((l, i) => l !== b[i]);
      console.log(`DIFFERS ${role} /cases/${id}: status ${pages[0]!.status} / ${pages[1]!.status}, first at line ${at + 1}:\n  A: ${a[at]?.slice(0, 300)}\n  B: ${b[at]?.slice(0, 300)}`);
    }
  }
  console.log(`${picked.length} cases × ${Object.keys(who).length} roles: ${compared} pages compared, ${differ} differ; statuses ${JSON.stringify(statuses)}`);
} finally {
  await Promise.all(servers.map((s) => stopAppServer(s.child)));
  for (const n of ['a', 'b']) rmSync(`${source}-diff-${n}`, { recursive: true, force: true });
}
process.exit(differ ? 1 : 0);
