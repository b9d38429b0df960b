// "More is asked" within a support procedure: HR asks the applicant for something (a missing paper,
// a translation, a corrected form) with a due date, optionally a document of the checklist, and,
// for a filed procedure, whether the authority's decision clock stops until the file is complete
// (rules.ts clockCanStop). The applicant is e-mailed and sees the request on their page; they say
// it is done (or upload the document); HR records it received, and a stopped clock counts again
// from that day on the working-day calendar. Each step is written in one atomic update with its
// history event and e-mail (outbox), against the version the form was built for, and audited.
import { Types } from 'mongoose';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { User } from '../../models/user.ts';
import { emailsToHr, officersToTell } from '../institutes/hr-staff.ts';
import { nextDueAt } from '../../models/case-deadline.ts';
import { ACTIVE_SUPPORT_STATUSES, DOCUMENT_TYPES, supportOpen, type SupportKind } from '../../models/constants.ts';
import { actorOf, type Context } from '../context.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import type { PendingAudit } from '../audit/index.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from '../cases/pending-audit.ts';
import { authorize, can } from '../policies/index.ts';
import { findCaseFor } from '../cases/access.ts';
import { countedDeadline, loadCalendar, vnDateKey, type WorkingCalendar } from '../calendar/index.ts';
import { caseEmail, outboxKey, recipientLocale, type OutboxItem } from '../outbox/item.ts';
import type { AppContext } from '../deps.ts';
import { translator, type Locale } from '../i18n/index.ts';
import { formatDay } from '../views/time.ts';
import { currentDocuments, validityOf } from '../documents/index.ts';
import { hrContactFor, sendToLine } from '../institutes/contact.ts';
import { ASK_MAX_DAYS, ASK_WORKING_DAYS, PROCEDURE_RULES, clockCanStop } from './rules.ts';
import { answeredByApplicant, askOpen, uploadAnswersAsk, type AskUpload, clockStopped, deadlineLeft, plain, trackStamp, type AskState, type ProcedureErrors, type ProcedureTarget, type TrackState } from './service.ts';
import { REQUESTABLE_DOCUMENTS } from '../workflow/transitions.ts';

export type AskResult =
  | {
      ok: true;
      caseDoc: CaseDoc;
      repeated?: boolean;
      closed?: boolean;
      mailedTo?: string;
      /** Saved, and HR should know: the day the authority received the completed file (the clock's new start) is a weekend day or a public holiday. */
      receivedOnDayOff?: Date;
    }
  /** `notUploaded`: the slot the request names has no file since it was asked; "done" waits for the applicant's confirmation (askReply). */
  | { ok: false; errors: ProcedureErrors; caseDoc: CaseDoc; notUploaded?: string };

interface Versioned {
  /** The case version the form was built for. */
  expectedVersion: number;
  /** The procedure as the form saw it (service.ts trackStamp): another part of the case changed meanwhile is no conflict. */
  trackStamp?: string;
}

/** The applicant's default due date ('YYYY-MM-DD' in Vietnam): the rules table's working days from today. */
export function defaultAskDue(kind: SupportKind, calendar: WorkingCalendar, now: Date): string {
  return vnDateKey(calendar.addWorkingDays(now, ASK_WORKING_DAYS[kind]));
}

/**
 * The document types a request may name: the call's checklist first (the applicant uploads into its
 * slot), then any other paper an applicant sends (a 4×6 photo, a translation, another document the
 * request's text describes), which gets a place of its own beside the checklist
 * (server/documents/asked-papers.ts). Not the signed offer letter unless the call asks for it back.
 */
export async function askableDocuments(callId: unknown): Promise<string[]> {
  const call = await Call.findById(callId, { checklist: 1 }).lean();
  const listed = new Set((call?.checklist ?? []).map((i) => i.type));
  return [...DOCUMENT_TYPES.filter((d) => listed.has(d)), ...REQUESTABLE_DOCUMENTS.filter((d) => !listed.has(d))];
}

/** Whether a request is past its due date and still open. */
export function askOverdue(a: { dueAt: Date; receivedAt?: Date | null; closedAt?: Date | null }, now: Date): boolean {
  return askOpen(a) && a.dueAt.getTime() < now.getTime();
}

