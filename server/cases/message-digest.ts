// HR hears of an applicant's messages in one e-mail, not one per message. The first message after a
// quiet period is e-mailed at once (applicant_message, as before); messages written while an e-mail
// to HR about this case's messages waits, or within `config.messageDigestMs` of one being sent, are
// gathered into one e-mail (applicant_message_digest) sent when that window ends: at most one e-mail
// per window, and no message waits longer than the window.
//
// The gathering e-mail is an outbox item of the case (DESIGN.md §6), written in the same update as the
// message that opens it; later messages join it in their own update (its `data.messages`). So a restart
// loses nothing, and it is sent once (its key is its Message-ID; the dispatcher's lease keeps a second
// process away). Who reads it is decided when it is sent (addressDigest), not when it was opened: an
// officer assigned, or the case returned to the queue, meanwhile is who hears of it.
//
// Only plain messages are gathered. Answers to HR's requests (info_answered, procedure_ask_replied)
// restart a working-day deadline HR is waiting on, offer answers and withdrawals are decisions: each
// keeps its own prompt e-mail and never waits behind a digest.
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { storedId } from '../support/lean-read.ts';
import { emailsToHr, officersToTell, type HrRecipient, type HrOfficeRoute } from '../institutes/hr-staff.ts';
import type { OutboxItem } from '../outbox/item.ts';

export const MESSAGE_TEMPLATE = 'applicant_message';
export const DIGEST_TEMPLATE = 'applicant_message_digest';
/** E-mails to HR about the applicant's messages: either opens or extends the window. */
const HR_MESSAGE_TEMPLATES = [MESSAGE_TEMPLATE, DIGEST_TEMPLATE];

/** How much of each message a digest quotes (the case page has the rest); 20 an hour keeps it bounded. */
const DIGEST_EXCERPT = 1000;

/** One message as the digest lists it; `id` is the message's (a reply drops those its officer saw, dropAnsweredDigest). */
export interface DigestEntry {
  id?: string;
  at: Date;
  text: string;
}

export function digestEntry(at: Date, text: string, id?: Types.ObjectId): DigestEntry {
  return { ...(id ? { id: String(id) } : {}), at, text: text.length > DIGEST_EXCERPT ? `${text.slice(0, DIGEST_EXCERPT)}…` : text };
}

/** An HR e-mail about the messages waiting, or sent within the window: a new message is gathered. */
function recentMail(now: Date, windowMs: number): Record<string, unknown> {
  return { template: { $in: HR_MESSAGE_TEMPLATES }, $or: [{ status: 'pending' }, { status: 'sent', sentAt: { $gt: new Date(now.getTime() - windowMs) } }] };
}

/**
 * A digest still gathering: waiting, not held by a dispatcher (one claimed is being sent, and what it
 * lists is fixed), never tried (a failed send is tried again with the same list: a message joining it
 * then would reach the readers who already had their own copy a second time; it opens the next digest
 * instead), and not one of the copies made for each reader of the HR office (addressDigest).
 */
const OPEN_DIGEST = { template: DIGEST_TEMPLATE, status: 'pending', leaseOwner: null, lastAttemptAt: null, 'data.fannedOut': { $ne: true } };
/** OPEN_DIGEST as the arrayFilters of an update name it (`d`). */
const OPEN_DIGEST_FILTER = Object.fromEntries(Object.entries(OPEN_DIGEST).map(([path, value]) => [`d.${path}`, value]));

/**
 * HR has answered on the case: the messages gathering for HR's next e-mail that the officer could
 * have read when they wrote (those up to `seenMessage`, the newest message their page showed, sent
 * back with the reply form) are answered, and leave the digest; one left empty is dropped, not sent.
 * It used to reach the officer minutes after their reply, asking them to answer what they had just
 * answered (walk-staff #12); but it also took with it a message that came after their page was
 * opened, which then reached HR by no e-mail (trust-fix #3). A missing, stale or hostile value (not
 * an id of this case's messages) drops nothing: an e-mail too many, never a message unheard of.
 * A digest already claimed by a dispatcher (or tried) is being sent with its list fixed, and stays.
 */
