// Administrators: the user list (filter by role and institute), inviting staff, disabling an account,
// enabling it again or resetting its second factor (each on a page saying what it will do, with a
// reason), and changing a staff member's role
// or institute with a reason (a form, then a confirmation page saying what the change will do).
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { ROLES, type Role } from '../models/user.ts';
import { authorize } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { flash } from '../server/http/flash.ts';
import type { Flash } from '../server/http/visitor-state.ts';
import { keptValues, parseForm, readForm, type FieldErrorKeys } from '../server/http/forms.ts';
import { securityEvent } from '../server/audit/index.ts';
import { ConflictError, ForbiddenError } from '../server/errors.ts';
import { decisionReason, email, INVALID, locale, name } from '../server/accounts/forms.ts';
import { findUser, inviteStaff, resendInvitation } from '../server/accounts/service.ts';
import { instituteOptions } from '../server/admin/institutes.ts';
import { listUsers } from '../server/admin/users.ts';
import { undeliveredInvitations } from '../server/mail-log/failures.ts';
import { changeUserRole, planRoleChange, roleChangeForm, roleChangeSubject, type RoleChangeFields, type RoleChangeSubject } from '../server/accounts/role-change.ts';
import { decisionPage, disableAccount, enableAccount, openDecision, resetSecondFactor, type AccountDecision, type DecisionPage } from '../server/accounts/decisions.ts';
import { accountContact, sendOwedAfterAnswer, type OwedMail } from '../server/accounts/mail.ts';
import { presentAccountDecision, presentInvite, presentRoleChange, presentRoleChangeConfirm, presentUsers, roleChangedFlash } from '../server/admin/present.ts';
import { ID_TEXT } from '../server/support/object-id.js';

const objectId = z.string().regex(ID_TEXT);
const STAFF_ROLE_VALUES = ROLES.filter((r): r is Exclude<Role, 'applicant'> => r !== 'applicant');

const usersQuery = z.object({
  role: z.enum(ROLES).optional().catch(undefined),
  institute: objectId.optional().catch(undefined),
  q: z.string().trim().max(100).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).optional().catch(undefined),
});

/** A staff role, its institute (none chosen: undefined) and the HR-lead box, as the invite and role-change forms send them. */
const staffRole = z.enum(STAFF_ROLE_VALUES, { error: 'accounts.errors.role' });
const institute = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined))
  .pipe(z.string().regex(ID_TEXT, 'accounts.errors.instituteRequired').optional());
const isHrLead = z
  .string()
  .optional()
  .transform((v) => v === 'yes');
/** HR officers and leaders belong to an institute. */
const instituteRequired = (v: { role: string; institute?: string }, ctx: z.RefinementCtx) => {
  if ((v.role === 'hr_officer' || v.role === 'leader') && !v.institute) ctx.addIssue({ code: 'custom', path: ['institute'], message: 'accounts.errors.instituteRequired' });
};

const inviteBody = z.object({ email, name, role: staffRole, institute, isHrLead, locale }).superRefine(instituteRequired);

/** The new role and institute, and why, in the administrator's words (counted in characters that show). */
const roleChangeBody = z
  .object({
    role: staffRole,
    institute,
    isHrLead,
    reason: decisionReason('accounts.roleChange.errors'),
  })
  .superRefine(instituteRequired) satisfies z.ZodType<RoleChangeFields>;
/** The account's updatedAt (ms) the form was built on (hidden field): without it the form is not this page's (400). */
const accountSeen = z.object({ seen: z.string().regex(/^\d{1,15}$/).transform(Number) });

/** Why, in the administrator's words: a disabling, an enabling, a second factor reset (the role change's rules). */
const decisionBody = z.object({ reason: decisionReason('accounts.decision.errors') });

const userParams = z.object({ id: z.string() });

