// A leader's decision in two steps: the form (decision + the reason in the leader's words) leads to
// a confirmation page showing exactly what the candidate will be told (the rendered e-mail in the
// candidate's language) and what stays internal; confirming applies the workflow transition
// (server/evaluations/case.ts decideCase, the one caller of the workflow here).
// Guard before either step: the case has the panel's scores (Call.minScorecards complete
// scorecards, every criterion scored; default 1).
import type { Types } from 'mongoose';
import type { CallDoc } from '../../models/call.ts';
import type { CaseDoc } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { User } from '../../models/user.ts';
import type { Stage } from '../../models/constants.ts';
import type { AppContext } from '../deps.ts';
import { tOf, type Context } from '../context.ts';
import { ValidationError } from '../errors.ts';
import { isLocale, DEFAULT_LOCALE, type Locale } from '../i18n/index.ts';
import { renderEmail } from '../mail/render.ts';
import { loadCalendar, vnEndOfDay } from '../calendar/index.ts';
import { TRANSITIONS } from '../workflow/index.ts';

/** The reason in the leader's words: trimmed, at least this long… */
export const REASON_MIN = 10;
/** …and at most this long (what the workflow keeps as a history note). */
export const REASON_MAX = 2000;

export const DEFAULT_MIN_SCORECARDS = 1;

export interface PanelScores {
  /** Scorecards with every criterion of the call's scorecard scored. */
  complete: number;
  /** All scorecards submitted, complete or not. */
  submitted: number;
  /** The call's minimum. */
  required: number;
}

/** How many complete scorecards the case has, against the call's minimum. */
export async function panelScores({ call, caseId }: { call: CallDoc; caseId: Types.ObjectId }): Promise<PanelScores> {
  const keys = (call.scorecard ?? []).map((c) => c.key);
  const evals = await Evaluation.find({ case: caseId, call: call._id }, { scores: 1 }).lean();
  const complete = evals.filter((e) => {
    const scores = (e.scores ?? {}) as unknown as Record<string, unknown>;
    return keys.every((k) => typeof scores[k] === 'number');
  }).length;
  const required = Number.isInteger(call.minScorecards) && (call.minScorecards as number) >= 1 ? (call.minScorecards as number) : DEFAULT_MIN_SCORECARDS;
  return { complete, submitted: evals.length, required };
}

/** Refuses (422, nothing changed) a decision on a case without the panel's scores. */
export async function requirePanelScores({ ctx, call, caseId }: { ctx: Context; call: CallDoc; caseId: Types.ObjectId }): Promise<PanelScores> {
  const scores = await panelScores({ call, caseId });
  if (scores.complete < scores.required) {
    const t = tOf(ctx);
    const key = scores.complete === 0 ? 'shortlists.decide.errors.noScorecards' : 'shortlists.decide.errors.tooFewScorecards';
    throw new ValidationError({ scorecards: t(key, { count: scores.complete, required: scores.required }) }, 'shortlists.decide.errors.guard');
  }
  return scores;
}

export interface DecisionPreview {
  /** E-mail template the transition sends (views/emails/<template>/). */
  template: string;
  to: string;
  locale: Locale;
  subject: string;
  text: string;
  /** The stage the case moves to. */
  toStage: Stage;
}

/**
 * The e-mail the candidate will receive for this decision, rendered as the outbox will render it:
 * the same template and data as the workflow's transition (never the internal reason).
 */
export async function previewDecision({ app, ctx, call, caseDoc, action }: { app: AppContext; ctx: Context; call: CallDoc; caseDoc: CaseDoc; action: string }): Promise<DecisionPreview | undefined> {
  const row = TRANSITIONS.find((t) => t.action === action && t.from.includes(caseDoc.stage as Stage));
  if (!row?.template || row.to === 'resume') return undefined;
  const applicant = await User.findById(caseDoc.applicant, { email: 1, name: 1, locale: 1, disabledAt: 1 }).lean();
  if (!applicant || applicant.disabledAt) return undefined;
  const locale: Locale = isLocale(applicant.locale) ? applicant.locale : DEFAULT_LOCALE;
  let dueAt: Date | undefined;
  if (row.deadline) dueAt = vnEndOfDay((await loadCalendar()).addWorkingDays(ctx.now, row.deadline.workingDays));
  const data: Record<string, unknown> = {
    reference: caseDoc.reference,
    caseId: String(caseDoc._id),
    link: `${app.config.appUrl}/applications/${caseDoc._id}`,
    name: applicant.name,
    applicantName: caseDoc.profile?.fullName ?? '',
    callTitle: { vi: call.title?.vi, en: call.title?.en },
    action,
    from: caseDoc.stage,
    to: row.to,
    dueAt,
  };
  const mail = await renderEmail(row.template, locale, data);
  return { template: row.template, to: applicant.email, locale, subject: mail.subject, text: mail.text.trim(), toStage: row.to };
}
