// Page models of the procedures: the table on the case page (HR: every procedure with its form),
// the list on the applicant's page (what is under way, in their words, without HR's notes), the
// deadline as a date and as "N working days left / overdue" on the holiday calendar, and the
// timeline line of a procedure event in the reader's language (never an internal code).
import type { TFunction } from 'i18next';
import { SUPPORT_STATUSES, type SupportKind } from '../../models/constants.ts';
import { tOf, type Context } from '../context.ts';
import type { Locale } from '../i18n/index.ts';
import { vnDateKey, type WorkingCalendar } from '../calendar/index.ts';
import { LODGING_MARGIN_WORKING_DAYS, PROCEDURE_RULES, filingTargetWithheld, residenceCardConflict, visaSymbol, waitingGroups, type CardBeyondPassport, type PassportLike } from './rules.ts';
import { ACTIVE_SUPPORT, statusLabel, askOpen, clockStopped, deadlineLeft, windowView, type WindowView, holidayDayText, type HolidayName, dueMeaning, isStop, isSupportOverdue, procedureHeadlineKey, reasonsOverdue, trackStamp, type ProcedureError, type ProcedureErrors } from './service.ts';
import { formatDay } from '../views/time.ts';
import { papersForFamily, familyMembersText, familyVisasWanted, foreignFamily, vietnameseCitizen } from '../applications/family-support.ts';
import { reasonsOwed } from '../../models/case-deadline.ts';

export { windowView, type WindowView };

export interface DeadlineView {
  date: Date;
  dateText: string;
  /** "3 working days left", "due today", "2 working days overdue". */
  text: string;
  overdue: boolean;
  /** Working days from today to the deadline (negative when past). */
  workingDays: number;
  /** "estimated (holiday calendar not yet published for 2028)" when a year in between has no holidays. */
  estimated?: string;
  /** What the date is (service.ts dueMeaning): "We aim to file by", "Decision expected by". */
  label?: string;
}

/** A deadline seen from `now`, counted on the holiday calendar, with its date in words and whether it is an estimate. */
/** The statuses a filing date belongs to: lodged, then granted or refused on it. */
const FILING_STATUSES = new Set(['filed', 'approved', 'refused']);

export function deadlineView(t: TFunction, locale: Locale, calendar: WorkingCalendar, now: Date, due: Date): DeadlineView {
  const unknown = calendar.unknownYearsIn(now, due);
  return {
    ...deadlineLeft(t, calendar, now, due),
    dateText: formatDay(due, locale),
    ...(unknown.length ? { estimated: t('procedures.deadline.estimated', { years: unknown.join(', ') }) } : {}),
  };
}

interface TrackDoc {
  kind: string;
  status: string;
  dueAt?: Date | null;
  updatedAt?: Date | null;
  note?: string | null;
  applicantMessage?: string | null;
  office?: string | null;
  filedAt?: Date | null;
  decidedAt?: Date | null;
  dueCount?: { from?: Date | null } | null;
  refusedAt?: Date | null;
  reasonsMissing?: boolean | null;
  reasonsDueAt?: Date | null;
  reasonsReceivedAt?: Date | null;
  cardStartsAt?: Date | null;
  cardEndsAt?: Date | null;
  asks?: ReadonlyArray<AskDoc> | null;
}

interface AskDoc {
  _id?: unknown;
  text: string;
  askedAt: Date;
  dueAt: Date;
  documentType?: string | null;
  stopsClock?: boolean | null;
  repliedAt?: Date | null;
  reply?: string | null;
  receivedAt?: Date | null;
  closedAt?: Date | null;
  closedWith?: string | null;
}

/** A request to the applicant within a procedure (./asks.ts), as both sides read it. */
export interface AskView {
  id: string;
  kind: string;
  kindLabel: string;
  /** In HR's words, as typed. */
  text: string;
  askedAt: Date;
  /** The applicant's due date with its working days left (or overdue). */
  due: DeadlineView;
  open: boolean;
  documentType?: string;
  documentLabel?: string;
  /** A file of the type asked for uploaded since the request (the checklist's slot answered): HR may record it received. */
  uploadedAt?: Date;
  stopsClock: boolean;
  repliedAt?: Date;
  reply?: string;
  receivedAt?: Date;
  /** Closed by the procedure's decision (service.ts closeOpenAsks): "No longer needed: closed on … when …". */
  closedText?: string;
  /** The applicant only: a passed date, said as a warning with what to do. */
  lateNote?: string;
  /** The procedure's state the form is built for (service.ts trackStamp). */
  stamp: string;
  /** HR only: the "received" field's words: the authority's receipt of the completed file where the request stopped its clock. */
  receivedLabel?: string;
  receivedHint?: string;
  /** HR only: received by the authority on a weekend day or a public holiday (likely mistyped: the clock counts from it). */
  receivedDayOff?: string;
}

