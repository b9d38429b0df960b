// Single-use e-mailed tokens: 32 random bytes in the link, only their sha256 in the database.
// Using one is a single atomic update (usedAt unset and not expired), so two clicks cannot both win.
import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { Token, type TokenDoc, type TokenPurpose } from '../../models/token.ts';
import { sha256 } from './totp.ts';

export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  verify_email: 48 * 3_600_000,
  password_reset: 3_600_000,
  invitation: 7 * 24 * 3_600_000,
};

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** A new link for the user (it replaces older unused ones of the same kind); returns the raw token for the link. */
export async function issueToken(opts: { purpose: TokenPurpose; userId: Types.ObjectId | string; now: Date }): Promise<string> {
  const { purpose, userId: user, now } = opts;
  await Token.deleteMany({ user, purpose, usedAt: null });
  const raw = randomBytes(32).toString('base64url');
  await Token.create({ purpose, user, tokenHash: sha256(raw), expiresAt: new Date(now.getTime() + TOKEN_TTL_MS[purpose]) });
  return raw;
}

/**
 * The link an e-mail sent again after a failure carries: the same as in any earlier attempt (`raw`,
 * derived from the e-mail's key: mail.ts linkTokenFor), so a copy the SMTP server took before a
 * crash still works. Made once: while a token with its hash exists (used or not) nothing changes;
 * else it replaces the account's other unused links of its kind, as issueToken does.
 */
export async function issueKnownToken(opts: { purpose: TokenPurpose; userId: Types.ObjectId | string; raw: string; now: Date }): Promise<void> {
  const { purpose, userId: user, now } = opts;
  const tokenHash = sha256(opts.raw);
  if (await Token.exists({ tokenHash })) return;
  await Token.deleteMany({ user, purpose, usedAt: null });
  await Token.create({ purpose, user, tokenHash, expiresAt: new Date(now.getTime() + TOKEN_TTL_MS[purpose]) });
}

/**
 * The one-time links that would set a password (reset, invitation), dropped unused whenever the
 * password is set or the account is disabled: a link mailed before must not outlive the password it
 * would replace, nor a disabling that an administrator may undo within its hour. E-mail verification
 * links stay: using one signs no one in and sets no password, it only records that the address
 * receives mail, which a new password or a disabling does not make less true.
 */
export const PASSWORD_LINK_PURPOSES = ['password_reset', 'invitation'] as const satisfies readonly TokenPurpose[];

/** Deletes the account's unused password-setting links (PASSWORD_LINK_PURPOSES); answers how many went. */
export async function revokePasswordLinks(opts: { userId: Types.ObjectId | string }): Promise<number> {
  const res = await Token.deleteMany({ user: opts.userId, purpose: { $in: PASSWORD_LINK_PURPOSES }, usedAt: null });
  return res.deletedCount;
}

interface TokenLookup {
  /** The raw token from the link. */
  token: string;
  purpose: TokenPurpose;
  now: Date;
}

/** The token if it is well-formed, of this purpose, unused and not expired (does not use it). */
export async function findUsableToken(opts: TokenLookup): Promise<TokenDoc | null> {
  if (!TOKEN_FORMAT.test(opts.token)) return null;
  return Token.findOne({ tokenHash: sha256(opts.token), purpose: opts.purpose, usedAt: null, expiresAt: { $gt: opts.now } });
}

/** Marks the token used; null when it was already used, expired or never existed. */
export async function consumeToken(opts: TokenLookup): Promise<TokenDoc | null> {
  const { purpose, now } = opts;
  if (!TOKEN_FORMAT.test(opts.token)) return null;
  return Token.findOneAndUpdate(
    { tokenHash: sha256(opts.token), purpose, usedAt: null, expiresAt: { $gt: now } },
    { $set: { usedAt: now } },
    { returnDocument: 'after' },
  );
}
