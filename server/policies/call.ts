// Calls for applications: administrators create and edit them; once out of draft a call is
// published (a closed call stays readable, so links in e-mails keep working) and applicants may
// start an application from it (whether it is still open is the application's rule). A draft is
// "not found" to everyone but administrators.
import type { PolicyUser } from './case.ts';

export interface CallSubject {
  status?: string | null;
}

export function isPublished(call: CallSubject): boolean {
  return call.status === 'open' || call.status === 'closed';
}

export const callAbilities = {
  view: (user: PolicyUser, call: CallSubject) => user.role === 'admin' || isPublished(call),
  create: (user: PolicyUser) => user.role === 'admin',
  update: (user: PolicyUser, _call: CallSubject) => user.role === 'admin',
  apply: (user: PolicyUser, call: CallSubject) => user.role === 'applicant' && isPublished(call),
} as const;
