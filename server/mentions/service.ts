// Mentions in internal notes: `@` followed by a colleague's name or e-mail notifies them, by e-mail
// through the case's outbox and on their home page. Only staff who may see the case (the case
// policy, server/cases/access.ts) are notified; the writer is told who was not, and why (no access
// to this case, or a name that fits several colleagues, in which case none of them is notified).
//
// Names are looked up only among the people the writer could list already: their own institute's
// staff, the administrators, and whoever may see this case (an administrator writing looks among
// everyone). Anyone else, such as another institute's officer, is answered exactly like a name
// that matches no one, with only what was typed: the answer must not let a writer probe who works
// elsewhere.
//
// Atomicity: prepareNoteMentions runs before the note is written and returns the outbox items,
// which the caller pushes IN THE SAME UPDATE as the note (server/cases/commands.ts addNote): an
// e-mail exists if and only if the note does. The home page's records (models/mention.ts) are
// written here, just before; the home page shows one only once its note exists, so a note that
// failed to save (a conflict) leaves nothing visible.
import { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import type { CaseDoc } from '../../models/case.ts';
import { Case } from '../../models/case.ts';
import { Mention } from '../../models/mention.ts';
import { User, STAFF_ROLES } from '../../models/user.ts';
import { caseEmail, outboxKey, type OutboxItem } from '../outbox/item.ts';
import { mayViewCase } from '../cases/access.ts';
import { can, sameId } from '../policies/index.ts';
import { isOutsideReviewer } from '../policies/case.ts';
import { excerptAround, fold, indexColleagues, mentionStarts, resolveMentions, type Colleague } from './parse.ts';

/** Colleagues a name is looked up among (enabled staff); a bound, not a page size. */
const MAX_COLLEAGUES = 5000;

export interface MentionRefusal {
  /** What the writer typed, e.g. "@Hoa". */
  label: string;
  /** `unknown`: no one the writer could list that may see the case has this name or address. */
  reason: 'no_access' | 'ambiguous' | 'unknown';
  /** The colleague without access, or the colleagues the name fits (none when unknown). */
  names: string[];
}

export interface MentionOutcome {
  /** `outside`: a panel member of another institute, who reads the note's lines by e-mail and on their home page, but no note on the case page. */
  notified: Array<{ id: string; name: string; outside?: true }>;
  refused: MentionRefusal[];
}

export interface PreparedMentions {
  /** Spread into the note's `$push`: the e-mails owed (empty when nobody is notified). */
  push: { outbox?: { $each: OutboxItem[] } };
  outcome: MentionOutcome;
}

export interface PrepareNoteMentionsOptions {
  app: Pick<AppContext, 'config'>;
  ctx: Context;
  caseDoc: CaseDoc;
  note: { _id: Types.ObjectId; text: string; at: Date };
}

const NONE: PreparedMentions = { push: {}, outcome: { notified: [], refused: [] } };

export async function prepareNoteMentions(opts: PrepareNoteMentionsOptions): Promise<PreparedMentions> {
  const { app, ctx, caseDoc, note } = opts;
  if (mentionStarts(note.text).length === 0) return NONE;
  const author = actorOf(ctx);
  // Besides the writer's institute and the administrators, only the case's institute and its call's
  // panel may see the case (server/policies/case.ts); an administrator may list everyone anyway.
  const within: Record<string, unknown> = author.role === 'admin' ? {} : { $or: [{ institute: author.institute ?? null }, { role: 'admin' }, { institute: caseDoc.institute }, { panelCalls: caseDoc.call }] };
  const staff = await User.find({ role: { $in: [...STAFF_ROLES] }, disabledAt: null, ...within }, { name: 1, email: 1, role: 1, institute: 1, panelCalls: 1, locale: 1 })
    .limit(MAX_COLLEAGUES)
    .lean();
  const sees = new Map<string, boolean>();
  const maySee = async (user: (typeof staff)[number]) => {
    const id = String(user._id);
    if (!sees.has(id)) sees.set(id, (await mayViewCase(user as never, caseDoc)).ok);
    return sees.get(id)!;
  };
  const listable = (user: (typeof staff)[number]) => author.role === 'admin' || user.role === 'admin' || sameId(user.institute, author.institute);
  const known = [];
  for (const user of staff) if (listable(user) || (await maySee(user))) known.push(user);
  const byId = new Map(known.map((u) => [String(u._id), u]));
  const colleagues: Colleague[] = known.map((u) => ({ id: String(u._id), name: u.name, email: u.email }));
  const resolutions = resolveMentions(note.text, indexColleagues(colleagues));

  const refused: MentionRefusal[] = [];
  // Once each: a colleague without access by who they are, anything else by what was typed.
  const refusalKey = (r: MentionRefusal) => (r.reason === 'no_access' ? `no_access:${r.names[0]}` : `${r.reason}:${fold(r.label)}`);
  const refuse = (r: MentionRefusal) => {
    if (!refused.some((x) => refusalKey(x) === refusalKey(r))) refused.push(r);
  };
  const chosen = new Map<string, number>(); // colleague id → where in the note
  for (const r of resolutions) {
    if (r.kind === 'none') {
      refuse({ label: r.label, reason: 'unknown', names: [] });
      continue;
    }
    if (r.kind === 'ambiguous') {
      refuse({ label: r.label, reason: 'ambiguous', names: r.candidates.map((c) => c.name).slice(0, 10) });
      continue;
    }
    if (sameId(r.colleague.id, author._id) || chosen.has(r.colleague.id)) continue;
    const user = byId.get(r.colleague.id)!;
    if (!(await maySee(user))) {
      refuse({ label: r.label, reason: 'no_access', names: [user.name] });
      continue;
    }
    chosen.set(r.colleague.id, r.index);
  }
  if (chosen.size === 0) return { push: {}, outcome: { notified: [], refused } };

  const caseId = String(caseDoc._id);
  const items: OutboxItem[] = [];
  const mentions = [];
  for (const [id, at] of chosen) {
    const user = byId.get(id)!;
    const excerpt = excerptAround(note.text, at);
    items.push(
      caseEmail(
        { email: user.email, locale: user.locale },
        'note_mention',
        { reference: caseDoc.reference, caseId, name: user.name, author: author.name, excerpt, link: `${app.config.appUrl}${mentionPath(user, caseDoc)}` },
        outboxKey(caseId, 'mention', String(note._id), id),
        note.at,
      ),
    );
    mentions.push({ user: user._id, case: caseDoc._id, reference: caseDoc.reference, note: note._id, author: author._id, at: note.at, excerpt });
  }
  await Mention.insertMany(mentions, { ordered: false }).catch((err: { code?: number }) => {
    // A retried note id (unique note + user) is already recorded.
    if (err.code !== 11000) throw err;
  });
  return {
    push: { outbox: { $each: items } },
    // The writer is told who of them is outside the institute: the lines around the mention reach them
    // (asked to score, on purpose), though the case page keeps notes and reasons from them (case.readReasons).
    outcome: { notified: [...chosen.keys()].map((id) => ({ id, name: byId.get(id)!.name, ...(can(byId.get(id) as never, 'case.readReasons', caseDoc) ? {} : { outside: true as const }) })), refused },
  };
}

/**
 * Where a mention leads: the note on the case file, or, for a panel member of another institute, who
 * opens no case file (server/policies/case.ts isOutsideReviewer, walk s36), the shortlist's case page.
 */
function mentionPath(user: Parameters<typeof isOutsideReviewer>[0], c: { _id: unknown; institute: unknown; call: unknown }): string {
  return isOutsideReviewer(user, c) ? `/shortlists/${String(c.call)}/cases/${String(c._id)}` : `/cases/${String(c._id)}#notes`;
}

export interface HomeMention {
  caseId: string;
  reference: string;
  author: string;
  at: Date;
  excerpt: string;
  link: string;
}

/** The signed-in staff member's mentions, newest first: only those whose note exists and whose case they may still see. */
export async function mentionsOfActor(opts: { ctx: Context; limit?: number }): Promise<HomeMention[]> {
  const user = opts.ctx.actor;
  if (!user || !(STAFF_ROLES as readonly string[]).includes(user.role)) return [];
  const limit = Math.min(Math.max(opts.limit ?? 20, 1), 100);
  const rows = await Mention.find({ user: user._id }).sort({ at: -1, _id: -1 }).limit(limit * 2).lean();
  if (rows.length === 0) return [];
  const cases = await Case.find({ _id: { $in: [...new Set(rows.map((r) => String(r.case)))].map((id) => new Types.ObjectId(id)) } }, { applicant: 1, institute: 1, call: 1, stage: 1, 'notes._id': 1 }).lean();
  const byCase = new Map(cases.map((c) => [String(c._id), c]));
  const authors = new Map((await User.find({ _id: { $in: [...new Set(rows.map((r) => String(r.author)))] } }, { name: 1 }).lean()).map((u) => [String(u._id), u.name]));
  const visible = new Map<string, boolean>();
  const out: HomeMention[] = [];
  for (const r of rows) {
    const c = byCase.get(String(r.case));
    if (!c || !((c as unknown as { notes?: Array<{ _id: unknown }> }).notes ?? []).some((n) => sameId(n._id, r.note))) continue;
    const key = String(c._id);
    if (!visible.has(key)) visible.set(key, (await mayViewCase(user, c as never)).ok);
    if (!visible.get(key)) continue;
    out.push({ caseId: key, reference: r.reference, author: authors.get(String(r.author)) ?? '', at: r.at, excerpt: r.excerpt, link: mentionPath(user, c) });
    if (out.length >= limit) break;
  }
  return out;
}
