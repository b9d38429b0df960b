// "Delete my account": an applicant whose applications are all still drafts (nothing was ever sent
// to an institute) may erase the account and the drafts, files included, after typing their
// password again. Staff accounts are managed by an administrator (disabled, not deleted: the
// `user.erase` rule), and a submitted application is kept under the retention rules instead.
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { Case } from '../../models/case.ts';
import { User, type UserRecord } from '../../models/user.ts';
import { Token } from '../../models/token.ts';
import { ConflictError, ForbiddenError, RateLimitedError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { verifyPassword } from '../accounts/passwords.ts';
import { throttles, type ThrottleDeps } from '../accounts/throttles.ts';
import { documentStores, eraseAccountMail, eraseCaseFiles } from './erase.ts';
import { caseAudits } from '../cases/pending-audit.ts';

/** Why an applicant may not delete their account: something was submitted once. */
export type SelfDeleteBlock = 'submitted';

export type DeleteResult = { ok: true; drafts: number } | { ok: false; reason: 'passwordRequired' | 'wrongPassword' };

/** Why the actor's account may not delete itself, or undefined when it may. */
export async function selfDeleteBlock(opts: { ctx: Context }): Promise<SelfDeleteBlock | undefined> {
  const user = actorOf(opts.ctx);
  if (await Case.exists({ applicant: user._id, $or: [{ stage: { $ne: 'draft' } }, { submittedAt: { $ne: null } }] })) return 'submitted';
  return undefined;
}

/** Checks the password again (the session alone is not enough for something that cannot be undone). */
async function confirmPassword(user: UserRecord, password: string): Promise<boolean> {
  const fresh = await User.findById(user._id, { passwordHash: 1 });
  return verifyPassword(fresh?.passwordHash, password);
}

/**
 * Erases the actor's drafts (files first) and then the account, once the password is confirmed.
 * Wrong passwords count with the sign-in failures, so a stolen session cannot be used to try
 * passwords. The caller signs the session out.
 */
export async function deleteOwnAccount(opts: { app: ThrottleDeps & Pick<AppContext, 'config'>; ctx: Context; password: string }): Promise<DeleteResult> {
  const { app, ctx } = opts;
  const user = actorOf(ctx);
  const block = await selfDeleteBlock({ ctx });
  if (block) throw new ForbiddenError(`privacy.delete.blocked_${block}`);
  const limits = throttles(app).login;
  const ip = ctx.ip ?? 'unknown';
  const lock = await limits.check(user.email, ip);
  if (lock.locked) throw new RateLimitedError(lock.retryAfterSeconds);
  if (opts.password === '') return { ok: false, reason: 'passwordRequired' };
  if (!(await confirmPassword(user, opts.password))) {
    await limits.fail(user.email, ip);
    return { ok: false, reason: 'wrongPassword' };
  }
  await limits.succeed(user.email, ip);

  const stores = documentStores(app);
  const drafts = await Case.find({ applicant: user._id, stage: 'draft' }, { _id: 1 }).lean();
  for (const d of drafts) {
    await eraseCaseFiles(stores, d._id);
    // The draft's own carried events (a change that stopped within the grace) are recorded before it goes (security review s36).
    await caseAudits.recordBeforeErasure({ _id: d._id, stage: 'draft' });
    await Case.deleteOne({ _id: d._id, stage: 'draft' });
  }
  // A draft submitted from another tab meanwhile keeps the account (and that application).
  if (await Case.exists({ applicant: user._id })) throw new ConflictError('privacy.delete.changed');
  await Token.deleteMany({ user: user._id });
  await User.deleteOne({ _id: user._id, role: 'applicant' });
  await eraseAccountMail(user.email);
  await recordAudit(ctx, { action: 'privacy.account_deleted', targetType: 'user', targetId: String(user._id), summary: { drafts: drafts.length, at: ctx.now } });
  return { ok: true, drafts: drafts.length };
}
