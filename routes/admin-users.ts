// Administrators: the user list (filter by role and institute), inviting staff, and disabling or
// enabling accounts (disabling ends the account's sessions).
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../server/deps.ts';
import { User, type UserDoc } from '../models/user.ts';
import { Institute } from '../models/institute.ts';
import { sameId } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { recordAudit } from '../server/audit/index.ts';
import { flash } from '../server/http/flash.ts';
import { ForbiddenError, NotFoundError } from '../server/errors.ts';
import { inviteForm, keptValues, parseForm, userFilterForm } from '../server/accounts/forms.ts';
import { translateErrors } from '../server/accounts/http.ts';
import { inviteStaff, resendInvitation, setDisabled } from '../server/accounts/service.ts';

const PAGE_SIZE = 50;
const ID = /^[a-f0-9]{24}$/;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function adminUsersRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = allow('role.admin');

  router.get('/admin/users', admin, async (req, res) => {
    const f = userFilterForm.parse(req.query);
    const filter: Record<string, unknown> = {};
    if (f.role) filter.role = f.role;
    if (f.institute) filter.institute = f.institute;
    if (f.q) filter.$or = [{ email: { $regex: escapeRegex(f.q.toLowerCase()) } }, { name: { $regex: escapeRegex(f.q), $options: 'i' } }];
    const page = f.page ?? 1;
    const [users, total, institutes] = await Promise.all([
      User.find(filter).sort({ createdAt: -1 }).skip((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).lean(),
      User.countDocuments(filter),
      Institute.find().sort({ code: 1 }).lean(),
    ]);
    const instituteById = new Map(institutes.map((i) => [String(i._id), i]));
    const rows = users.map((u) => ({
      id: String(u._id),
      name: u.name,
      email: u.email,
      role: u.role,
      isHrLead: u.isHrLead,
      institute: u.institute ? instituteById.get(String(u.institute)) : undefined,
      status: u.disabledAt ? 'disabled' : !u.passwordHash ? 'invited' : !u.emailVerifiedAt ? 'unverified' : 'active',
      totp: Boolean(u.totp?.enabledAt),
      lastSignInAt: u.lastSignInAt,
      isSelf: sameId(u._id, req.user?._id),
    }));
    const query = (p: number) => {
      const q = new URLSearchParams();
      if (f.role) q.set('role', f.role);
      if (f.institute) q.set('institute', f.institute);
      if (f.q) q.set('q', f.q);
      q.set('page', String(p));
      return `/admin/users?${q.toString()}`;
    };
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    res.render('admin-users/index', {
      title: res.locals.t('accounts.admin.title'),
      rows,
      total,
      filters: { role: f.role ?? '', institute: f.institute ?? '', q: f.q ?? '' },
      institutes,
      roles: ['applicant', 'hr_officer', 'leader', 'admin'],
      prevUrl: page > 1 ? query(page - 1) : undefined,
      nextUrl: page < pages ? query(page + 1) : undefined,
      page,
      pages,
    });
  });

  const invitePage = async (res: Response, status: number, locals: Record<string, unknown>) => {
    res.status(status).render('admin-users/invite', {
      title: res.locals.t('accounts.invite.title'),
      institutes: await Institute.find().sort({ code: 1 }).lean(),
      roles: ['hr_officer', 'leader', 'admin'],
      ...locals,
    });
  };

  router.get('/admin/users/invite', admin, async (req, res) => {
    await invitePage(res, 200, { values: { locale: req.locale, role: 'hr_officer' } });
  });

  router.post('/admin/users/invite', admin, async (req, res) => {
    const form = parseForm(inviteForm, req.body);
    if (!form.ok) {
      await invitePage(res, 422, { values: keptValues(req.body), errors: translateErrors(res, form.errors) });
      return;
    }
    const result = await inviteStaff(ctx, req.user as UserDoc, form.data);
    if (!result.ok) {
      await invitePage(res, 422, { values: keptValues(req.body), errors: translateErrors(res, { [result.field]: result.key }) });
      return;
    }
    await recordAudit(req, {
      action: 'user.invited',
      targetType: 'user',
      targetId: String(result.user._id),
      summary: { email: result.user.email, role: result.user.role, institute: result.user.institute ? String(result.user.institute) : undefined, isHrLead: result.user.isHrLead },
    });
    flash(req, result.sent ? 'success' : 'error', result.sent ? 'accounts.invite.sent' : 'accounts.invite.notSent');
    res.redirect(303, '/admin/users');
  });

  const target = async (req: Request): Promise<UserDoc> => {
    const id = String(req.params.id);
    if (!ID.test(id)) throw new NotFoundError();
    const user = await User.findById(id);
    if (!user) throw new NotFoundError();
    return user as UserDoc;
  };

  router.post('/admin/users/:id/disable', admin, async (req, res) => {
    const user = await target(req);
    // An administrator cannot lock themselves out (and so the last administrator stays).
    if (sameId(user._id, req.user?._id)) throw new ForbiddenError('accounts.admin.cannotDisableSelf');
    await setDisabled(ctx, String(user._id), true);
    await recordAudit(req, { action: 'user.disabled', targetType: 'user', targetId: String(user._id) });
    flash(req, 'success', 'accounts.admin.disabled');
    res.redirect(303, '/admin/users');
  });

  router.post('/admin/users/:id/enable', admin, async (req, res) => {
    const user = await target(req);
    await setDisabled(ctx, String(user._id), false);
    await recordAudit(req, { action: 'user.enabled', targetType: 'user', targetId: String(user._id) });
    flash(req, 'success', 'accounts.admin.enabled');
    res.redirect(303, '/admin/users');
  });

  // For a staff member who lost both their authenticator and their recovery codes: the second
  // factor is removed, their sessions end, and they must enrol again right after their password.
  router.post('/admin/users/:id/reset-second-factor', admin, async (req, res) => {
    const user = await target(req);
    if (sameId(user._id, req.user?._id)) throw new ForbiddenError('accounts.admin.cannotResetSelf');
    await User.updateOne({ _id: user._id }, { $unset: { totp: 1 }, $inc: { sessionEpoch: 1 } });
    await recordAudit(req, { action: 'user.second_factor_reset', targetType: 'user', targetId: String(user._id) });
    flash(req, 'success', 'accounts.admin.secondFactorReset');
    res.redirect(303, '/admin/users');
  });

  router.post('/admin/users/:id/resend-invitation', admin, async (req, res) => {
    const user = await target(req);
    const sent = await resendInvitation(ctx, req.user as UserDoc, String(user._id));
    await recordAudit(req, { action: 'user.invitation_resent', targetType: 'user', targetId: String(user._id) });
    flash(req, sent ? 'success' : 'error', sent ? 'accounts.invite.sent' : 'accounts.invite.notSent');
    res.redirect(303, '/admin/users');
  });

  return router;
}
