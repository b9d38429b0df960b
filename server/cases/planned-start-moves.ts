// What a move of the planned start of work (profile.plannedArrival) records, whoever moves it: HR with
// a reason (./planned-start.ts), or the applicant's acceptance of an offer whose day differs from it
// (server/workflow ACCEPTANCE, in the acceptance's own update). One history event (`plan_start`) and
// one audit event (`case.planned_start_changed`) either way, so the case page, the timeline and the
// audit read one story; and where the day on the case came from, for the case page.
import type { Types } from 'mongoose';
import type { Context } from '../context.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { PendingAudit } from '../audit/index.ts';
import { caseAudit } from './pending-audit.ts';
import { vnDateKey } from '../calendar/index.ts';

/** Who set the planned start: the applicant's application, the offer they accepted, or HR's change. */
export type StartSource = 'applicant' | 'offer' | 'hr';

export interface StartMove {
  from?: Date;
  to: Date;
}

/**
 * The planned start an acceptance brings: the offer's day (offerTerms.startOn) when it differs from
 * the case's. None when the offer names no day (an old offer's free-text start cannot be read as a
 * day, and the case's day stays) or the day is already past when accepted (a past day plans nothing:
 * the procedures' targets would be overdue at once; HR moves the start on the case page).
 */
export function offerStartMove(c: Pick<CaseDoc, 'profile' | 'offerTerms'>, now: Date): StartMove | undefined {
  const to = c.offerTerms?.startOn ?? undefined;
  if (!(to instanceof Date) || Number.isNaN(to.getTime()) || vnDateKey(to) < vnDateKey(now)) return undefined;
  const from = c.profile?.plannedArrival ?? undefined;
  if (from && vnDateKey(from) === vnDateKey(to)) return undefined;
  return { ...(from ? { from } : {}), to };
}

/**
 * The history event: the days, onboarding's deadline when it moved with them, HR's reason as its
 * note; `source: 'offer'` when an accepted offer set the day (HR's own moves carry none); `told`
 * when HR's move was e-mailed to the applicant, with what HR wrote for them.
 */
export function plannedStartEvent(opts: { at: Date; actor: { _id: Types.ObjectId | unknown; role?: string | null }; move: StartMove; due?: { from?: Date; to: Date }; note?: string; source?: 'offer'; told?: { text?: string } }) {
  const { at, actor, move, due, note, source, told } = opts;
  return {
    at,
    actor: actor._id,
    actorRole: actor.role,
    action: 'plan_start',
    ...(note ? { note } : {}),
    plannedStart: { ...(move.from ? { from: move.from } : {}), to: move.to, ...(due ? { ...(due.from ? { dueFrom: due.from } : {}), dueTo: due.to } : {}), ...(source ? { source } : {}), ...(told ? { told: true, ...(told.text ? { toldText: told.text } : {}) } : {}) },
  };
}

/**
 * The audit event of the same move, at the same time, with the case's version after it: captured
 * for the move's own update (./pending-audit.ts), recorded once that update is done.
 */
export function plannedStartAudit(ctx: Context, opts: { at: Date; caseDoc: Pick<CaseDoc, 'reference'>; move: StartMove; version: number; source: 'offer' | 'hr'; extra?: Record<string, unknown> }): PendingAudit {
  const { at, caseDoc, move, version, source, extra } = opts;
  return caseAudit(ctx, {
    at,
    action: 'case.planned_start_changed',
    summary: { from: move.from ? vnDateKey(move.from) : null, to: vnDateKey(move.to), source, ...extra, version, reference: caseDoc.reference },
  });
}

type StartEvent = { action: string; at: Date; plannedStart?: { to?: Date | null; source?: string | null } | null };

/**
 * Where the case's planned start came from: the last move recorded to that very day (HR's change,
 * or the accepted offer's), else the applicant's own application (they may also have retyped it
 * while they could edit, after an earlier move: then the day is theirs again).
 */
export function startSource(c: { profile?: { plannedArrival?: Date | null } | null; history?: readonly StartEvent[] | null }): { source: StartSource; at?: Date } | undefined {
  const day = c.profile?.plannedArrival;
  if (!day) return undefined;
  const last = (c.history ?? []).findLast((h) => h.action === 'plan_start' && h.plannedStart?.to);
  if (!last || vnDateKey(last.plannedStart!.to!) !== vnDateKey(day)) return { source: 'applicant' };
  return { source: last.plannedStart?.source === 'offer' ? 'offer' : 'hr', at: last.at };
}
