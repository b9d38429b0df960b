// Dashboard and steering report scope: leaders and HR officers see their institute's figures,
// administrators everyone's (optionally one institute). Fails closed for anything else.
import { ForbiddenError } from '../errors.ts';
import type { PolicyUser } from './case.ts';

export function canViewDashboard(user: PolicyUser | undefined): boolean {
  if (!user) return false;
  if (user.role === 'admin') return true;
  return (user.role === 'leader' || user.role === 'hr_officer') && !!user.institute;
}

/** The institute the figures are limited to; undefined means all (administrators only). */
export function dashboardInstitute(user: PolicyUser, requested?: string): unknown {
  if (!canViewDashboard(user)) throw new ForbiddenError();
  if (user.role === 'admin') return requested || undefined;
  return user.institute;
}

/** Institute figures (dashboard, steering report): no subject, the scope comes from dashboardInstitute. */
export const dashboardAbilities = {
  view: (user: PolicyUser) => canViewDashboard(user),
} as const;
