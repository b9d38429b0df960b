// E-mail: the mail log and the editable templates. Administrators see every e-mail (case and
// account e-mails) and edit the templates; an HR officer sees the e-mails of their institute's
// cases (an account e-mail belongs to no institute) and may requeue those that died; administrators
// may also requeue a dead account e-mail an administrator's action owed.
import type { PolicyUser } from './case.ts';
import { roleAbilities } from './role.ts';
import { sameId } from './ids.ts';

export interface PolicyMail {
  source: string;
  institute?: unknown;
}

function seesMail(user: PolicyUser, m: PolicyMail): boolean {
  if (user.role === 'admin') return true;
  return user.role === 'hr_officer' && m.source === 'case' && m.institute != null && sameId(user.institute, m.institute);
}

export const mailAbilities = {
  /** The mail log page (each row still passes `view`). */
  list: (user: PolicyUser) => user.role === 'admin' || (user.role === 'hr_officer' && user.institute != null),
  view: (user: PolicyUser, m: PolicyMail) => seesMail(user, m),
  /**
   * The recipient's address: an e-mail the HR office's fallback sent to an administrator (an
   * institute with no HR lead) names "the administrators" to HR officers, never their addresses
   * (trust-fix #4); administrators read every address.
   */
  readRecipient: (user: PolicyUser, m: PolicyMail & { toAdmins?: boolean | null }) => user.role === 'admin' || (seesMail(user, m) && m.toAdmins !== true),
  /**
   * A dead e-mail back in the queue: a case e-mail (administrators, and HR for their institute's);
   * an account e-mail (administrators, who alone see them), which server/accounts/requeue.ts then
   * sends again only where that still makes sense.
   */
  requeue: (user: PolicyUser, m: PolicyMail) => seesMail(user, m) && (m.source === 'case' || (m.source === 'account' && user.role === 'admin')),
  editTemplates: roleAbilities.admin,
} as const;
