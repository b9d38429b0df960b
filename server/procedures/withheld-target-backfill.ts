// Naturalisation filing targets stored before session 36. Since then a naturalisation that awaits its
// residence condition has no filing target (rules.ts filingTargetWithheld: no law sets the applicant a
// date to lodge by); cases saved before still carry the counted one, which pages now hide but which
// the jobs could still count, escalate and e-mail. Once per database (a counter marks it done), at
// start: such a target (before filing: requested, preparing) is cleared with its count and its
// overdue flag, the case's next deadline worked out again, recorded in the audit. Nothing is
// e-mailed: the applicant's page and e-mails already say the condition instead of a date.
//
// Idempotent and safe if killed midway: each case is one write against the version read (a case
// changed meanwhile is read again), the mark is set after the last case, and a case already cleared
// no longer matches, so a start after a kill finishes the rest and writes nothing twice.
import { Case } from '../../models/case.ts';
import { nextDueAt, type DeadlineSource } from '../../models/case-deadline.ts';
import { HIRING_STAGES, type Stage } from '../../models/constants.ts';
import { systemContext, type Context } from '../context.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from '../cases/pending-audit.ts';
import { DEADLINE_JOB_FIELDS, type DeadlineJobCase } from './deadline-job-case.ts';
import { trackTargetWithheld } from './rules.ts';
import { plain, type TrackState } from './service.ts';
import { backfillCasesOnce, type BackfillStep } from './tracks-backfill.ts';

/** The mark that the withheld naturalisation targets' backfill has run on this database. */
export const WITHHELD_TARGET_BACKFILL = 'backfill:withheld-naturalisation-target';

const BEFORE_FILING = ['requested', 'preparing'] as const;

/** A track whose filing target is withheld but stored (see the file comment). */
export function storedWithheldTarget(track: Pick<TrackState, 'kind' | 'status' | 'dueAt'>, c: DeadlineJobCase): boolean {
  return !!track.dueAt && trackTargetWithheld(track, c);
}

/** Clears one case's withheld targets against the version read; 'changed' when the case changed meanwhile. */
async function clearOne(ctx: Context, c: DeadlineJobCase): Promise<BackfillStep> {
  const tracks = (c.supportTracks ?? []).map(plain);
  const cleared = tracks.filter((t) => storedWithheldTarget(t, c));
  if (cleared.length === 0) return 'none';
  const next = tracks.map((t) => {
    if (!storedWithheldTarget(t, c)) return t;
    const { dueAt: _dueAt, dueCount: _dueCount, ...rest } = t;
    return rest as TrackState;
  });
  const kinds = new Set<string>(cleared.map((t) => t.kind));
  const overdue = (c.overdueProcedures ?? []).filter((k) => !kinds.has(k));
  // The audit event goes into the same update (server/cases/pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'case.withheld_target_cleared', summary: { reference: c.reference, version: c.version + 1, cleared: cleared.map((t) => ({ kind: t.kind, dueAt: t.dueAt })) } });
  const res = await Case.updateOne(
    { _id: c._id, version: c.version },
    {
      $set: { supportTracks: next, overdueProcedures: overdue, nextDueAt: nextDueAt({ stage: c.stage, stageDueAt: c.stageDueAt ?? null, supportTracks: next as DeadlineSource['supportTracks'] }) },
      $inc: { version: 1 },
      $push: withPendingAudits([audit]),
    },
  );
  if (res.matchedCount !== 1) return 'changed';
  await settleCaseAudits(c._id, [audit]);
  return 'written';
}

/**
 * Clears the stored withheld naturalisation targets (see the file comment), once per database: later
 * starts find the mark and read nothing. Reads the open cases holding a naturalisation before filing
 * with a target, through one cursor; the case's profile decides whether the target is withheld.
 */
export async function backfillWithheldTargets(opts: { now?: Date; batchSize?: number } = {}): Promise<number> {
  const ctx = systemContext({ now: opts.now ?? new Date() });
  return backfillCasesOnce<DeadlineJobCase>({
    mark: WITHHELD_TARGET_BACKFILL,
    filter: {
      stage: { $in: [...HIRING_STAGES, 'on_hold'] as Stage[] },
      supportTracks: { $elemMatch: { kind: 'citizenship', status: { $in: [...BEFORE_FILING] }, dueAt: { $ne: null } } },
    },
    fields: DEADLINE_JOB_FIELDS,
    batchSize: opts.batchSize,
    step: (c) => clearOne(ctx, c),
  });
}