/** The kinds of active procedures with a request to the applicant past its date (the queue flags them). */
export function asksOverdue(tracks: ReadonlyArray<{ kind: string; status: string; asks?: ReadonlyArray<{ dueAt: Date; receivedAt?: Date | null; closedAt?: Date | null }> | null }>, now: Date): string[] {
  return tracks.filter((t) => (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(t.status) && (t.asks ?? []).some((a) => a.dueAt && askOverdue(a, now))).map((t) => t.kind);
}

type AnswerableAsk = { askedAt?: Date | null; documentType?: string | null; repliedAt?: Date | null; receivedAt?: Date | null; closedAt?: Date | null };
type Upload = AskUpload;

/**
 * When the applicant answered an open request: said it is done (askReply), or uploaded into its
 * slot, a file waiting for HR's check or uploaded since it was asked (as the procedure's page reads it, present.ts askViews).
 */
export function askAnsweredAt(a: AnswerableAsk, uploads: readonly Upload[]): Date | undefined {
  if (!askOpen(a)) return undefined;
  const answers = uploads.filter((d) => uploadAnswersAsk(a, d));
  const times = [a.repliedAt?.getTime(), ...answers.map((d) => d.createdAt!.getTime())].filter((x): x is number => typeof x === 'number');
  return times.length ? new Date(Math.max(...times)) : undefined;
}

/** Whether an open request may be answered by an upload (the caller reads the case's documents only then). */
export function askWaitsForUpload(a: AnswerableAsk): boolean {
  return askOpen(a) && !a.repliedAt && !!a.documentType;
}

/**
 * The kinds of active procedures where the applicant answered a request HR has not yet recorded
 * received (`uploads`: the case's current documents, when it has a request for one). HR sees it
 * where it works daily (the queue's row, the home page), not only on the procedure's page.
 */
export function asksAnswered(tracks: ReadonlyArray<{ kind: string; status: string; asks?: ReadonlyArray<AnswerableAsk> | null }>, uploads: readonly Upload[] = []): string[] {
  return tracks.filter((t) => (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(t.status) && (t.asks ?? []).some((a) => askAnsweredAt(a, uploads))).map((t) => t.kind);
}

/** The case, checked for HR's work on its procedures (as updateProcedure does). */
async function workableCase(ctx: Context, caseId: string | Types.ObjectId): Promise<CaseDoc> {
  const actor = actorOf(ctx);
  const { caseDoc } = await findCaseFor(actor, caseId);
  if (!(actor.role === 'admin' || can(actor, 'case.work', caseDoc))) throw new ForbiddenError('cases.errors.readOnly');
  return caseDoc;
}

/** The version to write against: the form's, or the case's now when only other parts of it changed; a stale form is a conflict. */
function versionFor(caseDoc: CaseDoc, raw: unknown, opts: Versioned): number {
  if (caseDoc.version === opts.expectedVersion) return opts.expectedVersion;
  if (opts.trackStamp !== undefined && opts.trackStamp === trackStamp(raw as { updatedAt?: Date })) return caseDoc.version;
  throw new ConflictError('cases.conflict.generic');
}

/** Writes the procedure's new state with its history event, e-mail and flags, in one update matched on the version. */
/**
 * Writes the procedure's track, its history event, e-mails and audit event (`audit(version after)`)
 * in one version-matched update; then records the event (server/cases/pending-audit.ts).
 */
async function writeTrack(caseDoc: CaseDoc, version: number, kind: SupportKind, track: TrackState, history: Record<string, unknown>, outbox: unknown[], clearOverdue: boolean, audit: (version: number) => PendingAudit): Promise<CaseDoc> {
  const event = audit(version + 1);
  const tracks = (caseDoc.supportTracks ?? []).map((t) => (t.kind === kind ? track : plain(t)));
  const overdue = ((caseDoc.overdueProcedures ?? []) as string[]).filter((k) => !(clearOverdue && k === kind));
  const updated = await Case.findOneAndUpdate(
    { _id: caseDoc._id, version, stage: caseDoc.stage },
    {
      $set: { supportTracks: tracks, overdueProcedures: overdue, nextDueAt: nextDueAt({ stage: caseDoc.stage, stageDueAt: caseDoc.stageDueAt, supportTracks: tracks }) },
      $inc: { version: 1 },
      $push: { history, ...(outbox.length ? { outbox: { $each: outbox } } : {}), ...withPendingAudits([event]) },
    },
    { returnDocument: 'after' },
  );
  if (!updated) throw new ConflictError('cases.conflict.generic');
  await settleCaseAudits(caseDoc._id, [event]);
  return updated;
}

/** The words of an ask e-mail in the applicant's language (the outbox item's locale). */
function askWords(locale: Locale, kind: SupportKind, ask: AskState, calendar: WorkingCalendar, now: Date) {
  const t = translator(locale);
  return {
    kindLabel: t(`procedures.kinds.${kind}`),
    // In HR's words, as typed: shown as written, not translated.
    askText: ask.text,
    dueOn: formatDay(ask.dueAt, locale),
    dueLeft: deadlineLeft(t, calendar, now, ask.dueAt).text,
    documentLabel: ask.documentType ? t(`documents.types.${ask.documentType}`) : '',
  };
}

export interface AskMoreOptions extends Versioned, ProcedureTarget {
  /** What is asked, in HR's words (shown and e-mailed to the applicant as typed). */
  text: string;
  /** The applicant's due day (its end in Vietnam), or null when the field was left empty. */
  dueAt: Date | null;
  documentType?: string;
  /** Stop the authority's decision clock until HR records it received (a filed procedure with a decision time only). */
  stopClock: boolean;
}

/** HR asks the applicant for more within a procedure: a reason-bearing decision, audited, on the history, e-mailed. */
export async function askMore(opts: AskMoreOptions): Promise<AskResult> {
  const { ctx, kind } = opts;
  const actor = actorOf(ctx);
  const now = ctx.now;
  const caseDoc = await workableCase(ctx, opts.caseId);
  if (!supportOpen(caseDoc)) return { ok: false, errors: { askText: 'procedures.errors.notNow' }, caseDoc };
  const raw = (caseDoc.supportTracks ?? []).find((t) => t.kind === kind);
  const existing = raw ? plain(raw) : undefined;
  if (!existing || !(ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(existing.status)) return { ok: false, errors: { askText: 'procedures.ask.errors.notActive' }, caseDoc };

  const calendar = await loadCalendar();
  const errors: ProcedureErrors = {};
  const due = opts.dueAt;
  if (!due) errors.askDueAt = 'procedures.ask.errors.dueRequired';
  else if (vnDateKey(due) < vnDateKey(now)) errors.askDueAt = 'procedures.ask.errors.dueInPast';
  else if (due.getTime() - now.getTime() > ASK_MAX_DAYS * 86_400_000) errors.askDueAt = { key: 'procedures.ask.errors.dueTooFar', params: { days: ASK_MAX_DAYS } };
  else if (!calendar.isWorkingDay(due)) errors.askDueAt = 'procedures.ask.errors.dueNotWorkingDay';
  if (opts.documentType) {
    if (!(await askableDocuments(caseDoc.call)).includes(opts.documentType)) errors.askDocument = 'procedures.ask.errors.documentType';
    else {
      // A file accepted and still valid takes no new version (server/documents/upload.ts): the slot
      // could not be answered. HR changes that decision first (with its reason), or asks without a slot.
      const settled = (await currentDocuments([caseDoc._id])).some((d) => d.type === opts.documentType && d.status === 'accepted' && validityOf(d, caseDoc, now) === 'ok');
      if (settled) errors.askDocument = 'procedures.ask.errors.documentSettled';
    }
  }
  if (opts.stopClock && !clockCanStop(kind, existing.status)) errors.askStopClock = 'procedures.ask.errors.clockCannotStop';
  if (Object.keys(errors).length) return { ok: false, errors, caseDoc };

  // The same form sent twice: the request is there already, as asked.
  const last = existing.asks?.at(-1);
  if (caseDoc.version !== opts.expectedVersion && last && last.text === opts.text && vnDateKey(last.dueAt) === vnDateKey(due!) && (last.documentType ?? '') === (opts.documentType ?? '') && String(last.askedBy) === String(actor._id)) {
    return { ok: true, caseDoc, repeated: true };
  }
  const version = versionFor(caseDoc, raw, opts);

  // The day chosen, kept as the working days from today to it: a holiday added or removed in
  // between moves it as it moves the procedure's own deadlines (server/cases/deadline-recount.ts).
  // Kept only when it gives that day back (it does for any working day on or after today).
  const dueCount = { from: now, workingDays: calendar.workingDaysBetween(now, due!) };
  const ask: AskState = {
    _id: new Types.ObjectId(),
    text: opts.text,
    askedAt: now,
    askedBy: actor._id as Types.ObjectId,
    dueAt: due!,
    ...(countedDeadline(calendar, dueCount).getTime() === due!.getTime() ? { dueCount } : {}),
    ...(opts.documentType ? { documentType: opts.documentType } : {}),
    stopsClock: opts.stopClock,
  };
  const track: TrackState = { ...existing, asks: [...(existing.asks ?? []), ask], updatedAt: now };
  if (opts.stopClock) {
    // The decision time counts from a complete file (rules.ts clockCanStop): none runs until it is.
    if (existing.dueAt) ask.stoppedDueAt = existing.dueAt;
    delete track.dueAt;
    delete track.dueCount;
  }
  const history = {
    at: now,
    actor: actor._id,
    actorRole: actor.role,
    action: 'support_ask',
    procedure: { kind, from: existing.status, to: existing.status, ask: 'asked', askText: ask.text, askDueAt: ask.dueAt, ...(ask.documentType ? { askDocument: ask.documentType } : {}), clockStopped: opts.stopClock, applicantVisible: true },
  };
  const applicant = await User.findById(caseDoc.applicant, { email: 1, name: 1, locale: 1 }).lean();
  const outbox = [];
  if (applicant?.email) {
    const locale = recipientLocale(applicant);
    const t = translator(locale);
    const data = {
      name: applicant.name,
      reference: caseDoc.reference,
      kind,
      ...askWords(locale, kind, ask, calendar, now),
      clockStopped: opts.stopClock ? t('procedures.ask.mail.clockStopped') : '',
      // A paper asked may go by post or by hand: where to (the institute's HR office), when it has a contact.
      sendTo: sendToLine(t, await hrContactFor(caseDoc.institute), locale),
      link: `${opts.app?.config.appUrl ?? ''}/applications/${String(caseDoc._id)}`,
    };
    outbox.push(caseEmail(applicant, 'procedure_ask', data, outboxKey(String(caseDoc._id), caseDoc.version + 1, 'ask', kind), now));
  }
  // A stopped clock cannot be late: the escalation flag of its passed date goes with it.
  const updated = await writeTrack(caseDoc, version, kind, track, history, outbox, opts.stopClock, (after) =>
    caseAudit(ctx, { action: 'case.procedure_ask', summary: { kind, ask: String(ask._id), dueAt: vnDateKey(ask.dueAt), documentType: ask.documentType, stopsClock: opts.stopClock, version: after, notified: outbox.length > 0 } }),
  );
  return { ok: true, caseDoc: updated, ...(applicant?.email ? { mailedTo: applicant.email } : {}) };
}

/** The request and its procedure, or not found (a hostile or stale id). */
function findAsk(caseDoc: CaseDoc, kind: SupportKind, askId: string) {
  const raw = (caseDoc.supportTracks ?? []).find((t) => t.kind === kind);
  const track = raw ? plain(raw) : undefined;
  const index = (track?.asks ?? []).findIndex((a) => String(a._id) === askId);
  if (!raw || !track || index < 0) throw new NotFoundError();
  return { raw, track, index, ask: track.asks![index]! };
}

export interface AskReceivedOptions extends Versioned, ProcedureTarget {
  askId: string;
  /** The day it was received; null: today. */
  receivedOn: Date | null;
}

/**
 * HR records what was asked as received. A decision clock the request stopped counts again, the
 * procedure's full decision time from that day (rules.ts clockCanStop: "from receiving a complete
 * file"), once no other request that stopped it is still open; the applicant is told the new date.
 */
export async function askReceived(opts: AskReceivedOptions): Promise<AskResult> {
  const { ctx, kind } = opts;
  const actor = actorOf(ctx);
  const now = ctx.now;
  const caseDoc = await workableCase(ctx, opts.caseId);
  const { raw, track: existing, index, ask } = findAsk(caseDoc, kind, opts.askId);
  // Recorded already (the same click twice, or a colleague): nothing more to do.
  if (ask.receivedAt) return { ok: true, caseDoc, repeated: true };
  // Closed by the procedure's decision (service.ts closeOpenAsks): nothing is owed, nothing to receive.
  if (ask.closedAt) return { ok: true, caseDoc, repeated: true, closed: true };
  if (!supportOpen(caseDoc)) return { ok: false, errors: { receivedOn: 'procedures.errors.notNow' }, caseDoc };
  const on = opts.receivedOn ?? now;
  if (vnDateKey(on) > vnDateKey(now)) return { ok: false, errors: { receivedOn: 'procedures.ask.errors.receivedInFuture' }, caseDoc };
  if (vnDateKey(on) < vnDateKey(ask.askedAt)) return { ok: false, errors: { receivedOn: { key: 'procedures.ask.errors.receivedBeforeAsked', params: { askedOn: ask.askedAt } } }, caseDoc };
  const version = versionFor(caseDoc, raw, opts);

  const calendar = await loadCalendar();
  const wasStopped = clockStopped(existing);
  const asks = existing.asks!.map((a, i) => (i === index ? { ...a, receivedAt: on, receivedBy: actor._id as Types.ObjectId } : a));
  const track: TrackState = { ...existing, asks, updatedAt: now };
  const restarted = wasStopped && !clockStopped(track);
  if (restarted) {
    track.dueCount = { from: on, workingDays: PROCEDURE_RULES[kind].decisionWorkingDays! };
    track.dueAt = countedDeadline(calendar, track.dueCount);
  }
  const history = {
    at: now,
    actor: actor._id,
    actorRole: actor.role,
    action: 'support_ask_received',
    procedure: { kind, from: existing.status, to: existing.status, ask: 'received', askText: ask.text, clockStopped: !!ask.stopsClock, ...(restarted ? { dueAt: track.dueAt } : {}), applicantVisible: true },
  };
  const applicant = await User.findById(caseDoc.applicant, { email: 1, name: 1, locale: 1 }).lean();
  const outbox = [];
  if (applicant?.email) {
    const locale = recipientLocale(applicant);
    const t = translator(locale);
    const data = {
      name: applicant.name,
      reference: caseDoc.reference,
      kind,
      kindLabel: t(`procedures.kinds.${kind}`),
      askText: ask.text,
      receivedOn: formatDay(on, locale),
      decisionDue: restarted ? formatDay(track.dueAt, locale) : '',
      decisionLeft: restarted ? deadlineLeft(t, calendar, now, track.dueAt!).text : '',
      stillStopped: wasStopped && !restarted ? t('procedures.ask.mail.stillStopped') : '',
      link: `${opts.app?.config.appUrl ?? ''}/applications/${String(caseDoc._id)}`,
    };
    outbox.push(caseEmail(applicant, 'procedure_ask_received', data, outboxKey(String(caseDoc._id), caseDoc.version + 1, 'askReceived', kind), now));
  }
  const updated = await writeTrack(caseDoc, version, kind, track, history, outbox, false, (after) =>
    caseAudit(ctx, { action: 'case.procedure_ask_received', summary: { kind, ask: opts.askId, receivedOn: vnDateKey(on), restarted, dueAt: restarted ? vnDateKey(track.dueAt!) : undefined, version: after, notified: outbox.length > 0 } }),
  );
  // A request that stopped the authority's clock is received by the authority (the completed file,
  // from which the decision time counts again): a day it receives no file is likely mistyped. Warned,
  // not refused, as a filing date on a day off is (page.ts savedWarnings).
  const receivedOnDayOff = ask.stopsClock && !calendar.isWorkingDay(on) ? on : undefined;
  return { ok: true, caseDoc: updated, ...(applicant?.email ? { mailedTo: applicant.email } : {}), ...(receivedOnDayOff ? { receivedOnDayOff } : {}) };
}

export interface AskReplyOptions extends Versioned, ProcedureTarget {
  askId: string;
  /** The applicant's few words with it (optional). */
  reply?: string;
  /** The applicant confirmed "done" though the document the request names was not uploaded (sent by post, handed in). */
  withoutUpload?: boolean;
}

/** The applicant says what was asked is done (sent, uploaded, posted): HR sees it and records it received. */
export async function askReply(opts: AskReplyOptions): Promise<AskResult> {
  const { ctx, kind } = opts;
  const actor = actorOf(ctx);
  const now = ctx.now;
  const { caseDoc } = await findCaseFor(actor, opts.caseId);
  authorize(actor, 'case.apply', caseDoc);
  const { raw, track: existing, index, ask } = findAsk(caseDoc, kind, opts.askId);
  if (ask.repliedAt || ask.receivedAt) return { ok: true, caseDoc, repeated: true };
  // Closed by the procedure's decision (a page opened before it): nothing is owed, nothing written.
  if (ask.closedAt) return { ok: true, caseDoc, repeated: true, closed: true };
  if (!supportOpen(caseDoc)) return { ok: false, errors: { reply: 'procedures.errors.notNow' }, caseDoc };
  // A request naming a paper of the checklist with no file in its slot since it was asked: "done"
  // is most likely a slip (the upload is a separate form above). The applicant is asked first, with
  // the way to the upload; they may still confirm (the paper went by post or by hand).
  if (ask.documentType && !opts.withoutUpload && !answeredByApplicant(ask, await currentDocuments([caseDoc._id]))) {
    return { ok: false, errors: {}, caseDoc, notUploaded: ask.documentType };
  }
  const version = versionFor(caseDoc, raw, opts);
  const asks = existing.asks!.map((a, i) => (i === index ? { ...a, repliedAt: now, ...(opts.reply ? { reply: opts.reply } : {}) } : a));
  const track: TrackState = { ...existing, asks, updatedAt: now };
  const history = {
    at: now,
    actor: actor._id,
    actorRole: actor.role,
    action: 'support_ask_replied',
    ...(opts.reply ? { note: opts.reply } : {}),
    procedure: { kind, from: existing.status, to: existing.status, ask: 'replied', askText: ask.text, applicantVisible: true },
  };
  // The assigned officer (else the institute's HR office, officersToTell) is e-mailed, as for the
  // applicant's answer to an information request (server/workflow answer_info, notify 'assignee'): in
  // their language, once per request (the key names it; a second "done" on it is `repeated` above).
  const told = await officerAnswerEmail(opts.app, caseDoc, kind, ask, { reply: opts.reply ?? '', ...(opts.withoutUpload && ask.documentType ? { withoutUpload: true } : {}) }, now);
  const outbox = told.items;
  const updated = await writeTrack(caseDoc, version, kind, track, history, outbox, false, (after) =>
    caseAudit(ctx, { action: 'case.procedure_ask_replied', summary: { kind, ask: opts.askId, version: after, notified: outbox.length > 0, ...(opts.withoutUpload && ask.documentType ? { withoutUpload: true } : {}) } }),
  );
  return { ok: true, caseDoc: updated, ...(told.to.length ? { mailedTo: told.to.join(', ') } : {}) };
}

/**
 * The e-mails telling HR that the applicant answered a request: said it is done, with their words
 * (and, confirmed so, that no file went into the slot it names), or uploaded into that slot. To the
 * case's officer, else the institute's HR office (officersToTell): an answer on a case
 * with no officer reached no one. One template for both (procedure_ask_replied), in each reader's
 * language. The key names the request and the way it was answered (and a fallback reader), so each
 * is one e-mail (one Message-ID).
 */
async function officerAnswerEmail(app: Pick<AppContext, 'config'> | undefined, caseDoc: Pick<CaseDoc, '_id' | 'assignee' | 'institute' | 'reference' | 'profile'>, kind: SupportKind, ask: AskState, answer: { reply: string; withoutUpload?: true } | { uploaded: string }, now: Date): Promise<{ items: OutboxItem[]; to: string[] }> {
  const told = await officersToTell(caseDoc);
  const uploaded = 'uploaded' in answer;
  const items = emailsToHr(told, 'procedure_ask_replied', [String(caseDoc._id), uploaded ? 'askUploaded' : 'askReplied', String(ask._id)], (officer) => {
    const t = translator(recipientLocale(officer));
    return {
      name: officer.name,
      reference: caseDoc.reference,
      applicantName: caseDoc.profile?.fullName ?? '',
      kind,
      kindLabel: t(`procedures.kinds.${kind}`),
      askText: ask.text,
      reply: uploaded ? '' : answer.reply,
      // The checklist's name of the slot, in the officer's language.
      uploaded: uploaded ? t(`documents.types.${answer.uploaded}`) : '',
      // Said done without a file in the slot asked for (the applicant confirmed it: by post, by hand).
      notUploaded: !uploaded && answer.withoutUpload && ask.documentType ? t(`documents.types.${ask.documentType}`) : '',
      link: `${app?.config.appUrl ?? ''}/cases/${String(caseDoc._id)}/procedures/${kind}#asks`,
    };
  }, now);
  return { items, to: told.officers.map((o) => o.email) };
}

/**
 * Whether an upload of these types may answer an open request of a running procedure (untold): a
 * necessary condition of what tellOfficerOfUploads answers, read from the case's tracks alone
 * through the driver. True when the case id is not one as stored (the whole read decides then).
 */
async function mayAnswerAsk(caseId: unknown, uploaded: ReadonlySet<string>): Promise<boolean> {
  if (!(caseId instanceof Types.ObjectId)) return true;
  type Tracks = { supportTracks?: Array<{ status?: string; asks?: Array<{ documentType?: string | null; receivedAt?: Date | null; closedAt?: Date | null; uploadToldAt?: Date | null }> | null }> | null };
  const stored = await Case.collection.findOne<Tracks>({ _id: caseId }, { projection: { supportTracks: 1 } });
  return (stored?.supportTracks ?? []).some(
    (t) => (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(String(t.status)) && (t.asks ?? []).some((a) => !!a.documentType && uploaded.has(a.documentType) && askOpen(a) && !a.uploadToldAt),
  );
}

/**
 * The applicant uploaded files (server/documents/upload.ts commitUploads): each open request of an
 * active procedure naming one of their slots is answered, and the assigned officer (else the
 * institute's HR office, officersToTell) is e-mailed, as for "done" (officerAnswerEmail). Once per request: the first upload into the slot since it was
 * asked tells them and is marked on the request (uploadToldAt, in the same version-matched update as
 * the e-mail); a double submit, a retry or a later version of the file sends nothing more (the
 * procedure's page, the queue's row and the home page show the newest). The applicant's "done" with
 * their words is its own e-mail, before or after. No one in HR to tell (an institute with no
 * officer): nothing is written (the queue's row still shows the answer). `told`: e-mails written.
 */
export async function tellOfficerOfUploads(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; caseId: unknown; documents: ReadonlyArray<{ type: string }> }): Promise<{ told: number }> {
  const { ctx } = opts;
  const now = ctx.now;
  if (ctx.actor?.role !== 'applicant' || opts.documents.length === 0) return { told: 0 };
  // Just uploaded, so after every request on the case now (as askAnsweredAt reads a file waiting for HR's check).
  const uploaded = new Set(opts.documents.map((d) => d.type));
  // Most uploads answer no request, which the tracks alone tell: read as stored first, and the case
  // whole only when one may be answered (a Mongoose document of the whole case, read on every
  // applicant's upload, was ~1 ms of the web thread: bench/upload.ts under --cpu-prof).
  if (!(await mayAnswerAsk(opts.caseId, uploaded))) return { told: 0 };
  // A write of the officer's between our read and our update: read the case again (a few tries).
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const caseDoc = await Case.findById(opts.caseId);
    if (!caseDoc || !supportOpen(caseDoc)) return { told: 0 };
    const answered: Array<{ kind: SupportKind; ask: AskState }> = [];
    const tracks = (caseDoc.supportTracks ?? []).map((raw) => {
      const track = plain(raw);
      if (!(ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(track.status) || !track.asks?.length) return track;
      const asks = track.asks.map((a) => {
        if (!a.documentType || !uploaded.has(a.documentType) || !askOpen(a) || a.uploadToldAt) return a;
        answered.push({ kind: track.kind as SupportKind, ask: a });
        return { ...a, uploadToldAt: now };
      });
      return { ...track, asks };
    });
    if (answered.length === 0) return { told: 0 };
    const outbox: OutboxItem[] = [];
    for (const { kind, ask } of answered) {
      outbox.push(...(await officerAnswerEmail(opts.app, caseDoc, kind, ask, { uploaded: ask.documentType! }, now)).items);
    }
    if (outbox.length === 0) return { told: 0 };
    const audits = answered.map(({ kind, ask }) => caseAudit(ctx, { action: 'case.procedure_ask_uploaded', summary: { kind, ask: String(ask._id), documentType: ask.documentType, version: caseDoc.version + 1, notified: true } }));
    const updated = await Case.findOneAndUpdate(
      { _id: caseDoc._id, version: caseDoc.version, stage: caseDoc.stage },
      { $set: { supportTracks: tracks }, $inc: { version: 1 }, $push: { outbox: { $each: outbox }, ...withPendingAudits(audits) } },
      { returnDocument: 'after' },
    );
    if (!updated) continue;
    await settleCaseAudits(caseDoc._id, audits);
    return { told: outbox.length };
  }
  return queueOfficerUploadEmails(opts.app, ctx, opts.caseId, uploaded);
}

/**
 * The case kept changing under the version-matched write (tellOfficerOfUploads' tries): the e-mail is
 * still owed, so each request's e-mail goes into the outbox with its mark alone, written only while
 * that request is still open, not yet told, in a procedure under way, and the item not yet queued
 * (its key). Nothing else of the case is written, so the officer's change meanwhile is kept.
 */
async function queueOfficerUploadEmails(app: Pick<AppContext, 'config'> | undefined, ctx: Context, caseId: unknown, uploaded: ReadonlySet<string>): Promise<{ told: number }> {
  const now = ctx.now;
  const caseDoc = await Case.findById(caseId);
  if (!caseDoc || !supportOpen(caseDoc)) return { told: 0 };
  let told = 0;
  for (const raw of caseDoc.supportTracks ?? []) {
    const track = plain(raw);
    if (!(ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(track.status)) continue;
    for (const ask of track.asks ?? []) {
      if (!ask.documentType || !uploaded.has(ask.documentType) || !askOpen(ask) || ask.uploadToldAt) continue;
      const kind = track.kind as SupportKind;
      const { items } = await officerAnswerEmail(app, caseDoc, kind, ask, { uploaded: ask.documentType }, now);
      if (!items.length) continue;
      const open = { _id: ask._id, uploadToldAt: null, receivedAt: null, closedAt: null };
      // No version match here: the version this write makes is known after it (added when recorded;
      // an event the repair records has none).
      const audit = caseAudit(ctx, { action: 'case.procedure_ask_uploaded', summary: { kind, ask: String(ask._id), documentType: ask.documentType, notified: true, afterRetries: true } });
      const updated = await Case.findOneAndUpdate(
        { _id: caseDoc._id, stage: caseDoc.stage, 'outbox.key': { $nin: items.map((i) => i.key) }, supportTracks: { $elemMatch: { kind, status: { $in: [...ACTIVE_SUPPORT_STATUSES] }, asks: { $elemMatch: open } } } },
        { $set: { 'supportTracks.$[t].asks.$[a].uploadToldAt': now }, $inc: { version: 1 }, $push: { outbox: { $each: items }, ...withPendingAudits([audit]) } },
        { returnDocument: 'after', arrayFilters: [{ 't.kind': kind }, { 'a._id': ask._id }] },
      );
      if (!updated) continue;
      told += items.length;
      await settleCaseAudits(caseDoc._id, [audit], { version: updated.version });
    }
  }
  return { told };
}
