// Staff work on a case that is not a stage change: internal notes, messages with the applicant
// (an e-mail goes out through the case's outbox in the same update, to the applicant or to HR), assignment, bulk assignment,
// and returning to the queue the cases of someone who can no longer work on them. Stage changes go
// through server/workflow only.
import { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { ACTIVE_STAGES, OPEN_STAGES, type UnassignReason } from '../../models/constants.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { ConflictError, ForbiddenError, ValidationError } from '../errors.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from './pending-audit.ts';
import { caseEmail, outboxKey } from '../outbox/item.ts';
import { sameId } from '../policies/index.ts';
import { prepareNoteMentions, type MentionOutcome } from '../mentions/service.ts';
import { emailsToHr, officersToTell } from '../institutes/hr-staff.ts';
import { digestEntry, dropAnsweredDigest, hrMailState, likelyPlan, messageMailPlans, MESSAGE_TEMPLATE, windowEnd, type MessageMailPlan } from './message-digest.ts';
import { isId } from '../support/object-id.js';

/** The condition that adds a form's entry to `list` once (server/http/form-key.ts); none without a key. */
function notYetAdded(list: 'notes' | 'messages', formKey: string | undefined): Record<string, unknown> {
  return formKey ? { [`${list}.formKey`]: { $ne: formKey } } : {};
}

/** Whether an update matched nothing because this form's entry is already in `list` (a resent form). */
async function alreadyAdded(caseId: unknown, list: 'notes' | 'messages', formKey: string | undefined): Promise<boolean> {
  return !!formKey && !!(await Case.exists({ _id: caseId, [`${list}.formKey`]: formKey }));
}

/** An internal note; colleagues named with @ (server/mentions) get their e-mails in the same update as the note. */
export async function addNote({ app, ctx, caseDoc, text, formKey }: { app: Pick<AppContext, 'config'>; ctx: Context; caseDoc: CaseDoc; text: string; formKey?: string }): Promise<MentionOutcome> {
  const actor = actorOf(ctx);
  const note = { _id: new Types.ObjectId(), at: ctx.now, author: actor._id, text, ...(formKey ? { formKey } : {}) };
  const mentions = await prepareNoteMentions({ app, ctx, caseDoc, note });
  // The audit event rides in the note's own update (./pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'case.note_added', summary: { length: text.length } });
  const res = await Case.updateOne({ _id: caseDoc._id, ...notYetAdded('notes', formKey) }, { $push: { notes: note, ...mentions.push, ...withPendingAudits([audit]) } });
  if (res.matchedCount !== 1 && (await alreadyAdded(caseDoc._id, 'notes', formKey))) return mentions.outcome;
  if (res.matchedCount !== 1) throw new ConflictError('cases.conflict.generic');
  await settleCaseAudits(caseDoc._id, [audit]);
  return mentions.outcome;
}

/** Who in HR an applicant's message was e-mailed to: the case's officer, the HR office (no officer has the case: its lead(s), a few officers, its HR e-mail or the administrators, hrOfficeToTell), or no one (none to tell). */
export type MessageToldTo = 'officer' | 'hrOffice' | 'nobody';

/**
 * How many messages one case keeps. A case is one MongoDB document (16 MB at most: past it every
 * write to the case fails, the officer's too), and a message is up to 5,000 characters (about
 * 15 KB in Vietnamese) plus the e-mail it owes. The applicant's own messages stop at
 * APPLICANT_MESSAGES_PER_CASE: far above a real conversation (a few a week, even over a year of
 * citizenship procedures), far below what the hourly limit (20) lets one account reach in a week;
 * past it they are asked to write to the HR office by e-mail. Staff's messages are not counted
 * against the applicant's: the cap must not stop HR answering, and staff are not the flood. Every
 * message stops at MESSAGES_PER_CASE, about 7 MB of text at most, so the case stays writable.
 */
export const APPLICANT_MESSAGES_PER_CASE = 300;
export const MESSAGES_PER_CASE = 1000;

/** Why the case takes no more messages from this author: `applicant` (theirs are at the cap), `case` (the case's are), or undefined. */
export function messageCapReached(caseDoc: { messages?: ReadonlyArray<{ fromApplicant?: boolean | null; formKey?: string | null }> | null }, fromApplicant: boolean, formKey?: string): 'applicant' | 'case' | undefined {
  const messages = caseDoc.messages ?? [];
  // The same form sent again (a double submit of the message that reached the cap) is answered as the first was.
  if (formKey && messages.some((m) => m.formKey === formKey)) return undefined;
  if (messages.length >= MESSAGES_PER_CASE) return 'case';
  if (fromApplicant && messages.filter((m) => m.fromApplicant).length >= APPLICANT_MESSAGES_PER_CASE) return 'applicant';
  return undefined;
}

const excerptOf = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/**
 * Adds a message to the case's thread. A message from staff owes the applicant an e-mail; one from
 * the applicant owes HR one: the case's officer, else the institute's HR office (officersToTell: its
 * lead(s), else a few officers, its HR e-mail or the administrators), so what the applicant writes
 * reaches someone.
 * The e-mails are pushed into the outbox in the same update as the message, so one never exists
 * without the other; each key names the message (and a fallback reader). HR's e-mail is one per
 * message after a quiet period; messages soon after it are gathered into one (./message-digest.ts).
 */
export async function postMessage({ app, ctx, caseDoc, text, formKey, seenMessage }: { app: AppContext; ctx: Context; caseDoc: CaseDoc; text: string; formKey?: string; seenMessage?: unknown }): Promise<{ mailedTo?: string; toldTo?: MessageToldTo; gathered?: boolean }> {
  const author = actorOf(ctx);
  const now = ctx.now;
  const fromApplicant = sameId(author._id, caseDoc.applicant);
  const messageId = new Types.ObjectId();
  const caseId = String(caseDoc._id);
  let mailedTo: string | undefined;
  let toldTo: MessageToldTo | undefined;
  let plans: MessageMailPlan[] | undefined;
  const push: Record<string, unknown> = { messages: { _id: messageId, at: now, author: author._id, fromApplicant, text, ...(formKey ? { formKey } : {}) } };
  if (!fromApplicant) {
    const applicant = await User.findById(caseDoc.applicant, { email: 1, locale: 1, name: 1, disabledAt: 1 }).lean();
    if (applicant && !applicant.disabledAt) {
      const data = {
        reference: caseDoc.reference,
        caseId,
        link: `${app.config.appUrl}/applications/${caseId}#messages`,
        name: applicant.name,
        excerpt: excerptOf(text),
      };
      mailedTo = applicant.email;
      push.outbox = caseEmail({ email: applicant.email, locale: applicant.locale }, 'message_received', data, outboxKey(caseId, 'message', String(messageId)), now);
    }
  } else {
    const told = await officersToTell(caseDoc);
    const data = { reference: caseDoc.reference, caseId, link: `${app.config.appUrl}/cases/${caseId}#messages`, applicantName: caseDoc.profile?.fullName ?? '' };
    const items = emailsToHr(told, MESSAGE_TEMPLATE, [caseId, 'message', String(messageId)], (officer) => ({ ...data, name: officer.name, excerpt: excerptOf(text) }), now);
    toldTo = items.length === 0 ? 'nobody' : told.fallback ? 'hrOffice' : 'officer';
    // Within the window of an e-mail about the messages, the message waits for the digest (./message-digest.ts).
    if (items.length && app.config.messageDigestMs > 0) {
      const windowMs = app.config.messageDigestMs;
      const state = await hrMailState(caseDoc._id);
      const first = likelyPlan(state, now, windowMs);
      plans = messageMailPlans({ caseId, messageId, now, windowMs, dueAt: windowEnd(state, now, windowMs), prompt: items, entry: digestEntry(now, text, messageId), data, told }).sort((a, b) => Number(b.kind === first) - Number(a.kind === first));
    } else if (items.length) push.outbox = { $each: items };
  }
  // Messages are not offered on drafts (no one reads them yet) or after the case has ended.
  // The same form sent again adds nothing and owes no second e-mail.
  const audit = caseAudit(ctx, { action: 'case.message_posted', summary: { fromApplicant, length: text.length, ...(toldTo ? { toldTo } : {}) } });
  // The total cap is also in the update's condition: messages sent at the same moment never pass it
  // (the routes refuse one past either cap first, with the form kept: messageCapReached).
  const writable = { _id: caseDoc._id, stage: { $in: ACTIVE_STAGES }, [`messages.${MESSAGES_PER_CASE - 1}`]: { $exists: false }, ...notYetAdded('messages', formKey) };
  const write = (plan?: MessageMailPlan) =>
    Case.updateOne({ ...writable, ...plan?.filter }, { $push: { ...push, ...plan?.push, ...withPendingAudits([audit]) } }, plan?.arrayFilters ? { arrayFilters: plan.arrayFilters } : {});
  let res = plans ? { matchedCount: 0 } : await write();
  let gathered: boolean | undefined;
  // Each plan's condition is checked by its write; another message written in between can change
  // which one holds, so a round that matched none is tried again while the case still takes messages.
  for (let round = 0; plans && res.matchedCount !== 1 && round < 5; round++) {
    for (const plan of plans) {
      res = await write(plan);
      gathered = plan.kind !== 'prompt';
      if (res.matchedCount === 1) break;
    }
    if (res.matchedCount !== 1 && !(await Case.exists(writable))) break;
  }
  if (res.matchedCount !== 1 && (await alreadyAdded(caseDoc._id, 'messages', formKey))) return { mailedTo, toldTo };
  if (res.matchedCount !== 1 && (await Case.exists({ _id: caseDoc._id, [`messages.${MESSAGES_PER_CASE - 1}`]: { $exists: true } }))) throw new ConflictError('cases.conflict.messagesFull');
  if (res.matchedCount !== 1) throw new ConflictError('cases.conflict.messagesClosed');
  await settleCaseAudits(caseDoc._id, [audit]);
  // Staff answered: the applicant's messages gathering for HR's next e-mail that their page showed
  // (`seenMessage`, the newest it listed) are answered; any newer one stays (./message-digest.ts).
  if (!fromApplicant) await dropAnsweredDigest(caseDoc._id, seenMessage);
  return { mailedTo, toldTo, ...(gathered ? { gathered } : {}) };
}

/** An HR officer of this institute who may be given cases, or undefined. */
async function assignableOfficer(id: string, institute: unknown): Promise<UserDoc | null> {
  if (!isId(id)) return null;
  return (await User.findOne({ _id: id, role: 'hr_officer', institute: institute as never, disabledAt: null })) as UserDoc | null;
}

/** What an assignment did: who has the case now, and whether anything was written. */
export interface AssignOutcome {
  changed: boolean;
  /** The officer who has the case now; undefined when it is unassigned. */
  assignee?: { id: string; name: string };
}

/**
 * Sets or clears (empty id) the case's assignee. Appends a history event; the version stays.
 * Choosing the officer it already has (or clearing an unassigned case) writes nothing: no history
 * entry, no audit event, and the answer says so.
 */
export async function assignCase({ ctx, caseDoc, assigneeId }: { ctx: Context; caseDoc: CaseDoc; assigneeId: string }): Promise<AssignOutcome> {
  const actor = actorOf(ctx);
  const now = ctx.now;
  const t = tOf(ctx);
  let officer: UserDoc | null = null;
  if (assigneeId) {
    officer = await assignableOfficer(assigneeId, caseDoc.institute);
    if (!officer) throw new ValidationError({ assignee: t('cases.errors.assignee') });
  }
  const assignee = officer ? { id: String(officer._id), name: officer.name } : undefined;
  const history = { at: now, actor: actor._id, actorRole: actor.role, action: officer ? 'assign' : 'unassign', note: officer?.name };
  const audit = caseAudit(ctx, { action: 'case.assign', summary: { assignee: officer ? String(officer._id) : null } });
  const push = { history, ...withPendingAudits([audit]) };
  const update = officer ? { $set: { assignee: officer._id }, $push: push } : { $unset: { assignee: '' }, $push: push };
  // Only a case whose assignee changes is written (the condition is checked by the write, not before it).
  const unchanged = { assignee: officer ? officer._id : null };
  const res = await Case.updateOne({ _id: caseDoc._id, stage: { $ne: 'draft' }, assignee: { $ne: unchanged.assignee } }, update);
  if (res.matchedCount !== 1) {
    if (await Case.exists({ _id: caseDoc._id, stage: { $ne: 'draft' }, ...unchanged })) return { changed: false, assignee };
    throw new ConflictError('cases.conflict.generic');
  }
  await settleCaseAudits(caseDoc._id, [audit]);
  return { changed: true, assignee };
}

/** What a bulk assignment did: cases given to the officer, cases already theirs (left as they were), cases refused. */
export interface BulkAssignOutcome {
  assigned: number;
  already: number;
  skipped: number;
  assignee: { id: string; name: string };
}

/**
 * Assigns many cases at once. Only cases the actor may work on are touched (the filter itself
 * carries the institute), and only to an officer of the same institute; the rest are skipped.
 * A case the officer already has is left as it was: no history entry, and it is not counted as assigned.
 */
export async function bulkAssign({ ctx, caseIds, assigneeId }: { ctx: Context; caseIds: string[]; assigneeId: string }): Promise<BulkAssignOutcome> {
  const actor = actorOf(ctx);
  const now = ctx.now;
  const t = tOf(ctx);
  if (actor.role !== 'hr_officer' && actor.role !== 'admin') throw new ForbiddenError();
  const ids = [...new Set(caseIds)].filter(isId).map((id) => new Types.ObjectId(id));
  if (ids.length === 0) throw new ValidationError({ ids: t('cases.errors.noneSelected') });
  if (!isId(assigneeId)) throw new ValidationError({ assignee: t('cases.errors.assignee') });
  const officer = await User.findOne({ _id: assigneeId, role: 'hr_officer', disabledAt: null });
  if (!officer || !officer.institute) throw new ValidationError({ assignee: t('cases.errors.assignee') });
  if (actor.role === 'hr_officer' && !sameId(actor.institute, officer.institute)) throw new ValidationError({ assignee: t('cases.errors.assignee') });
  const institute = actor.role === 'admin' ? officer.institute : actor.institute;
  const history = { at: now, actor: actor._id, actorRole: actor.role, action: 'assign', note: officer.name };
  const scope = { _id: { $in: ids }, institute, stage: { $ne: 'draft' as const } };
  // One event for the whole assignment, pushed on every case the write changes (./pending-audit.ts):
  // recorded once under its id, with the counts known only after the write; the repair of a stopped
  // process records it without them (from whichever case it finds it on first).
  const audit = caseAudit(ctx, { action: 'case.bulk_assign', targetId: ids.map(String).join(',').slice(0, 1000), summary: { assignee: String(officer._id), requested: ids.length } });
  const res = await Case.updateMany({ ...scope, assignee: { $ne: officer._id } }, { $set: { assignee: officer._id }, $push: { history, ...withPendingAudits([audit]) } });
  // Counted after the write: the officer's cases among those selected, less those this write gave them.
  const already = Math.max(0, (await Case.countDocuments({ ...scope, assignee: officer._id })) - res.modifiedCount);
  const assigned = res.modifiedCount;
  if (assigned > 0) await settleCaseAudits(ids, [audit], { assigned, already });
  return { assigned, already, skipped: Math.max(0, ids.length - assigned - already), assignee: { id: String(officer._id), name: officer.name } };
}

/** Whose open cases go back to the queue: every one assigned to them, or every one but `keepInstitute`'s. */
export interface CasesLeaving {
  assignee: Types.ObjectId;
  /** An institute whose cases they can still work on (an HR officer moved there, or staying). */
  keepInstitute?: string;
}

function casesLeavingFilter({ assignee, keepInstitute }: CasesLeaving): Record<string, unknown> {
  return { assignee, stage: { $in: OPEN_STAGES }, ...(keepInstitute ? { institute: { $ne: new Types.ObjectId(keepInstitute) } } : {}) };
}

/** How many cases returnCasesToQueue would send back now (for a confirmation page: the same filter). */
export function countCasesLeaving(who: CasesLeaving): Promise<number> {
  return Case.countDocuments(casesLeavingFilter(who));
}

/**
 * Sends back to the queue, unassigned, the open cases of someone who can no longer work on them
 * (their role or institute changed, their account was disabled), so no case keeps an owner who
 * cannot open it. One update carrying the same conditions as countCasesLeaving leaves none behind;
 * each case's history gets an `unassign` entry saying why (`unassign`: a reason and the person's name,
 * worded by the presenters in each reader's language), the workflow version stays, and
 * the institute's officers see them among the unassigned. Returns how many were sent back: the
 * caller's audit event records it. With no transaction, a crash between the caller's write and this
 * one leaves these cases assigned: the repair job (server/cases/stranded.ts) then calls this with a
 * system context (no actor: the entry is the system's, as an escalation's is).
 */
export async function returnCasesToQueue({ ctx, reason, name, ...who }: CasesLeaving & { ctx: Context; reason: UnassignReason; name: string }): Promise<number> {
  const by = ctx.actor ? { actor: ctx.actor._id, actorRole: ctx.actor.role } : { actorRole: 'system' };
  const history = { at: ctx.now, ...by, action: 'unassign', unassign: { reason, name } };
  const res = await Case.updateMany(casesLeavingFilter(who), { $unset: { assignee: '' }, $push: { history } });
  return res.modifiedCount;
}
