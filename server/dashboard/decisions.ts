// The recent decisions for the dashboard: read from the decisions' audit events ('case.decision',
// written with the reason by a leader's decideCase, server/evaluations/case.ts, and by HR's
// decisions that end or pause a case, server/cases/decision.ts), limited to the dashboard's scope
// (institute, call). Never cached: a decision shows at once. The newest first through the
// { action, at } index, at most `limit` (the institute and call filters are read on those rows).
import { AuditEvent } from '../../models/audit-event.ts';
import { User } from '../../models/user.ts';
import type { DashboardFilter } from './index.ts';

export interface RecentDecision {
  at: Date;
  caseId: string;
  callId: string;
  reference: string;
  decision: string;
  reason: string;
  who: string;
  /** The role the decider acted in (hr_officer, leader, admin): the page says who decided. */
  role: string;
}

export const RECENT_DECISIONS = 10;

interface DecisionSummary {
  decision?: string;
  reason?: string;
  decidedAt?: Date | string;
  reference?: string;
  institute?: string;
  call?: string;
}

export async function recentDecisions({ filter, limit = RECENT_DECISIONS }: { filter: Pick<DashboardFilter, 'institute' | 'call'>; limit?: number }): Promise<RecentDecision[]> {
  const query: Record<string, unknown> = { action: 'case.decision' };
  if (filter.institute) query['summary.institute'] = String(filter.institute);
  if (filter.call) query['summary.call'] = String(filter.call);
  const events = await AuditEvent.find(query, { at: 1, actor: 1, actorRole: 1, targetId: 1, summary: 1 }).sort({ at: -1 }).limit(limit).lean();
  const names = new Map((await User.find({ _id: { $in: events.map((e) => e.actor).filter(Boolean) } }, { name: 1 }).lean()).map((u) => [String(u._id), u.name]));
  return events.map((e) => {
    const s = (e.summary ?? {}) as DecisionSummary;
    return {
      at: s.decidedAt ? new Date(s.decidedAt) : e.at,
      caseId: e.targetId ?? '',
      callId: s.call ?? '',
      reference: s.reference ?? '',
      decision: s.decision ?? '',
      reason: s.reason ?? '',
      who: names.get(String(e.actor)) ?? '',
      role: e.actorRole ?? '',
    };
  });
}
