// Who may see and act on a case (DESIGN.md §8): the applicant their own; HR officers and leaders
// only their institute's; panel members only cases of calls they sit on; administrators all.
import { sameId } from './index.ts';

export interface PolicyUser {
  _id: unknown;
  role: string;
  institute?: unknown;
  panelCalls?: unknown[];
}

export interface PolicyCase {
  applicant: unknown;
  institute: unknown;
  call: unknown;
}

export function canViewCase(user: PolicyUser | undefined, c: PolicyCase): boolean {
  if (!user) return false;
  switch (user.role) {
    case 'applicant':
      return sameId(user._id, c.applicant);
    case 'hr_officer':
    case 'leader':
      return sameId(user.institute, c.institute) || isPanelMember(user, c);
    case 'admin':
      return true;
    default:
      return false;
  }
}

/** Staff work on a case (notes, assignment, transitions): HR of the case's institute. */
export function canWorkCase(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return !!user && user.role === 'hr_officer' && sameId(user.institute, c.institute);
}

export function canDecideCase(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return !!user && user.role === 'leader' && sameId(user.institute, c.institute);
}

export function isPanelMember(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return !!user && Array.isArray(user.panelCalls) && user.panelCalls.some((id) => sameId(id, c.call));
}

/** A Mongo filter limiting a staff query to what the user may see (never widens). */
export function caseScopeFilter(user: PolicyUser): Record<string, unknown> {
  switch (user.role) {
    case 'applicant':
      return { applicant: user._id };
    case 'hr_officer':
    case 'leader':
      return { $or: [{ institute: user.institute ?? null }, { call: { $in: user.panelCalls ?? [] } }] };
    case 'admin':
      return {};
    default:
      return { _id: null };
  }
}
