// The recent decisions for the dashboard: read from the decisions' audit events ('case.decision',
// written with the reason by a leader's decideCase, server/evaluations/case.ts, and by HR's
// decisions that end or pause a case, server/cases/decision.ts), limited to the dashboard's scope
// (institute, call). Never cached: a decision shows at once. The newest first through the
// { action, at } index, at most `limit` (the institute and call filters are read on those rows).
//
// Left out: HR closing a case. It is the routine end once the applicant has arrived and every
// procedure is settled (server/workflow/transitions.ts `close`, no reason asked): it decides nothing
// about the person, and ten rows of closes would push out the rejections and holds a leader reads
// this list for. The closed cases are counted in the dashboard's figures.
//
// Also read: HR's rejections and holds taken before HR's decisions were audited as 'case.decision'
// (only their 'case.transition' event exists; its reason is the case history's note). They come
// through the same { action, at } index, newest first and at most `limit` of them, never older than
// the oldest decision already listed (they could not make the list); a transition that has its own
// decision event (the same case and version) is that decision, not listed twice. Their institute
// and call are read on their cases (the event does not carry them), so with a filter set fewer than
// `limit` older ones may be found: a bounded read, not a scan of the whole audit trail.
import { AuditEvent } from '../../models/audit-event.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { periodRange, type DashboardFilter } from './index.ts';
import type { DecisionSummary } from '../cases/decision.ts';

export interface RecentDecision {
  at: Date;
  caseId: string;
  callId: string;
  reference: string;
  decision: string;
  reason: string;
  who: string;
  /** The role the decider acted in (hr_officer, leader, admin; applicant for their decline of the offer): the page says who decided. */
  role: string;
  /** The stage the decision was taken from, when the event says it (where the page links the row). */
  from?: string;
  /** An applicant's answer after the offer's answer-by date: that date and the working days after it. */
  late?: { dueAt: Date; workingDays: number };
  /** A decline HR recorded from e-mail or post: the day it was received (the day the applicant declined). */
  receivedOn?: Date;
  /** A leader decided without the panel's scores, or closed scoring (lead s35): the audit summary's marks, said beside the reason. */
  blind?: true;
  closedScoring?: true;
}

export const RECENT_DECISIONS = 10;

/**
 * HR's steps that were decisions before they were audited as such (the workflow rows marked
 * `confirm`, less close); and the applicant's declines of an offer before those were (their reason
 * is the history note as well).
 */
const EARLIER_HR_DECISIONS = ['reject', 'put_on_hold', 'decline_offer'];

interface TransitionSummary {
  action?: string;
  reference?: string;
  version?: number;
}

/** A decision before its decider's name is read (one query for the rows shown). */
type Row = Omit<RecentDecision, 'who'> & { actor: unknown };

export async function recentDecisions({ filter, limit = RECENT_DECISIONS }: { filter: Pick<DashboardFilter, 'institute' | 'call'>; limit?: number }): Promise<RecentDecision[]> {
  const query: Record<string, unknown> = { action: 'case.decision', 'summary.decision': { $ne: 'close' } };
  if (filter.institute) query['summary.institute'] = String(filter.institute);
  if (filter.call) query['summary.call'] = String(filter.call);
  const events = await AuditEvent.find(query, { at: 1, actor: 1, actorRole: 1, targetId: 1, summary: 1 }).sort({ at: -1 }).limit(limit).lean();
  const rows: Row[] = events.map((e) => {
    const s = (e.summary ?? {}) as Partial<DecisionSummary>;
    return {
      at: s.decidedAt ? new Date(s.decidedAt) : e.at,
      caseId: e.targetId ?? '',
      callId: s.call ?? '',
      reference: s.reference ?? '',
      decision: s.decision ?? '',
      reason: s.reason ?? '',
      actor: e.actor,
      role: e.actorRole ?? '',
      ...(typeof s.from === 'string' ? { from: s.from } : {}),
      ...(s.late?.dueAt ? { late: { dueAt: new Date(s.late.dueAt), workingDays: Number(s.late.workingDays) || 0 } } : {}),
      ...(s.receivedOn ? { receivedOn: new Date(s.receivedOn) } : {}),
      ...(s.closedScoring === true ? { closedScoring: true as const } : s.blind === true ? { blind: true as const } : {}),
    };
  });
  const full = events.length >= limit ? events.at(-1)!.at : undefined;
  rows.push(...(await earlierHrDecisions({ filter, limit, notBefore: full })));
  rows.sort((a, b) => b.at.getTime() - a.at.getTime());
  const shown = rows.slice(0, limit);
  const names = new Map((await User.find({ _id: { $in: shown.map((r) => r.actor).filter(Boolean) } }, { name: 1 }).lean()).map((u) => [String(u._id), u.name]));
  return shown.map(({ actor, ...r }) => ({ ...r, who: names.get(String(actor)) ?? '' }));
}