export interface ProcedureView {
  kind: string;
  label: string;
  /** "waits for the work permit": not yet lodgeable, so no clock (rules.ts, waitingFor). */
  waits?: string;
  legalBasis: string;
  /** Conditions the law waives for those the institute recruits (citizenship: rules.ts). */
  conditions?: string;
  /** A Vietnamese citizen's residence card procedure: the foreign family members whose TT cards it is. */
  cardsFor?: string;
  /** The visa only: the symbol the case's visa is asked for under (rules.ts visaSymbol), with its basis. */
  visaType?: { symbol?: string; text: string; family?: string; familyFor?: string };
  /** The office recorded by HR, else the competent office from the rules table. */
  office: string;
  officeRecorded: boolean;
  /** The institute's own service (housing): its office is the one in charge, not a state authority. */
  internal?: boolean;
  status: string;
  statusLabel: string;
  /** The badge's colour class: granted green, refused or escalated red, not needed plain. */
  badge: string;
  active: boolean;
  filedAt?: Date;
  /** The day the authority (or the institute, for its own service) decided, as HR typed it. */
  decidedAt?: Date;
  deadline?: DeadlineView;
  /** The decision deadline's start, said with what it is: "counted from 3 Mar 2027 (the day the authority received the completed file)". */
  countedFrom?: string;
  /** Filed, and the law sets no decision time (citizenship): said instead of a date to the applicant. */
  noLegalDecision?: string;
  /** The applicant only: what a passed deadline means for them (who is late, that HR follows it up). */
  lateNote?: string;
  /** HR only: the authority refused without its written reasons, owed until HR records them received. */
  reasonsOwed?: string;
  /** HR only: the decision deadline those reasons were due by, where one was counted. */
  reasons?: DeadlineView;
  /** The applicant only: the reasons are chased by the HR office (no date: the law gives them none after the decision). */
  reasonsNote?: string;
  /** Refused: what happens now (the applicant), or what HR decides next (HR). */
  nextStep?: string;
  /** The applicant only: a procedure they were told of, no longer needed: closed, nothing to do. */
  closedNote?: string;
  reasonsReceivedAt?: Date;
  isResidenceCard: boolean;
  cardStartsAt?: Date;
  cardEndsAt?: Date;
  /** HR only: the card's recorded end breaks the passport rule now on file, and what to do about it. */
  cardProblem?: string;
  escalated: boolean;
  /** HR's last message to the applicant about it (both sides see it). */
  message?: string;
  /** HR only. */
  note?: string;
  /** HR only: this procedure's state as the form saw it (service.ts trackStamp). */
  stamp?: string;
  statuses?: Array<{ value: string; label: string; selected: boolean }>;
  /** HR only: the statuses the case page's row can save with a status and a note (rowStatuses). */
  rowStatuses?: Array<{ value: string; label: string; selected: boolean }>;
  /** HR only: the link to the procedure's page for what the row cannot save (a filing, a decision, a refusal). */
  recordLabel?: string;
  error?: Record<string, string>;
  values?: Record<string, string>;
  /** Before filing, where the law sets one: the legal filing window as two dates (windowView). */
  window?: WindowView;
  /** Requests to the applicant: the open ones, then those received (HR only). */
  asks: AskView[];
  /** The decision clock stopped until what was asked is received (./asks.ts). */
  clockStopped?: string;
}

export interface ProceduresPage {
  items: ProcedureView[];
  editable: boolean;
  caseId: string;
  version: number;
  /** The procedures not started yet that HR may start (e.g. the exemption certificate). */
  startable: Array<{ value: string; label: string }>;
  forApplicant: boolean;
  /** Every open request to the applicant, soonest first (the applicant's page shows them at the top). */
  openAsks: AskView[];
}

export interface PresentProceduresInput {
  ctx: Context;
  caseDoc: { _id: unknown; version: number; supportTracks?: TrackDoc[] | null; overdueProcedures?: string[] | null; profile?: { nationality?: string | null; overseasVietnamese?: boolean | null } | null; dependants?: ReadonlyArray<{ fullName?: string | null; relationship?: string | null; nationality?: string | null }> | null; supportRequested?: { family?: boolean | null } | null };
  calendar: WorkingCalendar;
  forApplicant: boolean;
  editable?: boolean;
  /** A refused form: the procedure it was for, its errors (i18n keys) and what was typed. */
  failed?: { kind: string; errors: ProcedureErrors; values: Record<string, string> };
  /** The planned start of work (the case's planned arrival): the filing window is counted back from it. */
  plannedStart?: Date | null;
  /** The procedures the applicant was told about (an event of the case's history shown to them): one not needed stays on their list, closed. */
  toldKinds?: ReadonlySet<string>;
  /** The case's current documents: the residence card's end is checked against the passport among them, a request's slot against its uploads. */
  documents?: ReadonlyArray<PassportLike & { createdAt?: Date | null }>;
  /**
   * The application ended (withdrawn or rejected) while procedures were under way: the applicant's
   * page says each is stopped, with no target, filing window or request left to act on.
   */
  stopped?: boolean;
}

