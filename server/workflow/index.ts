// Applies one row of the transition table (./transitions.ts) to a case: authorize, validate,
// guard, then ONE atomic findOneAndUpdate matching { _id, stage, version } that moves the stage,
// appends the history event and pushes the e-mails owed (transactional outbox). A stale form or a
// second officer finds no match and gets a ConflictError naming who changed the case, and when.
import mongoose from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../deps.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { afterTransition, summarizeHistory } from '../../models/case-summary.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { nextSequence } from '../../models/counter.ts';
import { SUPPORT_KINDS, type Stage, type SupportKind } from '../../models/constants.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldErrors } from '../errors.ts';
import { canDecideCase, canWorkCase } from '../policies/case.ts';
import { sameId } from '../policies/index.ts';
import { translator, isLocale, DEFAULT_LOCALE, type Locale } from '../i18n/index.ts';
import { loadCalendar, vnDateKey, vnEndOfDay } from '../calendar/index.ts';
import { caseEmail, outboxKey, type OutboxItem } from '../outbox/item.ts';
import {
  ACTIONS,
  PAYLOADS,
  STAGE_DEADLINES,
  SUPPORT_TRACK_DEADLINES,
  TRANSITIONS,
  findTransition,
  isAction,
  rolesFor,
  type Action,
  type Transition,
} from './transitions.ts';

export { ACTIONS, TRANSITIONS, STAGE_DEADLINES, SUPPORT_TRACK_DEADLINES, isAction, WORKFLOW_TEMPLATES } from './transitions.ts';
export type { Action, Transition, Guard, GuardFailures } from './transitions.ts';

export interface ApplyTransitionInput {
  caseId: unknown;
  action: string;
  actor: UserDoc;
  /** The version the actor saw (hidden field on the form). */
  expectedVersion: number;
  payload?: Record<string, unknown>;
  requestId?: string;
  ip?: string;
}

type Actor = Pick<UserDoc, '_id' | 'role' | 'institute'> & { panelCalls?: unknown[]; locale?: string | null; name?: string };
type CaseLike = Pick<CaseDoc, 'applicant' | 'institute' | 'call' | 'stage'>;

function localeOf(u: { locale?: string | null } | null | undefined): Locale {
  return isLocale(u?.locale) ? u.locale : DEFAULT_LOCALE;
}

/** May this user take this row's action on this case (role and ownership)? Fails closed. */
function mayTake(t: Transition, c: CaseLike, user: Actor): boolean {
  if (!rolesFor(t).includes(user.role as never)) return false;
  switch (user.role) {
    case 'applicant':
      return sameId(user._id, c.applicant);
    case 'hr_officer':
      return canWorkCase(user, c);
    case 'leader':
      return canDecideCase(user, c);
    case 'admin':
      return true;
    default:
      return false;
  }
}

/** The actions this user may apply to the case now (for buttons); guards are checked on apply. */
export function availableActions(caseDoc: CaseLike, user: Actor | undefined | null): Action[] {
  if (!user) return [];
  const out = new Set<Action>();
  for (const t of TRANSITIONS) if (t.from.includes(caseDoc.stage as Stage) && mayTake(t, caseDoc, user)) out.add(t.action);
  return ACTIONS.filter((a) => out.has(a));
}

/** 'TA-YYYY-NNNNNN': a per-year sequence (year in Vietnam) from the counters collection. */
export async function nextCaseReference(now: Date): Promise<string> {
  const year = vnDateKey(now).slice(0, 4);
  const n = await nextSequence(`case-reference-${year}`);
  return `TA-${year}-${String(n).padStart(6, '0')}`;
}

function fieldErrors(issues: z.core.$ZodIssue[], locale: Locale): FieldErrors {
  const t = translator(locale);
  const known = new Set(['required', 'tooLong', 'tooMany', 'invalidDate', 'dueInPast']);
  const out: FieldErrors = {};
  for (const i of issues) {
    const field = String(i.path[0] ?? 'form');
    if (out[field]) continue;
    out[field] = t(`workflow.errors.${known.has(i.message) ? i.message : 'invalid'}`);
  }
  return out;
}

