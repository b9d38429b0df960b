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
import { emailsToHr, officersToTell, type HrRecipient, type HrOfficeRoute } from '../institutes/hr-staff.ts';
import type { OutboxItem } from '../outbox/item.ts';

export const MESSAGE_TEMPLATE = 'applicant_message';
export const DIGEST_TEMPLATE = 'applicant_message_digest';
/** E-mails to HR about the applicant's messages: either opens or extends the window. */
const HR_MESSAGE_TEMPLATES = [MESSAGE_TEMPLATE, DIGEST_TEMPLATE];

/** How much of each message a digest quotes (the case page has the rest); 20 an hour keeps it bounded. */
const DIGEST_EXCERPT = 1000;

/** One message as the digest lists it. */
export interface DigestEntry {
  at: Date;
  text: string;
}

export function digestEntry(at: Date, text: string): DigestEntry {
  return { at, text: text.length > DIGEST_EXCERPT ? `${text.slice(0, DIGEST_EXCERPT)}…` : text };
}

/** An HR e-mail about the messages waiting, or sent within the window: a new message is gathered. */
function recentMail(now: Date, windowMs: number): Record<string, unknown> {
  return { template: { $in: HR_MESSAGE_TEMPLATES }, $or: [{ status: 'pending' }, { status: 'sent', sentAt: { $gt: new Date(now.getTime() - windowMs) } }] };
}

/**
 * A digest still gathering: waiting, not held by a dispatcher (one claimed is being sent, and what it
 * lists is fixed), and not one of the copies made for each reader of the HR office (addressDigest).
 */
const OPEN_DIGEST = { template: DIGEST_TEMPLATE, status: 'pending', leaseOwner: null, 'data.fannedOut': { $ne: true } };

/**
 * HR has answered on the case: a digest still gathering lists only messages written before that
 * answer (a message after it joins a digest in its own update), so it is dropped, not sent. It used to
 * reach the officer minutes after their reply, asking them to answer what they had just answered
 * (walk-staff #12). One already claimed by a dispatcher is being sent and stays.
 */
export async function dropAnsweredDigest(caseId: unknown): Promise<void> {
  await Case.updateOne({ _id: caseId, outbox: { $elemMatch: OPEN_DIGEST } }, { $pull: { outbox: OPEN_DIGEST } }, { timestamps: false });
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
      // Every gathering digest gets it: one, but for a second opened while the first was being sent whose
      // send then failed (both gather until sent): listed twice rather than lost.
      push: { 'outbox.$[d].data.messages': opts.entry },
      arrayFilters: [{ 'd.template': DIGEST_TEMPLATE, 'd.status': 'pending', 'd.leaseOwner': null, 'd.data.fannedOut': { $ne: true } }],
    },
    { kind: 'open', filter: { outbox: { $elemMatch: recent }, $nor: [{ outbox: { $elemMatch: OPEN_DIGEST } }] }, push: { outbox: { ...holder!, nextAttemptAt: opts.dueAt } } },
  ];
}

/** What the case's outbox says of its e-mails to HR about the messages. */
export type HrMailState = Array<{ template: string; status: string; sentAt?: Date | null; nextAttemptAt?: Date | null; leaseOwner?: string | null; data?: { fannedOut?: boolean } }>;

/** The fields a digest's window needs, read fresh (the page's copy of the case may be minutes old). */
export async function hrMailState(caseId: unknown): Promise<HrMailState> {
  const doc = await Case.findById(caseId, { 'outbox.template': 1, 'outbox.status': 1, 'outbox.sentAt': 1, 'outbox.nextAttemptAt': 1, 'outbox.leaseOwner': 1, 'outbox.data.fannedOut': 1 }).lean();
  return (doc?.outbox ?? []) as HrMailState;
}

