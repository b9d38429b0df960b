// The applicant's side of a case: start (or reopen) an application for a call, load and save a step
// of the draft, submit it, and take the applicant's other workflow steps. Stage changes go through
// server/workflow only.
import { repeatedFields } from '../http/forms.ts';
import { answerDaysLeft, answerDaysLeftAtHold } from '../cases/held-request.ts';
import { caseProcedures } from '../procedures/page.ts';
import { casePlan } from '../planner/service.ts';
import type { AppContext } from '../deps.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { loadCalendar } from '../calendar/index.ts';
import { deadlineLeft } from '../procedures/service.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import type { UserDoc, UserRecord } from '../../models/user.ts';
import { shownCall } from '../calls/kept.ts';
import { PLANNING_STAGES, TERMINAL_STAGES, inStages, type Stage } from '../../models/constants.ts';
import { OFFER_TERM_KEYS } from '../cases/offer-terms.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldErrors } from '../errors.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from '../cases/pending-audit.ts';
import { transition, nextCaseReference, availableActions, type Action } from '../workflow/index.ts';
import { CaseConflictError, conflictFrom } from '../cases/conflict.ts';
import { peopleNames, type PeopleNames } from '../cases/people.ts';
import { hrDueForApplicant } from '../cases/next-step.ts';
import { documentsChecklist } from '../cases/present.ts';
import { reuploadBy } from '../documents/verify.ts';
import { signedOfferUploadable } from '../documents/index.ts';
import { resendItems } from '../documents/present.ts';
import { setKeepDataConsent } from '../privacy/consent.ts';
import { currentDatedDocuments, documentWarnings, missingParts, type MissingPart } from './completeness.ts';
import { parseAchievements, parseDependants, parseEligibility, parseProfile, parseSupport, type Body, type RowKind, type Step } from './steps.ts';
import { withFields } from '../support/with-fields.ts';
import { contactBox } from '../institutes/contact.ts';
import { textIn } from '../support/localized.ts';
import { startSource } from '../cases/planned-start-moves.ts';
import { vnDateKey } from '../calendar/index.ts';
import { foreignFamily, vietnameseCitizen } from './family-support.ts';
import { isId } from '../support/object-id.js';

/** Stages in which the applicant may still change their application, and the steps open then. */
const EDITABLE: Partial<Record<Stage, readonly Step[]>> = {
  draft: ['profile', 'eligibility', 'achievements', 'dependants', 'support', 'review'],
  // Answering a request for information may need corrected or added details, not a new track.
  awaiting_applicant: ['profile', 'eligibility', 'achievements', 'dependants', 'support'],
};

export function editableSteps(stage: string): readonly Step[] {
  return EDITABLE[stage as Stage] ?? [];
}

export function canEditStep(stage: string, step: Step): boolean {
  return editableSteps(stage).includes(step);
}

export function isCallOpen(call: Pick<CallDoc, 'status' | 'opensAt' | 'closesAt'>, now: Date): boolean {
  return call.status === 'open' && call.opensAt.getTime() <= now.getTime() && call.closesAt.getTime() >= now.getTime();
}

export async function findOpenCall(id: string, now: Date): Promise<CallDoc> {
  if (!isId(id)) throw new NotFoundError();
  const call = await Call.findById(id);
  if (!call || !isCallOpen(call, now)) throw new NotFoundError('calls.notOpen');
  return call;
}

/** The applicant's live case for this call, if any (draft or further along). */
export async function existingApplication(applicant: Pick<UserDoc, '_id'>, callId: unknown): Promise<CaseDoc | null> {
  return (await Case.findOne({ applicant: applicant._id, call: callId as never, stage: { $nin: TERMINAL_STAGES } }).sort({ createdAt: -1 })) as CaseDoc | null;
}

/**
 * Opens the actor's draft for a call, creating it when there is none: one live application per
 * applicant per call. The insert is an upsert on (applicant, call, draft), so a double click does
 * not create two drafts.
 */
