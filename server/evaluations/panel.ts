// The panel of a call, named by an administrator: User.panelCalls is the one source. Panel members
// are staff who sign in with a second factor: the institute's leaders and HR officers, or staff of
// another institute acting as external reviewers. Never applicants.
import type { Types } from 'mongoose';
import { Call } from '../../models/call.ts';
import { User } from '../../models/user.ts';
import type { Context } from '../context.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { objectIdOr404 } from './access.ts';

const PANEL_ROLES = ['leader', 'hr_officer'] as const;

async function leanCall(callId: unknown) {
  const call = await Call.findById(objectIdOr404(callId)).lean();
  if (!call) throw new NotFoundError();
  return call;
}

/** The call, its named members, its institute's leaders (always evaluators) and who could be added. */
export async function panelOf({ callId }: { callId: unknown }) {
  const call = await leanCall(callId);
  const [members, leaders, candidates] = await Promise.all([
    User.find({ panelCalls: call._id }, { name: 1, email: 1, role: 1, institute: 1 }).sort({ name: 1 }).lean(),
    User.find({ role: 'leader', institute: call.institute, disabledAt: null }, { name: 1, email: 1 }).sort({ name: 1 }).lean(),
    User.find({ role: { $in: [...PANEL_ROLES] }, institute: call.institute, panelCalls: { $ne: call._id }, disabledAt: null }, { name: 1, email: 1, role: 1 }).sort({ name: 1 }).limit(200).lean(),
  ]);
  return { call, members, leaders, candidates };
}

export type PanelMembers = Awaited<ReturnType<typeof panelOf>>;

/** Names a member by e-mail or id; ValidationError (field `email`) for anyone who cannot sit on a panel. */
export async function addPanelMember({ ctx, callId, email, userId }: { ctx: Context; callId: unknown; email?: string; userId?: string }): Promise<void> {
  const call = await leanCall(callId);
  if (!email && !userId) throw new ValidationError({ email: 'shortlists.panel.errors.email' });
  const member = await User.findOne(userId ? { _id: userId } : { email });
  if (!member || !(PANEL_ROLES as readonly string[]).includes(member.role) || member.disabledAt) throw new ValidationError({ email: 'shortlists.panel.errors.notStaff' });
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