/** The requests of a procedure in the reader's words: open ones first, soonest due first; the applicant does not see those closed. */
export function askViews(t: TFunction, locale: Locale, calendar: WorkingCalendar, now: Date, kind: string, track: TrackDoc, forApplicant: boolean, documents: ReadonlyArray<{ type: string; status?: string | null; createdAt?: Date | null }>): AskView[] {
  const views: AskView[] = [];
  for (const a of track.asks ?? []) {
    const open = askOpen(a);
    if (forApplicant && !open) continue;
    const due = deadlineView(t, locale, calendar, now, a.dueAt);
    // The slot answered: a file of the type asked for, uploaded since, or waiting for HR's check.
    const uploads = a.documentType ? documents.filter((d) => d.type === a.documentType && d.createdAt && (d.status === 'pending' || d.createdAt.getTime() >= a.askedAt.getTime())).map((d) => d.createdAt!.getTime()) : [];
    views.push({
      id: String(a._id),
      kind,
      kindLabel: t(`procedures.kinds.${kind}`),
      text: a.text,
      askedAt: a.askedAt,
      due,
      open,
      ...(a.documentType ? { documentType: a.documentType, documentLabel: t(`documents.types.${a.documentType}`) } : {}),
      ...(uploads.length ? { uploadedAt: new Date(Math.max(...uploads)) } : {}),
      stopsClock: !!a.stopsClock,
      ...(a.repliedAt ? { repliedAt: a.repliedAt } : {}),
      ...(a.reply ? { reply: a.reply } : {}),
      ...(a.receivedAt ? { receivedAt: a.receivedAt } : {}),
      ...(a.closedAt && !a.receivedAt ? { closedText: t('procedures.ask.closedOn', { date: formatDay(a.closedAt, locale), status: t(`procedures.statuses.${a.closedWith ?? 'not_needed'}`) }) } : {}),
      ...(forApplicant && open && due.overdue ? { lateNote: t(a.repliedAt ? 'procedures.ask.lateReplied' : 'procedures.ask.late') } : {}),
      stamp: trackStamp(track),
      // A request that stopped the authority's clock is received by the authority: its day restarts the decision time.
      ...(!forApplicant
        ? {
            receivedLabel: t(a.stopsClock ? 'procedures.ask.receivedByAuthorityField' : 'procedures.ask.receivedOnField'),
            receivedHint: t(a.stopsClock ? 'procedures.ask.receivedByAuthorityHint' : 'procedures.ask.receivedOnHint'),
            ...(a.stopsClock && a.receivedAt && !calendar.isWorkingDay(a.receivedAt) ? { receivedDayOff: t('procedures.ask.receivedOnDayOff', { date: formatDay(a.receivedAt, locale), dayOff: dayOffText(t, a.receivedAt) }) } : {}),
          }
        : {}),
    });
  }
  return views.sort((x, y) => Number(!x.open) - Number(!y.open) || (x.open ? x.due.date.getTime() - y.due.date.getTime() : 0));
}

/**
 * What a filed procedure's decision deadline counts from, in the reader's words: the day the file
 * was lodged, or, after a supplement that stopped the clock (./asks.ts askReceived), the day the
 * authority received the completed file ("kể từ ngày nhận đủ hồ sơ", rules.ts clockCanStop). Its
 * count's start where it was kept (dueCount), else the filing's day (stored before counts were kept).
 */
export function decisionCountedFrom(t: TFunction, locale: Locale, s: Pick<TrackDoc, 'filedAt' | 'dueCount' | 'asks'>): string | undefined {
  const from = s.dueCount?.from ?? s.filedAt;
  if (!from) return undefined;
  const day = vnDateKey(from);
  const supplement = (s.asks ?? []).some((a) => a.stopsClock && a.receivedAt && vnDateKey(a.receivedAt) === day);
  return t('procedures.due.countedFrom', { date: formatDay(from, locale), what: t(supplement ? 'procedures.due.fromSupplement' : 'procedures.due.fromFiling') });
}

