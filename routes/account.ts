// The signed-in user's own account: name and language, password change (needs the current one;
// other sessions end, this one continues on a new session id), and the TOTP second factor.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../server/deps.ts';
import { User, type UserDoc, isStaff } from '../models/user.ts';
import { recordAudit, securityEvent } from '../server/audit/index.ts';
import { flash } from '../server/http/flash.ts';
import { AuthenticationRequiredError, ConflictError } from '../server/errors.ts';
import { changePasswordForm, keptValues, parseForm, profileForm, totpCodeForm } from '../server/accounts/forms.ts';
import { translateErrors } from '../server/accounts/http.ts';
import { logIn } from '../server/accounts/session.ts';
import { checkTotp, newTotpSecret, totpQrDataUrl } from '../server/accounts/totp.ts';
import { changePassword, claimTotpCode, enableTotp, regenerateRecoveryCodes } from '../server/accounts/service.ts';
import { openPendingTotpSecret, sealPendingTotpSecret } from '../server/accounts/totp-secret.ts';
import { rememberLocale } from '../server/http/visitor-state.ts';

function me(req: Request): UserDoc {
  if (!req.user) throw new AuthenticationRequiredError();
  return req.user as UserDoc;
}

function enrolled(user: UserDoc): boolean {
  return Boolean(user.totp?.enabledAt && user.totp?.secret);
}

export function accountRoutes(ctx: AppContext): Router {
  const router = Router();

  const accountPage = (req: Request, res: Response, status: number, locals: Record<string, unknown> = {}) => {
    const user = me(req);
    res.status(status).render('account/index', {
      title: res.locals.t('accounts.account.title'),
      profile: { name: user.name, locale: user.locale },
      totpEnabled: enrolled(user),
      recoveryLeft: user.totp?.recoveryCodeHashes?.length ?? 0,
      staff: isStaff(user),
      retentionDays: ctx.config.retentionDays,
      ...locals,
    });
  };

  router.get('/account', (req, res) => {
    accountPage(req, res, 200);
  });

  router.post('/account', async (req, res) => {
    const user = me(req);
    const form = parseForm(profileForm, req.body);
    if (!form.ok) {
      accountPage(req, res, 422, { profile: keptValues(req.body), profileErrors: translateErrors(res, form.errors) });
      return;
    }
    const before = { name: user.name, locale: user.locale };
    await User.updateOne({ _id: user._id }, { $set: { name: form.data.name, locale: form.data.locale } });
    rememberLocale(req, form.data.locale);
    await recordAudit(req, { action: 'user.profile_updated', targetType: 'user', targetId: String(user._id), summary: { before, after: form.data } });
    flash(req, 'success', 'accounts.account.saved');
    res.redirect(303, '/account');
  });

  router.post('/account/password', async (req, res) => {
    const user = me(req);
    const form = parseForm(changePasswordForm(user.email), req.body);
    if (!form.ok) {
      accountPage(req, res, 422, { passwordErrors: translateErrors(res, form.errors) });
      return;
    }
    const result = await changePassword(user, form.data.currentPassword, form.data.newPassword);
    if (!result.ok) {
      securityEvent(ctx.logger, req, 'sign_in.failure', { userId: String(user._id), step: 'password_change' });
      accountPage(req, res, 422, { passwordErrors: { currentPassword: res.locals.t('accounts.errors.wrongCurrentPassword') } });
      return;
    }
    // The epoch moved on, so every other session ends; this one is re-established on a new id.
    await logIn(req, result.user);
    securityEvent(ctx.logger, req, 'password.changed', { userId: String(user._id), via: 'account' });
    await recordAudit(req, { action: 'user.password_changed', targetType: 'user', targetId: String(user._id) });
    flash(req, 'success', 'accounts.account.passwordChanged');
    res.redirect(303, '/account');
  });

  // ---------------------------------------------------------------- second factor

  /** The secret being enrolled, kept encrypted in the session (a new one when none, or unreadable after a key rotation). */
  const pendingSecret = (req: Request, user: UserDoc): string => {
    const open = openPendingTotpSecret(ctx.config, user._id, req.session.pendingTotpSecret);
    if (open) return open;
    const secret = newTotpSecret();
    req.session.pendingTotpSecret = sealPendingTotpSecret(ctx.config, user._id, secret);
    return secret;
  };

  const enrolPage = async (req: Request, res: Response, status: number, locals: Record<string, unknown> = {}) => {
    const user = me(req);
    const secret = pendingSecret(req, user);
    res.status(status).render('account/second-factor', {
      title: res.locals.t('accounts.totp.title'),
      enrolling: true,
      mustEnrol: isStaff(user),
      secret,
      secretGrouped: secret.replace(/(.{4})/g, '$1 ').trim(),
      qr: await totpQrDataUrl(secret, user.email),
      ...locals,
    });
  };

  router.get('/account/second-factor', async (req, res) => {
    const user = me(req);
    if (enrolled(user)) {
      res.render('account/second-factor', {
        title: res.locals.t('accounts.totp.title'),
        enrolling: false,
        recoveryLeft: user.totp?.recoveryCodeHashes?.length ?? 0,
      });
      return;
    }
    await enrolPage(req, res, 200);
  });

  router.post('/account/second-factor', async (req, res) => {
    const user = me(req);
    if (enrolled(user)) throw new ConflictError('accounts.totp.alreadyEnabled');
    const secret = openPendingTotpSecret(ctx.config, user._id, req.session.pendingTotpSecret);
    const form = parseForm(totpCodeForm, req.body);
    if (!secret || !form.ok || !checkTotp(secret, form.data.code)) {
      if (secret && form.ok) securityEvent(ctx.logger, req, 'sign_in.second_factor_failure', { userId: String(user._id), step: 'enrolment' });
      await enrolPage(req, res, 422, { errors: { code: res.locals.t(form.ok ? 'accounts.secondFactor.wrongCode' : form.errors.code ?? 'accounts.errors.code') } });
      return;
    }
    const codes = await enableTotp(ctx, user._id, secret);
    delete req.session.pendingTotpSecret;
    await recordAudit(req, { action: 'user.totp_enabled', targetType: 'user', targetId: String(user._id) });
    res.render('account/recovery-codes', { title: res.locals.t('accounts.totp.codesTitle'), codes, justEnabled: true });
  });

  router.post('/account/second-factor/recovery-codes', async (req, res) => {
    const user = me(req);
    if (!enrolled(user)) {
      res.redirect(303, '/account/second-factor');
      return;
    }
    const form = parseForm(totpCodeForm, req.body);
    if (!form.ok || !(await claimTotpCode(ctx, user, form.data.code))) {
      if (form.ok) securityEvent(ctx.logger, req, 'sign_in.second_factor_failure', { userId: String(user._id), step: 'recovery_codes' });
      res.status(422).render('account/second-factor', {
        title: res.locals.t('accounts.totp.title'),
        enrolling: false,
        recoveryLeft: user.totp?.recoveryCodeHashes?.length ?? 0,
        errors: { code: res.locals.t(form.ok ? 'accounts.secondFactor.wrongCode' : form.errors.code ?? 'accounts.errors.code') },
      });
      return;
    }
    const codes = await regenerateRecoveryCodes(user._id);
    await recordAudit(req, { action: 'user.recovery_codes_regenerated', targetType: 'user', targetId: String(user._id) });
    res.render('account/recovery-codes', { title: res.locals.t('accounts.totp.codesTitle'), codes, justEnabled: false });
  });

  return router;
}
