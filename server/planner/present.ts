// Page models of the planner: the forecast with its explanation and the certificate windows, for HR
// on the case page (views/planner/case.hbs) and for the applicant as a dated checklist
// (views/planner/applicant.hbs). Dates are written out in the page's language, in its one form (formatDay).
import type { CaseDoc } from '../../models/case.ts';
import { tOf, type Context } from '../context.ts';
import { translator, type Locale } from '../i18n/index.ts';
import type { TFunction } from 'i18next';
import type { CertificateWindow } from './certificates.ts';
import type { Explanation } from './schedule.ts';
import { casePlan, type CasePlan } from './service.ts';
import { formatDay } from '../views/time.ts';
import { cardProblemText } from '../procedures/present.ts';

function explainText(ctx: Context, e: Explanation, prefix: 'explain' | 'reason'): string {
  const t = tOf(ctx);
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(e.params)) {
    if (v instanceof Date) params[k] = formatDay(v, ctx.locale);
    else if ((k === 'kind' || k === 'prev') && typeof v === 'string') params[k] = t(`planner.kinds.${v}`);
    else if (k === 'stage' && typeof v === 'string') params[k] = t(`cases.stages.${v}`, { defaultValue: v });
    // The instrument cited, as the page's language names it (validity.ts Basis).
    else if (k === 'basis' && typeof v === 'string') params[k] = t(`planner.basis.${v}`);
    // A measured number of days, "1 day" or "3 days" in the page's language.
    else if ((k === 'median' || k === 'p90') && typeof v === 'number') params[k] = t('planner.dayCount', { count: v });
    else params[k] = v;
  }
  const key = e.key === 'passportCard' && e.params.estimated ? 'passportCardEstimated' : e.key;
  return t(`planner.${prefix}.${key}`, params);
}

/** A document's name inside a sentence ("Get your criminal record…": lower-case in English unless an acronym). */
export function documentLabel(locale: Locale, type: string): string {
  const name = translator(locale)(`documents.types.${type}`);
  return locale === 'en' && !/^[A-Z]{2}/.test(name) ? name.charAt(0).toLowerCase() + name.slice(1) : name;
}

/** A document's name standing alone (a row header, the start of a line): as the Documents list writes it. */
export function documentTitle(locale: Locale, type: string): string {
  return translator(locale)(`documents.types.${type}`);
}

/**
 * The filings a window serves, for the applicant. A Vietnamese citizen's visa procedure is their
 * foreign family's TT visas (rules.ts procedureDocuments): "Get your passport by … (visa)" read as a
 * visa of their own (walk family-s32). Their own passport there shows the family's TT ground (relatives of
 * a Vietnamese citizen), not that they sponsor: only a citizen with permanent residence in Vietnam may
 * (Law 47/2014/QH13 Art. 45(1)(b), (c); rules.ts procedureDocuments).
 */
export function neededForText(t: TFunction, w: Pick<CertificateWindow, 'type' | 'neededBy'>, familyVisa = false): string {
  const kindKey = (kind: string) => (kind === 'visa' && familyVisa ? (w.type === 'passport' ? 'visaSponsor' : 'visaFamily') : kind);
  return [...new Set(w.neededBy.map((n) => t(`planner.kinds.${kindKey(n.kind)}`)))].join(', ');
}

/**
 * `conditional`: the applicant's checklist before the offer is accepted. The text above it says not
 * to obtain anything before deciding, so a row to act on reads "Once you accept", never "Now" (nor
 * "Late": nothing is late for a paper nobody has asked for yet); a certificate already valid stays so.
 */
