// Calls and cases for tests, created directly in the database (the workflow is exercised by the
// tests that need it). Every case gets a real reference from the counter.
import { Types } from 'mongoose';
import { Call, type CallDoc, type CallFields } from '../../models/call.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { Stage, Track } from '../../models/constants.ts';
import { nextCaseReference } from '../../server/workflow/index.ts';
import { criteriaFor } from '../../server/applications/tracks.ts';
import { textIn } from '../../server/support/localized.ts';

let n = 0;

type IdLike = Types.ObjectId | { _id: Types.ObjectId } | string;

function idOf(v: IdLike): Types.ObjectId {
  if (typeof v === 'string') return new Types.ObjectId(v);
  return v instanceof Types.ObjectId ? v : v._id;
}

export interface CallOverrides extends Partial<Omit<CallFields, 'institute' | 'checklist' | 'scorecard' | 'field'>> {
  institute: IdLike;
  /** The research field: one string is the same in both languages (as the backfill stores an old one). */
  field?: string | { vi?: string; en?: string };
  checklist?: Array<{ type: string; phase?: string; required?: boolean; maxMb?: number; multiple?: boolean }>;
  scorecard?: Array<{ key: string; label: { vi: string; en: string }; weight: number }>;
  status?: 'draft' | 'open' | 'closed';
  track?: Track;
}

export async function createCall(over: CallOverrides): Promise<CallDoc> {
  n += 1;
  const now = Date.now();
  const { institute, field, ...rest } = over;
  return Call.create({
    // The process id too: a drill's seed runs in its own process on the same database, and codes are unique.
    code: `CALL-${process.pid}-${n}`,
    title: { vi: `Đợt tuyển thử nghiệm ${n}`, en: `Test call ${n}` },
    description: { vi: 'Mô tả đợt tuyển.', en: 'Call description.' },
    track: 'expert',
    field: { vi: 'Materials science', en: 'Materials science' },
    opensAt: new Date(now - 30 * 86_400_000),
    closesAt: new Date(now + 60 * 86_400_000),
    status: 'open',
    checklist: [
      { type: 'cv', phase: 'application', required: true },
      { type: 'passport', phase: 'application', required: true },
    ],
    scorecard: [
      { key: 'research', label: { vi: 'Nghiên cứu', en: 'Research' }, weight: 60 },
      { key: 'fit', label: { vi: 'Phù hợp', en: 'Fit' }, weight: 40 },
    ],
    ...rest,
    ...(field !== undefined ? { field: typeof field === 'string' ? { vi: field, en: field } : field } : {}),
    institute: idOf(institute),
  });
}

export interface CaseOverrides {
  applicant: IdLike;
  call: CallDoc;
  stage?: Stage;
  assignee?: IdLike;
  /** Any other Case field (profile, eligibility, stageDueAt, supportRequested, resumeStage, ...). */
  [field: string]: unknown;
}

/**
 * A complete application (every required field and criterion) in the given stage (default 'draft').
 * A case made at `offer` has its offer's terms and letter attached (an acceptance needs them: the
 * workflow's offerReady), unless the test gives `offerTerms` (null: none yet).
 */
export async function createCase(over: CaseOverrides): Promise<CaseDoc> {
  const { applicant, call, stage = 'draft', assignee, ...rest } = over;
  const now = new Date();
  return Case.create({
    reference: await nextCaseReference(now),
    track: call.track,
    stageEnteredAt: now,
    profile: {
      fullName: 'Nguyễn Văn An',
      dateOfBirth: new Date('1985-05-20'),
      gender: 'male',
      nationality: 'DE',
      countryOfResidence: 'DE',
      overseasVietnamese: true,
      phone: '+49 30 1234567',
      currentPosition: 'Senior researcher',
      currentEmployer: 'Max Planck Institute',
      highestDegree: 'phd',
      field: textIn(call.field, 'en'),
    },
    eligibility: criteriaFor(call.track).map((c) => ({ key: c.key, met: true, evidence: 'Shown in the CV' })),
    supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: false, citizenship: false, family: false },
    history: [{ at: now, actor: idOf(applicant), actorRole: 'applicant', action: 'create', to: 'draft' }],
    ...(stage !== 'draft' ? { submittedAt: now } : {}),
    ...(stage === 'offer' ? { offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId(), updatedAt: now } } : {}),
    ...rest,
    stage,
    applicant: idOf(applicant),
    call: call._id,
    institute: call.institute,
    ...(assignee ? { assignee: idOf(assignee) } : {}),
  });
}
