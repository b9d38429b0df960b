// Who may see and act on a case (DESIGN.md §8): the applicant their own; HR officers their
// institute's; leaders only what their institute's calls shortlist; panel members only what is
// before the panel of the calls they sit on; administrators all. Anything else is "not found".
//
// "What the calls shortlist", for a leader (and an external panel member): the cases of a call they
// evaluate (their institute's, or one whose panel they sit on) that have reached the panel, i.e.
// `evaluation` and the main line after it (`shortlisted`, `offer`, `onboarding`, `arrived`,
// `closed`), plus any case they scored themselves (so a case they scored stays theirs to see when it
// is later rejected, withdrawn or put on hold) or decided themselves (a case they rejected). `evaluation` is included because the leader scores
// and shortlists from there (server/workflow/transitions.ts: `shortlist` is a leader's action from
// `evaluation`). Cases before the panel (submitted, screening, awaiting the applicant), and cases
// rejected, withdrawn or held before it, are the HR officers' and stay hidden from leaders.
// A case that reached the panel and then left its line (rejected by a leader: HR's rejection comes
// before it; withdrawn, or the offer declined; put on hold) stays visible to the leaders of its
// institute, whoever of them scored or decided: they find their decisions on the shortlist, and the
// dashboard's "Recent decisions" links every leader to them (a link must not answer 404).
import { sameId } from './ids.ts';

export interface PolicyUser {
  _id: unknown;
  role: string;
  institute?: unknown;
  panelCalls?: unknown[];
}

export interface PolicyCase {
  applicant: unknown;
  institute: unknown;
  call: unknown;
  stage?: string | null;
  /** Stages the case has entered (models/case-summary.ts); missing on a projection, which then errs on hiding. */
  reached?: readonly string[] | null;
}

/** What the policy needs to know beyond the case itself (looked up by server/cases/access.ts). */
export interface CaseAccessFacts {
  /** The viewer submitted a scorecard for this case. */
  scored?: boolean;
  /** The viewer took the case's last leader decision (a rejection takes it off the panel's stages). */
  decided?: boolean;
}

/** Stages in which a case is before its call's panel and leaders (the ranked shortlist). */
export const PANEL_STAGES = ['evaluation', 'shortlisted', 'offer', 'onboarding', 'arrived', 'closed'] as const;

/**
 * Rejected after the panel: only a leader's (or an administrator's) decision takes a case from
 * evaluation or the shortlist to rejected (server/workflow/transitions.ts), so a rejected case that
 * had reached evaluation is one.
 */
export function rejectedAfterPanel(c: Pick<PolicyCase, 'stage' | 'reached'>): boolean {
  return c.stage === 'rejected' && Array.isArray(c.reached) && c.reached.includes('evaluation');
}

/** The query for rejectedAfterPanel (`reached` holds each stage once). */
export const REJECTED_AFTER_PANEL = { stage: 'rejected', reached: 'evaluation' } as const;

/**
 * The stages a case leaves the panel's line for: rejected (a leader's decision), withdrawn (the
 * applicant withdrew, or declined the offer: server/workflow/transitions.ts), on hold (HR's pause).
 */
export const LEFT_PANEL_STAGES = ['rejected', 'withdrawn', 'on_hold'] as const;

/**
 * Reached the panel, then left its line (rejectedAfterPanel, withdrawn, declined or held after it).
 * No step leads from the panel's stages back before it, so `reached` holding evaluation says the
 * case was before the panel; read without `reached` (a projection), it errs on hiding.
 */
export function leftAfterPanel(c: Pick<PolicyCase, 'stage' | 'reached'>): boolean {
  return (LEFT_PANEL_STAGES as readonly string[]).includes(String(c.stage ?? '')) && Array.isArray(c.reached) && c.reached.includes('evaluation');
}

/** The query for leftAfterPanel. */
export const LEFT_AFTER_PANEL = { stage: { $in: [...LEFT_PANEL_STAGES] }, reached: 'evaluation' } as const;

function beforeThePanel(user: PolicyUser, c: PolicyCase, facts: CaseAccessFacts): boolean {
  // A leader who rejected a case keeps seeing it: their decision stays theirs to read.
  return (PANEL_STAGES as readonly string[]).includes(String(c.stage ?? '')) || facts.scored === true || facts.decided === true;
}

export function canViewCase(user: PolicyUser | undefined, c: PolicyCase, facts: CaseAccessFacts = {}): boolean {
  if (!user) return false;
  // A draft is the applicant's unfinished work: no staff member sees it, or any of its documents.
  if (user.role !== 'applicant' && c.stage === 'draft') return false;
  switch (user.role) {
    case 'applicant':
      return sameId(user._id, c.applicant);
    case 'hr_officer':
      // Their institute's caseload; on another institute's panel, only what is before the panel.
      return sameId(user.institute, c.institute) || (isPanelMember(user, c) && beforeThePanel(user, c, facts));
    case 'leader':
      if (sameId(user.institute, c.institute) && leftAfterPanel(c)) return true;
      return (sameId(user.institute, c.institute) || isPanelMember(user, c)) && beforeThePanel(user, c, facts);
    case 'admin':
      return true;
    default:
      return false;
  }
}

/**
 * An outside reviewer of this case: staff of another institute (HR officer or leader) who see it
 * only because they sit on its call's panel. Walk s36: they read what evaluation needs on the
 * shortlist's case page, never HR's case file (date of birth, contacts, family, passport, support).
 */