/**
 * A residence card that runs later than the passport now on file allows, said with what to do: a
 * card granted is applied for again on that passport; one not yet granted has its end corrected
 * (or a passport valid longer is accepted first). A wrongly typed end is corrected either way.
 */
export function cardProblemText(t: TFunction, locale: Locale, c: CardBeyondPassport & { issued: boolean }): string {
  return t(c.issued ? 'procedures.cardProblem.issued' : 'procedures.cardProblem.pending', {
    cardEnd: formatDay(c.cardEndsAt, locale),
    passportExpires: formatDay(c.passportExpires, locale),
    latest: formatDay(c.latest, locale),
    days: c.days,
  });
}

/**
 * Which visa (LĐ1 or LĐ2, and TT for the family coming along), in the reader's language with its
 * legal basis. Not known yet, HR is told to start the permit or the exemption; the applicant, who
 * starts no procedure, what the HR office does next (lodges the permit again after a refusal).
 */
export function visaTypeView(t: TFunction, tracks: ReadonlyArray<{ kind: string; status: string }>, family: boolean, forApplicant = false, citizen = false): NonNullable<ProcedureView['visaType']> {
  // A Vietnamese citizen needs no visa (server/applications/family-support.ts vietnameseCitizen):
  // the procedure is their foreign family's TT visas, open to parents and children of any age.
  if (citizen) return { text: t(forApplicant ? 'procedures.visaType.citizenApplicant' : 'procedures.visaType.citizen'), ...(family ? { family: t('procedures.visaType.familyOfCitizen') } : {}) };
  const symbol = visaSymbol(tracks);
  const refused = tracks.some((p) => (p.kind === 'work_permit' || p.kind === 'work_permit_exemption') && p.status === 'refused');
  const unknown = !forApplicant ? 'procedures.visaType.unknown' : refused ? 'procedures.visaType.unknownApplicantRefused' : 'procedures.visaType.unknownApplicant';
  return {
    ...(symbol ? { symbol } : {}),
    text: t(symbol === 'LĐ1' ? 'procedures.visaType.ld1' : symbol === 'LĐ2' ? 'procedures.visaType.ld2' : unknown),
    ...(family ? { family: t('procedures.visaType.family') } : {}),
  };
}

/** "a", "a and b", "a, b and c" (`join`: procedures.list.and) or "either a or b" (procedures.list.either). */
export function listText(t: TFunction, items: readonly string[], join: 'and' | 'either'): string {
  if (items.length <= 1) return items[0] ?? '';
  return t(`procedures.list.${join}`, { list: items.slice(0, -1).join(', '), last: items.at(-1) });
}

/**
 * "waits for either the work permit or the certificate of exemption", "waits for the work permit
 * and the visa": what a procedure waits for (rules.ts waitingGroups) in the reader's language, or
 * undefined when it waits for nothing. One sentence for HR's pages, the applicant's and e-mails.
 */
export function waitingText(t: TFunction, kind: SupportKind, tracks: ReadonlyArray<{ kind: string; status: string }>): string | undefined {
  // A single procedure first: "the visa and either the work permit or the exemption" reads one way only.
  const groups = waitingGroups(kind, tracks).sort((a, b) => Number(a.length > 1) - Number(b.length > 1));
  if (!groups.length) return undefined;
  const list = listText(t, groups.map((g) => listText(t, g.map((k) => t(`procedures.inSentence.${k}`)), 'either')), 'and');
  return t('procedures.deadline.waitsFor', { list });
}

/** A form error in the reader's language; the days it names written out in that language. */
/**
 * Which day off a date is, in Vietnam: "a Saturday", "a Sunday", else "a public holiday" (a date the
 * calendar counts as no working day). The warnings named all three at once (walk-staff #10).
 */
export function dayOffText(t: TFunction, date: Date): string {
  const weekday = new Date(`${vnDateKey(date)}T00:00:00Z`).getUTCDay();
  return t(weekday === 6 ? 'procedures.dayOff.saturday' : weekday === 0 ? 'procedures.dayOff.sunday' : 'procedures.dayOff.holiday');
}

export function errorText(t: TFunction, locale: Locale, e: ProcedureError): string {
  if (typeof e === 'string') return t(e);
  const params = Object.fromEntries(Object.entries(e.params).map(([k, v]) => [k, v instanceof Date ? formatDay(v, locale) : v]));
  return t(e.key, params);
}

