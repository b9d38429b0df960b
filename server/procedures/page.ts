// The page model of one procedure (HR): what the law says of it, its deadline, and the form with
// the values stored (or, after a refused form, what was typed and what to fix).
import type { Context } from '../context.ts';
import { actorOf, tOf } from '../context.ts';
import { ForbiddenError } from '../errors.ts';
import { can } from '../policies/index.ts';
import { findCaseFor } from '../cases/access.ts';
import { loadCalendar, type WorkingCalendar } from '../calendar/index.ts';
import { DOCUMENT_TYPES, SUPPORT_STATUSES, supportOpen, type SupportKind } from '../../models/constants.ts';
import { PROCEDURE_RULES, clockCanStop, filingOutsideWindow, filingTargetWithheld, procedureDocuments, type PassportLike } from './rules.ts';
import type { FamilyCase } from '../applications/family-support.ts';
import { askableDocuments, defaultAskDue } from './asks.ts';
import { currentDocuments } from '../documents/index.ts';
import { dayOffText, errorText, presentProcedures, windowView, type ProcedureView } from './present.ts';
import { isStop, replacingProcedure, type ProcedureErrors } from './service.ts';
import { formatDay } from '../views/time.ts';
import { calendarDayMessage } from '../support/calendar-day.ts';
import { User } from '../../models/user.ts';

