// Administrators: the user list (filter by role and institute), inviting staff, and disabling or
// enabling accounts (disabling ends the account's sessions).
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { ROLES, type Role } from '../models/user.ts';
import { authorize } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { flash } from '../server/http/flash.ts';
import { keptValues, parseForm, type FieldErrorKeys } from '../server/http/forms.ts';
import { email, INVALID, locale, name } from '../server/accounts/forms.ts';
import { findUser, inviteStaff, resendInvitation, setDisabled } from '../server/accounts/service.ts';
import { resetSecondFactor } from '../server/accounts/second-factor.ts';
import { instituteOptions } from '../server/admin/institutes.ts';
import { listUsers } from '../server/admin/users.ts';
import { presentInvite, presentUsers } from '../server/admin/present.ts';

const objectId = z.string().regex(/^[a-f0-9]{24}$/);
const STAFF_ROLE_VALUES = ROLES.filter((r): r is Exclude<Role, 'applicant'> => r !== 'applicant');

const usersQuery = z.object({
  role: z.enum(ROLES).optional().catch(undefined),
  institute: objectId.optional().catch(undefined),
  q: z.string().trim().max(100).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).optional().catch(undefined),
});

const inviteBody = z
  .object({
    email,
    name,
    role: z.enum(STAFF_ROLE_VALUES, { error: 'accounts.errors.role' }),
    institute: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : undefined))
      .pipe(z.string().regex(/^[a-f0-9]{24}$/, 'accounts.errors.instituteRequired').optional()),
    isHrLead: z
      .string()
      .optional()
      .transform((v) => v === 'yes'),
    locale,
  })
  .superRefine((v, ctx) => {
    if ((v.role === 'hr_officer' || v.role === 'leader') && !v.institute)
      ctx.addIssue({ code: 'custom', path: ['institute'], message: 'accounts.errors.instituteRequired' });
  });

const userParams = z.object({ id: z.string() });

export function adminUsersRoutes(app: AppContext): Router {
  const router = Router();
  const admin = allow('role.admin');

  router.get('/admin/users', admin, async (req, res) => {
    const filters = usersQuery.parse(req.query);
    const [listing, institutes] = await Promise.all([listUsers(filters), instituteOptions()]);
    res.render('admin-users/index', presentUsers(req.ctx, { listing, filters, institutes }));
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
    flash(req, result.sent ? 'success' : 'error', result.sent ? 'accounts.invite.sent' : 'accounts.invite.notSent');
    res.redirect(303, '/admin/users');
  });

  /** The account named in the path (404 when there is none). */
  const target = (req: Request) => findUser({ userId: userParams.parse(req.params).id });

  router.post('/admin/users/:id/disable', admin, async (req, res) => {
    const user = await target(req);
    // An administrator cannot lock themselves out (and so the last administrator stays).
    authorize(req.ctx.actor, 'user.disable', user, 'accounts.admin.cannotDisableSelf');
    await setDisabled({ ctx: req.ctx, user, disabled: true });
    flash(req, 'success', 'accounts.admin.disabled');
    res.redirect(303, '/admin/users');
  });

  router.post('/admin/users/:id/enable', admin, async (req, res) => {
    const user = await target(req);
    authorize(req.ctx.actor, 'user.enable', user);
    await setDisabled({ ctx: req.ctx, user, disabled: false });
    flash(req, 'success', 'accounts.admin.enabled');
    res.redirect(303, '/admin/users');
  });

  // For a staff member who lost both their authenticator and their recovery codes: the second
  // factor is removed, their sessions end, and they must enrol again right after their password.
  router.post('/admin/users/:id/reset-second-factor', admin, async (req, res) => {
    const user = await target(req);
    authorize(req.ctx.actor, 'user.resetSecondFactor', user, 'accounts.admin.cannotResetSelf');
    await resetSecondFactor({ ctx: req.ctx, user });
    flash(req, 'success', 'accounts.admin.secondFactorReset');
    res.redirect(303, '/admin/users');
  });

  router.post('/admin/users/:id/resend-invitation', admin, async (req, res) => {
    const user = await target(req);
    authorize(req.ctx.actor, 'user.resendInvitation', user);
    const sent = await resendInvitation({ app, ctx: req.ctx, user });
    flash(req, sent ? 'success' : 'error', sent ? 'accounts.invite.sent' : 'accounts.invite.notSent');
    res.redirect(303, '/admin/users');
  });

  return router;
}
