// Where the TOTP secrets live: encrypted (server/crypto) on the account, bound to the account's id,
// and, while a code from it is not yet confirmed, encrypted in the session. Only these functions
// see a secret in plain text; a database or session-store dump holds ciphertext only.
import type { Config } from '../config.ts';
import { keyringFor } from '../crypto/keyring.ts';
import { sealSecret, tryOpenSecret } from '../crypto/secrets.ts';
import { TOTP_SECRET, ownerOf } from '../crypto/sealed-fields.ts';

type KeyConfig = Pick<Config, 'dataEncryption'>;

const PENDING_FIELD = 'session.pendingTotpSecret';

export function sealTotpSecret(config: KeyConfig, userId: unknown, secret: string): string {
  return sealSecret(keyringFor(config), secret, ownerOf(TOTP_SECRET, userId));
}

/** The account's TOTP secret in plain text, or null (none, or unreadable: wrong key, altered, moved). */
export function openTotpSecret(config: KeyConfig, user: { _id: unknown; totp?: { secret?: string | null } | null }): string | null {
  return tryOpenSecret(keyringFor(config), user.totp?.secret, ownerOf(TOTP_SECRET, user._id));
}

export function sealPendingTotpSecret(config: KeyConfig, userId: unknown, secret: string): string {
  return sealSecret(keyringFor(config), secret, { owner: String(userId), field: PENDING_FIELD });
}

export function openPendingTotpSecret(config: KeyConfig, userId: unknown, sealed: string | undefined): string | null {
  return tryOpenSecret(keyringFor(config), sealed, { owner: String(userId), field: PENDING_FIELD });
}
