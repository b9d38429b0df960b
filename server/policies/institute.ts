// Institutes are kept by administrators (staff only see their names).
import type { PolicyUser } from './case.ts';
import { roleAbilities } from './role.ts';

export const instituteAbilities = {
  create: roleAbilities.admin,
  update: (user: PolicyUser, _institute: { _id: unknown }) => roleAbilities.admin(user),
} as const;