export function presentProcedures(input: PresentProceduresInput): ProceduresPage {
  const { ctx, caseDoc, calendar, forApplicant } = input;
  const t = tOf(ctx);
  const locale = ctx.locale;
  const now = ctx.now;
  const tracks = (caseDoc.supportTracks ?? []) as TrackDoc[];
  const escalated = new Set((caseDoc.overdueProcedures ?? []).map(String));
  // The two right-to-work papers are alternatives (replacingProcedure): whichever runs is listed
  // first, the stopped one after it, not the replacement last of all (walk s35 #1).
  const rightToWork = (k: string) => k === 'work_permit' || k === 'work_permit_exemption';
  // They keep the places they have in the list, between them the running one first.
  const pair = tracks.filter((s) => rightToWork(s.kind)).sort((x, y) => Number(x.status === 'not_needed') - Number(y.status === 'not_needed'));
  const listed = tracks.map((s) => (rightToWork(s.kind) ? pair.shift()! : s));
  // Checked on every view, not only when the card is saved: the passport may have changed since.
  const cardConflict = forApplicant ? undefined : residenceCardConflict(tracks, input.documents ?? []);
  const items: ProcedureView[] = [];
  for (const s of listed) {
    // Not needed: the applicant sees it closed when they were told of it (the e-mail and the timeline
    // name it), else it was never theirs to see.
    if (forApplicant && s.status === 'not_needed' && !input.toldKinds?.has(s.kind)) continue;
    const kind = s.kind as SupportKind;
    const rule = PROCEDURE_RULES[kind];
    if (!rule) continue;
    // Stopped with the application: what was granted stays as it is; the rest has no date or step left.
    const stopped = forApplicant && !!input.stopped && s.status !== 'approved' && s.status !== 'not_needed';
    const active = !stopped && (ACTIVE_SUPPORT as readonly string[]).includes(s.status);
    const failed = input.failed?.kind === kind ? input.failed : undefined;
    const beforeFiling = !stopped && (s.status === 'requested' || s.status === 'preparing');
    // A naturalisation awaiting its residence condition has no filing target (rules.ts
    // filingTargetWithheld): the condition instead, as the acceptance e-mail says it; a target
    // stored before that rule is neither shown nor counted late.
    const withheld = beforeFiling && filingTargetWithheld(kind, caseDoc);
    const waits = withheld ? t(forApplicant ? 'procedures.naturalisationApplicant' : 'procedures.naturalisationHr') : beforeFiling ? waitingText(t, kind, tracks) : undefined;
    const late = !forApplicant && ((!withheld && (escalated.has(kind) || isSupportOverdue(s, now))) || reasonsOverdue(s, now));
    const asks = stopped ? [] : askViews(t, locale, calendar, now, kind, s, forApplicant, input.documents ?? []);
    const askLate = asks.some((a) => a.open && a.due.overdue);
    const cardProblem = kind === 'residence_card' && cardConflict ? cardProblemText(t, locale, cardConflict) : undefined;
    const meaning = dueMeaning(kind, s.status);
    // No legal decision time: the applicant is told so, not the institute's own follow-up date.
    const dueShown = active && s.dueAt && !withheld && !(forApplicant && meaning === 'followUp');
    const deadline = dueShown ? { ...deadlineView(t, locale, calendar, now, s.dueAt!), ...(meaning ? { label: t(`procedures.due.${meaning}`) } : {}) } : undefined;
    const countedFrom = deadline && meaning === 'decision' ? decisionCountedFrom(t, locale, s) : undefined;
    // Before filing, the window the law allows, beside the institute's target (a day inside it).
    const window = !stopped && (s.status === 'requested' || s.status === 'preparing') ? windowView(t, locale, calendar, now, kind, input.plannedStart, forApplicant) : undefined;
    // Written reasons the authority did not give with its refusal (rules.ts refusalWithReasons): HR
    // sees them owed, by the decision deadline they were due with where one was counted; the
    // applicant is told they are chased, with no date (none is theirs to watch).
    const owed = reasonsOwed(s);
    const reasons = owed && s.reasonsDueAt && !forApplicant ? deadlineView(t, locale, calendar, now, s.reasonsDueAt) : undefined;
    // HR sees a passed deadline in red and is e-mailed; the applicant is told what it means for them:
    // once filed the authority is late, before it the institute; HR follows it up either way.
    const lateNote = forApplicant && deadline?.overdue ? t(meaning === 'decision' ? 'procedures.late.authority' : 'procedures.late.institute') : undefined;
    const reasonsNote = forApplicant && owed && !stopped ? t('procedures.applicantReasonsMissing') : undefined;
    // A refusal says what happens now beside HR's own words: to the applicant, that the HR office
    // contacts them; to HR, the two ways on (lodge it again, asking the applicant for what is
    // missing, or set it not needed).
    const refusedNext = !stopped && s.status === 'refused' ? t(forApplicant ? (rule.internal ? 'procedures.nextStep.refusedInternal' : 'procedures.nextStep.refused') : 'procedures.nextStep.hr') : undefined;
    items.push({
      kind,
      label: t(`procedures.kinds.${kind}`),
      ...(waits ? { waits } : {}),
      legalBasis: rule.legalBasis[locale],
      ...(rule.conditions ? { conditions: rule.conditions[locale] } : {}),
      // A Vietnamese citizen's card procedure is their foreign family's TT cards (applications/steps.ts parseSupport): named.
      ...(kind === 'residence_card' && papersForFamily(caseDoc) ? { cardsFor: t(forApplicant ? 'procedures.visaType.cardsFor' : 'procedures.visaType.cardsForHr', { names: familyMembersText(t, caseDoc) }) } : {}),
      // The family support asked is their TT visas, lodged with this one (server/applications/family-support.ts): named here.
      ...(kind === 'visa' ? { visaType: { ...visaTypeView(t, tracks, foreignFamily(caseDoc), forApplicant, vietnameseCitizen(caseDoc)), ...(familyVisasWanted(caseDoc) ? { familyFor: t('procedures.visaType.familyFor', { names: familyMembersText(t, caseDoc) }) } : {}) } } : {}),
      office: s.office || rule.office[locale],
      officeRecorded: !!s.office,
      ...(rule.internal ? { internal: true } : {}),
      status: s.status,
      // Stopped with the application: the badge says so, not the status it stopped at (walk: "Requested" beside "Stopped").
      statusLabel: stopped ? t('procedures.statuses.stopped') : statusLabel(t, kind, s.status),
      badge: stopped ? 'muted' : s.status === 'refused' || late || askLate || cardProblem ? 'err' : s.status === 'approved' ? 'ok' : s.status === 'not_needed' ? 'muted' : '',
      active,
      // The filing under way or decided; one set back to preparing keeps an earlier filing's date, which the history shows.
      ...(s.filedAt && FILING_STATUSES.has(s.status) ? { filedAt: s.filedAt } : {}),
      ...(s.decidedAt && (s.status === 'approved' || s.status === 'refused') ? { decidedAt: s.decidedAt } : {}),
      ...(deadline ? { deadline } : {}),
      ...(countedFrom ? { countedFrom } : {}),
      ...(window ? { window } : {}),
      ...(meaning === 'followUp' ? { noLegalDecision: t('procedures.due.noLegalDecision') } : {}),
      ...(lateNote ? { lateNote } : {}),
      ...(owed && !forApplicant ? { reasonsOwed: t('procedures.fields.reasonsMissing') } : {}),
      ...(reasons ? { reasons } : {}),
      ...(reasonsNote ? { reasonsNote } : {}),
      ...(refusedNext ? { nextStep: refusedNext } : {}),
      ...(forApplicant && s.status === 'not_needed' ? { closedNote: t('procedures.closedApplicant') } : {}),
      ...(stopped ? { closedNote: t('procedures.stoppedApplicant') } : {}),
      ...(s.reasonsReceivedAt ? { reasonsReceivedAt: s.reasonsReceivedAt } : {}),
      isResidenceCard: kind === 'residence_card',
      ...(s.cardStartsAt ? { cardStartsAt: s.cardStartsAt } : {}),
      ...(s.cardEndsAt ? { cardEndsAt: s.cardEndsAt } : {}),
      ...(cardProblem ? { cardProblem } : {}),
      escalated: late,
      asks,
      ...(!stopped && clockStopped(s as never) ? { clockStopped: t(forApplicant ? 'procedures.ask.clockStoppedApplicant' : 'procedures.ask.clockStopped') } : {}),
      ...(s.applicantMessage ? { message: s.applicantMessage } : {}),
      ...(!forApplicant && s.note ? { note: s.note } : {}),
      ...(!forApplicant
        ? {
            stamp: trackStamp(s),
            statuses: formStatuses(kind, s.status).map((st) => ({ value: st, label: statusLabel(t, kind, st), selected: (failed?.values.status ?? s.status) === st })),
            rowStatuses: rowStatuses(kind, s.status).map((st) => ({ value: st, label: statusLabel(t, kind, st), selected: s.status === st })),
            recordLabel: t(rule.internal ? 'procedures.row.recordDecision' : 'procedures.row.recordFiling'),
            ...(failed ? { error: Object.fromEntries(Object.entries(failed.errors).map(([k, v]) => [k, errorText(t, locale, v)])), values: failed.values } : {}),
          }
        : {}),
    });
  }
  const present = new Set(tracks.map((s) => s.kind));
  return {
    items,
    editable: !forApplicant && !!input.editable,
    caseId: String(caseDoc._id),
    version: caseDoc.version,
    startable: forApplicant ? [] : (Object.keys(PROCEDURE_RULES) as SupportKind[]).filter((k) => !present.has(k)).map((k) => ({ value: k, label: t(`procedures.kinds.${k}`) })),
    forApplicant,
    openAsks: items.flatMap((i) => (active(i.status) ? i.asks.filter((a) => a.open) : [])).sort((x, y) => x.due.date.getTime() - y.due.date.getTime()),
  };
}

