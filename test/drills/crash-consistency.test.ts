// Drill: the app SIGKILLed during a burst of transitions and uploads, 10 times in a row on the same
// data. Each trial: the real app (a child process, embedded database on disk, uploads on disk)
// gets a concurrent burst over HTTP — HR putting cases on hold and resuming them and adding
// notes, applicants uploading one or two PDFs at a time (multipart, up to 1.5 MB) — and is
// SIGKILLed at a random moment. After the restart (and its start-up sweep), checked through the
// database and the upload folder:
//   - each case's stage is the `to` of its last stage-changing history event, and its version
//     counts those events;
//   - each audit event has its change (a transition its history event, a note its note, an upload
//     its document record);
//   - no document record points at a missing (or different) file;
//   - no stored file and no temporary upload file is left without a record.
// And after the last restart, once the repair of unaudited changes (pending-case-audits,
// server/cases/pending-audit.ts and server/documents/pending-audit.ts) has had its first run, the
// other way round: every change that landed (each history event and note the drill's requests
// wrote, each document record an upload wrote) has exactly one audit event, and no case or document
// still carries an unrecorded one (an upload's event rides in its record's own write).
// Timings come from a seeded PRNG: a failing run prints its seed; DRILL_SEED=<seed> replays it.
import { expect } from 'chai';
import { holdReviewDay } from '../support/hold.ts';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ObjectId, type MongoClient } from 'mongodb';
import { prng } from '../../scripts/support/prng.ts';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { connectToAppDatabase, drillEnv, runScript, startApp, waitReady, type AppProcess } from './support/app-process.ts';
import type { Seeded } from './support/seed.ts';

const TRIALS = 10;
const SEED = Number(process.env.DRILL_SEED) || Math.floor(Math.random() * 2 ** 31);

interface Tally {
  transitions: number;
  notes: number;
  uploads: number;
  refused: number;
  cutOff: number;
}

interface SweepLog {
  disk: { tempFiles: number; storedFiles: number };
}