function isoDay(d: Date | null | undefined): string {
  if (!d) return '';
  return new Date(d.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
}

/**
 * The i18n key saying how far outside the window a filing lies (`<prefix>`, `<prefix>After`,
 * `<prefix>SameDay`): "N days before", "N days after" or "on" the planned start, never "-3 days before".
 */
export function outsideWindowMessage(prefix: string, miss: { days: number; min: number; max: number }): { key: string; params: { count: number; min: number; max: number } } {
  const suffix = miss.days < 0 ? 'After' : miss.days === 0 ? 'SameDay' : '';
  // `count`: "1 day before", "3 days before" (the flash nests the rule's text, which inherits it).
  return { key: `${prefix}${suffix}`, params: { count: Math.abs(miss.days), min: miss.min, max: miss.max } };
}

/**
 * What HR should know of a date just set, in their language (the flash after the save): a filing
 * outside the decree's window or on a day no authority receives a file, a decision dated on a day
 * off, the authority's receipt of a completed file on a day off. Empty when there is nothing to say.
 */
export function savedWarnings(ctx: Context, saved: { outsideWindow?: { days: number; min: number; max: number }; filedOnDayOff?: Date; decidedOnDayOff?: Date; receivedOnDayOff?: Date; cardBeforeStart?: { filedAt: Date; plannedStart: Date } }): string[] {
  const t = tOf(ctx);
  const out: string[] = [];
  if (saved.outsideWindow) ((m) => out.push(t(m.key, m.params)))(outsideWindowMessage('procedures.rule.outsideWindow', saved.outsideWindow));
  if (saved.filedOnDayOff) out.push(t('procedures.rule.filedOnDayOff', { date: formatDay(saved.filedOnDayOff, ctx.locale), dayOff: dayOffText(t, saved.filedOnDayOff) }));
  if (saved.decidedOnDayOff) out.push(t('procedures.rule.decidedOnDayOff', { date: formatDay(saved.decidedOnDayOff, ctx.locale), dayOff: dayOffText(t, saved.decidedOnDayOff) }));
  if (saved.cardBeforeStart) out.push(t('procedures.rule.cardBeforeStart', { date: formatDay(saved.cardBeforeStart.filedAt, ctx.locale), start: formatDay(saved.cardBeforeStart.plannedStart, ctx.locale) }));
  if (saved.receivedOnDayOff) out.push(t('procedures.ask.receivedOnDayOff', { date: formatDay(saved.receivedOnDayOff, ctx.locale), dayOff: dayOffText(t, saved.receivedOnDayOff) }));
  return out;
}

/** A refused form of the procedure's page: which one (the status form, the request form, or "received" on a request), its errors and what was typed. */
export interface FailedForm {
  form?: 'status' | 'ask' | 'received';
  /** The request a "received" form was for. */
  askId?: string;
  errors: ProcedureErrors;
  values: Record<string, string>;
}

export async function procedurePage(opts: { ctx: Context; caseId: string; kind: SupportKind | string; failed?: FailedForm }) {
  const { ctx } = opts;
  const actor = actorOf(ctx);
  const t = tOf(ctx);
  const kind = opts.kind as SupportKind;
  const { caseDoc } = await findCaseFor(actor, opts.caseId);
  if (!(actor.role === 'admin' || can(actor, 'case.work', caseDoc))) throw new ForbiddenError('cases.errors.readOnly');
  const [calendar, documents, applicant] = await Promise.all([loadCalendar(), currentDocuments([caseDoc._id]), User.findById(caseDoc.applicant, { locale: 1 }).lean()]);
  // What the applicant reads their e-mails in (Vietnamese by default), said beside each text sent to
  // them as written, in the case page's words (its message form), so HR writes in that language.
  const inTheirLanguage = t('cases.show.messageHint', { language: t(`shortlists.decide.languages.${applicant?.locale === 'en' ? 'en' : 'vi'}`) });
  const o = caseDoc.toObject();
  const tracks = o.supportTracks ?? [];
  const stored = tracks.find((s) => s.kind === kind);
  const withTrack = stored ? tracks : [...tracks, { kind, status: 'not_needed' as const }];
  const statusFailed = opts.failed && (opts.failed.form ?? 'status') === 'status' ? opts.failed : undefined;
  const page = presentProcedures({
    ctx,
    caseDoc: { _id: caseDoc._id, version: caseDoc.version, supportTracks: withTrack as never, overdueProcedures: o.overdueProcedures as string[], dependants: o.dependants ?? [], supportRequested: o.supportRequested, profile: o.profile },
    calendar,
    forApplicant: false,
    editable: true,
    documents,
    plannedStart: caseDoc.profile?.plannedArrival,
    ...(statusFailed ? { failed: { kind, errors: statusFailed.errors, values: statusFailed.values } } : {}),
  });
  const item = page.items.find((i) => i.kind === kind) as ProcedureView;
  const rule = PROCEDURE_RULES[kind];
  // A refused form shows what was typed over what is stored: the case page's quick form sends only
  // the status, and the office recorded must not come back empty (and be cleared on the next save).
  const values = {
    office: stored?.office ?? '',
    // The date of the filing under way, to correct; empty otherwise: a new filing (after a refusal
    // too) is lodged on a day of its own, which HR types (service.ts isNewFiling).
    filedAt: stored?.status === 'filed' ? isoDay(stored.filedAt) : '',
    // The decision recorded, to correct; empty for a new one, so HR types the authority's day (not today).
    decidedAt: stored?.status === 'approved' || stored?.status === 'refused' ? isoDay(stored.decidedAt) : '',
    // The target the applicant was told, before filing: a different day moves it (and tells them).
    targetAt: (stored?.status === 'requested' || stored?.status === 'preparing') && !filingTargetWithheld(kind, o) ? isoDay(stored.dueAt) : '',
    cardStartsAt: isoDay(stored?.cardStartsAt),
    cardEndsAt: isoDay(stored?.cardEndsAt),
    note: '',
    message: '',
    ...statusFailed?.values,
  };
  const errors = item.error;
  // The target before filing: while the procedure is not lodged (or was being moved when the form failed).
  // None for a naturalisation awaiting its residence condition (rules.ts filingTargetWithheld): the page says why instead.
  const showTarget = (!filingTargetWithheld(kind, o) && (!stored || ['not_needed', 'requested', 'preparing'].includes(stored.status))) || !!(values as Record<string, string>).targetAt;
  const ask = await askForm(ctx, caseDoc.call, kind, item, calendar, opts.failed);
  // Lodged with the authority (filed, then granted or refused): not before, nor for a new filing being prepared.
  const lodged = !!stored && ['filed', 'approved', 'refused'].includes(stored.status);
  const isRefused = (values as Record<string, string>).status ? (values as Record<string, string>).status === 'refused' : item.status === 'refused';
  const typed = values as Record<string, string>;
  // "Refused without written reasons": offered while a refusal can be recorded (filed) or was recorded
  // without saying so, for an authority's refusal (rules.ts refusalWithReasons); "received" once they are owed.
  const reasonsMissingField = !!rule.refusalWithReasons && (!!typed.reasonsMissing || ((item.status === 'filed' || item.status === 'refused') && !item.reasonsOwed && !item.reasonsReceivedAt));
  const reasonsReceivedField = isRefused && (!!item.reasonsOwed || !!item.reasonsReceivedAt || !!typed.reasonsReceived);
  // The summary (views/partials/form-errors.hbs) links to each field's own error; an error with no
  // field on this page (a tampered hidden field) is said in the summary itself.
  const shown = new Set(['status', 'office', 'filedAt', 'decidedAt', ...(showTarget ? ['targetAt'] : []), 'message', 'note', ...(item.isResidenceCard ? ['cardStartsAt', 'cardEndsAt'] : []), ...(reasonsMissingField ? ['reasonsMissing'] : []), ...(reasonsReceivedField ? ['reasonsReceived'] : [])]);
  // Said before the save (service.ts updateProcedure refuses it after): stopping a procedure under
  // way needs a reason for the applicant, unless the other work-permit procedure under way replaces it.
  const stopNeedsReason = isStop(stored?.status, 'not_needed') && !replacingProcedure(kind, tracks.filter((s) => s.kind !== kind));
  const unplaced = Object.entries(errors ?? {}).filter(([k]) => !shown.has(k)).map(([, v]) => v);
  return {
    title: `${item.label} · ${caseDoc.reference}`,
    caseId: String(caseDoc._id),
    reference: caseDoc.reference,
    fullName: caseDoc.profile?.fullName ?? '',
    messageHint: `${t('procedures.fields.messageHint')} ${inTheirLanguage}`,
    stopHint: stopNeedsReason ? t('procedures.fields.stopNeedsReason') : undefined,
    // Marks the message required while "Not needed" is chosen (the hint says it without the script).
    scripts: stopNeedsReason ? ['/static/js/stop-reason.js'] : [],
    askTextHint: `${t('procedures.ask.textHint')} ${inTheirLanguage}`,
    version: caseDoc.version,
    kind,
    item,
    rule: {
      legalBasis: rule.legalBasis[ctx.locale],
      ...(rule.conditions ? { conditions: rule.conditions[ctx.locale] } : {}),
      ...(item.visaType ? { visaType: item.visaType } : {}),
      office: rule.office[ctx.locale],
      // Housing is the institute's own service: its office is the one in charge, not a competent (state) authority.
      ...(rule.internal ? { internal: true } : {}),
      decision: rule.decisionWorkingDays !== undefined ? t('procedures.rule.decision', { count: rule.decisionWorkingDays }) : t('procedures.rule.noLegalDeadline'),
      reasons: rule.refusalWithReasons ? t('procedures.rule.reasons') : undefined,
      window: rule.fileBeforeStartDays ? t('procedures.rule.window', rule.fileBeforeStartDays) : undefined,
      // The same window as two dates for this case, whatever the status (a filing recorded is checked against it).
      // Once lodged, the window is history: the day it was lodged, not a countdown to a window already used.
      // Refused, it is lodged again within the same window: the earlier filing and the countdown to
      // its last day both (walk-proc #5: the page said only "lodged on …" while HR had to refile).
      windowDates: ((w) =>
        w && lodged && stored?.filedAt
          ? { ...w, left: stored.status === 'refused' ? `${t('procedures.window.refusedLodgeAgain', { date: formatDay(stored.filedAt, ctx.locale) })} · ${w.left}` : t('procedures.window.lodgedOn', { date: formatDay(stored.filedAt, ctx.locale) }) }
          : w)(windowView(t, ctx.locale, calendar, ctx.now, kind, caseDoc.profile?.plannedArrival, false)),
      windowNoStart: rule.fileBeforeStartDays && !caseDoc.profile?.plannedArrival ? t('procedures.window.noStart') : undefined,
      dayOffWarning: stored?.filedAt && !rule.internal && !calendar.isWorkingDay(stored.filedAt) ? t('procedures.rule.filedOnDayOff', { date: formatDay(stored.filedAt, ctx.locale), dayOff: dayOffText(t, stored.filedAt) }) : undefined,
      // The authority decides on a working day too: a weekend or holiday decision date is likely mistyped.
      decidedDayOffWarning: lodged && stored?.decidedAt && !rule.internal && !calendar.isWorkingDay(stored.decidedAt) ? t('procedures.rule.decidedOnDayOff', { date: formatDay(stored.decidedAt, ctx.locale), dayOff: dayOffText(t, stored.decidedAt) }) : undefined,
      windowWarning: ((miss) => (miss ? ((m) => t(m.key, m.params))(outsideWindowMessage('procedures.rule.outsideWindow', miss)) : undefined))(filingOutsideWindow(kind, stored?.filedAt, caseDoc.profile?.plannedArrival)),
      // A Vietnamese citizen's visa: their family's passports and proof of relationship, their own passport as sponsor (rules.ts procedureDocuments).
      documents: procedureDocuments(kind, caseDoc as FamilyCase).map((d) => t(`documents.types.${d}`, { defaultValue: d })),
    },
    values,
    // The filing recorded, when the field is empty for a new one: it stays in the case's history.
    filedAtHint: stored?.status === 'filed' ? undefined : stored?.filedAt ? t('procedures.fields.earlierFiling', { date: formatDay(stored.filedAt, ctx.locale) }) : t('procedures.fields.filedAtNew'),
    // The summary above the forms shows for a refused request form too (its errors are beside its fields).
    errors: errors ?? (ask.errorsText ? {} : undefined),
    ask,
    formErrorsText: errors ? [t('procedures.errors.fix'), ...unplaced].join(' ') : ask.errorsText,
    isRefused,
    reasonsMissingField,
    reasonsReceivedField,
    showTarget,
    targetLabel: t(rule.internal ? 'procedures.due.arrange' : 'procedures.due.file'),
    // The institute's own service is arranged, never filed: its hint says so (walk s35 #4: "Before filing" on housing).
    targetHint: t(rule.internal ? 'procedures.fields.targetAtHintArrange' : 'procedures.fields.targetAtHint'),
    decidedAtHint: t(rule.internal ? 'procedures.fields.decidedAtInternal' : 'procedures.fields.decidedAtHint'),
  };
}

/**
 * The request form of a procedure's page ("more is asked", ./asks.ts) and the "received" form of
 * each open request: defaults (the rules table's working days, the clock stopped where one runs and
 * may stop), the checklist's document types, and a refused form's errors with what was typed.
 */
async function askForm(ctx: Context, callId: unknown, kind: SupportKind, item: ProcedureView, calendar: WorkingCalendar, failed: FailedForm | undefined) {
  const t = tOf(ctx);
  const mine = failed?.form === 'ask' ? failed : undefined;
  const canStop = clockCanStop(kind, item.status);
  const values = mine?.values ?? { askText: '', askDueAt: defaultAskDue(kind, calendar, ctx.now), askDocument: '', askStopClock: canStop ? 'yes' : '' };
  const errors = mine ? Object.fromEntries(Object.entries(mine.errors).map(([k, v]) => [k, errorText(t, ctx.locale, v)])) : undefined;
  const types = await askableDocuments(callId);
  const received = failed?.form === 'received' ? failed : undefined;
  const receivedErrors = received ? Object.fromEntries(Object.entries(received.errors).map(([k, v]) => [k, errorText(t, ctx.locale, v)])) : undefined;
  const asks = item.asks.map((a) => (received && received.askId === a.id ? { ...a, failed: { errors: receivedErrors, values: received.values } } : a));
  return {
    // A request is made while the procedure runs (requested, preparing, filed).
    open: item.active,
    canStop,
    values,
    errors,
    documents: [{ value: '', label: t('procedures.ask.noDocument'), selected: !values.askDocument }, ...types.map((d) => ({ value: d, label: t(`documents.types.${d}`), selected: values.askDocument === d }))],
    asks,
    errorsText: mine || received ? t('procedures.errors.fix') : undefined,
  };
}

/** The procedures of a case for its page (HR's case page, or the applicant's). */
export async function caseProcedures(opts: { ctx: Context; caseDoc: { _id: unknown; version: number; stage: string; resumeStage?: unknown; supportTracks?: unknown; overdueProcedures?: unknown }; forApplicant: boolean; editable?: boolean; calendar?: WorkingCalendar; documents?: readonly PassportLike[] }) {
  const calendar = opts.calendar ?? (await loadCalendar());
  const c = opts.caseDoc as { toObject?: () => Record<string, unknown> } & Record<string, unknown>;
  const o = (c.toObject?.() ?? c) as { _id: unknown; version: number; supportTracks?: never; overdueProcedures?: string[]; dependants?: Array<{ fullName?: string | null; relationship?: string | null }>; supportRequested?: { family?: boolean | null } | null; profile?: { plannedArrival?: Date | null; nationality?: string | null; overseasVietnamese?: boolean | null } | null; history?: ReadonlyArray<{ procedure?: { kind?: string | null; applicantVisible?: boolean | null } | null }> };
  // The procedures the applicant was told of (e-mailed, on their timeline): one set not needed stays on their list, closed.
  const toldKinds = opts.forApplicant ? new Set((o.history ?? []).filter((e) => e.procedure?.applicantVisible && e.procedure.kind).map((e) => e.procedure!.kind!)) : undefined;
  // A request naming a document is answered by an upload into its slot: the page says so (the
  // applicant's page reads the documents only then; HR's case page has them already).
  const tracks = (o.supportTracks ?? []) as Array<{ asks?: Array<{ documentType?: string; receivedAt?: Date; closedAt?: Date }> }>;
  const slotAsked = tracks.some((tr) => (tr.asks ?? []).some((a) => a.documentType && !a.receivedAt && !a.closedAt));
  const documents = opts.documents ?? (slotAsked ? await currentDocuments([o._id]) : undefined);
  return presentProcedures({
    ctx: opts.ctx,
    caseDoc: { _id: o._id, version: o.version, supportTracks: o.supportTracks, overdueProcedures: o.overdueProcedures, dependants: o.dependants ?? [], supportRequested: o.supportRequested, profile: o.profile },
    calendar,
    forApplicant: opts.forApplicant,
    plannedStart: o.profile?.plannedArrival,
    ...(toldKinds ? { toldKinds } : {}),
    editable: !!opts.editable && supportOpen(opts.caseDoc),
    ...(documents ? { documents } : {}),
    // Withdrawn or rejected during onboarding: the applicant is not shown targets for work that stopped.
    ...(opts.forApplicant && (opts.caseDoc.stage === 'withdrawn' || opts.caseDoc.stage === 'rejected') ? { stopped: true } : {}),
  });
}

/** One field of a form that was not applied, as the conflict page lists it: labelled, a date in the reader's format. */
export interface SentField {
  field: string;
  label: string;
  text: string;
  /** A text typed at length (a message, a note): shown in a box to copy. */
  long?: boolean;
}

/**
 * Every field a procedure's form sent (the status form, the request form, "received"), labelled in
 * the reader's language, for the 409 page: HR sees the status, office, dates and texts they chose and
 * can enter them again on the procedure as it now is. Only the forms' own fields, in the form's
 * order; a value no form offers (tampered) is shown as typed, never looked up as a key.
 */
export function sentFields(ctx: Context, kind: SupportKind, values: Record<string, string>): SentField[] {
  const t = tOf(ctx);
  const rule = PROCEDURE_RULES[kind];
  const day = (v: string) => (calendarDayMessage(v) === undefined && /^\d{4}-\d{2}-\d{2}$/.test(v) ? formatDay(new Date(`${v}T16:59:59.999Z`), ctx.locale) : v);
  const oneOf = (list: readonly string[], v: string, key: (v: string) => string) => (list.includes(v) ? t(key(v)) : v);
  const fields: Array<[string, string, (v: string) => string, boolean?]> = [
    ['status', t('procedures.fields.status'), (v) => oneOf(SUPPORT_STATUSES, v, (s) => `procedures.statuses.${s}`)],
    ['office', t('procedures.fields.officeFiled'), (v) => v],
    ['targetAt', t(rule.internal ? 'procedures.due.arrange' : 'procedures.due.file'), day],
    ['filedAt', t('procedures.fields.filedAt'), day],
    ['decidedAt', t('procedures.fields.decidedAt'), day],
    ['cardStartsAt', t('procedures.fields.cardStartsAt'), day],
    ['cardEndsAt', t('procedures.fields.cardEndsAt'), day],
    ['reasonsMissing', t('procedures.fields.reasonsMissingField'), (v) => (v === 'yes' ? t('cases.conflict.yes') : v)],
    ['reasonsReceived', t('procedures.fields.reasonsReceived'), (v) => (v === 'yes' ? t('cases.conflict.yes') : v)],
    ['message', t('procedures.fields.message'), (v) => v, true],
    ['note', t('procedures.fields.noteInternal'), (v) => v, true],
    ['askText', t('procedures.ask.text'), (v) => v, true],
    ['askDueAt', t('procedures.ask.due'), day],
    ['askDocument', t('procedures.ask.documentField'), (v) => oneOf(DOCUMENT_TYPES, v, (d) => `documents.types.${d}`)],
    ['askStopClock', t('procedures.ask.stopClock'), (v) => (v === 'yes' ? t('cases.conflict.yes') : v)],
    ['receivedOn', t('procedures.ask.receivedOnField'), day],
  ];
  const out: SentField[] = [];
  for (const [field, label, show, long] of fields) {
    const v = (Object.hasOwn(values, field) ? values[field] : '')?.trim() ?? '';
    if (!v) continue;
    out.push({ field, label, text: show(v).slice(0, 20_000), ...(long ? { long } : {}) });
  }
  return out;
}