export function adminUsersRoutes(app: AppContext): Router {
  const router = Router();
  const admin = allow('role.admin');

  router.get('/admin/users', admin, async (req, res) => {
    const filters = usersQuery.parse(req.query);
    const [listing, institutes] = await Promise.all([listUsers(filters), instituteOptions()]);
    // Invited accounts whose newest invitation failed: flagged beside "send again".
    const undelivered = await undeliveredInvitations(listing.users.filter((u) => !u.passwordHash && !u.disabledAt).map((u) => u.email));
    res.render('admin-users/index', presentUsers(req.ctx, { listing, filters, institutes, undelivered }));
  });

  const showInvite = async (req: Request, res: Response, status: number, values: Record<string, string>, errors?: FieldErrorKeys) => {
    res.status(status).render('admin-users/invite', presentInvite(req.ctx, { institutes: await instituteOptions(), values, errors }));
  };

  router.get('/admin/users/invite', admin, async (req, res) => {
    await showInvite(req, res, 200, { locale: req.ctx.locale, role: 'hr_officer' });
  });

  router.post('/admin/users/invite', admin, async (req, res) => {
    authorize(req.ctx.actor, 'user.invite');
    const form = parseForm(inviteBody, req.body, INVALID);
    if (!form.ok) {
      await showInvite(req, res, 422, keptValues(req.body), form.errors);
      return;
    }
    const result = await inviteStaff({ app, ctx: req.ctx, ...form.data });
    if (!result.ok) {
      await showInvite(req, res, 422, keptValues(req.body), result.errors);
      return;
    }
    toldAfterAnswer(req, res, result.owed, 'success', 'accounts.invite.queued', { email: result.user.email });
  });

  /**
   * The answer to an action that owes an e-mail: its message, saying the e-mail is being sent (not
   * that it went: the page never waits for the SMTP server), with a link to its row in the mail log,
   * where it shows as pending, then sent, or failed with the reason; then the e-mail is sent.
   */
  const toldAfterAnswer = (req: Request, res: Response, owed: OwedMail, kind: Flash['kind'], key: string, params: Record<string, unknown>) => {
    const logId = owed.mail.logId;
    flash(req, kind, key, params, logId ? { href: `/mail-log/${logId}`, key: 'accounts.decision.mailLink' } : undefined);
    sendOwedAfterAnswer(res, app, owed);
    res.redirect(303, '/admin/users');
  };

  /** The account named in the path (404 when there is none). */
  const userId = (req: Request) => userParams.parse(req.params).id;
  const target = (req: Request) => findUser({ userId: userId(req) });

  // ---- a decision about an account (disabling, enabling, resetting the second factor): its page
  // says what it will do and asks why

  const showDecision = async (req: Request, res: Response, status: number, page: DecisionPage, values: Record<string, string>, errors?: FieldErrorKeys) => {
    res.status(status).render('admin-users/decision', presentAccountDecision(req.ctx, { page, contact: accountContact(app, req.ctx), values, errors }));
  };

  /**
   * A decision refused for what the form cannot fix (their own account, the last administrator:
   * 403; already taken, or the account changed since the page was built: 409) is shown on its page,
   * with what was typed. A stale form then carries the account as it is now, so sending it again
   * means the administrator has seen it.
   */
  const refusedDecision = async (req: Request, res: Response, decision: AccountDecision, err: unknown): Promise<boolean> => {
    if (!(err instanceof ForbiddenError || err instanceof ConflictError)) return false;
    if (err instanceof ForbiddenError) securityEvent(app.logger, req, 'authz.refused', { reason: err.messageKey });
    const page = await decisionPage({ ctx: req.ctx, decision, userId: userId(req) });
    const values = keptValues(req.body);
    if (err instanceof ConflictError) values.seen = String(page.subject.seen);
    await showDecision(req, res, err.status, page, values, { _form: err.messageKey });
    return true;
  };

  /**
   * The three decisions, each a page (GET) and its form (POST), alike but for the service that takes
   * it and the message after. The second factor's reset is for a staff member who lost both their
   * authenticator and their recovery codes: their sessions and calendar feed end, and they enrol
   * again right after their password.
   */
  type Taken = { subject: { name: string }; casesToQueue?: number };
  const decisions: Array<{ decision: AccountDecision; path: string; take: typeof enableAccount | typeof disableAccount; done: (d: Taken) => [Flash['kind'], string, Record<string, unknown>] }> = [
    {
      decision: 'disable',
      path: 'disable',
      take: disableAccount,
      done: (d) => {
        const params = { name: d.subject.name, count: d.casesToQueue ?? 0 };
        return ['success', d.casesToQueue ? 'accounts.disable.doneCases' : 'accounts.disable.done', params];
      },
    },
    { decision: 'enable', path: 'enable', take: enableAccount, done: (d) => ['success', 'accounts.enable.done', { name: d.subject.name }] },
    {
      decision: 'resetSecondFactor',
      path: 'reset-second-factor',
      take: resetSecondFactor,
      done: (d) => ['success', 'accounts.resetSecondFactor.done', { name: d.subject.name }],
    },
  ];
  for (const { decision, path, take, done: message } of decisions) {
    router.get(`/admin/users/:id/${path}`, admin, async (req, res) => {
      const page = await openDecision({ ctx: req.ctx, decision, userId: userId(req) });
      await showDecision(req, res, 200, page, { reason: '', seen: String(page.subject.seen) });
    });

    router.post(`/admin/users/:id/${path}`, admin, async (req, res) => {
      const { seen } = readForm(accountSeen, req.body);
      try {
        const done = await take({ app, ctx: req.ctx, userId: userId(req), seen, form: parseForm(decisionBody, req.body, INVALID) });
        if (!done.ok) return await showDecision(req, res, 422, done.page, keptValues(req.body), done.errors);
        const [kind, key, params] = message(done);
        toldAfterAnswer(req, res, done.owed, kind, key, params);
      } catch (err) {
        if (!(await refusedDecision(req, res, decision, err))) throw err;
      }
    });
  }

  router.post('/admin/users/:id/resend-invitation', admin, async (req, res) => {
    const user = await target(req);
    authorize(req.ctx.actor, 'user.resendInvitation', user);
    const owed = await resendInvitation({ app, ctx: req.ctx, user });
    toldAfterAnswer(req, res, owed, 'success', 'accounts.invite.queued', { email: user.email });
  });

  // ---- a staff member's role or institute: the form, the confirmation, the change

  const showRoleForm = async (req: Request, res: Response, status: number, values: Record<string, string>, errors?: FieldErrorKeys, subject?: RoleChangeSubject) => {
    const shown = subject ?? (await roleChangeSubject({ ctx: req.ctx, userId: userId(req) }));
    res.status(status).render('admin-users/role', presentRoleChange(req.ctx, { subject: shown, institutes: await instituteOptions(), values, errors }));
  };

  /**
   * A change refused for what the form cannot fix (their own role, an applicant's, the last
   * administrator: 403; the account changed since the form was built: 409) is shown on the form,
   * with what was typed. A stale form then carries the account as it is now, so sending it again
   * means the administrator has seen it.
   */
  const refusedOnForm = async (req: Request, res: Response, err: unknown): Promise<boolean> => {
    if (!(err instanceof ForbiddenError || err instanceof ConflictError)) return false;
    if (err instanceof ForbiddenError) securityEvent(app.logger, req, 'authz.refused', { reason: err.messageKey });
    const subject = await roleChangeSubject({ ctx: req.ctx, userId: userId(req) });
    const values = keptValues(req.body);
    if (err instanceof ConflictError) values.seen = String(subject.seen);
    await showRoleForm(req, res, err.status, values, { _form: err.messageKey }, subject);
    return true;
  };

  router.get('/admin/users/:id/role', admin, async (req, res) => {
    const subject = await roleChangeForm({ ctx: req.ctx, userId: userId(req) });
    const { role, institute, isHrLead } = subject.placement;
    await showRoleForm(req, res, 200, { role, institute: institute ?? '', isHrLead: isHrLead ? 'yes' : '', reason: '', seen: String(subject.seen) }, undefined, subject);
  });

  // Step 1: checked, and the confirmation page says what the change will do; nothing is written.
  router.post('/admin/users/:id/role', admin, async (req, res) => {
    const { seen } = readForm(accountSeen, req.body);
    try {
      // "Change something" on the confirmation page: back to the form as it was filled in.
      if ((req.body as Record<string, unknown>).edit === '1') {
        const subject = await roleChangeForm({ ctx: req.ctx, userId: userId(req) });
        return await showRoleForm(req, res, 200, keptValues(req.body), undefined, subject);
      }
      const planned = await planRoleChange({ ctx: req.ctx, userId: userId(req), seen, form: parseForm(roleChangeBody, req.body, INVALID) });
      if (!planned.ok) return await showRoleForm(req, res, 422, keptValues(req.body), planned.errors, planned.subject);
      res.render('admin-users/role-confirm', presentRoleChangeConfirm(req.ctx, { ...planned, institutes: await instituteOptions() }));
    } catch (err) {
      if (!(await refusedOnForm(req, res, err))) throw err;
    }
  });

  // Step 2: the change, checked again (the account may have changed since the confirmation page).
  router.post('/admin/users/:id/role/confirm', admin, async (req, res) => {
    const { seen } = readForm(accountSeen, req.body);
    try {
      const done = await changeUserRole({ app, ctx: req.ctx, userId: userId(req), seen, form: parseForm(roleChangeBody, req.body, INVALID) });
      if (!done.ok) return await showRoleForm(req, res, 422, keptValues(req.body), done.errors, done.subject);
      const told = roleChangedFlash(done);
      toldAfterAnswer(req, res, done.owed, told.kind, told.key, told.params);
    } catch (err) {
      if (!(await refusedOnForm(req, res, err))) throw err;
    }
  });

  return router;
}
