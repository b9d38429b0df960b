// What the recount of a case's "documents to check" flag (models/document.ts recountDocumentsToCheck)
// costs the document writes that trigger it: a checkout's models against the embedded database on
// disk (as `npm start` runs it, in a temporary data directory), on one case of the usual size.
//
//   node --import tsx bench/documents-to-check-recount.ts [--root /path/to/checkout] [--n 300]
//
// Times, each as milliseconds per document write (median of 3 runs):
// - upload: a new document saved (a new slot of "other"), as an upload stores each file;
// - decision: one document's status set (findOneAndUpdate, as HR's check does), one after another;
// - burst: six documents' statuses set at once (six concurrent decisions on one case), per write.
// Run it with --root pointing at the checkout before a change and without it, one after the other,
// and compare the lines (on a shared machine single runs move by half: run each twice or more).
// Why it exists: a first race-free recount took a ticket and cleared a mark on the case (three
// case writes per document write, each a journal write to disk): uploads took 15 ms here instead
// of 4, decisions 12 instead of 5. The recount that counts again after its own write adds none.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Types } from 'mongoose';

const { values } = parseArgs({ options: { root: { type: 'string' }, n: { type: 'string', default: '300' } } });
const root = path.resolve(values.root ?? path.resolve(import.meta.dirname, '..'));
const n = Number(values.n);
const work = await mkdtemp(path.join(tmpdir(), 'bench-recount-'));
process.env.DATA_DIR = path.join(work, 'data');
process.env.UPLOAD_DIR = path.join(work, 'uploads');
process.env.LOG_LEVEL = 'warn';

const from = (p: string) => import(path.join(root, p));
const [{ loadConfig }, { createLogger }, { openDatabase }, { CaseDocument }, factories, caseFactories] = await Promise.all([
  from('server/config.ts'),
  from('server/logger.ts'),
  from('server/db/index.ts'),
  from('models/document.ts'),
  from('test/support/factories.ts'),
  from('test/support/case-factories.ts'),
]);
const db = await openDatabase(loadConfig(), createLogger('warn'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (s: string) => process.stdout.write(`${s}\n`);

try {
  const institute = await factories.createInstitute();
  const call = await caseFactories.createCall({ institute, checklist: [{ type: 'other', phase: 'application', required: false, multiple: true }] });
  const applicant = await factories.createUser({ role: 'applicant', locale: 'en' });
  let slot = 0;
  // `institute`: required by checkouts whose documents carried it; dropped (strict schema) by the others.
  const file = (caseId: Types.ObjectId) => ({
    case: caseId, institute: institute._id, type: 'other', slot: slot++, version: 1, storage: 'disk', storageKey: `bench-${slot}`,
    originalName: 'other.pdf', mimeType: 'application/pdf', size: 1000, sha256: 'a'.repeat(64), uploadedBy: applicant._id,
  });
  const timed = async (ops: number, run: () => Promise<void>) => {
    const t0 = performance.now();
    await run();
    return (performance.now() - t0) / ops;
  };
  const rows: Record<string, number[]> = { upload: [], decision: [], burst: [] };
  for (let rep = 0; rep < 4; rep++) {
    const c = await caseFactories.createCase({ applicant, call, stage: 'screening' });
    const upload = await timed(n, async () => {
      for (let i = 0; i < n; i++) await CaseDocument.create(file(c._id));
    });
    const docs = (await CaseDocument.find({ case: c._id }, { _id: 1 }).limit(6).lean()) as Array<{ _id: Types.ObjectId }>;
    const decision = await timed(n, async () => {
      for (let i = 0; i < n; i++) await CaseDocument.findOneAndUpdate({ _id: docs[i % 6]!._id }, { $set: { status: i % 2 ? 'pending' : 'accepted' } });
    });
    const bursts = Math.ceil(n / 6);
    const burst = await timed(bursts * 6, async () => {
      for (let b = 0; b < bursts; b++) await Promise.all(docs.map((d, i) => CaseDocument.updateOne({ _id: d._id }, { $set: { status: (b + i) % 2 ? 'pending' : 'accepted' } })));
    });
    // The first run warms the code and the collections: not counted.
    if (rep === 0) continue;
    rows.upload!.push(upload);
    rows.decision!.push(decision);
    rows.burst!.push(burst);
  }
  log(`models from ${root}; ${n} writes each, ms per document write (median of 3)`);
  for (const [name, xs] of Object.entries(rows)) log(`  ${name.padEnd(9)} ${median(xs).toFixed(3).padStart(7)} ms   (runs: ${xs.map((x) => x.toFixed(3)).join(', ')})`);
} finally {
  await db.close();
  await rm(work, { recursive: true, force: true });
}
