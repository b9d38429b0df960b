// A case is one application carried from draft to arrival. Its stage is written only by the
// workflow module (server/workflow), always with findOneAndUpdate({ _id, stage, version }), and the
// e-mails a change owes are written in the same atomic update into `outbox` (DESIGN.md §6).
import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { pendingAuditSchema } from './pending-audit.ts';
import { summarizeHistory } from './case-summary.ts';
import { keepSearchTerms } from './case-search-hooks.ts';
import { keepNextDeadline } from './case-deadline.ts';
import { watchWrites } from './watch-writes.ts';
import { TRACKS, STAGES, SUPPORT_KINDS, SUPPORT_STATUSES, DEGREES, PRIORITIES, UNASSIGN_REASONS, DOCUMENT_TYPES, STORED_DOCUMENT_TYPES } from './constants.ts';

/** A procedure's change on the case history: structured, translated by the presenters. */
const procedureEventSchema = new Schema(
  {
    kind: { type: String, enum: SUPPORT_KINDS, required: true },
    from: { type: String, enum: SUPPORT_STATUSES },
    to: { type: String, enum: SUPPORT_STATUSES },
    /** The dates set by this change, shown to the applicant. */
    filedAt: { type: Date },
    /** The day the authority granted or refused, as HR typed it. */
    decidedAt: { type: Date },
    /** The institute's target before filing, moved by HR: the date the applicant had been told, and the new one. */
    targetFrom: { type: Date },
    targetTo: { type: Date },
    /** The target moved because the institute's default changed (server/procedures/target-backfill.ts), not by HR. */
    defaultChanged: { type: Boolean },
    /** The target moved with the planned start of work HR changed to this day (server/cases/planned-start.ts). */
    startMovedTo: { type: Date },
    cardStartsAt: { type: Date },
    cardEndsAt: { type: Date },
    reasonsDueAt: { type: Date },
    /** HR's message to the applicant with this change (the reasons of a refusal, what comes next): shown on their timeline and e-mailed. */
    message: { type: String, maxlength: 2000 },
    /** The written reasons of a refusal were received with this change. */
    reasonsReceived: { type: Boolean },
    /** HR recorded with this change that the authority refused without its written reasons (chased since). */
    reasonsMissing: { type: Boolean },
    /** 'due' | 'reasons' on an escalation event. */
    escalated: { type: String },
    /** A request to the applicant ("more is asked", server/procedures/asks.ts): 'asked', 'replied' or 'received'. */
    ask: { type: String, enum: ['asked', 'replied', 'received'] },
    askText: { type: String, maxlength: 2000 },
    askDueAt: { type: Date },
    askDocument: { type: String, enum: DOCUMENT_TYPES },
    /** The authority's clock stopped with this request, or (received) counted again from its day. */
    clockStopped: { type: Boolean },
    /** The running date set by this change (a decision clock counted again when the file is complete). */
    dueAt: { type: Date },
    /** The requests to the applicant this change closed (a final status), in HR's words as asked. */
    asksClosed: { type: [String], default: undefined },
    /**
     * The requests this change closed that the applicant had answered (said done, or uploaded the
     * paper): "answered on <day>", not "no longer needed". Events before it list them in asksClosed.
     */
    asksAnswered: { type: [{ text: { type: String }, at: { type: Date }, _id: false }], default: undefined },
    /** Stopped because this procedure runs instead (the work permit and its exemption certificate): said on the timeline. */
    replacedBy: { type: String, enum: SUPPORT_KINDS },
    /** Whether the applicant sees this event on their timeline. */
    applicantVisible: { type: Boolean, default: false },
  },
  { _id: false },
);

/**
 * Why the system took a case from its officer (their account disabled, their role changed): a reason
 * and the officer's name then, translated by the presenters in each reader's language. Entries
 * written before it carry the words in `note`, in the administrator's language.
 */
const unassignEventSchema = new Schema(
  {
    reason: { type: String, enum: UNASSIGN_REASONS, required: true },
    name: { type: String, maxlength: 200 },
  },
  { _id: false },
);

