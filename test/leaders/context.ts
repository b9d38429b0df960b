// Shared set-up for the leaders tests: an institute with a leader, an HR officer on the panel of
// one call, applicants with cases in evaluation, and a second institute for refusals.
import type { Types } from 'mongoose';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { Stage } from '../../models/constants.ts';
import { User } from '../../models/user.ts';

export interface World {
  instituteId: Types.ObjectId;
  leader: UserDoc;
  member: UserDoc;
  call: CallDoc;
  otherInstituteId: Types.ObjectId;
  otherLeader: UserDoc;
  otherCall: CallDoc;
  admin: UserDoc;
}

export async function makeWorld(): Promise<World> {
  const inst = await createInstitute();
  const other = await createInstitute();
  const leader = await createUser({ role: 'leader', institute: inst._id, name: 'Lê Lãnh Đạo' });
  const call = await createCall({ institute: inst._id, status: 'closed' });
  const member = await createUser({ role: 'hr_officer', institute: inst._id, name: 'Phạm Hội Đồng', panelCalls: [call._id] });
  const otherLeader = await createUser({ role: 'leader', institute: other._id, name: 'Other Leader' });
  const otherCall = await createCall({ institute: other._id, status: 'closed' });
  const admin = await createUser({ role: 'admin', name: 'Admin' });
  return { instituteId: inst._id, leader, member, call, otherInstituteId: other._id, otherLeader, otherCall, admin };
}

export async function applicantCase(call: CallDoc, stage: Stage = 'evaluation', over: Record<string, unknown> = {}, locale: 'vi' | 'en' = 'en'): Promise<{ applicant: UserDoc; kase: CaseDoc }> {
  const applicant = await createUser({ role: 'applicant', locale });
  const kase = await createCase({ applicant: applicant._id, call, stage, ...over });
  return { applicant, kase };
}

/** Re-reads a user (after panelCalls changed). */
export async function fresh(user: UserDoc): Promise<UserDoc> {
  return (await User.findById(user._id))!;
}