export async function startApplication({ ctx, callId }: { ctx: Context; callId: string }): Promise<{ caseDoc: CaseDoc; created: boolean }> {
  const applicant = actorOf(ctx);
  if (applicant.role !== 'applicant') throw new ForbiddenError('applications.applicantsOnly');
  const now = ctx.now;
  if (!isId(callId)) throw new NotFoundError();
  // An application already under way is reopened even when the call has closed since.
  const existing = await existingApplication(applicant, callId);
  if (existing) return { caseDoc: existing, created: false };
  const call = await findOpenCall(callId, now);
  const reference = await nextCaseReference(now);
  // The creation's audit event is inserted with the case (server/cases/pending-audit.ts); an upsert
  // that found the draft inserts nothing and records nothing.
  const audit = caseAudit(ctx, { action: 'case.create', targetType: 'Case', summary: { reference, call: String(call._id) } });
  const res = await Case.findOneAndUpdate(
    { applicant: applicant._id, call: call._id, stage: 'draft' },
    {
      $setOnInsert: {
        reference,
        institute: call.institute,
        track: call.track,
        stageEnteredAt: now,
        // The applicant's own field from here on (they may change it): the call's, in the language they read it in
        // (get: a document's nested path hides a string stored before the backfill behind an object of blanks).
        profile: { fullName: applicant.name, field: textIn(call.get('field'), ctx.locale) },
        history: [{ at: now, actor: applicant._id, actorRole: 'applicant', action: 'create', to: 'draft' }],
        version: 0,
        pendingAudits: [audit],
      },
    },
    { upsert: true, returnDocument: 'after', includeResultMetadata: true },
  );
  const caseDoc = res.value as CaseDoc;
  const created = !res.lastErrorObject?.updatedExisting;
  if (created) {
    await settleCaseAudits(caseDoc._id, [audit]);
  }
  return { caseDoc, created };
}

/** The signed-in applicant's own case; anyone else's is "not found" (its existence is not revealed). */
export async function ownCase({ ctx, caseId }: { ctx: Context; caseId: string }): Promise<CaseDoc> {
  const user = ctx.actor;
  if (!user || user.role !== 'applicant' || !isId(caseId)) throw new NotFoundError();
  const c = await Case.findOne({ _id: caseId, applicant: user._id });
  if (!c) throw new NotFoundError();
  return c;
}

/** The actor's applications, newest first, with their calls' titles. */
export async function listApplications({ ctx }: { ctx: Context }) {
  const cases = await Case.find({ applicant: actorOf(ctx)._id }, { reference: 1, call: 1, stage: 1, stageDueAt: 1, updatedAt: 1, submittedAt: 1, 'history.action': 1 }).sort({ updatedAt: -1 }).limit(200).lean();
  const calls = await Call.find({ _id: { $in: [...new Set(cases.map((c) => String(c.call)))] } }, { title: 1 }).lean();
  const titles = new Map(calls.map((c) => [String(c._id), c.title]));
  return cases.map((c) => withFields(c, { callTitle: titles.get(String(c.call)) }));
}
export type ApplicationRow = Awaited<ReturnType<typeof listApplications>>[number];

/**
 * The offer's terms and letter as the applicant sees them (server/cases/offer-terms.ts): once the
 * offer is made, while they answer it and while they prepare their arrival (the signed letter is an
 * item of their checklist then). A letter HR prepared before the leader's decision is not theirs yet.
 */
