// The TOTP second factor: enrolling it (a code from the new secret confirms it), single-use
// recovery codes, accepting a code at most once (an administrator's reset for someone who lost both
// their authenticator and their codes: decisions.ts). Each write records its audit event.
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { User } from '../../models/user.ts';
import { ConflictError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { checkTotp, findRecoveryCode, hasSecondFactor, hashRecoveryCode, newRecoveryCodes, totpStep } from './totp.ts';
import { openTotpSecret, sealTotpSecret } from './totp-secret.ts';

type KeyDeps = Pick<AppContext, 'config'>;

export type CodesResult = { ok: true; codes: string[] } | { ok: false };

/** Saves a confirmed secret (encrypted) and a fresh set of recovery codes; returns the codes (shown once). */
export async function enableTotp(opts: { app: KeyDeps; ctx: Context; userId: unknown; secret: string }): Promise<string[]> {
  const { app, ctx, userId } = opts;
  const codes = newRecoveryCodes();
  await User.updateOne(
    { _id: userId },
    { $set: { 'totp.secret': sealTotpSecret(app.config, userId, opts.secret), 'totp.enabledAt': ctx.now, 'totp.recoveryCodeHashes': codes.map(hashRecoveryCode) } },
  );
  await recordAudit(ctx, { action: 'user.totp_enabled', targetType: 'user', targetId: String(userId) });
  return codes;
}

/**
 * The actor confirms the secret being enrolled with a code from it; refused (ok: false) for a wrong
 * code or when there is no secret being enrolled (none in the session, or unreadable after a key rotation).
 */
export async function enrolSecondFactor(opts: { app: KeyDeps; ctx: Context; secret: string | null; code: string }): Promise<CodesResult> {
  const user = actorOf(opts.ctx);
  if (hasSecondFactor(user)) throw new ConflictError('accounts.totp.alreadyEnabled');
  if (!opts.secret || !checkTotp(opts.secret, opts.code)) return { ok: false };
  return { ok: true, codes: await enableTotp({ app: opts.app, ctx: opts.ctx, userId: user._id, secret: opts.secret }) };
}

/** A new set of recovery codes for the actor, confirmed by a current code (the old set stops working). */
export async function regenerateRecoveryCodes(opts: { app: KeyDeps; ctx: Context; code: string }): Promise<CodesResult> {
  const { ctx } = opts;
  const user = actorOf(ctx);
  if (!(await claimTotpCode({ app: opts.app, user, code: opts.code }))) return { ok: false };
  const codes = newRecoveryCodes();
  await User.updateOne({ _id: user._id }, { $set: { 'totp.recoveryCodeHashes': codes.map(hashRecoveryCode) } });
  await recordAudit(ctx, { action: 'user.recovery_codes_regenerated', targetType: 'user', targetId: String(user._id) });
  return { ok: true, codes };
}

/** Uses one recovery code: removed by an atomic $pull on its hash, so it cannot be used twice. */
export async function useRecoveryCode(opts: { userId: unknown; code: string }): Promise<{ ok: boolean; left: number }> {
  const user = await User.findById(opts.userId).lean();
  const hashes = user?.totp?.recoveryCodeHashes ?? [];
  const i = findRecoveryCode(hashes, opts.code);
  if (i < 0) return { ok: false, left: hashes.length };
  const hash = hashes[i]!;
  const res = await User.updateOne({ _id: opts.userId, 'totp.recoveryCodeHashes': hash }, { $pull: { 'totp.recoveryCodeHashes': hash } });
  return { ok: res.modifiedCount === 1, left: hashes.length - 1 };
}

/**
 * Accepts a TOTP code at most once: the code's time step must be later than the last one accepted,
 * checked and recorded in one atomic update (two requests with the same code: one wins). The secret
 * is decrypted from the account; one that cannot be decrypted accepts no code. Real time, not the
 * app clock: the authenticator on the person's phone runs on real time.
 */
export async function claimTotpCode(opts: { app: KeyDeps; user: { _id: unknown; totp?: { secret?: string | null } | null }; code: string }): Promise<boolean> {
  const { user } = opts;
  const step = totpStep(openTotpSecret(opts.app.config, user), opts.code, Date.now());
  if (step === null) return false;
  const res = await User.updateOne(
    { _id: user._id, $or: [{ 'totp.lastUsedStep': null }, { 'totp.lastUsedStep': { $lt: step } }] },
    { $set: { 'totp.lastUsedStep': step } },
  );
  return res.modifiedCount === 1;
}
