// Institutes are kept by administrators (staff only see their names).
import type { PolicyUser } from './case.ts';

export interface InstituteSubject {
  _id: unknown;
}

export const instituteAbilities = {
  create: (user: PolicyUser) => user.role === 'admin',
  update: (user: PolicyUser, _institute: InstituteSubject) => user.role === 'admin',
} as const;