function offerForApplicant(caseDoc: CaseDoc, call: Parameters<typeof signedOfferUploadable>[0]) {
  const o = caseDoc.offerTerms;
  const stage = caseDoc.stage === 'on_hold' ? caseDoc.resumeStage : caseDoc.stage;
  if (!o || !(o.letter || o.position) || !(caseDoc.reached ?? []).includes('offer') || !inStages(stage ?? 'draft', PLANNING_STAGES)) return undefined;
  // Once accepted, the case's planned start is the plan (the acceptance set it to the offer's day):
  // when HR has moved it since, the box shows that day, when it changed and what the offer said, so
  // the page never shows the old day beside procedures counted from the new one. Before the answer
  // the offer's day is what is offered (accepting it makes it the start again).
  const planned = caseDoc.profile?.plannedArrival ?? undefined;
  const moved = stage !== 'offer' && planned && (!o.startOn || vnDateKey(planned) !== vnDateKey(o.startOn)) ? { on: planned, changedOn: startSource(caseDoc)?.at, offerSaid: o.startOn ?? o.start ?? undefined } : undefined;
  return {
    terms: OFFER_TERM_KEYS.map((k): { key: (typeof OFFER_TERM_KEYS)[number]; text: string; on?: Date; moved?: typeof moved } => ({ key: k, text: o[k] ?? '', ...(k === 'start' && moved ? { on: moved.on, moved } : k === 'start' && o.startOn ? { on: o.startOn } : {}) })),
    letterUrl: o.letter ? `/documents/${String(o.letter)}/download` : undefined,
    // "Sign it and upload the signed copy" only where the checklist has its place (walk 33).
    signedCopyUpload: signedOfferUploadable(call),
  };
}

/** What the application page shows: the case, its call, who wrote the messages, the documents, the actions open now. */
export async function loadApplication({ ctx, caseDoc, uploadMaxBytes }: { ctx: Context; caseDoc: CaseDoc; uploadMaxBytes?: number }) {
  const viewer = actorOf(ctx);
  const call = await shownCall(caseDoc.call);
  const [names, checklist, plan] = await Promise.all([peopleNames((caseDoc.messages ?? []).map((m) => m.author)), documentsChecklist(caseDoc, call, viewer, {}, undefined, { defaultMaxBytes: uploadMaxBytes, now: ctx.now }), casePlan({ caseDoc, now: ctx.now })]);
  const [procedures, contact] = await Promise.all([caseProcedures({ ctx, caseDoc, forApplicant: true }), contactBox(caseDoc.institute)]);
  // The open request's date with its working days left, as a procedure's ask shows them.
  const due = caseDoc.stage === 'awaiting_applicant' ? caseDoc.infoRequest?.dueAt : undefined;
  // By when HR acts next, where HR does (server/cases/next-step.ts): the stage's date, with its working days.
  const hrDue = hrDueForApplicant(caseDoc);
  // The offer's answer-by date (the offer stage's deadline, STAGE_DEADLINES.offer), said the same way.
  const offerDueAt = caseDoc.stage === 'offer' ? (caseDoc.stageDueAt ?? undefined) : undefined;
  // A document sent back is needed by the day its e-mail said (server/documents/verify.ts reuploadBy): the to-do says it too.
  const resendDays = resendItems(checklist).flatMap((i) => reuploadBy(caseDoc, i.type, ctx.now) ?? []);
  const resendDue = resendDays.length ? new Date(Math.min(...resendDays.map((d) => d.getTime()))) : undefined;
  // Held while they owed an answer: the request waits with the case (server/cases/held-request.ts).
  const heldDue = caseDoc.stage === 'on_hold' && caseDoc.resumeStage === 'awaiting_applicant' ? (caseDoc.infoRequest?.dueAt ?? undefined) : undefined;
  const calendar = due || hrDue || offerDueAt || resendDue || heldDue ? await loadCalendar() : undefined;
  const heldRequest = heldDue && calendar ? { dueAt: heldDue, left: answerDaysLeftAtHold(caseDoc, calendar) ?? answerDaysLeft(heldDue, ctx.now, calendar) } : undefined;
  const infoLeft = due && calendar ? deadlineLeft(tOf(ctx), calendar, ctx.now, due).text : undefined;
  const hrLeft = hrDue && calendar ? deadlineLeft(tOf(ctx), calendar, ctx.now, hrDue) : undefined;
  const offerLeft = offerDueAt && calendar ? deadlineLeft(tOf(ctx), calendar, ctx.now, offerDueAt).text : undefined;
  const resendBy = resendDue && calendar ? { date: resendDue, left: deadlineLeft(tOf(ctx), calendar, ctx.now, resendDue).text } : undefined;
  return { caseDoc, call, names: names as PeopleNames, checklist, plan, procedures, infoLeft, heldRequest, hrLeft, offerDueAt, offerLeft, resendBy, offer: offerForApplicant(caseDoc, call), contact, actions: availableActions(caseDoc, viewer) };
}
export type ApplicationData = Awaited<ReturnType<typeof loadApplication>>;

