// The audit log page. Administrators only: DESIGN.md names no other reader of AuditEvent (no HR lead
// or leader view of it), and events carry reasons written by and for administrators (account
// decisions) and about every institute; anyone else is refused (fails closed), whatever the filter.
import { roleAbilities } from './role.ts';

export const auditAbilities = {
  list: roleAbilities.admin,
} as const;
