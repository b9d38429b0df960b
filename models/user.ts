import { Schema, model, type InferSchemaType, type HydratedDocument, type Types } from 'mongoose';
import { LOCALES } from '../server/i18n/index.ts';
import { watchWrites } from './watch-writes.ts';
import { pendingAuditSchema } from './pending-audit.ts';

export const ROLES = ['applicant', 'hr_officer', 'leader', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const STAFF_ROLES: readonly Role[] = ['hr_officer', 'leader', 'admin'];

const consentSchema = new Schema(
  {
    purpose: { type: String, required: true }, // e.g. 'recruitment', 'keep_after_rejection'
    granted: { type: Boolean, required: true },
    at: { type: Date, required: true },
  },
  { _id: false },
);

/**
 * An e-mail an administrator's action owes the person (an invitation, or the news of a decision about
 * their account), written in the action's own update and removed once sent or failed for good
 * (server/accounts/mail.ts sendPendingAccountMail). The request sends it after its answer; a process
 * that dies in between, or an SMTP server that fails for a while, leaves it to the account-mail job
 * (server/accounts/pending-audit.ts sendPendingAccountMails), which tries again with backoff.
 */
const pendingMailSchema = new Schema(
  {
    key: { type: String, required: true },
    template: { type: String, required: true },
    to: { type: String, required: true },
    name: { type: String, required: true },
    locale: { type: String, enum: LOCALES, required: true },
    data: { type: Schema.Types.Mixed },
    /** The decision's time by the app's clock. */
    at: { type: Date, required: true },
    leaseUntil: { type: Date },
    /** Failed attempts so far, and when the next one is due (the outbox's backoff: server/outbox). */
    attempts: { type: Number },
    nextAttemptAt: { type: Date },
    lastError: { type: String, maxlength: 1000 },
    /** Its row in the mail log (written as queued with the action): the administrator's page links to it. */
    logId: { type: Schema.Types.ObjectId },
  },
  { _id: false, minimize: false },
);

const userSchema = new Schema(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true, maxlength: 254 },
    passwordHash: { type: String },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    role: { type: String, enum: ROLES, required: true, default: 'applicant' },
    institute: { type: Schema.Types.ObjectId, ref: 'Institute' },
    /** Calls on whose evaluation panel this user sits (named by an administrator); the one source of panel membership. */
    panelCalls: { type: [Schema.Types.ObjectId], ref: 'Call', default: [] },
    /** The institute's HR lead receives the overdue digest. */
    isHrLead: { type: Boolean, default: false },
    locale: { type: String, enum: LOCALES, default: 'vi' },
    emailVerifiedAt: { type: Date },
    disabledAt: { type: Date },
    /** Bumped when the password changes or the account is disabled: sessions carrying an older value end. */
    sessionEpoch: { type: Number, default: 0 },
    totp: {
      secret: { type: String },
      enabledAt: { type: Date },
      recoveryCodeHashes: { type: [String], default: [] },
      /** The 30-second step of the last code accepted: a code is good once, so an observed code can't be replayed. */
      lastUsedStep: { type: Number },
    },
    consents: { type: [consentSchema], default: [] },
    lastSignInAt: { type: Date },
    /** The private calendar feed (server/calendar-feed): only the SHA-256 of its secret token is kept. */
    calendarFeed: {
      tokenHash: { type: String, match: /^[a-f0-9]{64}$/ },
      createdAt: { type: Date },
    },
    /** The audit event of an administrator's decision about the account, until it is recorded (server/accounts/pending-audit.ts). */
    pendingAudit: { type: pendingAuditSchema },
    /** Left by versions that kept one owed e-mail at a time: the account-mail job moves it to pendingMails. */
    pendingMail: { type: pendingMailSchema },
    /** Several can be owed at once (disabled, then enabled again while the first still waits for the SMTP server). */
    pendingMails: { type: [pendingMailSchema], default: undefined },
  },
  { timestamps: true },
);

userSchema.index({ role: 1, institute: 1 });
// The feed URL is answered by looking its token's hash up (never by comparing secrets one by one).
userSchema.index({ 'calendarFeed.tokenHash': 1 }, { sparse: true });
// The repair of unrecorded decisions looks for the few accounts with one, never through every account.
userSchema.index({ 'pendingAudit.at': 1 }, { sparse: true });
userSchema.index({ 'pendingAudit.decidedAt': 1 }, { sparse: true });
userSchema.index({ 'pendingMail.at': 1 }, { sparse: true });
userSchema.index({ 'pendingMails.nextAttemptAt': 1 }, { sparse: true });

export type UserFields = InferSchemaType<typeof userSchema>;
export type UserDoc = HydratedDocument<UserFields>;
/**
 * A user as stored, read without Mongoose's document machinery (`.lean()`): the signed-in user of
 * every request (server/accounts/sign-in.ts `sessionUser`) and what actors and policies read. A
 * UserDoc is one too.
 */
export type UserRecord = UserFields & { _id: Types.ObjectId };
/** Called on every write to users through this model (lists of officers kept in memory are forgotten). */
export const onUserWrite = watchWrites(userSchema, 'User');
export const User = model('User', userSchema);

export function isStaff(user: { role: string } | undefined | null): boolean {
  return !!user && (STAFF_ROLES as readonly string[]).includes(user.role);
}
