// The panel of a call, named by an administrator: User.panelCalls is the one source. Panel members
// are staff who sign in with a second factor: the institute's leaders and HR officers, or staff of
// another institute acting as external reviewers. Never applicants.
import { Types } from 'mongoose';
import { Call } from '../../models/call.ts';
import { User, onUserWrite } from '../../models/user.ts';
import { KeptReads } from '../support/kept-reads.ts';
import type { Context } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { objectIdOr404 } from './access.ts';

const PANEL_ROLES = ['leader', 'hr_officer'] as const;

/** Where someone stands, as far as their panel seats are concerned. */
interface SeatHolder {
  role: string;
  institute?: string;
}

/**
 * The panel seats (calls of `panelCalls`) someone could no longer hold after their role or
 * institute changes from `before` to `after`: every one when they stop being a leader or take a
 * role that never sits on a panel, else, when they move, every one but the calls of their new
 * institute. A seat does not depend on the institute (external reviewers, server/policies/shortlist.ts),
 * so it is left here or it keeps opening the old institute's shortlists and cases. An administrator
 * can name them again on the call's panel page. Only a seat shown to be on a call of the new
 * institute is kept.
 */
export async function panelSeatsLost({ panelCalls, before, after }: { panelCalls: readonly Types.ObjectId[]; before: SeatHolder; after: SeatHolder }): Promise<Types.ObjectId[]> {
  if (panelCalls.length === 0) return [];
  const seated = (PANEL_ROLES as readonly string[]).includes(after.role) && !(before.role === 'leader' && after.role !== 'leader');
  if (!seated) return [...panelCalls];
  if ((before.institute ?? '') === (after.institute ?? '')) return [];
  const kept = after.institute ? ((await Call.distinct('_id', { _id: { $in: [...panelCalls] }, institute: new Types.ObjectId(after.institute) })) as Types.ObjectId[]) : [];
  return panelCalls.filter((id) => !kept.some((k) => k.equals(id)));
}

async function leanCall(callId: unknown) {
  const call = await Call.findById(objectIdOr404(callId)).lean();
  if (!call) throw new NotFoundError();
  return call;
}

/** The call, its named members, its institute's leaders (always evaluators) and who could be added. */
export async function panelOf({ callId }: { callId: unknown }) {
  const call = await leanCall(callId);
  const [named, leaders, candidates] = await Promise.all([
    User.find({ panelCalls: call._id }, { name: 1, email: 1, role: 1, institute: 1, disabledAt: 1 }).sort({ name: 1 }).lean(),
    User.find({ role: 'leader', institute: call.institute, disabledAt: null }, { name: 1, email: 1 }).sort({ name: 1 }).lean(),
    // Not the institute's leaders: they are on the panel already (naming one listed them twice).
    User.find({ role: 'hr_officer', institute: call.institute, panelCalls: { $ne: call._id }, disabledAt: null }, { name: 1, email: 1, role: 1 }).sort({ name: 1 }).limit(200).lean(),
  ]);
  // A leader named before that was refused shows once, among the leaders.
  const members = named.filter((m) => !leaders.some((l) => l._id.equals(m._id)));
  return { call, members, leaders, candidates };
}

export type PanelMembers = Awaited<ReturnType<typeof panelOf>>;

/** Names a member by e-mail or id; ValidationError (field `email`) for anyone who cannot sit on a panel. */
export async function addPanelMember({ ctx, callId, email, userId }: { ctx: Context; callId: unknown; email?: string; userId?: string }): Promise<void> {
  const call = await leanCall(callId);
  if (!email && !userId) throw new ValidationError({ email: 'shortlists.panel.errors.email' });
  const member = await User.findOne(userId ? { _id: userId } : { email });
  if (!member || !(PANEL_ROLES as readonly string[]).includes(member.role) || member.disabledAt) throw new ValidationError({ email: 'shortlists.panel.errors.notStaff' });
  // The institute's leaders sit on every panel of its calls: nothing to add, and nothing written.
  if (member.role === 'leader' && String(member.institute ?? '') === String(call.institute)) throw new ValidationError({ email: 'shortlists.panel.errors.alwaysOnPanel' });
  await User.updateOne({ _id: member._id }, { $addToSet: { panelCalls: call._id } });
  await recordAudit(ctx, { action: 'panel.add', targetType: 'call', targetId: String(call._id), summary: { member: String(member._id), email: member.email } });
}