/**
 * For the steering committee's report (lead s35): how many leaders' decisions were taken without the
 * panel's scores (ticked, `blind`) and how many scorings a leader closed (`closedScoring`), in the
 * report's scope (institute, call) and dated in its period (Vietnam days, the decision's audit moment),
 * read on the decisions' audit events through the { action, at } index.
 */
export async function decisionsWithoutScores(filter: DashboardFilter): Promise<{ blind: number; closedScoring: number }> {
  const query: Record<string, unknown> = { action: 'case.decision' };
  if (filter.institute) query['summary.institute'] = String(filter.institute);
  if (filter.call) query['summary.call'] = String(filter.call);
  const at = periodRange(filter);
  if (at) query.at = at;
  const [blind, closedScoring] = await Promise.all([AuditEvent.countDocuments({ ...query, 'summary.blind': true }), AuditEvent.countDocuments({ ...query, 'summary.closedScoring': true })]);
  return { blind, closedScoring };
}

/** HR's rejections and holds audited only as 'case.transition' (see the head of this file). */
async function earlierHrDecisions({ filter, limit, notBefore }: { filter: Pick<DashboardFilter, 'institute' | 'call'>; limit: number; notBefore?: Date }): Promise<Row[]> {
  const steps = await AuditEvent.find(
    { action: 'case.transition', 'summary.action': { $in: EARLIER_HR_DECISIONS }, ...(notBefore ? { at: { $gte: notBefore } } : {}) },
    { at: 1, actor: 1, actorRole: 1, targetId: 1, summary: 1 },
  )
    .sort({ at: -1 })
    .limit(limit)
    .lean();
  if (steps.length === 0) return [];
  const caseIds = [...new Set(steps.map((e) => e.targetId).filter((id): id is string => !!id))];
  // Those with their own decision event are listed from it (or left out by the filter with it).
  const decided = new Set(
    (await AuditEvent.find({ targetType: 'case', targetId: { $in: caseIds }, action: 'case.decision' }, { targetId: 1, summary: 1 }).lean()).map((e) => `${e.targetId}:${(e.summary as Partial<DecisionSummary> | undefined)?.version}`),
  );
  const caseQuery: Record<string, unknown> = { _id: { $in: caseIds } };
  if (filter.institute) caseQuery.institute = String(filter.institute);
  if (filter.call) caseQuery.call = String(filter.call);
  const cases = new Map((await Case.find(caseQuery, { call: 1, reference: 1, history: 1 }).lean()).map((c) => [String(c._id), c]));
  const rows: Row[] = [];
  for (const e of steps) {
    const s = (e.summary ?? {}) as TransitionSummary;
    const c = e.targetId ? cases.get(e.targetId) : undefined;
    if (!c || decided.has(`${e.targetId}:${s.version}`)) continue;
    // The step's history entry is written with the audit event's moment (server/workflow/index.ts record).
    const step = (c.history ?? []).find((h) => h.action === s.action && h.at && h.at.getTime() === e.at.getTime());
    rows.push({
      at: e.at,
      caseId: e.targetId ?? '',
      callId: c.call ? String(c.call) : '',
      reference: s.reference ?? c.reference ?? '',
      decision: s.action ?? '',
      reason: step?.note ?? '',
      actor: e.actor,
      role: e.actorRole ?? '',
      ...(step?.from ? { from: step.from } : {}),
      ...(step?.late?.dueAt ? { late: { dueAt: step.late.dueAt, workingDays: step.late.workingDays } } : {}),
    });
  }
  return rows;
}
