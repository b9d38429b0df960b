// Password hashing (argon2id) and the password rules: 12–256 characters, no composition rules,
// not on the shipped list of common passwords, not the e-mail address itself.
import { readFileSync } from 'node:fs';
import { fromRoot } from '../support/project-root.ts';
import { hash, verify } from '@node-rs/argon2';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

// Algorithm.Argon2id is a const enum, which isolatedModules cannot import; its value is 2.
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verified when the account does not exist, so a missing account costs the same time as a wrong password.
let dummyHash: Promise<string> | undefined;

/** Checks a password against a stored hash; with no hash, spends the same effort and answers false. */
export async function verifyPassword(stored: string | undefined | null, password: string): Promise<boolean> {
  if (!stored) {
    dummyHash ??= hashPassword('dummy password for timing equality');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

export const commonPasswordsFile = fromRoot('server/accounts/common-passwords.txt');
let common: Set<string> | undefined;

export function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(commonPasswordsFile, 'utf8')
      .split('\n')
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean),
  );
  return common;
}

export type PasswordProblem = 'tooShort' | 'tooLong' | 'common' | 'sameAsEmail';

/** The first rule the password breaks, or undefined when it is acceptable. Length counts characters, not bytes. */
export function passwordProblem(password: string, email?: string): PasswordProblem | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return 'tooShort';
  if (length > PASSWORD_MAX) return 'tooLong';
  const lower = password.trim().toLowerCase();
  if (email && lower === email.trim().toLowerCase()) return 'sameAsEmail';
  if (commonPasswords().has(lower)) return 'common';
  return undefined;
}