export async function removePanelMember({ ctx, callId, userId }: { ctx: Context; callId: unknown; userId: Types.ObjectId }): Promise<void> {
  const call = await leanCall(callId);
  const member = await User.findById(userId);
  if (!member) throw new NotFoundError();
  await User.updateOne({ _id: member._id }, { $pull: { panelCalls: call._id } });
  await recordAudit(ctx, { action: 'panel.remove', targetType: 'call', targetId: String(call._id), summary: { member: String(member._id), email: member.email } });
}

/**
 * How many people can score each call's cases: its institute's leaders (always on the panel, see
 * panelOf) and the staff named to it (User.panelCalls), each counted once, disabled accounts not.
 * A call asking more complete scorecards (Call.minScorecards) than this waits for ever.
 */
export async function panelSizes(calls: ReadonlyArray<{ _id: Types.ObjectId; institute: Types.ObjectId }>): Promise<Map<string, number>> {
  if (calls.length === 0) return new Map();
  const [leaders, named] = await Promise.all([
    User.find({ role: 'leader', institute: { $in: calls.map((c) => c.institute) }, disabledAt: null }, { institute: 1 }).lean(),
    User.find({ role: { $in: [...PANEL_ROLES] }, panelCalls: { $in: calls.map((c) => c._id) }, disabledAt: null }, { panelCalls: 1 }).lean(),
  ]);
  const sizes = new Map<string, number>();
  for (const call of calls) {
    const people = new Set(leaders.filter((l) => String(l.institute) === String(call.institute)).map((l) => String(l._id)));
    for (const m of named) if (m.panelCalls?.some((id) => id.equals(call._id))) people.add(String(m._id));
    sizes.set(String(call._id), people.size);
  }
  return sizes;
}

/**
 * One call's panel size, read on every shortlist page and leader's decision: kept a few seconds and
 * forgotten on any account write (a role, a panel seat, a disabled account), as the officers list is.
 */
const keptPanelSizes = new KeptReads<number>(5_000, { forgetOn: onUserWrite });
export function panelSizeOf(call: { _id: unknown; institute: unknown }): Promise<number> {
  const ref = { _id: new Types.ObjectId(String(call._id)), institute: new Types.ObjectId(String(call.institute)) };
  return keptPanelSizes.get(`${ref._id}:${ref.institute}`, async () => (await panelSizes([ref])).get(String(ref._id)) ?? 0);
}

/**
 * How many of `members` sit on the call's panel now, as panelSizes counts it (the institute's
 * leaders and the staff named to it, disabled accounts not). A declared conflict counts out of the
 * panel only its members: one removed or disabled since is no longer in its size (security review s35).
 */
export async function onPanelAmong(call: { _id: unknown; institute: unknown }, members: readonly unknown[]): Promise<number> {
  return (await onPanelOf(call, members)).size;
}

/** Which of `members` (ids, as strings) sit on the call's panel now, as onPanelAmong counts them. */
export async function onPanelOf(call: { _id: unknown; institute: unknown }, members: readonly unknown[]): Promise<Set<string>> {
  if (members.length === 0) return new Set();
  const callId = new Types.ObjectId(String(call._id));
  const seated = await User.find(
    {
      _id: { $in: members.map((m) => new Types.ObjectId(String(m))) },
      disabledAt: null,
      $or: [{ role: 'leader', institute: new Types.ObjectId(String(call.institute)) }, { role: { $in: [...PANEL_ROLES] }, panelCalls: callId }],
    },
    { _id: 1 },
  ).lean();
  return new Set(seated.map((u) => String(u._id)));
}
