// A case as the jobs that move its deadlines read it: the holiday recount
// (server/cases/deadline-recount.ts) and the filing targets' backfill (target-backfill.ts). Both write
// back against the version read, and work out the next deadline, the escalation flags, the
// applicant's e-mail and the planner's forecast from these fields; each reads its own besides.
import type { Types } from 'mongoose';
import type { TrackState } from './service.ts';

export interface DeadlineJobCase {
  _id: Types.ObjectId;
  reference: string;
  applicant: Types.ObjectId;
  stage: string;
  version: number;
  stageDueAt?: Date | null;
  /** As stored (lean: absent fields may be null), so read through plain() before use. */
  supportTracks?: TrackState[] | null;
  overdueProcedures?: string[] | null;
  /** The start the targets read; the nationality that decides whether a naturalisation has one (rules.ts filingTargetWithheld). */
  profile?: { plannedArrival?: Date | null; nationality?: string | null; overseasVietnamese?: boolean | null } | null;
  /** The residence card's target reads the arrival once recorded (rules.ts targetStart). */
  arrivedAt?: Date | null;
}

/** The projection that reads a DeadlineJobCase; a job spreads it and adds its own fields. */
export const DEADLINE_JOB_FIELDS = { reference: 1, applicant: 1, stage: 1, version: 1, stageDueAt: 1, supportTracks: 1, overdueProcedures: 1, 'profile.plannedArrival': 1, 'profile.nationality': 1, 'profile.overseasVietnamese': 1, arrivedAt: 1 } as const;