/**
 * Deadlines a change of the holiday calendar moved (server/cases/deadline-recount.ts): the day, added
 * or removed, and each date's old and new value, translated by the presenters in each reader's
 * language. `target`: 'stage' or a procedure's kind; `what`: its running date or a refusal's reasons.
 */
const recountEventSchema = new Schema(
  {
    holiday: { type: String, required: true },
    /** The holiday's name as the administrator typed it, in each language: each reader reads their own. */
    name: { vi: { type: String, maxlength: 200 }, en: { type: String, maxlength: 200 } },
    change: { type: String, enum: ['added', 'removed'], required: true },
    moved: [
      new Schema(
        {
          target: { type: String, required: true },
          /** 'ask': the due date of a request to the applicant within the procedure (server/procedures/asks.ts). */
          what: { type: String, enum: ['due', 'reasons', 'ask'], required: true },
          from: { type: Date, required: true },
          to: { type: Date, required: true },
          /** A date the applicant is shown (a procedure's, not the stage's internal one). */
          applicantVisible: { type: Boolean, default: false },
        },
        { _id: false },
      ),
    ],
  },
  { _id: false },
);

/** An answer to the offer HR recorded from outside the portal: how it came, the day it was received (and HR's note of a decline: its history note is the applicant's reason). */
const receivedEventSchema = new Schema(
  {
    via: { type: String, enum: ['email', 'post'], required: true },
    on: { type: Date, required: true },
    note: { type: String, maxlength: 2000 },
  },
  { _id: false },
);

/** An information request's answer date moved (extend_info): the dates, said in each reader's language. */
const extensionEventSchema = new Schema(
  {
    from: { type: Date },
    to: { type: Date, required: true },
  },
  { _id: false },
);

/**
 * The planned start of work moved (server/cases/planned-start-moves.ts): by HR (server/cases/planned-start.ts),
 * with the onboarding stage's deadline as it was and became when the case was in onboarding (it
 * follows the start); or to the day of the offer the applicant accepted (`source: 'offer'`).
 */
const plannedStartEventSchema = new Schema(
  {
    from: { type: Date },
    to: { type: Date, required: true },
    dueFrom: { type: Date },
    dueTo: { type: Date },
    /** Absent for HR's change (all earlier events are HR's). */
    source: { type: String, enum: ['offer'] },
    /** HR's change: the applicant was e-mailed it (planned_start_moved), with what HR wrote for them, if anything. */
    told: { type: Boolean },
    toldText: { type: String, maxlength: 2000 },
  },
  { _id: false },
);

/** HR attached or changed the offer's terms or letter (server/cases/offer-terms.ts): what changed, and whether the applicant was e-mailed. */
const offerTermsEventSchema = new Schema(
  {
    letter: { type: Boolean, default: false },
    terms: { type: Boolean, default: false },
    told: { type: Boolean, default: false },
    /** The offer became complete (terms and letter) with this change: the first the applicant can answer, not a change to it. */
    ready: { type: Boolean },
    /** Nothing of the offer was attached before this change (its first terms or letter). */
    first: { type: Boolean },
    /** The answer-by date counted again from this change: the offer became complete after it was made. */
    answerBy: { type: Date },
  },
  { _id: false },
);

/**
 * The applicant answered the offer after its answer-by date (accepted all the same: the institute
 * decides): the date it was due and the working days after it (0: on a day off just after).
 */
const lateAnswerEventSchema = new Schema(
  {
    dueAt: { type: Date, required: true },
    workingDays: { type: Number, required: true, min: 0 },
  },
  { _id: false },
);

/** The files sent with an answer to a request for information (server/applications/answer.ts): how many, of which paper. */
const answerFilesEventSchema = new Schema(
  {
    count: { type: Number, required: true, min: 1 },
    type: { type: String, required: true, maxlength: 40 },
  },
  { _id: false },
);

/**
 * HR's decision on a version of a document (server/documents/verify.ts): which paper, which version,
 * what was decided (and from what, when a decision was changed). Its reason, which the applicant is
 * e-mailed, is the event's `told`. `event`: the decision's audit event id, the one entry it may make.
 */
