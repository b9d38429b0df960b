// A saved queue filter is its owner's alone: nobody else may see, apply or delete it.
import type { PolicyUser } from './case.ts';
import { roleAbilities } from './role.ts';
import { sameId } from './ids.ts';

export const savedFilterAbilities = {
  /** Staff who read the queue may keep filters of their own. */
  create: roleAbilities.staff,
  view: (user: PolicyUser, f: { user: unknown }) => roleAbilities.staff(user) && sameId(f.user, user._id),
  delete: (user: PolicyUser, f: { user: unknown }) => roleAbilities.staff(user) && sameId(f.user, user._id),
} as const;
