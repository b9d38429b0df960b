// The working-day calendar's public holidays are kept by administrators (deadlines count on them).
import type { PolicyUser } from './case.ts';
import { roleAbilities } from './role.ts';

export const holidayAbilities = {
  create: roleAbilities.admin,
  /** Mark a known public holiday as not observed here (the missing-holidays notice stops listing it). */
  dismiss: roleAbilities.admin,
  /** Undo that mark (the notice lists the day again while the calendar lacks it). */
  observe: roleAbilities.admin,
  delete: (user: PolicyUser, _holiday: { date: string }) => roleAbilities.admin(user),
} as const;