/** The plan the state read says will hold, tried first (the others only when a message written meanwhile changed it). */
export function likelyPlan(state: HrMailState, now: Date, windowMs: number): MessageMailPlan['kind'] {
  const mine = state.filter((i) => HR_MESSAGE_TEMPLATES.includes(i.template));
  if (mine.some((i) => i.template === DIGEST_TEMPLATE && i.status === 'pending' && !i.leaseOwner && i.data?.fannedOut !== true)) return 'join';
  if (mine.some((i) => i.status === 'pending' || (i.status === 'sent' && (i.sentAt?.getTime() ?? 0) > now.getTime() - windowMs))) return 'open';
  return 'prompt';
}

/** A claimed digest not yet addressed to its readers (a copy made for one reader of the HR office is). */
export function needsAddressing(item: { template: string; data: Record<string, unknown> }): boolean {
  return item.template === DIGEST_TEMPLATE && item.data.fannedOut !== true;
}

/**
 * Addresses a claimed digest to whoever is to be told now (officersToTell): the case's officer, else
 * the HR office. The claimed item goes to the first reader (its key, so a retry is the same
 * Message-ID); each further reader of the HR office gets a copy with their own key, written once
 * (a dispatcher taking over after a crash finds them there). `lost`: the claim is no longer ours;
 * `nobody`: no one in HR can be told.
 */
export async function addressDigest(item: { caseId: Types.ObjectId; key: string; token: string; data: Record<string, unknown> }, now: Date): Promise<{ to: string; locale: string; data: Record<string, unknown> } | 'lost' | 'nobody'> {
  const c = await Case.findById(item.caseId, { assignee: 1, institute: 1 }).lean();
  if (!c) return 'lost';
  const told = await officersToTell(c);
  if (told.officers.length === 0) return 'nobody';
  const messages = Array.isArray(item.data.messages) ? item.data.messages : [];
  const { unassigned: _u, toAdmins: _a, ...kept } = item.data;
  const items = emailsToHr(told, DIGEST_TEMPLATE, [item.key], (o) => ({ ...kept, name: o.name, count: messages.length }), now);
  const [first, ...others] = items;
  const held = { _id: item.caseId, outbox: { $elemMatch: { key: item.key, leaseOwner: item.token } } };
  if (others.length) {
    const copies = others.map((o) => ({ ...o, data: { ...o.data, fannedOut: true } }));
    // A retry (the send failed, SMTP down): the copies made at an earlier attempt list the messages
    // of then, and those gathered since joined this item only. A copy not yet sent is brought up to
    // date; one already sent (or being sent) gets a further copy listing them all, so each reader
    // hears of every message (listed twice rather than lost).
    const made = new Map(((await Case.findById(item.caseId, { 'outbox.key': 1, 'outbox.status': 1, 'outbox.leaseOwner': 1, 'outbox.data.count': 1 }).lean())?.outbox ?? []).map((o) => [o.key, o as { status: string; leaseOwner?: string | null; data?: { count?: number } }]));
    const fresh: typeof copies = [];
    for (const copy of copies) {
      const had = made.get(copy.key);
      if (!had) fresh.push(copy);
      else if ((had.data?.count ?? 0) < messages.length) {
        const updated = had.status === 'pending' && !had.leaseOwner ? await Case.updateOne({ _id: item.caseId, outbox: { $elemMatch: { key: copy.key, status: 'pending', leaseOwner: null } } }, { $set: { 'outbox.$.data': copy.data } }, { timestamps: false }) : { matchedCount: 0 };
        const further = `${copy.key}.${messages.length}`;
        if (updated.matchedCount !== 1 && !made.has(further)) fresh.push({ ...copy, key: further });
      }
    }
    if (fresh.length) await Case.updateOne({ ...held, 'outbox.key': { $nin: fresh.map((o) => o.key) } }, { $push: { outbox: { $each: fresh } } }, { timestamps: false });
  }
  const res = await Case.updateOne(held, { $set: { 'outbox.$.to': first!.to, 'outbox.$.locale': first!.locale, 'outbox.$.data': first!.data } }, { timestamps: false });
  if (res.matchedCount !== 1) return 'lost';
  return { to: first!.to, locale: first!.locale, data: first!.data };
}