export async function dropAnsweredDigest(caseId: unknown, seenMessage: unknown): Promise<void> {
  const seenId = storedId(seenMessage);
  if (!seenId) return;
  const doc = await Case.findById(caseId, { 'messages._id': 1 }).lean();
  const ids = (doc?.messages ?? []).map((m) => String(m._id));
  const upTo = ids.indexOf(String(seenId));
  if (upTo < 0) return;
  const seen = ids.slice(0, upTo + 1);
  await Case.updateOne({ _id: caseId, outbox: { $elemMatch: OPEN_DIGEST } }, { $pull: { 'outbox.$[d].data.messages': { id: { $in: seen } } } }, { arrayFilters: [OPEN_DIGEST_FILTER], timestamps: false });
  // A message written between the two updates joins the digest, which then is not empty and stays;
  // one claimed between them is found empty by its dispatcher (addressDigest) and dropped there.
  const empty = { ...OPEN_DIGEST, 'data.messages': { $size: 0 } };
  await Case.updateOne({ _id: caseId, outbox: { $elemMatch: empty } }, { $pull: { outbox: empty } }, { timestamps: false });
}

/** When a digest opened now is sent: the window after the newest HR e-mail about the messages (its send, or the time it is due). */
export function windowEnd(outbox: ReadonlyArray<{ template: string; status: string; sentAt?: Date | null; nextAttemptAt?: Date | null }>, now: Date, windowMs: number): Date {
  let last = 0;
  for (const i of outbox) {
    if (!HR_MESSAGE_TEMPLATES.includes(i.template) || i.status === 'dead') continue;
    const at = (i.status === 'sent' ? i.sentAt : i.nextAttemptAt)?.getTime() ?? 0;
    last = Math.max(last, at);
  }
  return new Date(Math.max(now.getTime(), (last || now.getTime()) + windowMs));
}

/** One way the message's e-mail is written: the condition that makes it the right one, and what goes with the message. */
export interface MessageMailPlan {
  kind: 'prompt' | 'join' | 'open';
  filter: Record<string, unknown>;
  push: Record<string, unknown>;
  arrayFilters?: Record<string, unknown>[];
}

/**
 * The three ways an applicant's message reaches HR, each guarded by a condition the write itself
 * checks (they exclude one another, so two messages at the same moment cannot both open a digest):
 * `prompt` (no HR e-mail about the messages waits or went within the window: e-mails now), `join`
 * (a digest is gathering: the message is added to it), `open` (one waits or went recently, and no
 * digest gathers: one is opened, due when the window ends).
 */
export function messageMailPlans(opts: {
  caseId: string;
  messageId: Types.ObjectId;
  now: Date;
  windowMs: number;
  dueAt: Date;
  prompt: OutboxItem[];
  entry: DigestEntry;
  data: Record<string, unknown>;
  told: { officers: readonly HrRecipient[]; fallback: boolean; route?: HrOfficeRoute };
}): MessageMailPlan[] {
  const recent = recentMail(opts.now, opts.windowMs);
  // The digest is addressed again when sent; the reader named now only fills the required fields.
  const [holder] = emailsToHr({ ...opts.told, officers: opts.told.officers.slice(0, 1) }, DIGEST_TEMPLATE, [opts.caseId, 'messages', String(opts.messageId)], (o) => ({ ...opts.data, name: o.name, messages: [opts.entry] }), opts.now);
  return [
    { kind: 'prompt', filter: { $nor: [{ outbox: { $elemMatch: recent } }] }, push: { outbox: { $each: opts.prompt } } },
    {
      kind: 'join',
      filter: { outbox: { $elemMatch: OPEN_DIGEST } },
      // arrayFilters rather than `outbox.$`: the condition on `messages` (a resent form) is on another array.
      // At most one digest gathers: one that was being sent (or tried) no longer does (OPEN_DIGEST).
      push: { 'outbox.$[d].data.messages': opts.entry },
      arrayFilters: [OPEN_DIGEST_FILTER],
    },
    { kind: 'open', filter: { outbox: { $elemMatch: recent }, $nor: [{ outbox: { $elemMatch: OPEN_DIGEST } }] }, push: { outbox: { ...holder!, nextAttemptAt: opts.dueAt } } },
  ];
}

/** What the case's outbox says of its e-mails to HR about the messages. */
export type HrMailState = Array<{ template: string; status: string; sentAt?: Date | null; nextAttemptAt?: Date | null; lastAttemptAt?: Date | null; leaseOwner?: string | null; data?: { fannedOut?: boolean } }>;

/** The fields a digest's window needs, read fresh (the page's copy of the case may be minutes old). */
export async function hrMailState(caseId: unknown): Promise<HrMailState> {
  const doc = await Case.findById(caseId, { 'outbox.template': 1, 'outbox.status': 1, 'outbox.sentAt': 1, 'outbox.nextAttemptAt': 1, 'outbox.lastAttemptAt': 1, 'outbox.leaseOwner': 1, 'outbox.data.fannedOut': 1 }).lean();
  return (doc?.outbox ?? []) as HrMailState;
}