const documentEventSchema = new Schema(
  {
    id: { type: Schema.Types.ObjectId, ref: 'Document', required: true },
    type: { type: String, enum: STORED_DOCUMENT_TYPES, required: true },
    version: { type: Number, required: true, min: 1 },
    decision: { type: String, enum: ['accepted', 'rejected'], required: true },
    changedFrom: { type: String, enum: ['accepted', 'rejected'] },
    event: { type: Schema.Types.ObjectId, required: true },
  },
  { _id: false },
);

const historyEventSchema = new Schema(
  {
    at: { type: Date, required: true },
    actor: { type: Schema.Types.ObjectId, ref: 'User' },
    actorRole: { type: String },
    action: { type: String, required: true },
    from: { type: String, enum: STAGES },
    to: { type: String, enum: STAGES },
    note: { type: String, maxlength: 5000 },
    /** The note is internal whoever wrote it: a hold decided after the panel (its reason is the institute's, never the applicant's). */
    internal: { type: Boolean, default: undefined },
    /** With an internal note: what the applicant was told instead, in the words written for them (a leader's hold, walk s34). */
    told: { type: String, maxlength: 2000 },
    /** A hold: the working days the stage's deadline had left then (negative: overdue), given back on resuming (server/cases/held-request.ts). */
    heldLeft: { type: Number, default: undefined },
    /** A leader's decision taken without the panel's scores, hidden from them while scoring was open (lead s35). */
    blind: { type: Boolean, default: undefined },
    /** A leader closed scoring (evaluation → shortlisted) so the panel's scores show (lead s35). */
    closedScoring: { type: Boolean, default: undefined },
    procedure: { type: procedureEventSchema, default: undefined },
    unassign: { type: unassignEventSchema, default: undefined },
    recount: { type: recountEventSchema, default: undefined },
    received: { type: receivedEventSchema, default: undefined },
    extension: { type: extensionEventSchema, default: undefined },
    plannedStart: { type: plannedStartEventSchema, default: undefined },
    offerTerms: { type: offerTermsEventSchema, default: undefined },
    late: { type: lateAnswerEventSchema, default: undefined },
    answerFiles: { type: answerFilesEventSchema, default: undefined },
    document: { type: documentEventSchema, default: undefined },
  },
  { _id: true },
);

const noteSchema = new Schema(
  {
    at: { type: Date, required: true },
    author: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    text: { type: String, required: true, maxlength: 5000 },
    /** The form it came from (server/http/form-key.ts): the same form sent twice adds it once. */
    formKey: { type: String, maxlength: 32 },
  },
  { _id: true },
);

const messageSchema = new Schema(
  {
    at: { type: Date, required: true },
    author: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    fromApplicant: { type: Boolean, required: true },
    text: { type: String, required: true, maxlength: 5000 },
    /** The form it came from (server/http/form-key.ts): the same form sent twice adds it once. */
    formKey: { type: String, maxlength: 32 },
  },
  { _id: true },
);

/**
 * How a deadline was counted: `workingDays` working days after `from`. Kept so the deadline can be
 * counted again when the holiday calendar changes under it (server/cases/deadline-recount.ts); a
 * deadline without one (typed by hand) keeps its date.
 */
const dueCountSchema = new Schema({ from: { type: Date, required: true }, workingDays: { type: Number, required: true } }, { _id: false });

/**
 * "More is asked" of the applicant within a procedure (server/procedures/asks.ts): what, in HR's words,
 * by when, optionally a document of the checklist, and whether the authority's decision clock stopped
 * with it. Open until HR records it received; the applicant's "done" (or an upload of the document
 * asked for) tells HR it may be.
 */
const procedureAskSchema = new Schema(
  {
    text: { type: String, required: true, maxlength: 2000 },
    askedAt: { type: Date, required: true },
    askedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    /** The applicant's due date (a day's end), counted in working days. */
    dueAt: { type: Date, required: true },
    /** How dueAt counts (the working days from askedAt to it): a holiday added or removed moves it (absent on requests stored before it was kept). */
    dueCount: { type: dueCountSchema },
    documentType: { type: String, enum: DOCUMENT_TYPES },
    stopsClock: { type: Boolean, default: false },
    /** The decision date when the clock stopped (kept for the history; the clock counts again from receipt). */
    stoppedDueAt: { type: Date },
    repliedAt: { type: Date },
    reply: { type: String, maxlength: 2000 },
    /** When the assigned officer was e-mailed of a file uploaded into the slot asked for (once per request). */
    uploadToldAt: { type: Date },
    /** The day HR recorded what was asked as received (the clock counts again from it). */
    receivedAt: { type: Date },
    receivedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    /**
     * Closed, not received: the procedure reached a final status (granted, refused, not needed) while
     * the request was open, so nothing is owed any more (server/procedures/service.ts closeOpenAsks).
     */
    closedAt: { type: Date },
    /** The status that closed it. */
    closedWith: { type: String, enum: SUPPORT_STATUSES },
  },
  { _id: true },
);

