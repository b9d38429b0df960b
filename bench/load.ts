// The product under sustained load: 50 signed-in people at once against 100,000 seeded cases.
//
//   npm run bench:load -- [--data-dir data/bench] [--duration 60] [--users 50] [--cases 100000] [--think-ms 0]
//
// 1. Seeds DATA_DIR with scripts/seed-bench.ts when it has no load accounts yet (100,000 cases;
//    25 HR officers with TOTP secrets, 25 applicants with a case in screening).
// 2. Starts the real server (`dist/server/main.js` as `npm start` runs it, production mode, embedded
//    database under DATA_DIR, outbox dispatcher writing e-mails to DATA_DIR/mail) as a child process.
// 3. Signs every virtual user in through the real forms (password, then TOTP for staff), each with
//    its own cookie jar, then runs them all at once for --duration seconds, each in a closed loop
//    (next request when the previous one answered, plus --think-ms):
//    - applicants: the bare page, their applications, their case page (timeline, messages,
//      documents checklist), a download of one of their documents, an upload of a small PDF
//      (multipart), a message to HR;
//    - HR officers: the bare page, their queue, the queue with a filter, a case from it, a
//      transition on it (put on hold, or resume), a note.
// 4. Prints per page: requests, errors, p50/p95/p99 and p95 relative to the bare page (GET /,
//    signed in) measured in the same run; total errors (target 0) and the server process's RSS
//    (/proc/<pid>/status VmRSS, the embedded database's thread included) at the start and the end
//    of the load (target: growth under 100 MB).
// Load generator and server share the machine's cores, so absolute figures include that.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seedIfNeeded } from './support/seed.ts';
import { rssMb, runBenchmark, startAppServer, stopAppServer } from './support/app-server.ts';
import { prng } from '../scripts/support/prng.ts';
import { WebClient, csrfIn, hiddenValue, type Page } from '../scripts/support/web-client.ts';
import { holdReviewDay } from '../test/support/hold.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: 'data/bench' },
    duration: { type: 'string', default: '60' },
    users: { type: 'string', default: '50' },
    cases: { type: 'string', default: '100000' },
    'think-ms': { type: 'string', default: '0' },
  },
});
const dataDir = path.resolve(root, values['data-dir']!);
const durationMs = Number(values.duration) * 1000;
const users = Number(values.users);
const thinkMs = Number(values['think-ms']);
const RSS_GROWTH_TARGET_MB = 100;

const baseEnv: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, UPLOAD_DIR: path.join(dataDir, 'uploads'), LOG_LEVEL: 'warn' };
delete baseEnv.MONGODB_URI;


interface PageStats {
  times: number[];
  errors: number;
  conflicts: number;
  lastError?: string;
}

class Stats {
  readonly pages = new Map<string, PageStats>();
  recording = false;
  /** No request starts after this moment (the end of the warm-up or of the run). */
  deadline = 0;

  private of(name: string): PageStats {
    let p = this.pages.get(name);
    if (!p) this.pages.set(name, (p = { times: [], errors: 0, conflicts: 0 }));
    return p;
  }

