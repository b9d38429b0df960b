// The drills' seed step, run as its own process on the drill's data folder before the app starts
// (as `npm run seed` would be): an institute, an open call, an HR officer and an administrator
// (both with TOTP), and applicants each with one case in `stage`, assigned to the officer, whose
// history leads to that stage. Prints the accounts as one JSON line. Arguments: one JSON object
// (SeedSpec). Everything else the drills do goes through the app over HTTP.
import { openDatabase } from '../../../server/db/index.ts';
import { loadConfig } from '../../../server/config.ts';
import { createLogger } from '../../../server/logger.ts';
import type { Stage } from '../../../models/constants.ts';
import { TEST_PASSWORD, createInstitute, createUser, plainTotpSecret, uniqueEmail } from '../../support/factories.ts';
import { createCall, createCase } from '../../support/case-factories.ts';
import { Case } from '../../../models/case.ts';
import { Evaluation } from '../../../models/evaluation.ts';
import { recomputeCaseScore, scorecardOf } from '../../../server/evaluations/index.ts';

export interface SeedSpec {
  applicants: number;
  stage: Stage;
  /** E-mail prefix of each applicant, by index (default 'applicant'). */
  prefixes?: string[];
  checklist?: Array<{ type: string; phase?: string; required?: boolean; multiple?: boolean }>;
  /** At `awaiting_applicant`: the paper HR's request asks for (its answer form offers a file of that type). */
  askedDocument?: string;
  /** The planned start of work ('YYYY-MM-DD'), and the support procedures (`dueAt` as an ISO string). */
  plannedStart?: string;
  tracks?: Array<{ kind: string; status: string; dueAt?: string; /** A counted target ('from' as an ISO string): recounted by the app. */ dueCount?: { from: string; workingDays: number } }>;
  /** At `evaluation` or `shortlisted`: the panel's complete scorecard (a leader's decision needs one): the leader's, and each named member's. */
  scored?: boolean;
  /** HR officers (with TOTP) named on the call's panel besides the leader (User.panelCalls). */
  panel?: number;
  /** The call's minimum of complete scorecards (default 1). */
  minScorecards?: number;
  /** The applicants' language (default 'en'). */
  locale?: 'vi' | 'en';
  /** A Vietnamese citizen with a foreign spouse whose TT visa goes with the visa procedure (the family's proof of relationship has its upload place). */
  family?: boolean;
}

export interface SeededAccount {
  email: string;
  totpSecret?: string;
}

export interface Seeded {
  password: string;
  hr: SeededAccount;
  admin: SeededAccount;
  /** The institute's leader (decides from the shortlists). */
  leader: SeededAccount;
  /** The call the cases applied to. */
  callId: string;
  /** The members named on the call's panel (spec.panel). */
  panel: SeededAccount[];
  applicants: Array<SeededAccount & { caseId: string }>;
}