/** What a step page needs besides the case: the call, and (review) what is still missing. */
export async function loadStep({ ctx, caseDoc, step, missing }: { ctx: Context; caseDoc: CaseDoc; step: Step; missing?: MissingPart[] }) {
  const call = await Call.findById(caseDoc.call, { title: 1, track: 1, status: 1, opensAt: 1, closesAt: 1, checklist: 1 }).lean();
  const review = step === 'review';
  // The review step's two lists read the same current documents: once.
  const docs = review ? await currentDatedDocuments(caseDoc._id) : [];
  return {
    caseDoc,
    call,
    step,
    missing: review ? (missing ?? (await missingParts(caseDoc, call, ctx.locale, ctx.now, docs))) : undefined,
    documentWarnings: review ? await documentWarnings(caseDoc, ctx.now, docs) : undefined,
  };
}
export type StepData = Awaited<ReturnType<typeof loadStep>>;

/** A step's form as typed, for showing it again: values and rows of the repeatable sections. */
export interface StepInput {
  values?: Record<string, unknown>;
  rows?: Partial<Record<RowKind, Record<string, string>[]>>;
}

function parseStep(step: Exclude<Step, 'review'>, body: Body, caseDoc: CaseDoc, now: Date): StepInput & { errors: FieldErrors; set: Record<string, unknown> } {
  switch (step) {
    case 'profile':
      return parseProfile(body, now);
    case 'eligibility':
      return parseEligibility(body, caseDoc.track);
    case 'achievements':
      return parseAchievements(body, now);
    case 'dependants': {
      const r = parseDependants(body, now);
      return { ...r, rows: { dependants: r.rows } };
    }
    case 'support':
      return parseSupport(body, { citizen: vietnameseCitizen(caseDoc), foreignFamily: foreignFamily(caseDoc) });
  }
}

/**
 * Checks and writes one step's form, only while the case is still editable at that step. A form
 * with errors is answered with what was typed and the errors (keys), and nothing is written.
 */
export async function saveStep({ ctx, caseDoc, step, body }: { ctx: Context; caseDoc: CaseDoc; step: Exclude<Step, 'review'>; body: Body }): Promise<{ ok: true; caseDoc: CaseDoc } | ({ ok: false; errors: FieldErrors } & StepInput)> {
  const me = actorOf(ctx);
  if (!canEditStep(caseDoc.stage, step)) throw new ConflictError('applications.notEditable');
  const parsed = parseStep(step, body, caseDoc, ctx.now);
  // Every field of a step holds one value (steps.ts str): one sent twice is refused beside its box, not read as its first.
  const errors = { ...parsed.errors, ...repeatedFields(body, Object.keys(body)) };
  if (Object.keys(errors).length > 0) return { ok: false, errors, values: parsed.values, rows: parsed.rows };
  const stages = (Object.keys(EDITABLE) as Stage[]).filter((s) => canEditStep(s, step));
  // The audit event goes into the same update (server/cases/pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'case.application_saved', targetType: 'Case', summary: { step } });
  const updated = await Case.findOneAndUpdate(
    { _id: caseDoc._id, applicant: me._id, stage: { $in: stages } },
    { $set: parsed.set, $inc: { version: 1 }, $push: withPendingAudits([audit]) },
    { returnDocument: 'after', runValidators: true },
  );
  if (!updated) throw new ConflictError('applications.notEditable');
  await settleCaseAudits(caseDoc._id, [audit]);
  return { ok: true, caseDoc: updated };
}

export type SubmitOutcome = { outcome: 'submitted' | 'already_submitted' } | { outcome: 'incomplete'; missing: MissingPart[]; errors?: FieldErrors };

/** The applicant's own submit of this very version already went through (a second click, another tab). */
function ownSubmitOf(conflict: CaseConflictError, actor: UserRecord, expectedVersion: number): boolean {
  return conflict.change.last?.action === 'submit' && conflict.byActor(actor._id) && conflict.change.version === expectedVersion + 1;
}

