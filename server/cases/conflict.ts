// A stale form, described once: whoever detects that the case moved on since the page was built
// (the workflow, a support-track update, a submit) throws a CaseConflictError carrying what
// happened (the latest change: who, what, when, and where the case is now). The 409 page
// (server/cases/present.ts conflictPage) shows what the error carries; nothing is queried again.
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { sameId } from '../policies/index.ts';
import { tOf, type Context } from '../context.ts';
import { formatDateTime } from '../views/time.ts';

/** Bookkeeping events that are not a change of the case's state (skipped when saying what happened). */
/**
 * The version a form was built on, as the case stands: the case's own when only the start-up
 * sweep's claims moved it since (models/case.ts sweptClaim; server/documents/sweep.ts), so a page
 * open from before a restart is not refused for a change nobody made to what it shows; else as sent.
 */
export function versionSeen(c: { version: number; sweptClaim?: { from: number; to: number } | null }, sent: number): number {
  const claim = c.sweptClaim;
  return claim && c.version === claim.to && sent >= claim.from && sent < claim.to ? c.version : sent;
}

/** HR's decision on a document version (server/documents/verify.ts): on the timelines, but no change of the case (its version does not move). */
export const DOCUMENT_DECISION_EVENT = 'document_decision';

export const QUIET_EVENTS: ReadonlySet<string> = new Set(['assign', 'unassign', DOCUMENT_DECISION_EVENT]);

/** The case's last change that moved its version: the history's last entry that is not a quiet one (an assignment, a document checked). */
export function lastCaseChange<H extends { action: string }>(history: ReadonlyArray<H> | null | undefined): H | undefined {
  return history?.findLast((h) => !QUIET_EVENTS.has(h.action));
}

/** What happened to the case since the form was built. */
export interface CaseChange {
  caseId: string;
  reference: string;
  /** The stage the case is at now. */
  stage: string;
  /** The case's version now. */
  version: number;
  /** The latest change of state, when the case has one. */
  /** `procedure`: the kind a procedure change was about (work_permit, visa, ...). */
  last?: { action: string; at: Date; actorId?: string; actorName?: string; procedure?: string };
}

export class CaseConflictError extends ConflictError {
  constructor(
    readonly change: CaseChange,
    messageKey: string,
    params: Record<string, unknown>,
  ) {
    super(messageKey, params);
  }

  /** Was the change the same actor's own step (a second click, another tab)? */
  byActor(actorId: unknown): boolean {
    return !!this.change.last?.actorId && sameId(this.change.last.actorId, actorId);
  }
}

interface CaseState {
  _id: unknown;
  reference: string;
  stage: string;
  version: number;
  history?: Array<{ action: string; at: Date; actor?: unknown; actorRole?: string | null; procedure?: { kind?: string | null } | null }> | null;
}

/** The conflict for a case as it is now (already loaded with its history). */
export async function conflictFrom(ctx: Context, c: CaseState): Promise<CaseConflictError> {
  const t = tOf(ctx);
  const last = lastCaseChange(c.history);
  // An applicant is told which role changed their case, never a staff member's name (as on their timeline).
  const forApplicant = ctx.actor?.role === 'applicant';
  const actorName = !last?.actor
    ? undefined
    : forApplicant
      ? t(`cases.people.role_${last.actorRole ?? 'staff'}`, { defaultValue: t('cases.people.role_staff') })
      : ((await User.findById(last.actor, { name: 1 }).lean())?.name ?? undefined);
  const change: CaseChange = {
    caseId: String(c._id),
    reference: c.reference,
    stage: c.stage,
    version: c.version,
    last: last ? { action: last.action, at: last.at, actorId: last.actor ? String(last.actor) : undefined, actorName, ...(last.procedure?.kind ? { procedure: last.procedure.kind } : {}) } : undefined,
  };
  const stage = t(`workflow.stages.${c.stage}`);
  if (!change.last) return new CaseConflictError(change, 'workflow.conflictNoHistory', { stage });
  const mine = !!ctx.actor && sameId(change.last.actorId, ctx.actor._id);
  return new CaseConflictError(change, 'workflow.conflict', {
    who: mine ? t('workflow.you') : (actorName ?? t('workflow.someone')),
    action: t(`workflow.actions.${change.last.action}`, { defaultValue: change.last.action }),
    when: formatDateTime(change.last.at, ctx.locale),
    stage,
  });
}

/** The conflict for a case by id (it was changed by someone else meanwhile); "not found" when it is gone. */
export async function caseConflict({ ctx, caseId }: { ctx: Context; caseId: unknown }): Promise<CaseConflictError | NotFoundError> {
  const c = await Case.findById(caseId, { reference: 1, stage: 1, version: 1, history: 1 }).lean();
  if (!c) return new NotFoundError();
  return conflictFrom(ctx, c);
}