function windowView(ctx: Context, w: CertificateWindow, conditional: false | 'ifAccepted' | 'ifResumed' = false, familyVisa = false) {
  const t = tOf(ctx);
  const document = documentLabel(ctx.locale, w.type);
  const label = documentTitle(ctx.locale, w.type);
  const from = formatDay(w.from, ctx.locale);
  const to = formatDay(w.to, ctx.locale);
  // A passport on file that falls short: said as such, never "Get your passport" (walk s34 #3).
  const held = w.onFile && w.status !== 'ok' && w.status !== 'checking' ? w.onFile : undefined;
  const line = held
    ? held.expiresAt
      ? t('planner.checklist.renew', { document, title: label, expires: formatDay(held.expiresAt, ctx.locale), required: formatDay(held.validUntil, ctx.locale), to })
      : t('planner.checklist.checkValid', { document, title: label, required: formatDay(held.validUntil, ctx.locale), to })
    : w.status === 'ok'
      ? t('planner.checklist.done', { document: label })
      : w.status === 'checking'
        ? t('planner.checklist.checking', { document: label })
      : w.status === 'late'
        ? t('planner.checklist.asap', { document, to })
        : w.closing
          ? t('planner.checklist.closing', { document, to, days: w.daysLeft ?? 0 })
        : from === to
          ? t('planner.checklist.by', { document, to })
          : t('planner.checklist.get', { document, from, to });
  // An open window to act on says how many working days are left to its last day, as the e-mail
  // does; not before the offer is accepted, nor for a filing that waits only for the papers (its
  // day moves with today, so a count would never go down: the same reason it is never "closing").
  const left = w.status === 'open' && !w.closing && !conditional && !w.neededBy[0]?.whenReady && w.daysLeft ? ` (${t('procedures.deadline.left', { count: w.daysLeft })})` : '';
  return {
    type: w.type,
    document,
    label,
    from,
    to,
    status: w.status,
    // A file sent and waiting for HR's check is said as such before the offer is accepted too.
    statusLabel: t(`planner.statuses.${conditional && w.status !== 'ok' && w.status !== 'checking' ? conditional : w.status}`),
    badge: w.status === 'ok' ? 'ok' : conditional ? '' : w.status === 'late' ? 'err' : w.status === 'open' ? 'warn' : '',
    neededFor: neededForText(t, w, familyVisa),
    line: `${line}${left}`,
    reasons: w.reasons.map((r) => explainText(ctx, r, 'reason')),
  };
}

export interface PlannerView {
  forecast?: { earliest: string; likely: string; latest: string; explain: string[]; computedAt?: Date | null };
  windows: ReturnType<typeof windowView>[];
  /** What stands in the plan's way and what to do about it (a residence card the passport no longer covers). */
  problems: string[];
  /** The offer is not accepted yet: the applicant's checklist says the dates hold only if they accept. */
  ifAccepted: boolean;
  /** The case is on hold: the applicant's checklist says the dates hold once it resumes. */
  onHold: boolean;
  /**
   * No offer yet: certificates are not planned (server/planner/service.ts casePlan), so the panel says
   * they will be once an offer is made, not that none is needed while the checklist lists some.
   */
  beforeOffer: boolean;
  /**
   * How the applicant is told the start of work (walk s36: a shortlisted case without an offer read
   * "Expected start of work: 14/12/2026", the plan assuming the visa filed today): `known` once the
   * offer is accepted (or they are here), `ifAccepted` while the offer waits for their answer, `later`
   * before an offer or while the case is on hold, without a date.
   */
  start: 'known' | 'ifAccepted' | 'later';
}

/** `forApplicant`: the applicant's checklist (its rows conditional before acceptance); HR's table keeps the windows' own status. */
export function presentPlan(ctx: Context, plan: CasePlan, computedAt?: Date | null, opts: { forApplicant?: boolean } = {}): PlannerView {
  const f = plan.forecast;
  // Before acceptance, or while the case is on hold (walk family-s32: a case held "waiting for the
  // budget" still told the applicant to obtain certificates "Now", with working days counting down),
  // the applicant's rows are conditional: nothing to spend on yet.
  const conditional = opts.forApplicant !== true ? false : plan.ifAccepted === true ? ('ifAccepted' as const) : plan.onHold === true ? ('ifResumed' as const) : false;
  return {
    forecast: f
      ? {
          earliest: formatDay(f.earliest, ctx.locale),
          likely: formatDay(f.likely, ctx.locale),
          latest: formatDay(f.latest, ctx.locale),
          explain: f.explain.map((e) => explainText(ctx, e, 'explain')),
          computedAt: computedAt ?? null,
        }
      : undefined,
    // Whose the visa papers are is said to the applicant; HR's table keeps the procedure's name.
    windows: plan.windows.map((w) => windowView(ctx, w, conditional, opts.forApplicant === true && plan.familyVisa === true)),
    problems: plan.cardConflict ? [cardProblemText(tOf(ctx), ctx.locale, plan.cardConflict)] : [],
    ifAccepted: plan.ifAccepted === true && plan.windows.length > 0,
    onHold: plan.onHold === true && plan.windows.length > 0,
    // After arrival nothing is planned because the person is here: "shown once you receive an offer"
    // told an arrived scientist to wait for the offer they accepted months ago (walk 33).
    beforeOffer: !!f && plan.planning !== true && plan.arrived !== true,
    start: plan.arrived === true || (plan.planning === true && plan.ifAccepted !== true && plan.onHold !== true) ? 'known' : plan.ifAccepted === true && plan.onHold !== true ? 'ifAccepted' : 'later',
  };
}

/** The planner of one case as of the request's time (recomputed on view: never older than the page). */
export async function casePlannerView({ ctx, caseDoc }: { ctx: Context; caseDoc: CaseDoc }): Promise<PlannerView> {
  return presentPlan(ctx, await casePlan({ caseDoc, now: ctx.now }), caseDoc.forecast?.computedAt);
}