export function isOutsideReviewer(user: PolicyUser | undefined, c: Pick<PolicyCase, 'institute'>): boolean {
  return !!user && (user.role === 'hr_officer' || user.role === 'leader') && !sameId(user.institute, c.institute);
}

/**
 * HR's case file: /cases/:id and every route under it (documents, procedures, steps, notes, messages,
 * their JSON answers), the queue /cases and the calendar feed. canViewCase less the outside reviewers
 * (isOutsideReviewer): a case on their panel is theirs on the shortlist only, "not found" here.
 */
export function canOpenCaseFile(user: PolicyUser | undefined, c: PolicyCase, facts: CaseAccessFacts = {}): boolean {
  return canViewCase(user, c, facts) && !isOutsideReviewer(user, c);
}

/** Could this user see the case if they had scored it? (Only then is it worth looking the scorecard up.) */
export function mayHaveScored(user: PolicyUser | undefined, c: PolicyCase): boolean {
  if (!user) return false;
  if (user.role === 'leader') return sameId(user.institute, c.institute) || isPanelMember(user, c);
  return user.role === 'hr_officer' && isPanelMember(user, c);
}

/** Staff work on a case (notes, assignment, transitions): HR of the case's institute. */
export function canWorkCase(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return !!user && user.role === 'hr_officer' && sameId(user.institute, c.institute);
}

export function canDecideCase(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return !!user && user.role === 'leader' && sameId(user.institute, c.institute);
}

export function isPanelMember(user: PolicyUser | undefined, c: Pick<PolicyCase, 'call'>): boolean {
  return !!user && Array.isArray(user.panelCalls) && user.panelCalls.some((id) => sameId(id, c.call));
}

/**
 * The list filter of canOpenCaseFile (the queue, the calendar feed): caseScopeFilter within the
 * user's own institute, so no outside reviewer's list names another institute's applicants.
 */
export function caseFileScopeFilter(user: PolicyUser, scoredCaseIds: readonly unknown[] = []): Record<string, unknown> {
  switch (user.role) {
    case 'hr_officer':
      return { institute: user.institute ?? null };
    case 'leader':
      return { institute: user.institute ?? null, $or: [{ stage: { $in: [...PANEL_STAGES] } }, { _id: { $in: [...scoredCaseIds] } }, { 'decision.decidedBy': user._id }, { ...LEFT_AFTER_PANEL }] };
    default:
      return caseScopeFilter(user, scoredCaseIds);
  }
}

/**
 * A Mongo filter limiting a query to the cases the user may see (never widens): the same rule as
 * canViewCase. `scoredCaseIds` are the cases the user submitted a scorecard for.
 */
export function caseScopeFilter(user: PolicyUser, scoredCaseIds: readonly unknown[] = []): Record<string, unknown> {
  const panel = { $or: [{ stage: { $in: [...PANEL_STAGES] } }, { _id: { $in: [...scoredCaseIds] } }, { 'decision.decidedBy': user._id }] };
  switch (user.role) {
    case 'applicant':
      return { applicant: user._id };
    case 'hr_officer':
      return { $or: [{ institute: user.institute ?? null }, { $and: [{ call: { $in: user.panelCalls ?? [] } }, panel] }] };
    case 'leader':
      return { $and: [{ $or: [{ institute: user.institute ?? null }, { call: { $in: user.panelCalls ?? [] } }] }, { $or: [...panel.$or, { institute: user.institute ?? null, ...LEFT_AFTER_PANEL }] }] };
    case 'admin':
      return {};
    default:
      return { _id: null };
  }
}

/** A case as the ability table sees it, with what server/cases/access.ts looked up about the actor. */
export type CaseSubject = PolicyCase & { facts?: CaseAccessFacts };

/**
 * What each role may do with a case. `view` failing means "not found" (authorize in ./index.ts):
 * a case the user may not see is answered exactly like one that does not exist.
 */
export const caseAbilities = {
  /** HR's case file (canOpenCaseFile); the shortlist's case page is the panel's (server/evaluations/access.ts). */
  view: (user: PolicyUser, c: CaseSubject) => canOpenCaseFile(user, c, c.facts ?? {}),
  /** Staff work (notes, assignment, messages, information requests, support procedures): HR of the case's institute, or an administrator. */
  work: (user: PolicyUser, c: CaseSubject) => user.role === 'admin' || canWorkCase(user, c),
  /** A leader's decisions (shortlist, offer, rejection after the panel). */
  decide: (user: PolicyUser, c: CaseSubject) => canDecideCase(user, c),
  /** The applicant's own application: its steps, submitting it, answering, the offer, withdrawing. */
  apply: (user: PolicyUser, c: CaseSubject) => user.role === 'applicant' && sameId(user._id, c.applicant),
  /**
   * The written reasons of the case's decisions (a leader's internal reason, HR's, and the words the
   * applicant was told): administrators and the staff of the case's institute. A panel member from
   * another institute reads the outcome (decided, not chosen), never the words (product decision,
   * trust-fix #1): their seat is to score, not to read the institute's deliberations.
   */
  readReasons: (user: PolicyUser, c: CaseSubject) => user.role === 'admin' || ((user.role === 'hr_officer' || user.role === 'leader') && sameId(user.institute, c.institute)),
  /** The case's message thread: its applicant, or the staff who work the case. */
  message: (user: PolicyUser, c: CaseSubject) => (user.role === 'applicant' ? sameId(user._id, c.applicant) : user.role === 'admin' || canWorkCase(user, c)),
} as const;