const PATHS: Partial<Record<Stage, Array<{ action: string; from: Stage; to: Stage; role: string }>>> = {
  submitted: [{ action: 'submit', from: 'draft', to: 'submitted', role: 'applicant' }],
  screening: [
    { action: 'submit', from: 'draft', to: 'submitted', role: 'applicant' },
    { action: 'start_screening', from: 'submitted', to: 'screening', role: 'hr_officer' },
  ],
  awaiting_applicant: [
    { action: 'submit', from: 'draft', to: 'submitted', role: 'applicant' },
    { action: 'start_screening', from: 'submitted', to: 'screening', role: 'hr_officer' },
    { action: 'request_info', from: 'screening', to: 'awaiting_applicant', role: 'hr_officer' },
  ],
  evaluation: [
    { action: 'submit', from: 'draft', to: 'submitted', role: 'applicant' },
    { action: 'start_screening', from: 'submitted', to: 'screening', role: 'hr_officer' },
    { action: 'send_to_evaluation', from: 'screening', to: 'evaluation', role: 'hr_officer' },
  ],
  // The leader's steps recorded with the officer's id: the drills read the stage, not who took it.
  // No offer prepared yet (no terms, no letter): HR prepares it in the drill.
  offer: [
    { action: 'submit', from: 'draft', to: 'submitted', role: 'applicant' },
    { action: 'start_screening', from: 'submitted', to: 'screening', role: 'hr_officer' },
    { action: 'send_to_evaluation', from: 'screening', to: 'evaluation', role: 'hr_officer' },
    { action: 'shortlist', from: 'evaluation', to: 'shortlisted', role: 'leader' },
    { action: 'approve_offer', from: 'shortlisted', to: 'offer', role: 'leader' },
  ],
  shortlisted: [
    { action: 'submit', from: 'draft', to: 'submitted', role: 'applicant' },
    { action: 'start_screening', from: 'submitted', to: 'screening', role: 'hr_officer' },
    { action: 'send_to_evaluation', from: 'screening', to: 'evaluation', role: 'hr_officer' },
    { action: 'shortlist', from: 'evaluation', to: 'shortlisted', role: 'leader' },
  ],
  // The offer accepted: the support procedures run (given in the spec).
  onboarding: [
    { action: 'submit', from: 'draft', to: 'submitted', role: 'applicant' },
    { action: 'start_screening', from: 'submitted', to: 'screening', role: 'hr_officer' },
    { action: 'send_to_evaluation', from: 'screening', to: 'evaluation', role: 'hr_officer' },
    { action: 'shortlist', from: 'evaluation', to: 'shortlisted', role: 'leader' },
    { action: 'approve_offer', from: 'shortlisted', to: 'offer', role: 'leader' },
    { action: 'accept_offer', from: 'offer', to: 'onboarding', role: 'applicant' },
  ],
};

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as SeedSpec;
  const steps = PATHS[spec.stage];
  if (!steps) throw new Error(`the drill seed has no path to ${spec.stage}`);
  const config = loadConfig();
  const db = await openDatabase(config, createLogger('warn'));
  try {
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: spec.checklist ?? [], ...(spec.minScorecards ? { minScorecards: spec.minScorecards } : {}) });
    const hr = await createUser({ role: 'hr_officer', institute: institute._id, locale: 'en' });
    const admin = await createUser({ role: 'admin', locale: 'en' });
    const leader = await createUser({ role: 'leader', institute: institute._id, locale: 'en' });
    const panel = [];
    for (let i = 0; i < (spec.panel ?? 0); i += 1) panel.push(await createUser({ role: 'hr_officer', institute: institute._id, locale: 'en', panelCalls: [call._id] }));
    const applicants: Seeded['applicants'] = [];
    for (let i = 0; i < spec.applicants; i += 1) {
      const applicant = await createUser({ role: 'applicant', locale: spec.locale ?? 'en', email: uniqueEmail(spec.prefixes?.[i] ?? 'applicant') });
      const t0 = Date.now() - 86_400_000;
      const history = [
        { at: new Date(t0), actor: applicant._id, actorRole: 'applicant', action: 'create', to: 'draft' },
        ...steps.map((s, k) => ({ at: new Date(t0 + (k + 1) * 60_000), actor: s.role === 'applicant' ? applicant._id : hr._id, actorRole: s.role, action: s.action, from: s.from, to: s.to })),
      ];
      const last = history[history.length - 1]!.at;
      // HR's request as request_info leaves it (server/cases/request-info.ts), due in a week.
      const infoRequest = spec.stage === 'awaiting_applicant' ? { infoRequest: { items: ['The degree certificate, please.'], requestedAt: last, requestedBy: hr._id, dueAt: new Date(Date.now() + 7 * 86_400_000), ...(spec.askedDocument ? { documentType: spec.askedDocument } : {}) } } : {};
      const tracks = spec.tracks ? { supportTracks: spec.tracks.map((t) => ({ ...t, ...(t.dueAt ? { dueAt: new Date(t.dueAt) } : {}), ...(t.dueCount ? { dueCount: { from: new Date(t.dueCount.from), workingDays: t.dueCount.workingDays } } : {}), updatedAt: last })) } : {};
      const c = await createCase({ applicant, call, stage: spec.stage, assignee: hr._id, history, version: steps.length, stageEnteredAt: last, ...(spec.stage === 'offer' ? { offerTerms: null } : {}), ...infoRequest, ...(tracks as object), ...(spec.family ? { dependants: [{ fullName: 'Anna Weber', relationship: 'spouse', nationality: 'DE' }], supportRequested: { visa: true, family: true } } : {}) });
      if (spec.family) await Case.updateOne({ _id: c._id }, { $set: { 'profile.nationality': 'VN' } });
      if (spec.plannedStart) await Case.updateOne({ _id: c._id }, { $set: { 'profile.plannedArrival': new Date(`${spec.plannedStart}T00:00:00.000Z`) } });
      if (spec.scored) {
        for (const [k, member] of [leader, ...panel].entries()) await Evaluation.create({ case: c._id, call: call._id, member: member._id, scores: { research: 4 - k, fit: 4 }, recommendation: 'yes', submittedAt: last });
        if (panel.length) await recomputeCaseScore(c._id, scorecardOf(call));
      }
      applicants.push({ email: applicant.email, caseId: String(c._id) });
    }
    const out: Seeded = {
      password: TEST_PASSWORD,
      hr: { email: hr.email, totpSecret: plainTotpSecret(hr) },
      admin: { email: admin.email, totpSecret: plainTotpSecret(admin) },
      leader: { email: leader.email, totpSecret: plainTotpSecret(leader) },
      callId: String(call._id),
      panel: panel.map((m) => ({ email: m.email, totpSecret: plainTotpSecret(m) })),
      applicants,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
