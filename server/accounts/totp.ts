// TOTP second factor for staff (otplib authenticator, 30 s steps, one step of clock drift allowed)
// and single-use recovery codes, stored as sha256 hashes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { authenticator } from 'otplib';
import { isStaff } from '../../models/user.ts';

authenticator.options = { window: 1 };

export const ISSUER = 'Talent Programme';
export const RECOVERY_CODE_COUNT = 10;

interface TotpHolder {
  role: string;
  totp?: { enabledAt?: Date | null; secret?: string | null } | null;
}

/** The account has a confirmed second factor. */
export function hasSecondFactor(user: Pick<TotpHolder, 'totp'>): boolean {
  return Boolean(user.totp?.enabledAt && user.totp?.secret);
}

/** Staff must enrol a second factor before anything else. */
export function needsTotpEnrolment(user: TotpHolder | undefined): boolean {
  return !!user && isStaff(user) && !hasSecondFactor(user);
}

export function newTotpSecret(): string {
  return authenticator.generateSecret(20);
}

export function totpNow(secret: string): string {
  return authenticator.generate(secret);
}

export function checkTotp(secret: string | undefined | null, code: string): boolean {
  if (!secret || !/^\d{6}$/.test(code)) return false;
  try {
    return authenticator.check(code, secret);
  } catch {
    return false;
  }
}

/** The time step a valid code belongs to (now, or one step either side), or null. */
export function totpStep(secret: string | undefined | null, code: string, nowMs = Date.now()): number | null {
  if (!secret || !/^\d{6}$/.test(code)) return null;
  try {
    const delta = authenticator.checkDelta(code, secret);
    if (delta === null) return null;
    return Math.floor(nowMs / 1000 / authenticator.allOptions().step) + delta;
  } catch {
    return null;
  }
}

export async function totpQrDataUrl(secret: string, email: string): Promise<string> {
  // Loaded on first use (two-factor set-up only), not at start.
  const { default: QRCode } = await import('qrcode');
  return QRCode.toDataURL(authenticator.keyuri(email, ISSUER, secret), { margin: 1, width: 220 });
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Recovery codes are typed by hand: 10 characters from an alphabet without look-alikes, shown as xxxxx-xxxxx. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

export function normalizeRecoveryCode(code: string): string {
  const c = code.toLowerCase().replace(/[^a-z0-9]/g, '');
  return c.length === 10 ? `${c.slice(0, 5)}-${c.slice(5)}` : c;
}

export function hashRecoveryCode(code: string): string {
  return sha256(normalizeRecoveryCode(code));
}

/** Index of the stored hash matching this code, or -1. */
export function findRecoveryCode(hashes: readonly string[], code: string): number {
  const h = Buffer.from(hashRecoveryCode(code), 'hex');
  return hashes.findIndex((s) => {
    const b = Buffer.from(s, 'hex');
    return b.length === h.length && timingSafeEqual(b, h);
  });
}
