// What of a case's history the applicant is told: one rule for their timeline (./present.ts
// timeline), their application page (server/applications/present.ts) and "export my data"
// (server/privacy/export.ts), so that none of them shows what another keeps internal.
import { sameId } from '../policies/ids.ts';
import { QUIET_EVENTS } from './conflict.ts';

export interface ToldEvent {
  action: string;
  from?: string | null;
  to?: string | null;
  actor?: unknown;
  actorRole?: string | null;
  internal?: boolean | null;
  procedure?: { kind?: string | null; applicantVisible?: boolean | null } | null;
  recount?: { moved?: ReadonlyArray<{ applicantVisible?: boolean | null }> | null } | null;
  extension?: { to?: Date | null } | null;
  offerTerms?: { told?: boolean | null } | null;
  plannedStart?: { told?: boolean | null } | null;
  document?: { decision?: string | null } | null;
}

/** The applicant sees a change of stage (not staff bookkeeping), and a procedure's step HR marked for them. */
export function applicantSeesEvent(h: ToldEvent): boolean {
  if (h.procedure?.kind) return h.procedure.applicantVisible === true;
  // A holiday change that moved a date they are shown (a procedure's; the stage's is HR's).
  if (h.recount) return (h.recount.moved ?? []).some((m) => m.applicantVisible === true);
  // Their answer date moved (extend_info): the dates are theirs, HR's reason for it is not (applicantSeesNote).
  if (h.extension?.to) return true;
  // The offer's letter or terms changed once the offer was theirs (they were e-mailed); one HR prepared before is not an event of theirs.
  if (h.offerTerms) return h.offerTerms.told === true;
  // HR moved their planned start and e-mailed them (server/cases/planned-start.ts); HR's reason stays internal (applicantSeesNote).
  if (h.plannedStart) return h.plannedStart.told === true;
  // HR's decision on a version of their document: they were e-mailed a refusal or a changed decision, and their checklist shows each.
  if (h.document) return true;
  return !!h.to && !QUIET_EVENTS.has(h.action);
}

/**
 * Whether what staff write with a step (`from` the case's stage) is told to the applicant, by its
 * e-mail and on their page: what HR asks for, why the case is on hold, and HR's reason for
 * rejecting the application at screening (or while waiting for their answer), HR's note on resuming
 * a case from hold. A leader's reason
 * after the panel stays internal.
 */
export function reasonToldToApplicant(action: string, from: string | null | undefined, actorRole?: string | null, internal?: boolean | null): boolean {
  // A hold decided after the panel keeps its reason internal, as a rejection there does (walk32 #2):
  // marked on the event (an administrator's too); a leader's hold is never anything else.
  if (internal || (action === 'put_on_hold' && actorRole === 'leader')) return false;
  return action === 'request_info' || action === 'put_on_hold' || action === 'resume' || (action === 'reject' && (from === 'screening' || from === 'awaiting_applicant'));
}

/**
 * The applicant is shown an event's note when it is their own words or a reason they are told
 * (reasonToldToApplicant). An officer's working note on a procedure stays internal.
 */
export function applicantSeesNote(h: ToldEvent, applicantId: unknown): boolean {
  if (h.procedure?.kind) return false;
  // A decline HR recorded from their e-mail or letter: its note is the applicant's own reason (HR's note of it is received.note, never shown).
  return sameId(h.actor, applicantId) || h.action === 'record_decline' || reasonToldToApplicant(h.action, h.from, h.actorRole, h.internal);
}

/**
 * The reason for a rejection the applicant is told: HR's at screening; after the panel, what the
 * leader wrote for the candidate (decision.toldReason), never the leader's own reason (internal).
 */
export function applicantDecisionReason(c: { stage?: string | null; history?: ToldEvent[] | null; decision?: { reason?: string | null; toldReason?: string | null } | null }): string | undefined {
  if (c.stage !== 'rejected') return undefined;
  const rejection = c.history?.findLast((h) => h.action === 'reject');
  if (!rejection) return undefined;
  return (reasonToldToApplicant('reject', rejection.from) ? c.decision?.reason : c.decision?.toldReason) ?? undefined;
}

/**
 * Why a held case waits, in the words the applicant was told (walk s34 #6): the hold's reason when it
 * is told to them (HR's), else what the leader wrote for them (history.told); never an internal reason.
 */
export function heldReasonTold(c: { stage?: string | null; history?: ReadonlyArray<ToldEvent & { note?: string | null; told?: string | null }> | null }): string | undefined {
  if (c.stage !== 'on_hold') return undefined;
  const hold = c.history?.findLast((h) => h.action === 'put_on_hold');
  if (!hold) return undefined;
  const words = reasonToldToApplicant(hold.action, hold.from, hold.actorRole, hold.internal) ? hold.note : hold.told;
  return words?.trim() || undefined;
}
