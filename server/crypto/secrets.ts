// Secrets at rest: AES-256-GCM (node:crypto) with a fresh 96-bit IV per value. The stored text is
// versioned and self-describing:  v1:<keyId>:<iv>:<tag>:<ciphertext>  (base64url parts), so a
// rotation finds what is under an old key. The additional authenticated data binds a ciphertext to
// its owner and field (e.g. user 64f…, "user.totp.secret"): copied onto another account or into
// another field in the database, it no longer decrypts.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.ts';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1:([A-Za-z0-9_-]{8}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]*)$/;

/** Whose secret this is and which field holds it. */
export interface SecretOwner {
  owner: string;
  field: string;
}

export class SecretError extends Error {
  constructor(
    message: string,
    readonly reason: 'not_sealed' | 'unknown_key' | 'tampered',
  ) {
    super(message);
  }
}

function aad(keyId: string, who: SecretOwner): Buffer {
  return Buffer.from(`${VERSION}|${keyId}|${who.field}|${who.owner}`, 'utf8');
}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && SEALED.test(value);
}

/** The id of the key a sealed value was encrypted with. */
export function sealedKeyId(value: string): string | undefined {
  return SEALED.exec(value)?.[1];
}

export function sealSecret(keyring: Keyring, plain: string, who: SecretOwner): string {
  const { id, key } = keyring.current();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(id, who));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(':');
}

/** The plain secret; SecretError when the value is not sealed, its key is unknown, or it was altered or moved. */
export function openSecret(keyring: Keyring, sealed: string, who: SecretOwner): string {
  const m = SEALED.exec(sealed);
  if (!m) throw new SecretError('value is not an encrypted secret', 'not_sealed');
  const [, id, iv, tag, ct] = m as unknown as [string, string, string, string, string];
  const dataKey = keyring.find(id);
  if (!dataKey) throw new SecretError(`no data-encryption key with id ${id}`, 'unknown_key');
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(id, who));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretError('encrypted secret failed authentication (altered, or not this owner and field)', 'tampered');
  }
}

/** openSecret, or null on any failure (callers treat an unreadable secret as no secret). */
export function tryOpenSecret(keyring: Keyring, sealed: string | null | undefined, who: SecretOwner): string | null {
  if (!sealed) return null;
  try {
    return openSecret(keyring, sealed, who);
  } catch {
    return null;
  }
}