/**
 * Submits the draft. The consent to keep data after an unsuccessful application is saved even when
 * something is still missing. A second submit of the same form (a double click) finds the case
 * already submitted by this applicant from that version: that is the success it asked for, not a
 * conflict. Any other change since the form was built is a CaseConflictError.
 */
export async function submitApplication(opts: { app: AppContext; ctx: Context; caseDoc: CaseDoc; expectedVersion: number; keepDataConsent: boolean }): Promise<SubmitOutcome> {
  const { app, ctx, caseDoc, expectedVersion } = opts;
  const me = actorOf(ctx);
  try {
    if (caseDoc.stage !== 'draft' || caseDoc.version !== expectedVersion) throw await conflictFrom(ctx, caseDoc);
    if (opts.keepDataConsent !== (caseDoc.keepDataConsent === true)) {
      await setKeepDataConsent({ ctx, caseId: caseDoc._id, granted: opts.keepDataConsent });
      caseDoc.keepDataConsent = opts.keepDataConsent;
    }
    const call = await Call.findById(caseDoc.call).lean();
    const missing = await missingParts(caseDoc, call, ctx.locale, ctx.now);
    if (missing.length > 0) return { outcome: 'incomplete', missing };
    try {
      await transition({ app, ctx, caseId: caseDoc._id, action: 'submit', expectedVersion });
    } catch (err) {
      if (err instanceof ValidationError) return { outcome: 'incomplete', missing, errors: err.fields };
      throw err;
    }
    return { outcome: 'submitted' };
  } catch (err) {
    if (err instanceof CaseConflictError && ownSubmitOf(err, me, expectedVersion)) return { outcome: 'already_submitted' };
    throw err;
  }
}

export type ApplicantAction = Extract<Action, 'answer_info' | 'accept_offer' | 'decline_offer' | 'withdraw'>;

/** One of the applicant's workflow steps on their own case (a payload or guard error is a ValidationError). */
export async function applicantAction(opts: { app: AppContext; ctx: Context; caseDoc: CaseDoc; action: ApplicantAction; expectedVersion: number; payload?: Record<string, unknown> }): Promise<CaseDoc> {
  return transition({ app: opts.app, ctx: opts.ctx, caseId: opts.caseDoc._id, action: opts.action, expectedVersion: opts.expectedVersion, payload: opts.payload });
}

/**
 * The applicant's answer to an information request. The same answer sent again from the same page
 * (a double tap, a resend over a slow network) finds it recorded from that version: it is the same
 * answer (`repeated`), not a conflict, and nothing is written or e-mailed twice. A different text
 * on that stale page is still a conflict (CaseConflictError): it was not sent.
 */
export async function answerInfoRequest(opts: { app: AppContext; ctx: Context; caseDoc: CaseDoc; expectedVersion: number; answer: string; documents?: string[] }): Promise<{ repeated: boolean }> {
  if (sameAnswer(opts.caseDoc, opts.expectedVersion, opts.answer)) return { repeated: true };
  try {
    // documents: the files just uploaded with it (server/applications/answer.ts), named on the request for HR.
    await transition({ app: opts.app, ctx: opts.ctx, caseId: opts.caseDoc._id, action: 'answer_info', expectedVersion: opts.expectedVersion, payload: { answer: opts.answer, ...(opts.documents?.length ? { documents: opts.documents } : {}) } });
    return { repeated: false };
  } catch (err) {
    // Both sends raced: the other one recorded it between this one's read and its write.
    if (err instanceof CaseConflictError) {
      const now = await Case.findById(opts.caseDoc._id, { infoRequest: 1 }).lean();
      if (now && sameAnswer(now, opts.expectedVersion, opts.answer)) return { repeated: true };
    }
    throw err;
  }
}

function sameAnswer(c: Pick<CaseDoc, 'infoRequest'>, version: number, answer: string): boolean {
  const r = c.infoRequest;
  return !!r?.answeredAt && r.answeredVersion === version && r.answer === answer.trim();
}