const supportTrackSchema = new Schema(
  {
    kind: { type: String, enum: SUPPORT_KINDS, required: true },
    status: { type: String, enum: SUPPORT_STATUSES, required: true, default: 'not_needed' },
    /** Working-day deadline of the current status (server/procedures: the institute's own target, or the authority's legal deadline once filed). */
    dueAt: { type: Date },
    /** How dueAt was counted (absent on procedures stored before it was kept). */
    dueCount: { type: dueCountSchema },
    updatedAt: { type: Date },
    /** Internal HR note (never shown to the applicant). */
    note: { type: String, maxlength: 2000 },
    /** HR's last message to the applicant about this procedure (shown on their page, e-mailed with the change). */
    applicantMessage: { type: String, maxlength: 2000 },
    /** The office the file was lodged with (recorded by HR). */
    office: { type: String, maxlength: 200 },
    /** The day the complete file was lodged: the authority's clock starts here. */
    filedAt: { type: Date },
    /** A grant or a refusal: the day the authority decided, as HR typed it. */
    decidedAt: { type: Date },
    /**
     * A refusal: the day it was decided (decidedAt, else when HR recorded it). The written reasons
     * come with it (rules.ts refusalWithReasons); where the authority refused without them, HR
     * records so (reasonsMissing) and they are owed by the decision deadline that was running
     * (reasonsDueAt; absent when none was counted). Refusals stored before carry the reasonsDueAt of
     * an earlier 3-working-days-after-the-refusal reading, still shown as owed until received.
     */
    refusedAt: { type: Date },
    reasonsMissing: { type: Boolean },
    reasonsDueAt: { type: Date },
    reasonsReceivedAt: { type: Date },
    /** Residence card: the term on the card (the passport must be valid beyond its end). */
    cardStartsAt: { type: Date },
    cardEndsAt: { type: Date },
    /** Escalations already sent, one key per deadline ("due:<iso>" or "reasons:<iso>"). */
    escalations: { type: [String], default: undefined },
    /** What was asked of the applicant within this procedure, oldest first. */
    asks: { type: [procedureAskSchema], default: undefined },
  },
  { _id: false },
);

/** An e-mail owed by a case change, waiting for the dispatcher (transactional outbox). */
const outboxItemSchema = new Schema(
  {
    /** Idempotency key: unique per case event; reused as the Message-ID. */
    key: { type: String, required: true },
    template: { type: String, required: true },
    to: { type: String, required: true },
    locale: { type: String, enum: ['vi', 'en'], required: true },
    data: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    leaseOwner: { type: String },
    leaseUntil: { type: Date },
    lastError: { type: String },
    /** pending: waiting or retrying; sent: accepted by SMTP; dead: permanent failure or out of attempts. */
    status: { type: String, enum: ['pending', 'sent', 'dead'], default: 'pending', required: true },
    lastAttemptAt: { type: Date },
    sentAt: { type: Date },
    /** The Message-ID it was sent with (`<key@talent.local>`). */
    messageId: { type: String },
  },
  { _id: false },
);