function formatWhen(d: Date | undefined | null, locale: Locale): string {
  if (!d) return '';
  return d.toLocaleString(locale === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Ho_Chi_Minh' });
}

/** A ConflictError telling the actor what happened to the case since they loaded it. */
async function conflictFor(caseId: unknown, actor: Actor): Promise<ConflictError | NotFoundError> {
  const current = await Case.findById(caseId, { stage: 1, version: 1, history: { $slice: -1 } }).lean();
  if (!current) return new NotFoundError();
  const locale = localeOf(actor);
  const t = translator(locale);
  const last = current.history?.[current.history.length - 1];
  const stage = t(`workflow.stages.${current.stage}`);
  if (!last) return new ConflictError('workflow.conflictNoHistory', { stage });
  const who = last.actor ? ((await User.findById(last.actor, { name: 1 }).lean())?.name ?? t('workflow.someone')) : t('workflow.someone');
  return new ConflictError('workflow.conflict', {
    who: sameId(last.actor, actor._id) ? t('workflow.you') : who,
    action: t(`workflow.actions.${last.action}`, { defaultValue: last.action }),
    when: formatWhen(last.at, locale),
    stage,
  });
}

function supportTracksFor(c: CaseDoc, now: Date, addWorkingDays: (d: Date, n: number) => Date) {
  const wanted: Record<SupportKind, boolean> = {
    work_permit: !!c.supportRequested?.workPermit,
    visa: !!c.supportRequested?.visa,
    residence_card: !!c.supportRequested?.residenceCard,
    housing: !!c.supportRequested?.housing,
    citizenship: !!c.supportRequested?.citizenship,
    // Started by HR when the expert is exempt (server/procedures), not asked for by the applicant.
    work_permit_exemption: false,
  };
  return SUPPORT_KINDS.map((kind) =>
    wanted[kind]
      ? { kind, status: 'requested', dueAt: vnEndOfDay(addWorkingDays(now, SUPPORT_TRACK_DEADLINES[kind])), updatedAt: now }
      : { kind, status: 'not_needed', updatedAt: now },
  );
}

export async function applyTransition(ctx: AppContext, input: ApplyTransitionInput): Promise<CaseDoc> {
  const { actor } = input;
  const now = ctx.now();
  const locale = localeOf(actor);
  if (!mongoose.isValidObjectId(input.caseId)) throw new NotFoundError();
  if (!isAction(input.action)) throw new BadRequestError('workflow.unknownAction');
  const action = input.action;
  const expectedVersion = Number(input.expectedVersion);
  if (!Number.isInteger(expectedVersion) || expectedVersion < 0) throw new BadRequestError('workflow.badVersion');

  const caseDoc = await Case.findById(input.caseId);
  if (!caseDoc) throw new NotFoundError();

  // Authorization first, whatever the stage: a wrong role or someone else's case is refused
  // before anything about the case's state is revealed.
  const rows = TRANSITIONS.filter((t) => t.action === action);
  if (!rows.some((t) => mayTake(t, caseDoc, actor))) throw new ForbiddenError('workflow.forbidden');

  const from = caseDoc.stage as Stage;
  const row = findTransition(action, from);
  if (!row || caseDoc.version !== expectedVersion) {
    // The form was built for another version: someone changed the case meanwhile.
    if (caseDoc.version !== expectedVersion) throw await conflictFor(caseDoc._id, actor);
    throw new BadRequestError('workflow.notAllowedNow');
  }
  if (!mayTake(row, caseDoc, actor)) throw new ForbiddenError('workflow.forbidden');

  const schema = row.payload ?? PAYLOADS.note;
  const parsed = schema.safeParse(input.payload ?? {});
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error.issues, locale));
  const payload = parsed.data as Record<string, unknown>;
  if (action === 'request_info' && (payload.dueAt as Date).getTime() <= now.getTime()) {
    throw new ValidationError({ dueAt: translator(locale)('workflow.errors.dueInPast') });
  }

  const call = await Call.findById(caseDoc.call);
  if (row.guard) {
    const unmet = await row.guard({ caseDoc, call, now, locale });
    if (unmet) {
      const t = translator(locale);
      throw new ValidationError(Object.fromEntries(Object.entries(unmet).map(([k, v]) => [k, typeof v === 'string' ? t(v) : t(v.key, v.params ?? {})])), 'workflow.guardFailed');
    }
  }

  // Where the case goes and the deadline of its new stage.
  const calendar = await loadCalendar();
  let to: Stage;
  if (row.to === 'resume') {
    to = (caseDoc.resumeStage as Stage | undefined) ?? 'screening';
  } else to = row.to;
  let stageDueAt: Date | undefined;
  if (action === 'request_info') stageDueAt = payload.dueAt as Date;
  else if (row.to === 'resume' && to === 'awaiting_applicant' && caseDoc.infoRequest?.dueAt && caseDoc.infoRequest.dueAt > now) stageDueAt = caseDoc.infoRequest.dueAt;
  else {
    const days = row.to === 'resume' ? STAGE_DEADLINES[to] : row.deadline?.workingDays;
    if (days !== undefined) stageDueAt = vnEndOfDay(calendar.addWorkingDays(now, days));
  }

  const set: Record<string, unknown> = { stage: to, stageEnteredAt: now };
  const unset: Record<string, ''> = {};
  if (stageDueAt) set.stageDueAt = stageDueAt;
  else unset.stageDueAt = '';
  let note: string | undefined = typeof payload.note === 'string' ? payload.note : undefined;
  switch (action) {
    case 'submit':
      set.submittedAt = now;
      break;
    case 'request_info':
      set.infoRequest = { items: payload.items, dueAt: payload.dueAt, requestedAt: now, requestedBy: actor._id };
      note = (payload.items as string[]).join('\n');
      break;
    case 'answer_info':
      set['infoRequest.answer'] = payload.answer;
      set['infoRequest.answeredAt'] = now;
      note = String(payload.answer).slice(0, 5000);
      break;
    case 'reject':
      set.decision = { reason: payload.reason, decidedBy: actor._id, decidedAt: now };
      note = String(payload.reason);
      break;
    case 'approve_offer':
      set.decision = { reason: note, decidedBy: actor._id, decidedAt: now };
      break;
    case 'accept_offer':
      set.supportTracks = supportTracksFor(caseDoc, now, (d, n) => calendar.addWorkingDays(d, n));
      break;
    case 'mark_arrived':
      set.arrivedAt = now;
      break;
    case 'put_on_hold':
      set.resumeStage = from;
      note = typeof payload.reason === 'string' ? payload.reason : undefined;
      break;
    case 'resume':
      unset.resumeStage = '';
      break;
    default:
      break;
  }

  // The e-mails this step owes, keyed by case and new version so a retry is the same message.
  const outbox: OutboxItem[] = [];
  if (row.template) {
    const recipient = row.notify === 'assignee' ? (caseDoc.assignee ? await User.findById(caseDoc.assignee) : null) : await User.findById(caseDoc.applicant);
    if (recipient && !recipient.disabledAt) {
      const base = ctx.config.appUrl;
      const link = row.notify === 'assignee' ? `${base}/cases/${caseDoc._id}` : `${base}/applications/${caseDoc._id}`;
      const data: Record<string, unknown> = {
        reference: caseDoc.reference,
        caseId: String(caseDoc._id),
        link,
        name: recipient.name,
        applicantName: caseDoc.profile?.fullName ?? '',
        callTitle: call ? { vi: call.title?.vi, en: call.title?.en } : undefined,
        action,
        from,
        to,
        dueAt: stageDueAt,
      };
      if (action === 'request_info') data.items = payload.items;
      if (action === 'reject') data.reason = payload.reason;
      if (action === 'put_on_hold' && payload.reason) data.reason = payload.reason;
      if (action === 'accept_offer') data.supportTracks = (set.supportTracks as Array<{ kind: string; status: string; dueAt?: Date }>).filter((s) => s.status === 'requested');
      outbox.push(caseEmail({ email: recipient.email, locale: recipient.locale }, row.template, data, outboxKey(String(caseDoc._id), expectedVersion + 1, row.template), now));
    }
  }

  const history = { at: now, actor: actor._id, actorRole: actor.role, action, from, to, note };
  // The dashboard's derived figures move in the same update (from the history when a case has none yet).
  const prior = caseDoc.reached?.length ? { reached: [...caseDoc.reached], stays: [...(caseDoc.stays ?? [])] } : summarizeHistory(caseDoc.history ?? [], from);
  const summary = afterTransition(prior, from, caseDoc.stageEnteredAt, to, now);
  set.reached = summary.reached;
  set.stays = summary.stays;
  const update: Record<string, unknown> = {
    $set: set,
    $inc: { version: 1 },
    $push: { history, ...(outbox.length ? { outbox: { $each: outbox } } : {}) },
  };
  if (Object.keys(unset).length) update.$unset = unset;

  const updated = await Case.findOneAndUpdate({ _id: caseDoc._id, stage: from, version: expectedVersion }, update, { returnDocument: 'after' });
  if (!updated) throw await conflictFor(caseDoc._id, actor);

  await AuditEvent.create({
    at: now,
    actor: actor._id,
    actorRole: actor.role,
    action: 'case.transition',
    targetType: 'case',
    targetId: String(caseDoc._id),
    summary: { action, from, to, version: updated.version, reference: caseDoc.reference },
    ip: input.ip,
    requestId: input.requestId,
  });
  return updated;
}
