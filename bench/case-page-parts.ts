// The case page's web-thread CPU split into its parts, in one process: the app (production mode,
// view cache on, the embedded database on its own thread as in `npm start`) on a copy of the
// benchmark data; the benchmark officer's case page is loaded once over HTTP to capture what the
// route computes, then each part is repeated `n` times and timed by this thread's CPU time
// (/proc/self/task/<pid>/stat): reading the case and everything the page loads (loadCasePage, its
// database round trips included), the presenter (casePage) and the render (template, partials,
// layout). The whole request (session, passport, middleware, the response's write) is what
// bench/page-cpu.ts measures; this says where the page's own share goes.
//   node --import tsx bench/case-page-parts.ts [--n 2000] [--rounds 5] [--data-dir data/bench-100000]
import { cpSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ExpressHandlebars } from 'express-handlebars';
import { ACCOUNTS_FILE, type BenchAccounts } from '../scripts/seed-bench.ts';
import { WebClient } from '../scripts/support/web-client.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { n: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' }, 'data-dir': { type: 'string' } } });
const source = path.resolve(root, values['data-dir'] ?? 'data/bench-100000');
const accounts = JSON.parse(readFileSync(path.join(source, ACCOUNTS_FILE), 'utf8')) as BenchAccounts;
const n = Number(values.n);
// A copy: the app writes to its data directory (sessions).
const dataDir = `${source}-parts`;
rmSync(dataDir, { recursive: true, force: true });
cpSync(source, dataDir, { recursive: true, filter: (src) => !src.endsWith('mongod.lock') });

Object.assign(process.env, { NODE_ENV: 'production', DATA_DIR: dataDir, UPLOAD_DIR: path.join(dataDir, 'uploads'), SESSION_SECRET: 'benchmark-session-secret-0123456789abcdef', DATA_ENCRYPTION_KEY: 'b'.repeat(64), SECURE_COOKIES: 'false', LOG_LEVEL: 'warn', WEB_WORKERS: '0' });
delete process.env.MONGODB_URI;

// The page's render, captured as the view engine is asked for it (bound in its constructor: patched before the app makes it).
let captured: { viewPath: string; options: Record<string, unknown> } | undefined;
const renderView = ExpressHandlebars.prototype.renderView;
ExpressHandlebars.prototype.renderView = function (this: ExpressHandlebars, viewPath: string, ...rest: unknown[]) {
  if (viewPath.endsWith(path.join('cases', 'show.hbs')) && rest[0] && typeof rest[0] === 'object') captured = { viewPath, options: rest[0] as Record<string, unknown> };
  return (renderView as (...a: unknown[]) => unknown).call(this, viewPath, ...rest);
} as typeof renderView;

const { loadConfig } = await import('../server/config.ts');
const { createLogger } = await import('../server/logger.ts');
const { openDatabase } = await import('../server/db/index.ts');
const { createMailer } = await import('../server/mail/mailer.ts');
const { createApp } = await import('../server/http/app.ts');
const { viewEngine } = await import('../server/views/engine.ts');
const { newPagePieces, PIECES } = await import('../server/views/pieces.ts');
const { staffCaseRecord, loadCasePage } = await import('../server/cases/page.ts');
const { casePage } = await import('../server/cases/present.ts');
await import('../models/all.ts');
type Ctx = import('../server/context.ts').Context;

const config = loadConfig();
const logger = createLogger('warn');
const db = await openDatabase(config, logger);
const mailer = createMailer({ smtpUrl: undefined, mailDir: config.mailDir, from: config.mailFrom });
const app = createApp({ config, logger, db, mailer });
let ctx: Ctx | undefined;
const render = app.response.render;
app.response.render = function (this: import('express').Response, ...args: unknown[]) {
  if (args[0] === 'cases/show') ctx = this.req.ctx;
  return (render as (...a: unknown[]) => unknown).apply(this, args);
} as typeof render;
const server = http.createServer(app);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const TICK_MS = 10;
function threadCpuMs(): number {
  const f = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

try {
  const officer = new WebClient(base, 180_000);
  await officer.signIn(accounts.officers[0]!.email, accounts.password, accounts.officers[0]!.totpSecret);
  const queue = await officer.get('/cases?size=50');
  const ids = [...new Set([...queue.text.matchAll(/href="\/cases\/([a-f0-9]{24})"/g)].map((m) => m[1]!))];
  const caseId = ids[Math.floor(ids.length / 2)]!;
  const page = await officer.get(`/cases/${caseId}`);
  if (page.status !== 200 || !captured || !ctx) throw new Error(`the case page answered ${page.status}`);
  const c = ctx;
  const cap = captured;
  console.log(`case ${caseId}, locale ${c.locale}, page ${page.text.length} characters`);
  const hbs = viewEngine();
  const parts: Record<string, () => Promise<unknown>> = {
    // One round trip of the driver for scale: the officer's own user document by _id.
    'one findOne (users)': () => db.connection.db!.collection('users').findOne({ _id: c.actor!._id }),
    'staffCaseRecord': () => staffCaseRecord({ ctx: c, caseId }),
    'read + loadCasePage': async () => loadCasePage({ ctx: c, caseDoc: (await staffCaseRecord({ ctx: c, caseId })).caseRecord }),
    'casePage (presenter)': async () => casePage(c, await data),
    render: () => hbs.renderView(cap.viewPath, { ...cap.options, [PIECES]: newPagePieces() }),
  };
  let data = loadCasePage({ ctx: c, caseDoc: (await staffCaseRecord({ ctx: c, caseId })).caseRecord });
  await data;
  const results: Record<string, number[]> = {};
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [name, fn] of Object.entries(parts)) {
      if (name === 'casePage (presenter)') {
        // The presenter alone: the page data loaded once, outside the timing.
        const loaded = await data;
        data = Promise.resolve(loaded);
      }
      for (let i = 0; i < 50; i++) await fn();
      const c0 = threadCpuMs();
      for (let i = 0; i < n; i++) await fn();
      (results[name] ??= []).push(((threadCpuMs() - c0) / n) * 1000);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`${values.rounds} rounds of ${n}; web thread CPU µs per call (median; rounds)`);
  for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(22)} ${median(xs).toFixed(0).padStart(6)}   (${xs.map((x) => x.toFixed(0)).join(', ')})`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  server.closeAllConnections();
  server.close();
  await mailer.close();
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit();
}
