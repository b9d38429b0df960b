// The HR queue at 100,000 cases: the default page (open work, deadline soonest, 50 rows) and the
// search, for an HR officer whose institute holds 50,000 of them, against a baseline measured in the
// same run (a findOne by _id through the same connection).
//
//   node --import tsx bench/queue-search.ts [--cases 100000] [--runs 60]
//
// Seeds an in-memory embedded database (on a worker thread, as the app runs it) directly with
// insertMany: 50% of the cases in one institute, the rest over four others; names drawn from
// Vietnamese and international lists (with diacritics), e-mails, nationalities, the stage mix of
// scripts/seed-bench.ts and deadlines on the stages that have one. The search words are computed
// as the model's hooks would (lean inserts skip hooks). Then it times loadQueue (server/cases/queue.ts:
// the counts, the page and the row lookups) and prints p50/p95 per query and the plans used.
// Targets (issue 13): queue p95 ≤ 50 ms, search p95 ≤ 100 ms.
import { parseArgs } from 'node:util';
import mongoose, { Types } from 'mongoose';
import { startEmbeddedMongoInWorker } from '../embedded-mongo/src/index.ts';
import { Case } from '../models/case.ts';
import { User, type UserDoc } from '../models/user.ts';
import { Call } from '../models/call.ts';
import { Institute } from '../models/institute.ts';
import { caseSearchTerms } from '../models/case-search.ts';
import { STAGES, SUPPORT_KINDS, type Stage } from '../models/constants.ts';
import { loadQueue, parseQueueQuery, queueFilter, queueScope } from '../server/cases/queue.ts';
import { prng } from '../scripts/support/prng.ts';

const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, runs: { type: 'string', default: '60' } } });
const CASES = Number(values.cases);
const RUNS = Number(values.runs);
// The case whose reference, name and e-mail are searched for: one of the measured institute (even numbers).
const SAMPLE_AT = Math.floor(CASES / 8) * 2;
const DAY = 86_400_000;

const rand = prng(20261203);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

const VI_FAMILY = ['Nguyễn', 'Nguyễn', 'Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const VI_MIDDLE = ['Văn', 'Thị', 'Hữu', 'Đức', 'Minh', 'Ngọc', 'Thanh', 'Quốc', 'Xuân', 'Hồng'];
const VI_GIVEN = ['An', 'Bình', 'Cường', 'Dũng', 'Đào', 'Giang', 'Hà', 'Hải', 'Hạnh', 'Hiếu', 'Hoa', 'Hùng', 'Khải', 'Lan', 'Linh', 'Long', 'Mai', 'Nam', 'Nga', 'Phúc', 'Quân', 'Sơn', 'Tâm', 'Thảo', 'Trang', 'Tuấn', 'Việt', 'Yến'];
const INTL_GIVEN = ['Anna', 'Marie', 'José', 'Søren', 'Zoë', 'Chloé', 'Hiroshi', 'Min-jun', 'Olga', 'Björn', 'Luca', 'Amélie', 'Raúl', 'Ingrid', 'Thomas', 'Wei'];
const INTL_FAMILY = ['Müller', 'Dupont', 'García', 'Kowalski', 'Tanaka', 'Kim', 'Ivanova', 'Andersson', 'Rossi', 'Lefèvre', 'Schmidt', 'O’Brien', 'Novák', 'Chen', 'Smith', 'Jensen'];
const COUNTRIES = ['VN', 'VN', 'VN', 'DE', 'US', 'JP', 'FR', 'GB', 'AU', 'CA', 'KR', 'SG', 'NL', 'SE', 'CH', 'TW', 'CZ', 'RU'];
const STAGE_MIX: [Stage, number][] = [
  ['submitted', 0.08], ['screening', 0.12], ['awaiting_applicant', 0.03], ['evaluation', 0.14], ['shortlisted', 0.05], ['offer', 0.03],
  ['onboarding', 0.06], ['arrived', 0.08], ['closed', 0.1], ['rejected', 0.23], ['withdrawn', 0.05], ['on_hold', 0.03],
];
const WITH_DEADLINE = new Set<string>(['submitted', 'screening', 'awaiting_applicant', 'evaluation', 'shortlisted', 'offer', 'onboarding']);

function pickStage(): Stage {
  let r = rand();
  for (const [s, p] of STAGE_MIX) if ((r -= p) < 0) return s;
  return 'rejected';
}

function slug(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/[^a-z0-9]+/g, '.');
}

