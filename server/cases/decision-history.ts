// The decisions taken on a case, for staff: which (shortlist, approve the offer, reject, put on hold,
// resume), who took it (their name, and their role then), when, the reason kept internal and what
// the applicant was told. Read from the history: `decision` on the case keeps only the last approval
// or rejection, and not who shortlisted or held it. What was told follows the applicant's own rule
// (./applicant-view.ts), so this panel never calls told what their page keeps internal.
import type { TFunction } from 'i18next';
import { reasonToldToApplicant } from './applicant-view.ts';

export const DECISION_EVENTS: ReadonlySet<string> = new Set(['shortlist', 'approve_offer', 'reject', 'put_on_hold', 'resume']);

interface DecisionEventLike {
  at: Date;
  action: string;
  actor?: unknown;
  actorRole?: string | null;
  from?: string | null;
  note?: string | null;
}

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
}

/** Newest first. `names`: the people named on the case (server/cases/people.ts). */
export function decisionHistory(
  t: TFunction,
  c: { history?: ReadonlyArray<DecisionEventLike> | null; decision?: { toldReason?: string | null } | null },
  names: ReadonlyMap<string, { name: string; role: string }>,
): DecisionEntry[] {
  const out: DecisionEntry[] = [];
  for (const h of c.history ?? []) {
    if (!DECISION_EVENTS.has(h.action)) continue;
    const person = names.get(String(h.actor));
    const role = h.actorRole ?? person?.role;
    const note = h.note?.trim() ? h.note : undefined;
    const toldNote = reasonToldToApplicant(h.action, h.from);
    // A rejection ends the case, so the case's one decision.toldReason is this rejection's (a leader's, after the panel).
    const told = toldNote ? note : h.action === 'reject' ? (c.decision?.toldReason ?? undefined) : undefined;
    out.push({
      action: h.action,
      label: t(`cases.events.${h.action}`, { defaultValue: h.action }),
      who: person?.name ?? t('cases.people.someone'),
      role: t(`cases.people.role_${role ?? 'staff'}`, { defaultValue: t('cases.people.role_staff') }),
      at: h.at,
      internal: toldNote ? undefined : note,
      told,
    });
  }
  return out.reverse();
}