  /** Times one request; `expect` is the status a successful answer has (409 counted as a conflict). */
  async time(name: string, expect: number, send: () => Promise<Page>): Promise<Page | undefined> {
    if (Date.now() >= this.deadline) return undefined;
    const t = performance.now();
    let page: Page | undefined;
    let error: string | undefined;
    try {
      page = await send();
      if (page.status !== expect && page.status !== 409) error = `${page.status} ${page.text.slice(0, 120).replace(/\s+/g, ' ')}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const ms = performance.now() - t;
    if (!this.recording) return error ? undefined : page;
    const p = this.of(name);
    p.times.push(ms);
    if (error) {
      p.errors += 1;
      p.lastError = error;
      return undefined;
    }
    if (page!.status === 409) p.conflicts += 1;
    return page;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** A small valid PDF (magic bytes, no markup), different each time. */
function smallPdf(n: number): Blob {
  const text = `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% load ${n} ${'0'.repeat(2000)}\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
  return new Blob([text], { type: 'application/pdf' });
}

const BARE = 'GET / (bare page, signed in)';

async function applicant(stats: Stats, c: WebClient, caseId: string, rand: () => number): Promise<void> {
  let n = 0;
  while (Date.now() < stats.deadline) {
    n += 1;
    await stats.time(BARE, 200, () => c.get('/'));
    await stats.time('applicant: my applications', 200, () => c.get('/applications'));
    const page = await stats.time('applicant: case page (timeline, messages, documents)', 200, () => c.get(`/applications/${caseId}`));
    if (!page) continue;
    const downloads = [...page.text.matchAll(/href="(\/documents\/[a-f0-9]{24}\/download)"/g)].map((m) => m[1]!);
    if (downloads.length) await stats.time('applicant: download a document', 200, () => c.get(downloads[Math.floor(rand() * downloads.length)]!));
    const csrf = csrfIn(page.text);
    const form = new FormData();
    form.append('cv', smallPdf(n), 'cv.pdf');
    await stats.time('applicant: upload a PDF (multipart)', 303, () => c.postMultipart(`/cases/${caseId}/documents`, csrf, form));
    await stats.time('applicant: send a message', 303, () => c.postForm(`/applications/${caseId}/messages`, csrf, { text: `Question ${n} from the load benchmark.` }));
    if (thinkMs) await new Promise((r) => setTimeout(r, thinkMs));
  }
}

const FILTERS = ['?stage=screening&sort=submitted', '?stage=evaluation', '?overdue=1', '?assignee=unassigned&sort=reference', '?stage=submitted&size=50', '?support=visa'];

async function officer(stats: Stats, c: WebClient, rand: () => number): Promise<void> {
  let n = 0;
  while (Date.now() < stats.deadline) {
    n += 1;
    await stats.time(BARE, 200, () => c.get('/'));
    await stats.time('officer: queue', 200, () => c.get('/cases'));
    const filter = FILTERS[Math.floor(rand() * FILTERS.length)]!;
    const queue = await stats.time('officer: queue with a filter', 200, () => c.get(`/cases${filter}&page=${1 + Math.floor(rand() * 3)}`));
    const ids = queue ? [...new Set([...queue.text.matchAll(/href="\/cases\/([a-f0-9]{24})"/g)].map((m) => m[1]!))] : [];
    if (ids.length === 0) continue;
    const caseId = ids[Math.floor(rand() * ids.length)]!;
    const page = await stats.time('officer: case page', 200, () => c.get(`/cases/${caseId}`));
    if (!page) continue;
    const csrf = csrfIn(page.text);
    const action = page.text.includes('data-action="resume"') ? 'resume' : page.text.includes('data-action="put_on_hold"') ? 'put_on_hold' : undefined;
    // A hold is taken by its confirming POST, with its review date (the first POST only shows the confirmation page).
    const hold = action === 'put_on_hold';
    if (action) await stats.time('officer: transition (hold / resume)', 303, () => c.postForm(`/cases/${caseId}/actions/${action}${hold ? '/confirm' : ''}`, csrf, { version: hiddenValue(page.text, 'version') ?? '', reason: 'Load benchmark', ...(hold ? { reviewBy: holdReviewDay() } : {}) }));
    await stats.time('officer: add a note', 303, () => c.postForm(`/cases/${caseId}/notes`, csrf, { note: `Note ${n} from the load benchmark.` }));
    if (thinkMs) await new Promise((r) => setTimeout(r, thinkMs));
  }
}

/** Signs in; a TOTP code already used in this 30-second step (an earlier run) waits for the next one. */
async function signIn(c: WebClient, email: string, password: string, secret?: string): Promise<void> {
  try {
    await c.signIn(email, password, secret);
  } catch (err) {
    if (!secret) throw err;
    await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 500));
    await c.signIn(email, password, secret);
  }
}

