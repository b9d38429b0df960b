// Test data built through the models (fast), and sign-in driven through the real pages (so tests
// exercise the same path as a person does). TEST_PASSWORD is hashed once per process.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Institute, type InstituteDoc } from '../../models/institute.ts';
import { User, type Role, type UserDoc, STAFF_ROLES } from '../../models/user.ts';
import { hashPassword } from '../../server/accounts/passwords.ts';
import { newTotpSecret, totpNow } from '../../server/accounts/totp.ts';
import { openTotpSecret, sealTotpSecret } from '../../server/accounts/totp-secret.ts';
import { isSealed } from '../../server/crypto/secrets.ts';
import { Types } from 'mongoose';
import { testKeyConfig } from './keys.ts';
import { csrfFrom, type Agent } from './http.ts';

export const TEST_PASSWORD = 'Test-password for factories 2024';

let passwordHash: Promise<string> | undefined;
export function testPasswordHash(): Promise<string> {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  return passwordHash;
}

let seq = 0;
/** Unique per process and call, so test files sharing a database never collide. */
export function uniqueSuffix(): string {
  seq += 1;
  return `${process.pid.toString(36)}${seq.toString(36)}${randomBytes(2).toString('hex')}`;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${uniqueSuffix()}@example.test`.toLowerCase();
}

export async function createInstitute(over: Record<string, unknown> = {}): Promise<InstituteDoc> {
  const code = `I-${uniqueSuffix()}`.toUpperCase().slice(0, 20);
  return Institute.create({ code, name: { vi: `Viện ${code}`, en: `Institute ${code}` }, ...over });
}

export interface CreateUserOptions {
  role?: Role;
  institute?: unknown;
  email?: string;
  name?: string;
  locale?: 'vi' | 'en';
  panelCalls?: unknown[];
  isHrLead?: boolean;
  /** E-mail verified (default true). */
  verified?: boolean;
  /** Staff get an enabled TOTP secret unless this is false. */
  totp?: boolean;
  password?: string;
  disabled?: boolean;
}

/** A user whose password is TEST_PASSWORD; staff get an enabled TOTP secret; hr_officer/leader get an institute. */
export async function createUser(opts: CreateUserOptions = {}): Promise<UserDoc> {
  const role = opts.role ?? 'applicant';
  const staff = STAFF_ROLES.includes(role);
  let institute = opts.institute;
  if (!institute && (role === 'hr_officer' || role === 'leader')) institute = (await createInstitute())._id;
  const now = new Date();
  // Stored as the app stores it: encrypted with the test apps' key, bound to the account's id.
  const _id = new Types.ObjectId();
  const user = await User.create({
    _id,
    email: (opts.email ?? uniqueEmail(role.replace('_', '-'))).toLowerCase(),
    name: opts.name ?? `Test ${role} ${seq}`,
    role,
    institute: institute && typeof institute === 'object' && '_id' in institute ? (institute as { _id: unknown })._id : institute,
    panelCalls: opts.panelCalls ?? [],
    isHrLead: opts.isHrLead ?? false,
    locale: opts.locale ?? 'en',
    passwordHash: opts.password ? await hashPassword(opts.password) : await testPasswordHash(),
    emailVerifiedAt: opts.verified === false ? undefined : now,
    disabledAt: opts.disabled ? now : undefined,
    totp: staff && opts.totp !== false ? { secret: sealTotpSecret(testKeyConfig, _id, newTotpSecret()), enabledAt: now, recoveryCodeHashes: [] } : { recoveryCodeHashes: [] },
    consents: role === 'applicant' ? [{ purpose: 'recruitment', granted: true, at: now }] : [],
  } as never);
  return user as unknown as UserDoc;
}

/** The plain TOTP secret of a user document (decrypted with the test key), or a plain secret given as such. */
export function plainTotpSecret(user: { _id?: unknown; totp?: { secret?: string | null } | null }): string {
  const stored = user.totp?.secret;
  if (!stored) throw new Error('this user has no TOTP secret');
  if (!isSealed(stored)) return stored; // e.g. a secret read off the enrolment page
  const plain = openTotpSecret(testKeyConfig, { _id: user._id, totp: { secret: stored } });
  if (!plain) throw new Error('the stored TOTP secret does not decrypt with the test key');
  return plain;
}

/** The current TOTP code of a staff user (the secret is read from the document given). */
export function totpCode(user: { _id?: unknown; totp?: { secret?: string | null } | null }): string {
  return totpNow(plainTotpSecret(user));
}

/**
 * A code for signing this user in now, in a test that signs the same person in more than once within
 * 30 seconds: a code is accepted once (replay protection), so the record of the last accepted step is
 * cleared first, as if the previous sign-in had been a step earlier.
 */
export async function freshTotpCode(user: { _id: unknown; totp?: { secret?: string | null } | null }): Promise<string> {
  await User.updateOne({ _id: user._id }, { $unset: { 'totp.lastUsedStep': 1 } });
  return totpCode(user);
}

/**
 * Signs the supertest agent in through the real forms: /signin, then /signin/second-factor for staff.
 * Resolves with the final redirect target; fails the test if sign-in did not succeed.
 */
export async function signIn(a: Agent, user: UserDoc, password = TEST_PASSWORD): Promise<string> {
  const page = await a.get('/signin').set('Accept', 'text/html');
  expect(page.status, 'GET /signin').to.equal(200);
  const res = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), email: user.email, password });
  expect(res.status, `POST /signin for ${user.email}: ${res.text.slice(0, 300)}`).to.equal(303);
  let location = String(res.headers.location);
  if (location.startsWith('/signin/second-factor')) {
    const fresh = await User.findById(user._id).lean();
    const sf = await a.get('/signin/second-factor').set('Accept', 'text/html');
    expect(sf.status, 'GET /signin/second-factor').to.equal(200);
    const done = await a
      .post('/signin/second-factor')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(sf.text), code: await freshTotpCode(fresh ?? user) });
    expect(done.status, `POST /signin/second-factor: ${done.text.slice(0, 300)}`).to.equal(303);
    location = String(done.headers.location);
  }
  return location;
}

/**
 * Runs `run` with the enabled administrators set aside but `keep` (disabled for the moment, enabled
 * again after): other test files leave administrators in the database, and some rules tell them
 * (server/institutes/hr-staff.ts, the HR office's last resort).
 */
export async function withOnlyAdmins<T>(keep: readonly { _id: unknown }[], run: () => Promise<T>): Promise<T> {
  const others = (await User.find({ role: 'admin', disabledAt: null, _id: { $nin: keep.map((u) => u._id) } } as never, { _id: 1 }).lean()).map((u) => u._id);
  await User.updateMany({ _id: { $in: others } }, { $set: { disabledAt: new Date() } });
  try {
    return await run();
  } finally {
    await User.updateMany({ _id: { $in: others } }, { $unset: { disabledAt: 1 } });
  }
}