/** A small valid PDF of `size` bytes (magic bytes first, no markup). */
function pdf(size: number, fill: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n');
  const tail = Buffer.from('\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  const body = Buffer.alloc(Math.max(0, size - head.length - tail.length), 0x30 + (fill % 10));
  return Buffer.concat([head, body, tail]);
}

describe('drill: crash consistency, app SIGKILLed during bursts of transitions and uploads', function () {
  this.timeout(300_000);
  let dataDir: string;
  let app: AppProcess | undefined;
  let db: MongoClient | undefined;

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-crash-'));
  });

  after(async () => {
    await db?.close().catch(() => undefined);
    await app?.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stdout.write(`      drill seed: ${SEED} (replay with DRILL_SEED=${SEED})\n`);
  });

  it(`keeps stages, history, audit, records and files consistent across ${TRIALS} SIGKILLs`, async () => {
    const rand = prng(SEED);
    const uploadDir = path.join(dataDir, 'uploads');
    const env = drillEnv(dataDir, { UPLOAD_RATE_PER_HOUR: '1000000', DISPATCH_INTERVAL_MS: '60000' });
    const checklist = [
      { type: 'cv', phase: 'application', required: true },
      { type: 'recommendation_letter', phase: 'application', required: false, multiple: true },
      { type: 'publications_list', phase: 'application', required: false },
    ];
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 4, stage: 'screening', checklist })], env)).trim().split('\n').pop()!) as Seeded;
    const caseIds = seeded.applicants.map((a) => a.caseId);

    async function boot(): Promise<SweepLog> {
      await db?.close().catch(() => undefined);
      app = startApp(env);
      await waitReady(app);
      const line = await app.waitForLog(/\{[^\n]*"msg":"upload storage swept"\}/);
      db = await connectToAppDatabase(app, dataDir);
      return (JSON.parse(line) as { sweep: SweepLog }).sweep;
    }

    await boot();
    // What the seed wrote: the drill's changes are what comes after.
    const seededLengths = new Map((await db!.db().collection('cases').find({ _id: { $in: caseIds.map((id) => new ObjectId(id)) } }).toArray()).map((c) => [String(c._id), { history: (c.history ?? []).length, notes: (c.notes ?? []).length }]));
    const hr = new WebClient(() => app!.url, 10_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const applicants = await Promise.all(
      seeded.applicants.map(async (a) => {
        const c = new WebClient(() => app!.url, 10_000);
        await c.signIn(a.email, seeded.password);
        return { client: c, caseId: a.caseId };
      }),
    );

    const figures: string[] = [];
    const anomalies: string[] = [];
    let swept = { tempFiles: 0, storedFiles: 0 };
    for (let trial = 1; trial <= TRIALS; trial += 1) {
      const tally: Tally = { transitions: 0, notes: 0, uploads: 0, refused: 0, cutOff: 0 };
      let killed = false;
      let failure: string | undefined;
      /** One person's loop of requests until the app dies under them. */
      const loop = async (step: () => Promise<void>) => {
        while (!killed && !failure) {
          try {
            await step();
          } catch (err) {
            if (killed) tally.cutOff += 1;
            else failure = `a request failed before the SIGKILL: ${(err as Error).message}`;
          }
        }
      };
      const officer = async () => {
        const caseId = caseIds[Math.floor(rand() * caseIds.length)]!;
        const page = await hr.get(`/cases/${caseId}`);
        if (page.status !== 200) throw new Error(`GET case ${page.status}`);
        const csrf = csrfIn(page.text);
        if (rand() < 0.35) {
          const r = await hr.postForm(`/cases/${caseId}/notes`, csrf, { note: 'n'.repeat(1 + Math.floor(rand() * 400)) });
          if (r.status === 303) tally.notes += 1;
          return;
        }
        // The resume button, not the case's list of decisions (an <li data-action="resume"> once it was resumed).
        const action = /<button[^>]*data-action="resume"/.test(page.text) ? 'resume' : 'put_on_hold';
        // A hold is taken by its confirming POST (the first one only shows the confirmation page).
        const r = await hr.postForm(`/cases/${caseId}/actions/${action}${action === 'put_on_hold' ? '/confirm' : ''}`, csrf, { version: hiddenValue(page.text, 'version') ?? '', reason: 'drill', reviewBy: holdReviewDay() });
        if (r.status === 303) tally.transitions += 1;
        else if (r.status === 409) tally.refused += 1; // a stale form: another request moved the case first
        else throw new Error(`${action} answered ${r.status} : ${/<title>([^<]*)/.exec(r.text)?.[1] ?? r.text.slice(0, 200)}`);
      };
      const uploader = (a: (typeof applicants)[number]) => async () => {
        const page = await a.client.get(`/applications/${a.caseId}`);
        if (page.status !== 200) throw new Error(`GET application ${page.status}`);
        const form = new FormData();
        const files = rand() < 0.5 ? ['cv'] : ['recommendation_letter', rand() < 0.5 ? 'cv' : 'publications_list'];
        for (const field of files) {
          const size = rand() < 0.3 ? 200_000 + Math.floor(rand() * 1_300_000) : 500 + Math.floor(rand() * 20_000);
          form.append(field, new Blob([pdf(size, Math.floor(rand() * 10))], { type: 'application/pdf' }), `${field}.pdf`);
        }
        const r = await a.client.postMultipart(`/cases/${a.caseId}/documents`, csrfIn(page.text), form);
        if (r.status === 303) tally.uploads += files.length;
        else throw new Error(`upload answered ${r.status}: ${r.text.slice(0, 200)}`);
      };

      // The SIGKILL lands a random time after a random number of completed requests, so that it
      // finds the burst in full swing whatever the machine's speed.
      const afterDone = 1 + Math.floor(rand() * 8);
      const killAfter = Math.floor(rand() * 400);
      const workers = [loop(officer), loop(officer), ...applicants.map((a) => loop(uploader(a)))];
      const t0 = Date.now();
      while (tally.transitions + tally.notes + tally.uploads + tally.refused < afterDone && !failure) {
        if (Date.now() - t0 > 30_000) failure = `trial ${trial} completed no ${afterDone} requests in 30 s`;
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, killAfter));
      killed = true;
      await app!.kill9();
      await Promise.all(workers);
      if (failure) throw new Error(`${failure}\n${app!.output().split('\n').filter((l) => l.includes('"security"')).slice(-5).join('\n')}`);

      const sweep = await boot();
      // The sessions live in the database: everyone is still signed in after the restart.
      for (const c of [hr, ...applicants.map((a) => a.client)]) expect((await c.get('/account')).status, 'signed in after the restart').to.equal(200);
      swept = { tempFiles: swept.tempFiles + sweep.disk.tempFiles, storedFiles: swept.storedFiles + sweep.disk.storedFiles };
      const found = await checkInvariants(db!, caseIds, uploadDir);
      anomalies.push(...found.map((f) => `trial ${trial}: ${f}`));
      figures.push(
        `trial ${trial}: SIGKILL ${killAfter} ms after ${afterDone} completed requests; ${tally.transitions} transitions, ${tally.notes} notes, ${tally.uploads} files uploaded ` +
          `(${tally.refused} stale forms refused, ${tally.cutOff} requests cut off); swept ${sweep.disk.tempFiles} temporary and ${sweep.disk.storedFiles} unrecorded files; ${found.length} anomalies`,
      );
    }
    // The repair's first run on the last start (after the grace: server/cases/job.ts) records what
    // the kills left on the cases; the earlier starts' runs, if a trial outlasted the grace, did some.
    await app!.waitForLog(/\{[^\n]*"service":"pending-case-audits"[^\n]*"msg":"background run finished"\}/, 60_000);
    const both = await checkEveryChangeAudited(db!, caseIds, seededLengths);
    anomalies.push(...both.anomalies.map((f) => `after the repair: ${f}`));
    process.stdout.write(`      drill seed ${SEED}\n${figures.map((f) => `      ${f}\n`).join('')}`);
    process.stdout.write(`      drill figures: ${TRIALS} trials, ${anomalies.length} anomalies; start-up sweeps removed ${swept.tempFiles} temporary and ${swept.storedFiles} unrecorded files\n`);
    process.stdout.write(
      `      drill audit, both ways: ${TRIALS} kills; ${both.changes} changes landed (${both.transitions} transitions, ${both.notes} notes), ${both.events} case events, ` +
        `${both.byRepair} of them recorded by the repair; ${both.documents} documents, each with its upload event, ${both.uploadsByRepair} of them recorded by the repair\n`,
    );
    expect(anomalies).to.deep.equal([]);
  });
});

