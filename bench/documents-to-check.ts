// The queue's "documents to check" filter (`/cases?documents=1`) and the staff home that counts it,
// at 100,000 cases, for an HR officer of the big institute (half the cases) and of a small one (an
// eighth), each as a ratio to the same officer's plain queue in the same run, on the benchmark data
// set with documents added.
//
//   node --import tsx bench/documents-to-check.ts [--root /path/to/checkout] [--data-dir data/bench-100000] [--duration 10]
//
// 1. When the data set holds no documents, adds two per non-draft case (a CV and a passport):
//    the CV waits for HR's check in the stages where HR screens (submitted, screening,
//    awaiting_applicant: about a quarter of the cases, across every institute), the rest are
//    accepted. Written lean, around the model: the first start's backfill of the cases' flag
//    (server/documents/to-check.ts) flags their cases.
// 2. Starts `--root`'s server on it (default this checkout), waits for the start-time work, and
//    loads for each officer: the queue (50 rows), the queue with `documents=1`, and the home page.
//    Prints req/s and p95, and each page's throughput over the plain queue's of the same officer.
// Run once with the checkout before a change (--root) and once after, on the same data directory.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose, { Types } from 'mongoose';
import { ACCOUNTS_FILE, type BenchAccounts } from '../scripts/seed-bench.ts';
import { autocannonLoad, signIn, startAppServer, stopAppServer, warm } from './support/app-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { root: { type: 'string' }, 'data-dir': { type: 'string' }, duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } } });
const dataDir = path.resolve(root, values['data-dir'] ?? 'data/bench-100000');
const duration = Number(values.duration);
const connections = Number(values.connections);
const accounts = JSON.parse(readFileSync(path.join(dataDir, ACCOUNTS_FILE), 'utf8')) as BenchAccounts;
const log = (s: string) => process.stdout.write(`${s}\n`);

const WAITING_STAGES = new Set(['submitted', 'screening', 'awaiting_applicant']);

async function addDocuments(): Promise<void> {
  process.env.DATA_DIR = dataDir;
  process.env.UPLOAD_DIR = path.join(dataDir, 'uploads');
  const [{ loadConfig }, { createLogger }, { openDatabase }, { Case }] = await Promise.all([
    import('../server/config.ts'),
    import('../server/logger.ts'),
    import('../server/db/index.ts'),
    import('../models/case.ts'),
  ]);
  const db = await openDatabase(loadConfig(), createLogger('warn'));
  try {
    const documents = mongoose.connection.db!.collection('documents');
    if ((await documents.estimatedDocumentCount()) > 0) return;
    const t0 = Date.now();
    const by = new Types.ObjectId();
    const at = new Date();
    let batch: Record<string, unknown>[] = [];
    let written = 0;
    let waiting = 0;
    const file = (caseId: Types.ObjectId, type: string, status: string, n: number) => ({
      case: caseId, type, slot: 0, version: 1, current: true, storage: 'disk', storageKey: `bench${n.toString(16).padStart(27, '0')}`,
      originalName: `${type}.pdf`, mimeType: 'application/pdf', size: 1000, sha256: 'a'.repeat(64), uploadedBy: by, status,
      ...(status === 'accepted' ? { reviewedBy: by, reviewedAt: at } : {}), createdAt: at, updatedAt: at,
    });
    for await (const c of Case.find({ stage: { $ne: 'draft' } }, { stage: 1 }).lean().cursor()) {
      const wait = WAITING_STAGES.has(c.stage);
      if (wait) waiting += 1;
      batch.push(file(c._id, 'cv', wait ? 'pending' : 'accepted', written++), file(c._id, 'passport', 'accepted', written++));
      if (batch.length >= 2000) {
        await documents.insertMany(batch, { ordered: false });
        batch = [];
      }
    }
    if (batch.length) await documents.insertMany(batch, { ordered: false });
    log(`added ${written} documents (${waiting} cases with a CV to check) in ${Math.round((Date.now() - t0) / 1000)} s`);
    await db.compact?.();
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  await addDocuments();
  const checkout = path.resolve(values.root ?? root);
  log(`server from ${checkout}; ${connections} connections, ${duration} s per page`);
  const srv = await startAppServer({ dataDir, root: checkout });
  try {
    await srv.settled;
    await srv.jobsDone;
    // The start-time backfills (5 s after listening) have had their time too.
    await new Promise((r) => setTimeout(r, 15_000));
    for (const [who, i] of [['officer, institute 0 (1/2 of the cases)', 0], ['officer, institute 1 (1/8 of the cases)', 5]] as const) {
      const officer = accounts.officers[i]!;
      const cookie = await signIn(srv.base, officer.email, accounts.password, officer.totpSecret);
      log(who);
      const pages = [['queue', '/cases?size=50'], ['queue, documents to check', '/cases?size=50&documents=1'], ['home', '/']] as const;
      let plain = NaN;
      for (const [name, url] of pages) {
        // A page that cannot answer at all is a figure too (the filter at 10,000 waiting cases did not).
        await warm(srv.base, url, cookie).catch((err: unknown) => log(`  ${name}: ${(err as Error).message}`));
        const row = await autocannonLoad({ name, base: srv.base, url, cookie, connections, duration });
        if (name === 'queue') plain = row.rps;
        log(`  ${name.padEnd(28)} ${row.rps.toFixed(0).padStart(5)} req/s  p95 ${row.p95.toFixed(1).padStart(6)} ms  non-200 ${row.bad}  ratio to the queue ${(row.rps / plain).toFixed(2)}`);
      }
    }
  } finally {
    await stopAppServer(srv.child);
  }
}

await main();