/**
 * The statuses the case page's row (a status and an internal note, nothing else) can save: those
 * that need no date nor message, and the status the procedure has (a note on it). A new filing needs
 * its date, an authority's grant or refusal its day, any refusal a message to the applicant
 * (service.ts nextTrack): recorded on the procedure's page. "Not needed" stays: a stop of a procedure
 * under way without its reason opens that page asking for it (service.ts isStop), the row's note kept as a note. The institute's own service (housing) is
 * granted without a date (the day HR records it).
 */
/**
 * The statuses the procedure's page offers. The institute's own service (housing, rules.ts internal)
 * is lodged with no authority: never "Filed" (walk s34 #4), unless a procedure stored so has it (it
 * still shows, and the form keeps it until HR moves it on).
 */
export function formStatuses(kind: SupportKind, current: string): string[] {
  return SUPPORT_STATUSES.filter((st) => st !== 'filed' || !PROCEDURE_RULES[kind].internal || st === current);
}

export { statusLabel };

export function rowStatuses(kind: SupportKind, current: string): string[] {
  const savable = new Set<string>(['not_needed', 'requested', 'preparing', current, ...(PROCEDURE_RULES[kind].internal ? ['approved'] : [])]);
  return SUPPORT_STATUSES.filter((st) => savable.has(st));
}