interface HistoryEvent {
  at: Date;
  action: string;
  from?: string;
  to?: string;
  actor?: ObjectId;
}

interface BothWays {
  anomalies: string[];
  changes: number;
  transitions: number;
  notes: number;
  events: number;
  byRepair: number;
  documents: number;
  uploadsByRepair: number;
}

/**
 * The reverse direction, once the repair has run: each transition the drill made (a history event
 * with from and to, after the seed's) has exactly one case.transition event of its version, each
 * hold exactly one case.decision; the notes' lengths and the note events' lengths are the same
 * multiset; each document record has exactly one document.upload event; no case or document still
 * carries pending events. Keyed by the case's version (the n-th transition makes version n), so two
 * moves in one millisecond are still told apart.
 */
async function checkEveryChangeAudited(client: MongoClient, caseIds: string[], seeded: Map<string, { history: number; notes: number }>): Promise<BothWays> {
  const d = client.db();
  const out: string[] = [];
  const cases = await d.collection('cases').find({ _id: { $in: caseIds.map((id) => new ObjectId(id)) } }).toArray();
  const audit = await d.collection('auditevents').find({ targetType: 'case', targetId: { $in: caseIds } }).toArray();
  const count = new Map<string, number>();
  const bump = (k: string) => count.set(k, (count.get(k) ?? 0) + 1);
  for (const a of audit) {
    const s = (a.summary ?? {}) as Record<string, unknown>;
    if (a.action === 'case.transition') bump(`${String(a.targetId)} v${String(s.version)} transition ${String(s.action)} ${String(s.from)}>${String(s.to)} @${(a.at as Date).getTime()}`);
    else if (a.action === 'case.decision') bump(`${String(a.targetId)} v${String(s.version)} decision ${String(s.decision)} ${String(s.from)}>${String(s.to)} @${s.decidedAt instanceof Date ? s.decidedAt.getTime() : NaN}`);
    else if (a.action === 'case.note_added') bump(`${String(a.targetId)} note of ${String(s.length)}`);
  }
  const expected = new Map<string, number>();
  const want = (k: string) => expected.set(k, (expected.get(k) ?? 0) + 1);
  let transitions = 0;
  let notes = 0;
  for (const c of cases) {
    const id = String(c._id);
    const from = seeded.get(id) ?? { history: 0, notes: 0 };
    const history = (c.history ?? []) as HistoryEvent[];
    let version = 0;
    for (const [i, h] of history.entries()) {
      if (!(h.from && h.to)) continue;
      version += 1;
      if (i < from.history) continue;
      transitions += 1;
      want(`${id} v${version} transition ${h.action} ${h.from}>${h.to} @${h.at.getTime()}`);
      if (h.action === 'put_on_hold') want(`${id} v${version} decision ${h.action} ${h.from}>${h.to} @${h.at.getTime()}`);
    }
    for (const n of ((c.notes ?? []) as Array<{ text: string }>).slice(from.notes)) {
      notes += 1;
      want(`${id} note of ${n.text.length}`);
    }
    const pending = (c.pendingAudits ?? []) as unknown[];
    if (pending.length) out.push(`case ${id} still carries ${pending.length} unrecorded audit events`);
  }
  for (const [k, n] of expected) if ((count.get(k) ?? 0) !== n) out.push(`change ${k}: ${n} landed, ${count.get(k) ?? 0} audit events`);
  for (const [k, n] of count) if (!expected.has(k)) out.push(`audit event ${k} (${n}) has no change`);
  const docs = await d.collection('documents').find({ case: { $in: caseIds.map((id) => new ObjectId(id)) } }, { projection: { _id: 1, pendingAudits: 1 } }).toArray();
  const uploadEvents = await d.collection('auditevents').find({ action: 'document.upload', targetId: { $in: docs.map((x) => String(x._id)) } }, { projection: { targetId: 1, summary: 1 } }).toArray();
  const uploads = new Map<string, number>();
  for (const a of uploadEvents) uploads.set(String(a.targetId), (uploads.get(String(a.targetId)) ?? 0) + 1);
  for (const x of docs) {
    const n = uploads.get(String(x._id)) ?? 0;
    if (n !== 1) out.push(`document ${String(x._id)}: ${n} upload events`);
    const pending = (x.pendingAudits ?? []) as unknown[];
    if (pending.length) out.push(`document ${String(x._id)} still carries ${pending.length} unrecorded audit events`);
  }
  return {
    anomalies: out,
    changes: transitions + notes,
    transitions,
    notes,
    events: [...count.values()].reduce((a, b) => a + b, 0),
    byRepair: audit.filter((a) => (a.summary as Record<string, unknown> | undefined)?.recordedByRepair === true).length,
    documents: docs.length,
    uploadsByRepair: uploadEvents.filter((a) => (a.summary as Record<string, unknown> | undefined)?.recordedByRepair === true).length,
  };
}

