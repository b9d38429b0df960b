// Seeds the benchmark database: 100,000 cases across 5 institutes (half of them in institute 0) and 50 calls, with one call of
// 2,000 cases in evaluation scored by a 3-member panel (6,000 evaluations), plus the accounts the
// benchmarks sign in with (written to DATA_DIR/bench-accounts.json with their TOTP secrets): a
// leader and an administrator (bench/dashboard.ts), and for bench/load.ts 25 HR officers (5 per
// institute) and 25 applicants, each the owner of one case in screening (part of the 100,000).
//
//   DATA_DIR=data/bench node --import tsx scripts/seed-bench.ts [--cases 100000] [--reset]
//
// Uses the same database as `npm start`: MONGODB_URI, else the embedded database under DATA_DIR
// (stop any app using it first). Documents are written with insertMany in batches of 2,000.
// Other applicants are referenced by id only (no 100,000 user accounts): nothing benchmarked reads them.
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mongoose, { Types } from 'mongoose';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { openDatabase } from '../server/db/index.ts';
import { Institute } from '../models/institute.ts';
import { User } from '../models/user.ts';
import { Call } from '../models/call.ts';
import { Case } from '../models/case.ts';
import { summarizeHistory } from '../models/case-summary.ts';
import { caseSearchTerms, SEARCH_TERMS_VERSION } from '../models/case-search.ts';
import { nextDueAt } from '../models/case-deadline.ts';
import { Evaluation } from '../models/evaluation.ts';
import { Counter } from '../models/counter.ts';
import { ACTIVE_SUPPORT_STATUSES, TRACKS, SUPPORT_KINDS, type Stage } from '../models/constants.ts';
import { escalationKey } from '../server/procedures/escalation.ts';
import { hashPassword } from '../server/accounts/passwords.ts';
import { newTotpSecret } from '../server/accounts/totp.ts';
import { weightedScore } from '../server/evaluations/score.ts';
import { TRANSITIONS } from '../server/workflow/transitions.ts';
import { prng as rng } from './support/prng.ts';

export const BENCH_PASSWORD = 'Bench password for load tests 2026';
export const ACCOUNTS_FILE = 'bench-accounts.json';

export interface BenchAccounts {
  password: string;
  leader: { email: string; totpSecret: string };
  admin: { email: string; totpSecret: string };
  /** HR officers for the load benchmark, 5 per institute. */
  officers: Array<{ email: string; totpSecret: string }>;
  /** Applicants for the load benchmark, each with one case in screening. */
  applicants: Array<{ email: string; caseId: string }>;
  bigCallId: string;
  cases: number;
  /** SEED_FORMAT of the seed that wrote the data set: an older one is seeded again by `npm run bench`. */
  format: number;
}

/** Raised when the seeded cases change shape (2: the queue's next deadline, models/case-deadline.ts; 3: the search words' format version). */
export const SEED_FORMAT = 3;

const LOAD_OFFICERS_PER_INSTITUTE = 5;
const LOAD_APPLICANTS = 25;

const DAY = 86_400_000;
const INSTITUTES = 5;
const CALLS_PER_INSTITUTE = 10;
const BIG_CALL_CASES = 2000;
const BATCH = 2000;
const COUNTRIES = ['DE', 'US', 'JP', 'FR', 'GB', 'AU', 'CA', 'KR', 'SG', 'NL', 'SE', 'CH', 'TW', 'CZ', 'RU', 'VN'];
const FIELDS = ['Materials science', 'Semiconductors', 'Artificial intelligence', 'Biotechnology', 'Quantum computing', 'Energy storage', 'Marine science', 'Agronomy', 'Aerospace', 'Cybersecurity', 'Climate modelling', 'Medicine'];
const DEGREES = ['master', 'phd', 'phd', 'phd', 'dsc'] as const;
const MAIN: Stage[] = ['submitted', 'screening', 'evaluation', 'shortlisted', 'offer', 'onboarding', 'arrived', 'closed'];
// Share of each current stage among the bulk cases (sums to 1).
const STAGE_MIX: [Stage, number][] = [
  ['draft', 0.03], ['submitted', 0.07], ['screening', 0.11], ['awaiting_applicant', 0.03], ['evaluation', 0.14], ['shortlisted', 0.05],
  ['offer', 0.03], ['onboarding', 0.06], ['arrived', 0.08], ['closed', 0.1], ['rejected', 0.22], ['withdrawn', 0.05], ['on_hold', 0.03],
];