function active(status: string): boolean {
  return (ACTIVE_SUPPORT as readonly string[]).includes(status);
}

interface ProcedureEvent {
  kind: string;
  replacedBy?: string | null;
  from?: string | null;
  to?: string | null;
  filedAt?: Date | null;
  decidedAt?: Date | null;
  targetFrom?: Date | null;
  targetTo?: Date | null;
  defaultChanged?: boolean | null;
  startMovedTo?: Date | null;
  cardStartsAt?: Date | null;
  cardEndsAt?: Date | null;
  reasonsDueAt?: Date | null;
  reasonsMissing?: boolean | null;
  reasonsReceived?: boolean | null;
  message?: string | null;
  escalated?: string | null;
  applicantVisible?: boolean | null;
  ask?: string | null;
  askText?: string | null;
  askDueAt?: Date | null;
  askDocument?: string | null;
  clockStopped?: boolean | null;
  dueAt?: Date | null;
  asksClosed?: ReadonlyArray<string> | null;
  asksAnswered?: ReadonlyArray<{ text?: string | null; at?: Date | null }> | null;
}

/**
 * The timeline line of a procedure event, in the reader's language: "Work permit: file lodged with
 * the authority". Undefined when the reader is the applicant and the event is HR's own business.
 */
export function procedureTimelineEntry(t: TFunction, locale: Locale, p: ProcedureEvent, forApplicant: boolean): { label: string; detail?: string; message?: string } | undefined {
  if (forApplicant && !p.applicantVisible) return undefined;
  const kind = t(`procedures.kinds.${p.kind}`);
  if (p.escalated) return { label: t('procedures.timeline.escalated', { kind }) };
  // A request to the applicant (./asks.ts): what was asked (HR's words), by when, and the clock.
  if (p.ask) {
    const details: string[] = [];
    if (p.askText) details.push(t('procedures.ask.timeline.what', { text: p.askText }));
    if (p.askDueAt) details.push(t('procedures.ask.timeline.due', { date: formatDay(p.askDueAt, locale) }));
    if (p.askDocument) details.push(t('procedures.ask.timeline.document', { type: t(`documents.types.${p.askDocument}`) }));
    if (p.ask === 'asked' && p.clockStopped) details.push(t('procedures.ask.timeline.clockStopped'));
    if (p.ask === 'received' && p.dueAt) details.push(t('procedures.ask.timeline.clockRestarted', { date: formatDay(p.dueAt, locale) }));
    return { label: t(`procedures.ask.timeline.${p.ask}`, { kind }), detail: details.join('\n') };
  }
  const statusChanged = p.from !== p.to;
  const label =
    statusChanged && !forApplicant
      ? t('procedures.timeline.changed', { kind, from: statusLabel(t, p.kind, p.from ?? 'not_needed'), to: statusLabel(t, p.kind, p.to ?? 'not_needed') })
      : t(procedureHeadlineKey(p), { kind });
  const details: string[] = [];
  if (p.filedAt) details.push(t('procedures.timeline.filedAt', { date: formatDay(p.filedAt, locale) }));
  if (p.decidedAt) details.push(t('procedures.timeline.decidedAt', { date: formatDay(p.decidedAt, locale) }));
  if (p.targetFrom && p.targetTo) details.push(t('procedures.timeline.targetMoved', { from: formatDay(p.targetFrom, locale), to: formatDay(p.targetTo, locale) }));
  // Moved by the system when the institute's default changed (./target-backfill.ts): said why.
  if (p.targetFrom && p.targetTo && p.defaultChanged) details.push(t('procedures.timeline.defaultChanged', { days: LODGING_MARGIN_WORKING_DAYS }));
  // Moved with the planned start of work (server/cases/planned-start.ts): said why.
  if (p.targetFrom && p.targetTo && p.startMovedTo) details.push(t('procedures.timeline.startMoved', { date: formatDay(p.startMovedTo, locale) }));
  if (p.cardStartsAt || p.cardEndsAt) details.push(t('procedures.timeline.card', { start: formatDay(p.cardStartsAt, locale) || '…', end: formatDay(p.cardEndsAt, locale) || '…' }));
  // Events stored with the earlier reasons date still show it (HR's timeline only: it was no legal date).
  if (p.reasonsDueAt && !forApplicant) details.push(t('procedures.timeline.reasonsDue', { date: formatDay(p.reasonsDueAt, locale) }));
  if (p.reasonsMissing) details.push(t('procedures.timeline.reasonsMissing'));
  // Stopped for the other right-to-work paper (service.ts replacingProcedure): said why, as the e-mail does.
  if (p.replacedBy && p.to === 'not_needed') details.push(t('procedures.timeline.replacedBy', { other: t(`procedures.inSentence.${p.replacedBy}`) }));
  // Requests the decision closed (service.ts closeOpenAsks), in HR's words as asked.
  for (const text of p.asksClosed ?? []) details.push(t('procedures.ask.timeline.closed', { text }));
  // Those the applicant had answered were done, not dropped: said so with the day of their answer.
  for (const a of p.asksAnswered ?? []) details.push(t('procedures.ask.timeline.answered', { text: a.text ?? '', date: formatDay(a.at, locale) }));
  // The message is HR's own words to the applicant: shown as written (both sides), not translated.
  // On a stop of a procedure under way it is the reason for it (service.ts isStop), said so; read
  // from the event alone, so a procedure started later does not change how the stop reads.
  const message = p.message && !p.replacedBy && isStop(p.from ?? undefined, p.to ?? '') ? t('procedures.timeline.stopReason', { reason: p.message }) : p.message;
  return { label, ...(details.length ? { detail: details.join(' · ') } : {}), ...(message ? { message } : {}) };
}