/** Every broken invariant, as a sentence. */
async function checkInvariants(client: MongoClient, caseIds: string[], uploadDir: string): Promise<string[]> {
  const out: string[] = [];
  const d = client.db();
  const cases = await d.collection('cases').find({ _id: { $in: caseIds.map((id) => new ObjectId(id)) } }).toArray();
  const caseById = new Map(cases.map((c) => [String(c._id), c]));
  for (const c of cases) {
    const history = (c.history ?? []) as HistoryEvent[];
    const moves = history.filter((h) => h.to);
    const last = moves[moves.length - 1];
    if (!last || last.to !== c.stage) out.push(`case ${String(c._id)} is ${c.stage} but its last history event says ${last?.to}`);
    const transitions = history.filter((h) => h.from && h.to).length;
    if (c.version !== transitions) out.push(`case ${String(c._id)} has version ${c.version} after ${transitions} transitions`);
  }

  const docs = await d.collection('documents').find({ case: { $in: caseIds.map((id) => new ObjectId(id)) } }).toArray();
  const docById = new Map(docs.map((x) => [String(x._id), x]));
  const notesLeft = new Map<string, number[]>();
  for (const c of cases) notesLeft.set(String(c._id), ((c.notes ?? []) as Array<{ text: string }>).map((n) => n.text.length));
  const audit = await d.collection('auditevents').find({ targetType: { $in: ['case', 'document'] } }).toArray();
  for (const a of audit) {
    const s = (a.summary ?? {}) as Record<string, unknown>;
    if (a.action === 'case.transition') {
      const c = caseById.get(String(a.targetId));
      const ok = c && ((c.history ?? []) as HistoryEvent[]).some((h) => h.at.getTime() === (a.at as Date).getTime() && h.action === s.action && h.from === s.from && h.to === s.to);
      if (!ok) out.push(`audit ${String(a._id)}: transition ${String(s.action)} of case ${String(a.targetId)} has no history event`);
    } else if (a.action === 'case.decision') {
      // HR's hold is a decision too (server/cases/decision.ts): recorded after its transition, for the dashboard.
      const c = caseById.get(String(a.targetId));
      const at = s.decidedAt instanceof Date ? s.decidedAt.getTime() : NaN;
      const ok = c && ((c.history ?? []) as HistoryEvent[]).some((h) => h.at.getTime() === at && h.action === s.decision && h.to === s.to);
      if (!ok) out.push(`audit ${String(a._id)}: decision ${String(s.decision)} of case ${String(a.targetId)} has no history event`);
    } else if (a.action === 'case.note_added') {
      const left = notesLeft.get(String(a.targetId));
      const i = left ? left.indexOf(Number(s.length)) : -1;
      if (i < 0) out.push(`audit ${String(a._id)}: note of case ${String(a.targetId)} is missing`);
      else left!.splice(i, 1);
    } else if (a.action === 'document.upload') {
      const doc = docById.get(String(a.targetId));
      if (!doc || doc.sha256 !== s.sha256 || doc.version !== s.version) out.push(`audit ${String(a._id)}: upload ${String(a.targetId)} has no matching document record`);
    } else {
      out.push(`audit ${String(a._id)}: ${String(a.action)} is not an action this drill takes`);
    }
  }

  const recorded = new Set<string>();
  for (const doc of docs) {
    const key = String(doc.storageKey);
    recorded.add(key);
    const file = path.join(uploadDir, key.slice(0, 2), key);
    if (!existsSync(file)) {
      out.push(`document ${String(doc._id)} points at a missing file`);
      continue;
    }
    const bytes = readFileSync(file);
    if (bytes.length !== doc.size || createHash('sha256').update(bytes).digest('hex') !== doc.sha256) out.push(`document ${String(doc._id)} points at a file with other content`);
  }
  for (const shard of existsSync(uploadDir) ? readdirSync(uploadDir) : []) {
    if (shard === '.tmp') {
      for (const f of readdirSync(path.join(uploadDir, shard))) out.push(`temporary upload file ${f} left behind`);
      continue;
    }
    if (!statSync(path.join(uploadDir, shard)).isDirectory()) continue;
    for (const f of readdirSync(path.join(uploadDir, shard))) if (!recorded.has(f)) out.push(`stored file ${shard}/${f} has no record`);
  }
  return out;
}
