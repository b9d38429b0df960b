// The working-day calendar's public holidays are kept by administrators (deadlines count on them).
import type { PolicyUser } from './case.ts';

export interface HolidaySubject {
  date: string;
}

export const holidayAbilities = {
  create: (user: PolicyUser) => user.role === 'admin',
  delete: (user: PolicyUser, _holiday: HolidaySubject) => user.role === 'admin',
} as const;