const rand = rng(20260601);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
function pickStage(): Stage {
  let r = rand();
  for (const [s, p] of STAGE_MIX) {
    if ((r -= p) < 0) return s;
  }
  return 'rejected';
}

/** The stages a case went through to reach `stage` (the path its history records). */
function pathTo(stage: Stage): Stage[] {
  const upTo = (s: Stage) => MAIN.slice(0, MAIN.indexOf(s) + 1);
  switch (stage) {
    case 'draft':
      return [];
    case 'awaiting_applicant':
      return ['submitted', 'screening', 'awaiting_applicant'];
    case 'rejected':
      return [...upTo(pick(['screening', 'evaluation', 'evaluation', 'shortlisted'] as Stage[])), 'rejected'];
    case 'withdrawn':
      return [...upTo(pick(['submitted', 'screening', 'evaluation', 'offer'] as Stage[])), 'withdrawn'];
    case 'on_hold':
      return [...upTo(pick(['screening', 'evaluation'] as Stage[])), 'on_hold'];
    default:
      return upTo(stage);
  }
}

let refSeq = 0;
function makeCase(call: { _id: Types.ObjectId; institute: Types.ObjectId; track: string }, stage: Stage, end: number) {
  const applicant = new Types.ObjectId();
  const path = pathTo(stage);
  const span = path.length * 9 * DAY;
  // Submissions spread over about 18 months; unsuccessful ones within the last 300 days, as a data set
  // stands where retention (365 days by default, server/privacy) has been erasing them every day.
  let t = end - span - int(0, stage === 'rejected' || stage === 'withdrawn' ? 300 : 540) * DAY;
  const history: Record<string, unknown>[] = [{ at: new Date(t - int(1, 20) * DAY), actor: applicant, actorRole: 'applicant', action: 'create', to: 'draft' }];
  let prev: Stage = 'draft';
  let submittedAt: Date | undefined;
  let arrivedAt: Date | undefined;
  for (const s of path) {
    const at = new Date(t);
    if (s === 'submitted') submittedAt = at;
    if (s === 'arrived') arrivedAt = at;
    // Recorded as the workflow records it: the action that leads from the previous stage here.
    const step = TRANSITIONS.find((tr) => tr.to === s && tr.from.includes(prev));
    history.push({ at, actorRole: step?.roles[0] ?? 'hr_officer', action: step?.action ?? s, from: prev, to: s });
    prev = s;
    t += int(1, 18) * DAY + int(0, 23) * 3_600_000;
  }
  const entered = (history[history.length - 1]!.at as Date) ?? new Date(end);
  const supportTracks = ['offer', 'onboarding', 'arrived', 'closed'].includes(stage)
    ? SUPPORT_KINDS.map((kind) => {
        const status = stage === 'offer' ? 'not_needed' : pick(['not_needed', 'requested', 'preparing', 'filed', 'approved', 'approved']);
        const dueAt = new Date(entered.getTime() + int(-20, 40) * DAY);
        // A procedure already past its deadline was escalated when it passed (server/procedures/escalation.ts),
        // as in a running installation: the benchmark does not start with thousands of escalation e-mails.
        const overdue = (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(status) && dueAt.getTime() < Date.now();
        return { kind, status, dueAt, updatedAt: entered, ...(overdue ? { escalations: [escalationKey('due', dueAt)] } : {}) };
      })
    : [];
  const stageDueAt = ['submitted', 'screening', 'evaluation', 'shortlisted', 'offer', 'onboarding'].includes(stage) ? new Date(entered.getTime() + int(5, 30) * DAY) : undefined;
  const overdueProcedures = supportTracks.filter((t) => 'escalations' in t).map((t) => t.kind);
  refSeq += 1;
  const year = 2024 + Math.floor(refSeq / 500_000);
  const reference = `TA-${year}-${String(refSeq).padStart(6, '0')}`;
  const nationality = pick(COUNTRIES);
  return {
    reference,
    // Written by the model's hooks in the app (models/case-search-hooks.ts), which insertMany({ lean }) skips.
    searchTerms: caseSearchTerms({ reference, fullName: `Candidate ${refSeq}`, nationality }),
    searchTermsVersion: SEARCH_TERMS_VERSION,
    applicant,
    call: call._id,
    institute: call.institute,
    track: call.track,
    stage,
    stageEnteredAt: entered,
    stageDueAt,
    // The queue's sort key, written by the model's hooks in the app (models/case-deadline.ts).
    nextDueAt: nextDueAt({ stage, stageDueAt, supportTracks }),
    priority: 'normal',
    profile: {
      fullName: `Candidate ${refSeq}`,
      dateOfBirth: new Date(Date.UTC(int(1960, 1995), int(0, 11), int(1, 28))),
      gender: pick(['female', 'male', 'other', 'undisclosed']),
      nationality,
      countryOfResidence: pick(COUNTRIES),
      overseasVietnamese: rand() < 0.6,
      currentPosition: 'Researcher',
      currentEmployer: 'University',
      highestDegree: pick(DEGREES),
      field: pick(FIELDS),
    },
    eligibility: [{ key: 'degree', met: true }],
    achievements: { publications: [], patents: [], projectsLed: [], publicationsCount: int(0, 120), patentsCount: rand() < 0.3 ? int(1, 12) : 0 },
    dependants: [],
    supportRequested: { workPermit: true, visa: true, residenceCard: rand() < 0.8, housing: rand() < 0.5, citizenship: rand() < 0.1, family: rand() < 0.4 },
    supportTracks,
    ...(overdueProcedures.length ? { overdueProcedures } : {}),
    history,
    // insertMany({ lean: true }) skips the model's hooks, so the derived figures are written here
    ...summarizeHistory(history as Array<{ at: Date; to: string }>, stage),
    notes: [],
    messages: [],
    outbox: [],
    submittedAt,
    arrivedAt,
    keepDataConsent: false,
    version: history.length - 1,
    createdAt: history[0]!.at,
    updatedAt: entered,
  };
}

export async function seedBench(opts: { cases: number; log?: (s: string) => void }): Promise<BenchAccounts> {
  const log = opts.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const started = Date.now();
  const end = Date.UTC(2026, 10, 1);
  const hash = await hashPassword(BENCH_PASSWORD);
  const now = new Date();
  const staff = (email: string, name: string, role: 'leader' | 'hr_officer' | 'admin', institute?: Types.ObjectId, panelCalls: Types.ObjectId[] = []) => ({
    email, name, role, institute, panelCalls, locale: 'en', passwordHash: hash, emailVerifiedAt: now,
    totp: { secret: newTotpSecret(), enabledAt: now, recoveryCodeHashes: [] }, consents: [],
  });

  const institutes = await Institute.insertMany(Array.from({ length: INSTITUTES }, (_, i) => ({ code: `BENCH-${i}`, name: { vi: `Viện thử tải ${i}`, en: `Benchmark institute ${i}` } })));
  const calls = await Call.insertMany(
    institutes.flatMap((inst, i) =>
      Array.from({ length: CALLS_PER_INSTITUTE }, (_, j) => ({
        institute: inst._id,
        code: `B${i}-${j}`,
        title: { vi: `Đợt tuyển ${i}-${j}`, en: `Call ${i}-${j}` },
        track: TRACKS[(i + j) % TRACKS.length],
        // The bench's fields in English only: the Vietnamese pages show them from it (server/support/localized.ts).
        field: { en: FIELDS[(i * 3 + j) % FIELDS.length] },
        opensAt: new Date(end - 600 * DAY),
        closesAt: new Date(end - 30 * DAY),
        status: 'closed',
        checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'passport', phase: 'application', required: true }, { type: 'degree', phase: 'application', required: true }],
        scorecard: [
          { key: 'research', label: { vi: 'Thành tích nghiên cứu', en: 'Research record' }, weight: 50 },
          { key: 'leadership', label: { vi: 'Năng lực dẫn dắt', en: 'Leadership' }, weight: 30 },
          { key: 'fit', label: { vi: 'Phù hợp với viện', en: 'Fit with the institute' }, weight: 20 },
        ],
      })),
    ),
  );
  const bigCall = calls[0]!;
  const leaderDoc = staff('bench-leader-0@bench.test', 'Bench Leader 0', 'leader', institutes[0]!._id);
  const adminDoc = staff('bench-admin@bench.test', 'Bench Admin', 'admin');
  const users = await User.insertMany([
    leaderDoc,
    adminDoc,
    staff('bench-panel-a@bench.test', 'Bench Panel A', 'hr_officer', institutes[0]!._id, [bigCall._id]),
    staff('bench-panel-b@bench.test', 'Bench Panel B', 'hr_officer', institutes[1]!._id, [bigCall._id]),
    ...institutes.slice(1).map((inst, i) => staff(`bench-leader-${i + 1}@bench.test`, `Bench Leader ${i + 1}`, 'leader', inst._id)),
    // Each institute's HR lead: told of overdue procedures (server/procedures/escalation.ts).
    ...institutes.map((inst, i) => ({ ...staff(`bench-hr-${i}@bench.test`, `Bench HR ${i}`, 'hr_officer', inst._id), isHrLead: true })),
  ]);
  const officerDocs = institutes.flatMap((inst, i) =>
    Array.from({ length: LOAD_OFFICERS_PER_INSTITUTE }, (_, j) => staff(`bench-officer-${i}-${j}@bench.test`, `Bench Officer ${i}-${j}`, 'hr_officer', inst._id)),
  );
  await User.insertMany(officerDocs);
  const applicantDocs = Array.from({ length: LOAD_APPLICANTS }, (_, i) => ({
    email: `bench-applicant-${i}@bench.test`, name: `Bench Applicant ${i}`, role: 'applicant', locale: 'en', passwordHash: hash, emailVerifiedAt: now,
    consents: [{ purpose: 'recruitment', granted: true, at: now }],
  }));
  const applicantUsers = await User.insertMany(applicantDocs);
  const panel = users.slice(0, 1).concat(users.slice(2, 4));
  log(`accounts, institutes and calls: ${Date.now() - started} ms`);

  // The big call: 2,000 cases in evaluation, each scored by the 3 panel members.
  const scorecard = bigCall.scorecard.map((c) => ({ key: c.key, weight: c.weight }));
  let written = 0;
  for (let i = 0; i < BIG_CALL_CASES; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, BIG_CALL_CASES - i) }, () => makeCase(bigCall, 'evaluation', end));
    const sheets = batch.flatMap((c) => {
      const caseId = new Types.ObjectId();
      (c as Record<string, unknown>)._id = caseId;
      const list = panel.map((m) => ({
        case: caseId,
        call: bigCall._id,
        member: m._id,
        scores: { research: int(1, 5), leadership: int(1, 5), fit: int(1, 5) },
        recommendation: pick(['strong_no', 'no', 'yes', 'strong_yes']),
        comment: '',
        submittedAt: new Date(end - int(1, 20) * DAY),
      }));
      (c as Record<string, unknown>).score = weightedScore(scorecard, list);
      return list;
    });
    await Case.insertMany(batch, { lean: true, ordered: false });
    await Evaluation.insertMany(sheets, { lean: true, ordered: false });
    written += batch.length;
  }
  // The load benchmark's applicants: one case each, in screening, spread over the other calls.
  const others = calls.slice(1);
  const applicantCases = applicantUsers.map((u, i) => ({ ...makeCase(others[i % others.length]!, 'screening', end), applicant: u._id, _id: new Types.ObjectId() }));
  await Case.insertMany(applicantCases, { lean: true, ordered: false });
  written += applicantCases.length;
  // The rest spread over the other 49 calls.
  const rest = Math.max(0, opts.cases - BIG_CALL_CASES - applicantCases.length);
  for (let i = 0; i < rest; i += BATCH) {
    // Half of all cases belong to institute 0 (the benchmarked HR queue: one institute of 50,000
    // cases at 100,000): its 9 other calls take half of the rest, the other 40 calls the other half.
    const own = others.filter((c) => String(c.institute) === String(institutes[0]!._id));
    const foreign = others.filter((c) => String(c.institute) !== String(institutes[0]!._id));
    const callFor = (n: number) => {
      const wanted = Math.round(opts.cases / 2) - BIG_CALL_CASES - Math.ceil(applicantCases.length / 5);
      const ownShare = Math.max(0, wanted) / Math.max(1, rest);
      return rand() < ownShare ? own[n % own.length]! : foreign[n % foreign.length]!;
    };
    const batch = Array.from({ length: Math.min(BATCH, rest - i) }, (_, k) => makeCase(callFor(i + k), pickStage(), end));
    await Case.insertMany(batch, { lean: true, ordered: false });
    written += batch.length;
    if (Math.floor(written / 20_000) !== Math.floor((written - batch.length) / 20_000)) log(`  ${written} cases (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  // Keep the reference counters ahead of the seeded references.
  for (const y of new Set([2024, 2024 + Math.floor(refSeq / 500_000)])) await Counter.updateOne({ _id: `case-reference-${y}` }, { $max: { seq: refSeq } }, { upsert: true });
  log(`seeded ${written} cases and ${BIG_CALL_CASES * panel.length} evaluations in ${Math.round((Date.now() - started) / 1000)} s`);
  return {
    password: BENCH_PASSWORD,
    leader: { email: leaderDoc.email, totpSecret: leaderDoc.totp.secret },
    admin: { email: adminDoc.email, totpSecret: adminDoc.totp.secret },
    officers: officerDocs.map((o) => ({ email: o.email, totpSecret: o.totp.secret })),
    applicants: applicantCases.map((c, i) => ({ email: applicantDocs[i]!.email, caseId: String(c._id) })),
    bigCallId: String(bigCall._id),
    cases: written,
    format: SEED_FORMAT,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, reset: { type: 'boolean', default: false } } });
  const cases = Number(values.cases);
  if (!Number.isInteger(cases) || cases < 2000) throw new Error('--cases must be an integer ≥ 2000');
  const config = loadConfig();
  const logger = createLogger('warn');
  const db = await openDatabase(config, logger);
  try {
    if (values.reset) await mongoose.connection.db!.dropDatabase();
    if (await Institute.exists({ code: 'BENCH-0' })) {
      process.stdout.write(`already seeded (${await Case.estimatedDocumentCount()} cases); use --reset to start again\n`);
      return;
    }
    await mongoose.syncIndexes();
    const accounts = await seedBench({ cases });
    // A long-running installation starts from a recent snapshot and a short journal: so does the benchmark.
    const compacted = await db.compact?.();
    if (compacted) process.stdout.write(`compacted the embedded database: ${Math.round(compacted.before / 1e6)} MB → ${Math.round(compacted.after / 1e6)} MB\n`);
    mkdirSync(config.dataDir, { recursive: true });
    const file = path.join(config.dataDir, ACCOUNTS_FILE);
    writeFileSync(file, JSON.stringify(accounts, null, 2), { mode: 0o600 });
    process.stdout.write(`accounts for the benchmark written to ${file}\n`);
  } finally {
    await db.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('seed-bench.ts')) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