const caseSchema = new Schema(
  {
    reference: { type: String, required: true, unique: true, match: /^TA-\d{4}-\d{6}$/ },
    applicant: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
    call: { type: Schema.Types.ObjectId, ref: 'Call', required: true },
    /**
     * Copied from the call so staff policies and queues filter without a join. Never changed (not
     * even when an administrator moves the call): the case's documents carry it too (models/document.ts).
     */
    institute: { type: Schema.Types.ObjectId, ref: 'Institute', required: true, immutable: true },
    track: { type: String, enum: TRACKS, required: true },
    stage: { type: String, enum: STAGES, required: true, default: 'draft' },
    /** Where an on_hold case returns to. */
    resumeStage: { type: String, enum: STAGES },
    stageEnteredAt: { type: Date, required: true },
    /** Working-day deadline of the current stage, when it has one. */
    stageDueAt: { type: Date },
    /** How stageDueAt was counted; absent when the date was typed (an information request's) or stored before it was kept. */
    stageDueCount: { type: dueCountSchema },
    /** The soonest of the stage's deadline and the deadlines of the procedures under way; null when nothing is due (models/case-deadline.ts). */
    nextDueAt: { type: Date },
    assignee: { type: Schema.Types.ObjectId, ref: 'User' },
    priority: { type: String, enum: PRIORITIES, default: 'normal' },
    profile: {
      fullName: { type: String, trim: true, maxlength: 200 },
      dateOfBirth: { type: Date },
      gender: { type: String, enum: ['female', 'male', 'other', 'undisclosed'] },
      nationality: { type: String, trim: true, maxlength: 2 }, // ISO 3166-1 alpha-2
      countryOfResidence: { type: String, trim: true, maxlength: 2 },
      overseasVietnamese: { type: Boolean },
      phone: { type: String, trim: true, maxlength: 40 },
      currentPosition: { type: String, trim: true, maxlength: 200 },
      currentEmployer: { type: String, trim: true, maxlength: 200 },
      highestDegree: { type: String, enum: DEGREES },
      field: { type: String, trim: true, maxlength: 200 },
      plannedArrival: { type: Date },
    },
    /** Self-assessment against the track's eligibility criteria (server/cases/tracks.ts). */
    eligibility: {
      type: [new Schema({ key: { type: String, required: true }, met: { type: Boolean, required: true }, evidence: { type: String, maxlength: 2000 } }, { _id: false })],
      default: [],
    },
    achievements: {
      publications: { type: [new Schema({ title: { type: String, maxlength: 500 }, venue: { type: String, maxlength: 300 }, year: Number, doi: { type: String, maxlength: 200 } }, { _id: false })], default: [] },
      patents: { type: [new Schema({ title: { type: String, maxlength: 500 }, number: { type: String, maxlength: 100 }, year: Number }, { _id: false })], default: [] },
      projectsLed: { type: [new Schema({ title: { type: String, maxlength: 500 }, funder: { type: String, maxlength: 300 }, year: Number, budgetUsd: Number }, { _id: false })], default: [] },
      /** Kept in step with the arrays above, for ranking and dashboards without unwinding. */
      publicationsCount: { type: Number, default: 0 },
      patentsCount: { type: Number, default: 0 },
    },
    dependants: {
      type: [new Schema({ fullName: { type: String, maxlength: 200 }, relationship: { type: String, enum: ['spouse', 'child', 'other'] }, dateOfBirth: Date, nationality: { type: String, maxlength: 2 } }, { _id: true })],
      default: [],
    },
    supportRequested: {
      workPermit: { type: Boolean, default: false },
      visa: { type: Boolean, default: false },
      residenceCard: { type: Boolean, default: false },
      housing: { type: Boolean, default: false },
      citizenship: { type: Boolean, default: false },
      family: { type: Boolean, default: false },
    },
    supportTracks: { type: [supportTrackSchema], default: [] },
    /** Procedures past a deadline and escalated (server/procedures/escalation.ts); a kind leaves when its status changes. The queue shows and filters on it. */
    overdueProcedures: { type: [{ type: String, enum: SUPPORT_KINDS }], default: [] },
    /** The open request for information, if any. */
    infoRequest: {
      items: { type: [String], default: undefined },
      dueAt: { type: Date },
      requestedAt: { type: Date },
      requestedBy: { type: Schema.Types.ObjectId, ref: 'User' },
      answer: { type: String, maxlength: 10_000 },
      answeredAt: { type: Date },
      /** The case's version the answer was sent from (a second identical send from that page is the same answer). */
      answeredVersion: { type: Number },
      /** A paper HR asked for with an upload place: the applicant's answer form offers a file of this type (server/cases/request-info.ts). */
      documentType: { type: String, enum: DOCUMENT_TYPES },
      /** The files uploaded with the answer (in the case's documents), shown to HR beside it. */
      answerDocuments: { type: [{ type: Schema.Types.ObjectId, ref: 'CaseDocument' }], default: undefined },
    },
    /**
     * What the offer is (server/cases/offer-terms.ts): HR's short summary of the terms, free text as
     * the letter words them, and the letter itself (a stored document of type offer_letter).
     * Personal data (the salary) in plain text, as the rest of the application: the app seals
     * secrets only (server/crypto/sealed-fields.ts says why); the applicant's export has it once
     * the offer is made.
     */
    offerTerms: {
      position: { type: String, maxlength: 200 },
      /** Free text, as typed before the planned start became a date (kept and shown as typed until a date is given). */
      start: { type: String, maxlength: 200 },
      /** The planned start of work the offer states: a day ('YYYY-MM-DD' at 00:00 UTC, as the case's planned start). */
      startOn: { type: Date },
      salary: { type: String, maxlength: 200 },
      contractLength: { type: String, maxlength: 200 },
      letter: { type: Schema.Types.ObjectId, ref: 'Document' },
      updatedAt: { type: Date },
      updatedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    },
    decision: {
      reason: { type: String, maxlength: 5000 },
      /** A leader's rejection after the panel: what the candidate is told (the reason above stays internal). */
      toldReason: { type: String, maxlength: 2000 },
      decidedBy: { type: Schema.Types.ObjectId, ref: 'User' },
      decidedAt: { type: Date },
    },
    /** Weighted panel score, kept up to date by the evaluation service for ranking. */
    score: { type: Number },
    history: { type: [historyEventSchema], default: [] },
    notes: { type: [noteSchema], default: [] },
    messages: { type: [messageSchema], default: [] },
    outbox: { type: [outboxItemSchema], default: [] },
    submittedAt: { type: Date },
    arrivedAt: { type: Date },
    /** Personal data: the applicant agreed that their data may be kept after an unsuccessful application. */
    keepDataConsent: { type: Boolean, default: false },
    /** Derived from history (models/case-summary.ts): stages ever entered, and completed stays. */
    reached: { type: [String], default: undefined },
    stays: {
      type: [new Schema({ stage: { type: String, required: true }, enteredAt: { type: Date, required: true }, leftAt: { type: Date, required: true }, hours: { type: Number, required: true } }, { _id: false })],
      default: undefined,
    },
    /** Arrival forecast (server/planner): start-of-work dates, recomputed after each change; not a version bump. */
    forecast: {
      earliest: { type: Date },
      likely: { type: Date },
      latest: { type: Date },
      computedAt: { type: Date },
    },
    /** Optimistic concurrency: every write through the workflow matches and increments it. */
    version: { type: Number, required: true, default: 0 },
    /**
     * The versions the start-up sweep's claims alone made (server/documents/sweep.ts: from the one
     * before the first claim to the one after the last). A form built on a version in [from, to)
     * while the case is still at `to` saw the case as it is: it is not refused as stale
     * (server/cases/conflict.ts versionSeen). Absent nearly always.
     */
    sweptClaim: { type: new Schema({ from: { type: Number, required: true }, to: { type: Number, required: true } }, { _id: false }), default: undefined },
    /** Normalized words of the reference, name, e-mail and nationality for the queue's search (models/case-search.ts); kept by the hooks below. */
    searchTerms: { type: [String], default: undefined },
    /** The format of searchTerms (models/case-search.ts SEARCH_TERMS_VERSION); the backfill rewrites older ones. */
    searchTermsVersion: { type: Number },
    /**
     * A current document of the case waits for HR's check (status pending): the queue's "documents
     * to check" filter and the home page's count read it here, never the documents. Derived: set by
     * recountDocumentsToCheck (models/document.ts) after every write to the case's documents, and
     * repaired by server/documents/to-check.ts. Missing means none (cases stored before it).
     */
    documentsToCheck: { type: Boolean },
    /**
     * The audit events of the changes this case's last writes made, set in each change's own update
     * and pulled once recorded (server/cases/pending-audit.ts): a process that dies in between leaves
     * them to the repair, not an unaudited change. Usually absent or empty. Bookkeeping, never shown:
     * not selected unless asked for (`+pendingAudits`), so no page, presenter or export reads it.
     */
    pendingAudits: { type: [pendingAuditSchema], default: undefined, select: false },
    /**
     * Since when a recount of the flag that failed (a database hiccup) is due: set by the failed
     * recount (models/document.ts), and by a deletion of documents before it deletes (cleared by it
     * once recounted: server/documents/pending-audit.ts), read and cleared by the marked cases' repair every minute
     * (server/documents/to-check.ts repairMarkedCases). Missing when nothing is due (nearly always).
     */
    documentsToCheckDue: { type: Date },
  },
  { timestamps: true, versionKey: false },
);