async function main(): Promise<void> {
  const accounts = seedIfNeeded({ root, dataDir, cases: Number(values.cases), env: baseEnv });

  const t0 = Date.now();
  // The outbox dispatcher runs as in production (every 2 s), writing e-mails to DATA_DIR/mail.
  const { child: server, base } = await startAppServer({ dataDir, env: { DISPATCH_INTERVAL_MS: '2000' } });
  const rssReady = rssMb(server.pid!);
  process.stdout.write(`server ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${accounts.cases} cases, embedded database in ${dataDir}); RSS ${rssReady.toFixed(0)} MB\n`);
  try {
    const nApplicants = Math.min(accounts.applicants.length, Math.ceil(users / 2));
    const nOfficers = Math.min(accounts.officers.length, users - nApplicants);
    const stats = new Stats();
    const rand = prng(20260610);
    const clients: Array<{ run: () => Promise<void>; signIn: () => Promise<void> }> = [];
    for (const a of accounts.applicants.slice(0, nApplicants)) {
      const c = new WebClient(base);
      clients.push({ signIn: () => signIn(c, a.email, accounts.password), run: () => applicant(stats, c, a.caseId, prng(Math.floor(rand() * 2 ** 31))) });
    }
    for (const o of accounts.officers.slice(0, nOfficers)) {
      const c = new WebClient(base);
      clients.push({ signIn: () => signIn(c, o.email, accounts.password, o.totpSecret), run: () => officer(stats, c, prng(Math.floor(rand() * 2 ** 31))) });
    }
    for (let i = 0; i < clients.length; i += 5) await Promise.all(clients.slice(i, i + 5).map((c) => c.signIn()));
    process.stdout.write(`${clients.length} users signed in (${nApplicants} applicants, ${nOfficers} HR officers)\n`);

    // A short warm-up (not recorded), then the measured run.
    stats.deadline = Date.now() + 10_000;
    await Promise.all(clients.map((c) => c.run()));
    const rssStart = rssMb(server.pid!);
    let rssPeak = rssStart;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(server.pid!))), 1000);
    stats.recording = true;
    const started = Date.now();
    stats.deadline = started + durationMs;
    await Promise.all(clients.map((c) => c.run()));
    const elapsed = (Date.now() - started) / 1000;
    stats.recording = false;
    clearInterval(sampler);
    const rssEnd = rssMb(server.pid!);
    rssPeak = Math.max(rssPeak, rssEnd);

    const rows = [...stats.pages].map(([name, p]) => {
      const sorted = [...p.times].sort((a, b) => a - b);
      return { name, requests: p.times.length, errors: p.errors, conflicts: p.conflicts, lastError: p.lastError, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) };
    });
    const bare = rows.find((r) => r.name === BARE)!.p95;
    const total = rows.reduce((s, r) => s + r.requests, 0);
    const errors = rows.reduce((s, r) => s + r.errors, 0);
    const conflicts = rows.reduce((s, r) => s + r.conflicts, 0);
    const fmt = (n: number) => n.toFixed(0).padStart(7);
    const w = Math.max(...rows.map((r) => r.name.length));
    process.stdout.write(`\n${clients.length} users for ${elapsed.toFixed(0)} s against ${accounts.cases} cases, closed loop (think time ${thinkMs} ms)\n\n`);
    process.stdout.write(`${'page'.padEnd(w)} ${'requests'.padStart(8)} ${'errors'.padStart(6)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)}  p95/bare\n`);
    for (const r of rows) process.stdout.write(`${r.name.padEnd(w)} ${String(r.requests).padStart(8)} ${String(r.errors).padStart(6)} ${fmt(r.p50)} ${fmt(r.p95)} ${fmt(r.p99)}  ${(r.p95 / bare).toFixed(2).padStart(8)}\n`);
    for (const r of rows) if (r.lastError) process.stdout.write(`  last error on ${r.name}: ${r.lastError}\n`);
    process.stdout.write(`\nrequests ${total} (${(total / elapsed).toFixed(0)}/s), errors ${errors}, stale-form conflicts ${conflicts} (409: two officers on one case, refused as designed)\n`);
    const growth = rssEnd - rssStart;
    process.stdout.write(`server RSS: ${rssStart.toFixed(0)} MB at the start of the load, ${rssEnd.toFixed(0)} MB at the end (growth ${growth.toFixed(0)} MB, peak ${rssPeak.toFixed(0)} MB; ${rssReady.toFixed(0)} MB when ready)\n`);
    const met = errors === 0 && growth < RSS_GROWTH_TARGET_MB;
    process.stdout.write(`targets: errors 0 — ${errors === 0 ? 'met' : 'NOT met'}; RSS growth under ${RSS_GROWTH_TARGET_MB} MB — ${growth < RSS_GROWTH_TARGET_MB ? 'met' : 'NOT met'}\n`);
    process.exitCode = met ? 0 : 1;
  } finally {
    await stopAppServer(server);
  }
}

runBenchmark(main);
