// Who may do what to a user account. Administrators manage accounts, but never disable, reset the
// second factor of, or change the role of their own (so the last administrator cannot lock everyone
// out, and a role change always has a second person behind it); everyone keeps their own account.
// An account someone may not see is "not found".
import type { PolicyUser } from './case.ts';
import { sameId } from './ids.ts';

/** An account as the table sees it. */
export interface UserSubject {
  _id: unknown;
  role?: string;
}

const isAdmin = (user: PolicyUser) => user.role === 'admin';
const isSelf = (user: PolicyUser, subject: UserSubject) => sameId(user._id, subject._id);
const STAFF: ReadonlySet<unknown> = new Set(['hr_officer', 'leader', 'admin']);

export const userAbilities = {
  /** An administrator sees every account; anyone sees their own. */
  view: (user: PolicyUser, subject: UserSubject) => isAdmin(user) || isSelf(user, subject),
  /** "Export my data": one's own. */
  export: (user: PolicyUser, subject: UserSubject) => isSelf(user, subject),
  /** Deleting an account outright: an applicant their own (staff accounts are disabled, not deleted). */
  erase: (user: PolicyUser, subject: UserSubject) => isSelf(user, subject) && user.role === 'applicant',
  invite: (user: PolicyUser) => isAdmin(user),
  resendInvitation: (user: PolicyUser, _subject: UserSubject) => isAdmin(user),
  disable: (user: PolicyUser, subject: UserSubject) => isAdmin(user) && !isSelf(user, subject),
  enable: (user: PolicyUser, _subject: UserSubject) => isAdmin(user),
  /** For someone who lost both their authenticator and their recovery codes. */
  resetSecondFactor: (user: PolicyUser, subject: UserSubject) => isAdmin(user) && !isSelf(user, subject),
  /** A staff member's role or institute, by another administrator; an applicant's role is theirs by registration. */
  changeRole: (user: PolicyUser, subject: UserSubject) => isAdmin(user) && !isSelf(user, subject) && STAFF.has(subject.role),
} as const;