// Documents saved through the model keep their derived figures in step with their history.
caseSchema.pre('validate', function () {
  if (this.isNew || this.isModified('history') || this.isModified('stage')) {
    const summary = summarizeHistory(this.history ?? [], this.stage);
    this.set('reached', summary.reached);
    this.set('stays', summary.stays);
  }
});

caseSchema.index({ institute: 1, stage: 1, nextDueAt: 1 });
caseSchema.index({ call: 1, stage: 1, score: -1 });
caseSchema.index({ assignee: 1, stage: 1 });
caseSchema.index({ 'outbox.status': 1, 'outbox.nextAttemptAt': 1 }, { sparse: true });
caseSchema.index({ applicant: 1, call: 1 });
caseSchema.index({ overdueProcedures: 1 }, { sparse: true });
// Daily retention looks for unsuccessful cases by stage and the time they entered it.
caseSchema.index({ stage: 1, stageEnteredAt: 1 });
// The queue can sort open work by forecast arrival (server/planner).
caseSchema.index({ institute: 1, 'forecast.likely': 1 }, { sparse: true });
// The repair of audit events left by a stopped process (server/cases/pending-audit.ts): one walk of the few.
caseSchema.index({ 'pendingAudits.decidedAt': 1 }, { sparse: true });
// A daily digest's key looked for on every case (server/reminders): its carrier of the morning may
// have moved on since, out of the cases the next hour's run reads.
caseSchema.index({ 'outbox.key': 1 }, { sparse: true });