function person(i: number): { fullName: string; email: string; nationality: string } {
  const nationality = pick(COUNTRIES);
  const fullName = nationality === 'VN' || rand() < 0.15 ? `${pick(VI_FAMILY)} ${pick(VI_MIDDLE)} ${pick(VI_GIVEN)}` : `${pick(INTL_GIVEN)} ${pick(INTL_FAMILY)}`;
  return { fullName, nationality, email: `${slug(fullName)}.${i}@example.org` };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}

async function main(): Promise<void> {
  const server = await startEmbeddedMongoInWorker({ port: 0, dbPath: null, auth: false });
  // Generous timeouts: on a loaded machine the database's worker can be busy indexing a batch for seconds.
  await mongoose.connect(server.uri('queuebench'), { heartbeatFrequencyMS: 120_000, connectTimeoutMS: 300_000, serverSelectionTimeoutMS: 300_000, socketTimeoutMS: 0 });
  await Promise.all([Case.init(), User.init(), Call.init(), Institute.init()]);
  const started = Date.now();
  const institutes = await Institute.insertMany(Array.from({ length: 5 }, (_, i) => ({ code: `QB-${i}`, name: { vi: `Viện ${i}`, en: `Institute ${i}` } })));
  const calls = await Call.insertMany(
    institutes.flatMap((inst, i) =>
      Array.from({ length: 4 }, (_, j) => ({
        institute: inst._id, code: `Q${i}-${j}`, title: { vi: `Đợt ${i}-${j}`, en: `Call ${i}-${j}` }, track: 'expert', field: { vi: 'Vật lý', en: 'Physics' },
        opensAt: new Date(Date.now() - 400 * DAY), closesAt: new Date(Date.now() - 30 * DAY), status: 'closed', checklist: [], scorecard: [],
      })),
    ),
  );
  const officers = await User.insertMany(
    institutes.map((inst, i) => ({ email: `qb-hr-${i}@bench.test`, name: `Officer ${i}`, role: 'hr_officer', institute: inst._id, locale: 'en', passwordHash: 'x' })),
  );
  const big = institutes[0]!;
  const bigCalls = calls.filter((c) => String(c.institute) === String(big._id));
  const otherCalls = calls.filter((c) => String(c.institute) !== String(big._id));
  const now = Date.now();
  const sample: { reference: string; fullName: string; email: string } = { reference: '', fullName: '', email: '' };
  const BATCH = 1000;
  for (let i = 0; i < CASES; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, CASES - i) }, (_, k) => {
      const n = i + k + 1;
      const call = n % 2 === 0 ? bigCalls[n % bigCalls.length]! : otherCalls[n % otherCalls.length]!;
      const stage = pickStage();
      const p = person(n);
      const reference = `TA-2026-${String(n).padStart(6, '0')}`;
      if (n === SAMPLE_AT) Object.assign(sample, { reference, fullName: p.fullName, email: p.email });
      const entered = new Date(now - int(1, 300) * DAY);
      return {
        reference, applicant: new Types.ObjectId(), call: call._id, institute: call.institute, track: 'expert', stage,
        stageEnteredAt: entered,
        stageDueAt: WITH_DEADLINE.has(stage) ? new Date(now + int(-20, 40) * DAY) : undefined,
        assignee: rand() < 0.6 ? officers[n % 5]!._id : undefined,
        priority: 'normal',
        profile: { fullName: p.fullName, nationality: p.nationality, field: 'Physics', highestDegree: 'phd' },
        supportTracks: ['offer', 'onboarding', 'arrived'].includes(stage) ? SUPPORT_KINDS.slice(0, 3).map((kind) => ({ kind, status: pick(['requested', 'filed', 'approved']), dueAt: new Date(now + int(-10, 30) * DAY) })) : [],
        overdueProcedures: rand() < 0.02 ? ['work_permit'] : undefined,
        history: [{ at: entered, action: 'create', to: 'draft' }],
        submittedAt: entered,
        searchTerms: caseSearchTerms({ reference, fullName: p.fullName, nationality: p.nationality, email: p.email }),
        version: 1, createdAt: entered, updatedAt: entered,
      };
    });
    await Case.insertMany(batch, { lean: true, ordered: false });
  }
  const bigCount = await Case.countDocuments({ institute: big._id });
  process.stdout.write(`seeded ${CASES} cases (${bigCount} in the measured institute) in ${Math.round((Date.now() - started) / 1000)} s\n`);
  if (!STAGES.length) return;

  const officer = (await User.findById(officers[0]!._id)) as UserDoc;
  const anyId = (await Case.findOne({ institute: big._id }, { _id: 1 }).lean())!._id;
  const nowDate = new Date();
  const surname = slug(sample.fullName.split(' ')[0]!);
  const given = slug(sample.fullName.split(' ').at(-1)!);
  const measures: Array<[string, string | undefined]> = [
    ['queue: open work, deadline soonest (default)', undefined],
    ['queue: page 20 of the default', 'page=20'],
    ['queue: including closed', 'closed=1'],
    ['queue: assigned to me', 'assignee=me'],
    [`search: whole reference (${sample.reference})`, `q=${sample.reference}`],
    ['search: reference prefix (TA-2026-0250)', 'q=TA-2026-0250'],
    [`search: e-mail (${sample.email})`, `q=${encodeURIComponent(sample.email)}`],
    [`search: surname and given name without diacritics ("${surname} ${given}")`, `q=${surname}+${given}`],
    ['search: part of a given name ("kha")', 'q=kha'],
    ['search: a common surname ("nguyen", about 1 case in 5)', 'q=nguyen'],
    ['search: nationality in Vietnamese ("duc")', 'q=duc'],
    ['search: two common words ("nguyen thi", each in thousands of cases)', 'q=nguyen+thi'],
  ];
  const rows: Array<{ name: string; p50: number; p95: number; total: number; plan: string }> = [];
  const baseline = await time(RUNS * 4, () => Case.findOne({ _id: anyId }, { reference: 1 }).lean());
  for (const [name, qs] of measures) {
    const q = parseQueueQuery({ ...Object.fromEntries(new URLSearchParams(qs ?? '')), size: '50' });
    let total = 0;
    const r = await time(RUNS, async () => {
      total = (await loadQueue(officer, q, nowDate)).total;
    });
    const filter = queueFilter(officer, q, nowDate, await queueScope(officer));
    const explained = (await Case.find({ $and: [filter, { stageDueAt: { $gte: new Date(-8.64e15) } }] }).sort({ stageDueAt: 1, _id: 1 }).limit(50).explain()) as unknown as Record<string, unknown>;
    const plan = JSON.stringify(explained).match(/"(?:indexName|stage)":"[^"]+"/g)?.slice(0, 3).join(' ') ?? '';
    rows.push({ name, ...r, total, plan });
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  process.stdout.write(`\nbaseline findOne by _id: p50 ${baseline.p50.toFixed(2)} ms, p95 ${baseline.p95.toFixed(2)} ms\n\n`);
  process.stdout.write(`${pad('measure', 82)} ${pad('rows', 7)} ${pad('p50 ms', 8)} ${pad('p95 ms', 8)} p95/baseline  plan (dated part)\n`);
  for (const r of rows) {
    process.stdout.write(`${pad(r.name, 82)} ${pad(String(r.total), 7)} ${pad(r.p50.toFixed(1), 8)} ${pad(r.p95.toFixed(1), 8)} ${(r.p95 / baseline.p95).toFixed(0).padStart(6)}x     ${r.plan}\n`);
  }
  const queue = rows.filter((r) => r.name.startsWith('queue: open work'));
  const search = rows.filter((r) => r.name.startsWith('search'));
  const summary = {
    cases: CASES,
    institute_cases: bigCount,
    baseline_findone_p95_ms: +baseline.p95.toFixed(2),
    queue_p95_ms: +Math.max(...queue.map((r) => r.p95)).toFixed(1),
    search_p95_ms: +Math.max(...search.map((r) => r.p95)).toFixed(1),
    search_p95_ms_selective: +Math.max(...search.filter((r) => !r.name.includes('common')).map((r) => r.p95)).toFixed(1),
    rss_mb: Math.round(process.memoryUsage().rss / 1e6),
  };
  process.stdout.write(`\n${JSON.stringify(summary)}\n`);
  await mongoose.disconnect();
  await server.stop();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