interface RecountEvent {
  holiday?: string | null;
  name?: HolidayName | null;
  change?: string | null;
  moved?: ReadonlyArray<{ target?: string | null; what?: string | null; from?: Date | null; to?: Date | null; applicantVisible?: boolean | null }> | null;
}

/**
 * The timeline entry of a holiday recount (server/cases/deadline-recount.ts), in the reader's
 * language: one line per date moved, "Visa: deadline moved from 11 Dec 2031 to 12 Dec 2031: public
 * holiday of 9 Dec 2031 added". The applicant reads only the dates they are shown (not the stage's).
 */
export function recountTimelineEntry(t: TFunction, locale: Locale, r: RecountEvent, forApplicant: boolean): { label: string; detail: string } | undefined {
  const moved = (r.moved ?? []).filter((m) => m.from && m.to && (!forApplicant || m.applicantVisible));
  if (!r.holiday || moved.length === 0) return undefined;
  const day = holidayDayText(t, locale, r.holiday, r.name);
  const key = r.change === 'removed' ? 'procedures.recount.lineRemoved' : 'procedures.recount.lineAdded';
  const what = (m: (typeof moved)[number]) => {
    if (m.target === 'stage') return t('procedures.recount.stage');
    const kind = t(`procedures.kinds.${m.target}`);
    if (m.what === 'ask') return t('procedures.recount.ask', { kind });
    return m.what === 'reasons' ? t('procedures.recount.reasons', { kind }) : kind;
  };
  const lines = moved.map((m) => t(key, { what: what(m), from: formatDay(m.from!, locale), to: formatDay(m.to!, locale), day }));
  return { label: t('procedures.recount.label'), detail: lines.join('\n') };
}