// The HR queue (server/cases/queue.ts): open work by its next deadline (the stage's or a
// procedure's) within an institute (and for administrators across institutes; the daily reminders
// read the same range), and the search words within an institute (a search across institutes reads
// one range per institute: server/cases/queue.ts searchInstitutes).
caseSchema.index({ institute: 1, nextDueAt: 1, _id: 1 });
caseSchema.index({ institute: 1, _id: 1 });
caseSchema.index({ nextDueAt: 1, _id: 1 });
caseSchema.index({ institute: 1, searchTerms: 1 });
// The queue's "documents to check" (server/cases/queue.ts): the flagged cases of an institute in
// the default order (next deadline, then _id), so a page stops after its rows at any backlog.
caseSchema.index({ institute: 1, documentsToCheck: 1, nextDueAt: 1, _id: 1 });
// The cases whose recount of the flag is due (few, usually none): what the marked cases' repair reads.
caseSchema.index({ documentsToCheckDue: 1 }, { sparse: true });
// The search words follow the reference, name, nationality and the applicant's e-mail on every write.
keepSearchTerms(caseSchema);
// The next deadline follows the stage's and the procedures' deadlines on every write.
keepNextDeadline(caseSchema);

export type CaseFields = InferSchemaType<typeof caseSchema>;
/** Called on every write to cases through this model (counts kept in memory are forgotten). */
export const onCaseWrite = watchWrites(caseSchema, 'Case');
export const Case = model('Case', caseSchema);
// The model's own document type: the schema has no __v (versionKey: false), which the generic
// HydratedDocument<CaseFields> would otherwise expect.
export type CaseDoc = InstanceType<typeof Case>;
/** A case as stored, read lean (`.lean<CaseRecord>()`) or copied out of a CaseDoc (`toObject()`): what pages that only show a case work on. */
export type CaseRecord = CaseFields & { _id: Types.ObjectId };
