// The decisions taken on a case, read once for every page that shows them: which (shortlist,
// approve the offer, reject, put on hold, resume), who took it (their name, and their role then),
// when, the reason kept internal, what the applicant was told and in which language. Read from the
// history: `decision` on the case keeps only the last approval or rejection, and not who shortlisted
// or held it. What was told follows the applicant's own rule (./applicant-view.ts), so no page calls
// told what their page keeps internal.
//
// Each page chooses its order, its subset and its words: HR's case page every decision, newest first
// (decisionHistory below); the leader's shortlist page the panel's decisions, oldest first
// (server/evaluations/case.ts decisionsTaken); the shortlist rows the latest panel decision.
import type { TFunction } from 'i18next';
import type { Locale } from '../i18n/index.ts';
import { reasonToldToApplicant } from './applicant-view.ts';

export const DECISION_EVENTS: ReadonlySet<string> = new Set(['shortlist', 'approve_offer', 'reject', 'put_on_hold', 'resume', 'withdraw_offer', 'reconsider']);

interface DecisionEventLike {
  at: Date;
  action: string;
  actor?: unknown;
  actorRole?: string | null;
  from?: string | null;
  note?: string | null;
  internal?: boolean | null;
  /** What the applicant was told with an internal note (a leader's hold). */
  told?: string | null;
  /** Decided without the panel's scores; scoring closed by a leader (lead s35). */
  blind?: boolean | null;
  closedScoring?: boolean | null;
}

/** A case as the history is read: a projection of fewer fields reads as less known, never as more. */
export interface DecidedCaseLike {
  history?: ReadonlyArray<DecisionEventLike> | null;
  decision?: { toldReason?: string | null } | null;
}

/** One decision as the history records it, before any page words it. */
export interface DecisionRecord {
  action: string;
  /** The stage it was taken from (a rejection at screening is HR's; from evaluation or the shortlist, a leader's). */
  from?: string;
  at: Date;
  /** The decider's account id, for a page that reads the names itself. */
  actor?: string;
  /** The decider's name, when `names` has them. */
  who?: string;
  /** The role they acted in (the step's; else their account's), when known. */
  role?: string;
  /** The reason the applicant is not told (a leader's, HR's after the panel). */
  internal?: string;
  /** What the applicant was told with the decision, in the words written for them. */
  told?: string;
  /** The language the applicant's e-mails (and so what they were told) are written in, when given. */
  toldLocale?: Locale;
  /** A leader decided without the panel's scores (hidden from them), or closed scoring (lead s35): staff read it, never the applicant. */
  blind?: true;
  closedScoring?: true;
}

/**
 * The case's decisions in the history's order (oldest first). `names`: the people named on the case
 * (server/cases/people.ts); `applicantLocale`: the applicant's e-mail language (recipientLocale).
 */
export function caseDecisions(c: DecidedCaseLike, opts: { names?: ReadonlyMap<string, { name: string; role: string }>; applicantLocale?: Locale } = {}): DecisionRecord[] {
  const steps = (c.history ?? []).filter((h) => DECISION_EVENTS.has(h.action));
  // A rejection ends the case, so the case's one decision.toldReason is its last rejection's (a leader's, after the panel).
  const lastReject = steps.findLastIndex((h) => h.action === 'reject');
  return steps.map((h, i) => {
    const actor = h.actor ? String(h.actor) : undefined;
    const person = actor ? opts.names?.get(actor) : undefined;
    const note = h.note?.trim() ? h.note : undefined;
    const toldNote = reasonToldToApplicant(h.action, h.from, h.actorRole, h.internal);
    const told = toldNote ? note : h.told?.trim() ? h.told : i === lastReject ? (c.decision?.toldReason ?? undefined) : undefined;
    const role = h.actorRole ?? person?.role;
    return {
      action: h.action,
      ...(h.from ? { from: h.from } : {}),
      at: h.at,
      ...(actor ? { actor } : {}),
      ...(person ? { who: person.name } : {}),
      ...(role ? { role } : {}),
      ...(toldNote || !note ? {} : { internal: note }),
      ...(told ? { told } : {}),
      ...(opts.applicantLocale ? { toldLocale: opts.applicantLocale } : {}),
      ...(h.blind ? { blind: true as const } : {}),
      ...(h.closedScoring ? { closedScoring: true as const } : {}),
    };
  });
}

/** A decision on HR's case page, in the reader's words. */
export interface DecisionEntry {
  action: string;
  label: string;
  who: string;
  role: string;
  at: Date;
  /** The reason the applicant is not told (a leader's, HR's after the panel). */
  internal?: string;
  /** What the applicant was told with the decision, in the words written for them. */
  told?: string;
  /** The reasons are not for this reader (a panel member from another institute): the page says they stay with the institute. */
  reasonsKept?: boolean;
}

/** HR's Decisions panel: every decision, newest first. `names`: the people named on the case (server/cases/people.ts). */
export function decisionHistory(t: TFunction, c: DecidedCaseLike, names: ReadonlyMap<string, { name: string; role: string }>, opts: { reasons: boolean }): DecisionEntry[] {
  return caseDecisions(c, { names })
    .reverse()
    .map((d) => ({
      action: d.action,
      label: t(`cases.events.${d.action}`, { defaultValue: d.action }),
      who: d.who ?? t('cases.people.someone'),
      role: t(`cases.people.role_${d.role ?? 'staff'}`, { defaultValue: t('cases.people.role_staff') }),
      at: d.at,
      // Not read into the page at all for a reader without the right (server/policies/case.ts readReasons).
      ...(opts.reasons ? { internal: d.internal, told: d.told } : { reasonsKept: true }),
    }));
}
