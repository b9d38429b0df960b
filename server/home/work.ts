// A staff member's home page: their day's work as counts, each a link to the queue (or the
// shortlist) that lists it. Counted by the queue's own filters and indexes (countQueue: capped at
// COUNT_CAP, kept a few seconds), so the home page costs a handful of bounded counts at any size.
import { Case, onCaseWrite } from '../../models/case.ts';
import { KeptReads } from '../support/kept-reads.ts';
import type { UserDoc } from '../../models/user.ts';
import { COUNT_CAP, countQueue, parseQueueQuery, queueHref } from '../cases/queue.ts';

/** The officer's counts, in the order the page shows them; `params` is the queue's query string. */
const OFFICER_COUNTS = [
  { key: 'overdue', params: { overdue: '1' } },
  // Due today, not yet passed (walk s34 #5): what must be done before the day ends.
  { key: 'today', params: { today: '1' } },
  { key: 'soon', params: { soon: '1' } },
  { key: 'documents', params: { documents: '1' } },
  { key: 'procedures', params: { procedures: '1' } },
  // A procedure refused and waiting for HR's next step (walk 28 #8: only the queue's badge said so).
  { key: 'refused', params: { refused: '1' } },
] as const;

export type OfficerCountKey = (typeof OFFICER_COUNTS)[number]['key'];

export interface WorkCount {
  key: OfficerCountKey;
  /** Exact up to COUNT_CAP; `capped` when there are more (the queue says "more than 500" alike). */
  n: number;
  capped: boolean;
  href: string;
}

/** An HR officer's (or administrator's) open work in their queue's scope: overdue, due soon, documents and procedures to see to. */
export async function officerWork(user: UserDoc, now: Date): Promise<WorkCount[]> {
  // Kept a few seconds per person and forgotten on any case write, as the queue's own counts are:
  // the "soon" and "overdue" filters hold the moment, so the queue's kept counts never match them
  // again (the benchmark's signed-in home page went from 402 to 34 requests/s at 100,000 cases with
  // four fresh counts each).
  return keptWork.get(workKey(user), () =>
    Promise.all(
      OFFICER_COUNTS.map(async ({ key, params }) => {
        const q = parseQueueQuery(params);
        const n = await countQueue(user, q, now);
        return { key, n: Math.min(n, COUNT_CAP), capped: n > COUNT_CAP, href: queueHref(q, {}) };
      }),
    ),
  );
}
const keptWork = new KeptReads<WorkCount[]>(5_000, { forgetOn: onCaseWrite });

/**
 * Whose counts these are: the person, and everything their queue's scope reads (server/policies/case.ts
 * caseScopeFilter): role, institute and panel seats. A seat given or taken (the call's panel page)
 * ends no session, so without the seats the counts of the old scope were shown for 5 s more.
 */
function workKey(user: UserDoc): string {
  const seats = (user.panelCalls ?? []).map(String).sort().join(',');
  return `${String(user._id)}:${user.role}:${String(user.institute ?? '')}:${seats}`;
}

/** Stages where the case waits for the leader: shortlist or reject (evaluation), offer or reject (shortlisted). */
const DECISION_STAGES = ['evaluation', 'shortlisted'] as const;

export interface DecisionCount {
  stage: (typeof DECISION_STAGES)[number];
  n: number;
  /** Shortlisted: the earliest decision deadline (the stage's stageDueAt), to count the working days to it on the page. */
  nextDueAt?: Date;
}

/**
 * How many of the leader's institute's cases wait for a leader's decision, per stage: a count each
 * over { institute, stage, nextDueAt } (30-40 ms at 100,000 cases). Not per call: a $group by call
 * read every case in evaluation (11,000 in the benchmark's institute, 0.2-0.3 s warm), and a count
 * per call and stage took 0.2 s for ten calls. The shortlists page (linked) lists them per call.
 */
export async function leaderDecisions(user: UserDoc): Promise<DecisionCount[]> {
  if (user.role !== 'leader' || !user.institute) return [];
  // Kept like the officer's counts (per institute: every leader of it sees the same figures).
  return keptDecisions.get(String(user.institute), () =>
    Promise.all(
      DECISION_STAGES.map(async (stage) => {
        const n = await Case.countDocuments({ institute: user.institute, stage });
        if (stage !== 'shortlisted' || n === 0) return { stage, n };
        // The offer-or-reject decision has the shortlisted stage's deadline (STAGE_DEADLINES): the nearest one.
        // Few cases are shortlisted at a time (the benchmark's institute: tens), so the sort is small.
        const next = await Case.findOne({ institute: user.institute, stage, stageDueAt: { $ne: null } }, { stageDueAt: 1 }).sort({ stageDueAt: 1 }).lean<{ stageDueAt?: Date | null }>();
        return next?.stageDueAt ? { stage, n, nextDueAt: next.stageDueAt } : { stage, n };
      }),
    ),
  );
}
const keptDecisions = new KeptReads<DecisionCount[]>(5_000, { forgetOn: onCaseWrite });
