// "Delete my account": an applicant whose applications are all still drafts (nothing was ever sent
// to an institute) may erase the account and the drafts, files included. Staff accounts are
// managed by an administrator (disabled, not deleted), and a submitted application is kept under
// the retention rules instead.
import type { Request } from 'express';
import type { AppContext } from '../deps.ts';
import { Case } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { Token } from '../../models/token.ts';
import { ConflictError, ForbiddenError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { verifyPassword } from '../accounts/passwords.ts';
import { documentStores, eraseCaseFiles } from './erase.ts';

export type SelfDeleteBlock = 'staff' | 'submitted';

/** Why this account may not delete itself, or undefined when it may. */
export async function selfDeleteBlock(user: UserDoc): Promise<SelfDeleteBlock | undefined> {
  if (user.role !== 'applicant') return 'staff';
  if (await Case.exists({ applicant: user._id, $or: [{ stage: { $ne: 'draft' } }, { submittedAt: { $ne: null } }] })) return 'submitted';
  return undefined;
}

/** Checks the password again (the session alone is not enough for something that cannot be undone). */
export async function confirmPassword(user: UserDoc, password: string): Promise<boolean> {
  const fresh = await User.findById(user._id, { passwordHash: 1 });
  return verifyPassword(fresh?.passwordHash, password);
}

/** Erases the applicant's drafts (files first) and then the account. The caller signs the session out. */
export async function deleteOwnAccount(ctx: AppContext, req: Request, user: UserDoc): Promise<{ drafts: number }> {
  const block = await selfDeleteBlock(user);
  if (block) throw new ForbiddenError(`privacy.delete.blocked_${block}`);
  const stores = documentStores(ctx);
  const drafts = await Case.find({ applicant: user._id, stage: 'draft' }, { _id: 1 }).lean();
  for (const d of drafts) {
    await eraseCaseFiles(stores, d._id);
    await Case.deleteOne({ _id: d._id, stage: 'draft' });
  }
  // A draft submitted from another tab meanwhile keeps the account (and that application).
  if (await Case.exists({ applicant: user._id })) throw new ConflictError('privacy.delete.changed');
  await Token.deleteMany({ user: user._id });
  await User.deleteOne({ _id: user._id, role: 'applicant' });
  await recordAudit(req, { action: 'privacy.account_deleted', targetType: 'user', targetId: String(user._id), summary: { drafts: drafts.length, at: ctx.now() } });
  return { drafts: drafts.length };
}