/** The plan the state read says will hold, tried first (the others only when a message written meanwhile changed it). */
export function likelyPlan(state: HrMailState, now: Date, windowMs: number): MessageMailPlan['kind'] {
  const mine = state.filter((i) => HR_MESSAGE_TEMPLATES.includes(i.template));
  if (mine.some((i) => i.template === DIGEST_TEMPLATE && i.status === 'pending' && !i.leaseOwner && !i.lastAttemptAt && i.data?.fannedOut !== true)) return 'join';
  if (mine.some((i) => i.status === 'pending' || (i.status === 'sent' && (i.sentAt?.getTime() ?? 0) > now.getTime() - windowMs))) return 'open';
  return 'prompt';
}

/** A claimed digest not yet addressed to its readers (a copy made for one reader of the HR office is). */
export function needsAddressing(item: { template: string; data: Record<string, unknown> }): boolean {
  return item.template === DIGEST_TEMPLATE && item.data.fannedOut !== true;
}

/**
 * Addresses a claimed digest to whoever is to be told now (officersToTell): the case's officer, else
 * the HR office. The claimed item goes to one reader (its key, so a retry is the same Message-ID);
 * each further reader of the HR office gets a copy with their own key, written once (a dispatcher
 * taking over after a crash, or a restarted one, finds them there). What a digest lists is fixed once
 * it is claimed (OPEN_DIGEST), so every copy and every attempt lists the same messages, and a reader
 * is given one only if no copy of this digest is theirs already: each message reaches each reader
 * once, however many attempts the claimed item needs (it once made, at a retry, a further copy listing
 * again what the reader's first copy had). The claimed item goes to a reader with no copy, the one it
 * was last addressed to first (a send cut short is sent again to them, with the same Message-ID).
 * `lost`: the claim is no longer ours, or the digest lists nothing (all answered: dropped);
 * `nobody`: no one in HR can be told; `covered`: every reader has these messages in their own copy.
 */
export async function addressDigest(item: { caseId: Types.ObjectId; key: string; token: string; to?: string; data: Record<string, unknown> }, now: Date): Promise<{ to: string; locale: string; data: Record<string, unknown> } | 'lost' | 'nobody' | 'covered'> {
  const held = { _id: item.caseId, outbox: { $elemMatch: { key: item.key, leaseOwner: item.token } } };
  const messages = Array.isArray(item.data.messages) ? item.data.messages : [];
  if (messages.length === 0) {
    // Every message it gathered was answered meanwhile (dropAnsweredDigest): nothing to tell.
    await Case.updateOne(held, { $pull: { outbox: { key: item.key, leaseOwner: item.token } } }, { timestamps: false });
    return 'lost';
  }
  const c = await Case.findById(item.caseId, { assignee: 1, institute: 1, 'outbox.key': 1, 'outbox.to': 1, 'outbox.template': 1 }).lean();
  if (!c) return 'lost';
  const told = await officersToTell(c);
  if (told.officers.length === 0) return 'nobody';
  const { unassigned: _u, toAdmins: _a, fannedOut: _f, ...kept } = item.data;
  const items = emailsToHr(told, DIGEST_TEMPLATE, [item.key], (o) => ({ ...kept, name: o.name, count: messages.length }), now);
  // Readers who have their copy of this digest (sent, waiting or dead: theirs either way).
  const copyPrefix = `${item.key}.`;
  const covered = new Set((c.outbox ?? []).filter((o) => o.template === DIGEST_TEMPLATE && o.key.startsWith(copyPrefix)).map((o) => o.to));
  const open = items.filter((i) => !covered.has(i.to));
  const last = open.findIndex((i) => i.to === item.to);
  if (last > 0) open.unshift(...open.splice(last, 1));
  const [first, ...others] = open;
  if (!first) return 'covered';
  if (others.length) {
    // A copy's key names its reader; one that would take the claimed item's own key (the case's officer) gets a suffix.
    const copies = others.map((o) => ({ ...o, key: o.key === item.key ? `${o.key}.copy` : o.key, data: { ...o.data, fannedOut: true } }));
    const keys = new Set((c.outbox ?? []).map((o) => o.key));
    const fresh = copies.filter((o) => !keys.has(o.key));
    if (fresh.length) await Case.updateOne({ ...held, 'outbox.key': { $nin: fresh.map((o) => o.key) } }, { $push: { outbox: { $each: fresh } } }, { timestamps: false });
  }
  const res = await Case.updateOne(held, { $set: { 'outbox.$.to': first.to, 'outbox.$.locale': first.locale, 'outbox.$.data': first.data } }, { timestamps: false });
  if (res.matchedCount !== 1) return 'lost';
  return { to: first.to, locale: first.locale, data: first.data };
}
