// The applicant's answer to an offer, in two steps as their withdrawal: the panel's button opens a
// confirmation page saying what follows (accept: the support procedures start; decline: the
// application ends for good, with an optional reason HR reads on the case), and only that page's
// form takes the step, for the version it was built for.
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import type { CaseDoc } from '../../models/case.ts';
import { CaseConflictError } from '../cases/conflict.ts';
import { transition } from '../workflow/index.ts';
import type { ApplicantAction } from './service.ts';
import { invalidateDashboard } from '../dashboard/index.ts';

export const OFFER_ANSWERS = ['accept', 'decline'] as const;
export type OfferAnswer = (typeof OFFER_ANSWERS)[number];

export function isOfferAnswer(v: unknown): v is OfferAnswer {
  return typeof v === 'string' && (OFFER_ANSWERS as readonly string[]).includes(v);
}

export const OFFER_ACTION: Record<OfferAnswer, ApplicantAction> = { accept: 'accept_offer', decline: 'decline_offer' };

export interface OfferAnswered {
  caseDoc?: CaseDoc;
  /** The same confirmation sent twice (a double tap, another tab): the first one took the step, nothing more was done. */
  repeated: boolean;
}

/**
 * Takes the applicant's answer on the version their confirmation page was built for. The same
 * applicant's same answer already taken from that version is the outcome they asked for, not a
 * conflict: one stage change and one e-mail. Any other change since is a CaseConflictError; a
 * reason too long (or of hidden characters) a ValidationError.
 */
export async function answerOffer(opts: { app: AppContext; ctx: Context; caseDoc: CaseDoc; answer: OfferAnswer; expectedVersion: number; reason?: string }): Promise<OfferAnswered> {
  const action = OFFER_ACTION[opts.answer];
  const payload = opts.answer === 'decline' ? { reason: opts.reason ?? '' } : undefined;
  try {
    // A decline is the applicant's decision about the offer: the leaders read it, with its reason (the
    // step's note), among the dashboard's recent decisions (as HR's and their own are recorded there).
    const decision = opts.answer === 'decline' ? { name: 'decline_offer' } : undefined;
    const caseDoc = await transition({ app: opts.app, ctx: opts.ctx, caseId: opts.caseDoc._id, action, expectedVersion: opts.expectedVersion, payload, decision });
    if (decision) await invalidateDashboard(caseDoc.institute);
    return { caseDoc, repeated: false };
  } catch (err) {
    if (err instanceof CaseConflictError && err.change.last?.action === action && err.byActor(actorOf(opts.ctx)._id) && err.change.version === opts.expectedVersion + 1) return { repeated: true };
    throw err;
  }
}
