// Areas opened by role alone (no subject): the HR queue, the administration, applying. Routes use
// them through allow('role.<area>') (server/http/allow.ts); what a page shows inside an area is
// decided by the model tables.
import type { PolicyUser } from './case.ts';

const is =
  (...roles: string[]) =>
  (user: PolicyUser) =>
    roles.includes(user.role);

export const roleAbilities = {
  /** Anyone signed in (their own account, export, sign-out). */
  signedIn: is('applicant', 'hr_officer', 'leader', 'admin'),
  applicant: is('applicant'),
  staff: is('hr_officer', 'leader', 'admin'),
  /** HR work: the queue's actions, bulk assignment, case work. */
  caseWorker: is('hr_officer', 'admin'),
  evaluator: is('leader', 'hr_officer'),
  leaderOrAdmin: is('leader', 'admin'),
  admin: is('admin'),
} as const;
