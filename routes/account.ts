// The signed-in user's own account: name and language, password change (needs the current one;
// other sessions end, this one continues on a new session id), and the TOTP second factor.
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { actorOf } from '../server/context.ts';
import { allow } from '../server/http/allow.ts';
import { reloadTo } from '../server/http/reload.ts';
import { securityEvent } from '../server/audit/index.ts';
import { flash } from '../server/http/flash.ts';
import { keptValues, parseForm } from '../server/http/forms.ts';
import { endEnrolment, enrolmentSecret, enrolmentSecretOrNew, logIn } from '../server/http/session.ts';
import { rememberLocale } from '../server/http/visitor-state.ts';
import { followAccountLanguage } from '../server/http/locale.ts';
import { checkNewPassword, INVALID, locale, name, newPassword, password, totpCode } from '../server/accounts/forms.ts';
import { changePassword, updateProfile } from '../server/accounts/service.ts';
import { enrolSecondFactor, regenerateRecoveryCodes } from '../server/accounts/second-factor.ts';
import { hasSecondFactor } from '../server/accounts/totp.ts';
import { presentAccount, presentEnrolment, presentRecoveryCodes, presentSecondFactor } from '../server/accounts/present.ts';

const profileBody = z.object({ name, locale });
const passwordBody = (accountEmail: string) =>
  z.object({ currentPassword: password, newPassword }).superRefine(checkNewPassword('newPassword', () => accountEmail));
const codeBody = z.object({ code: totpCode });

/** The message for a refused code: the form's own, or "wrong code" when it was well-formed. */
const codeError = (form: { ok: boolean; errors?: Record<string, string> }) => ({
  code: form.ok ? 'accounts.secondFactor.wrongCode' : (form.errors?.code ?? 'accounts.errors.code'),
});

export function accountRoutes(app: AppContext): Router {
  const router = Router();
  const { logger } = app;
  const retentionDays = app.config.retentionDays;

  // Every page here is about the actor's own account.
  const signedIn = allow('role.signedIn');

  // The addresses a refused form leaves in the address bar (POST-only actions): reopened, they are its page.
  router.get('/account/password', signedIn, reloadTo(() => '/account'));
  router.get('/account/second-factor/recovery-codes', signedIn, reloadTo(() => '/account/second-factor'));

  router.get('/account', signedIn, (req, res) => {
    res.render('account/index', presentAccount(req.ctx, { retentionDays }));
  });

  router.post('/account', signedIn, async (req, res) => {
    const form = parseForm(profileBody, req.body, INVALID);
    if (!form.ok) {
      res.status(422).render('account/index', presentAccount(req.ctx, { retentionDays, profile: keptValues(req.body), profileErrors: form.errors }));
      return;
    }
    await updateProfile({ ctx: req.ctx, ...form.data });
    rememberLocale(req, form.data.locale);
    // The language saved is the pages' too from now on (a switcher's choice in this session gives way to it).
    followAccountLanguage(req);
    flash(req, 'success', 'accounts.account.saved');
    res.redirect(303, '/account');
  });

  router.post('/account/password', signedIn, async (req, res) => {
    const user = actorOf(req.ctx);
    const form = parseForm(passwordBody(user.email), req.body, INVALID);
    if (!form.ok) {
      res.status(422).render('account/index', presentAccount(req.ctx, { retentionDays, passwordErrors: form.errors }));
      return;
    }
    const result = await changePassword({ ctx: req.ctx, ...form.data });
    if (!result.ok) {
      securityEvent(logger, req, 'sign_in.failure', { userId: String(user._id), step: 'password_change' });
      res.status(422).render('account/index', presentAccount(req.ctx, { retentionDays, passwordErrors: { currentPassword: 'accounts.errors.wrongCurrentPassword' } }));
      return;
    }
    // The epoch moved on, so every other session ends; this one is re-established on a new id.
    await logIn(req, result.user);
    securityEvent(logger, req, 'password.changed', { userId: String(user._id), via: 'account', calendarFeedEnded: result.feedEnded });
    if (result.feedEnded) flash(req, 'success', 'accounts.account.passwordChangedFeedEnded', undefined, { href: '/account/calendar', key: 'calendarFeed.makeAgain' });
    else flash(req, 'success', 'accounts.account.passwordChanged');
    res.redirect(303, '/account');
  });

  // ---------------------------------------------------------------- second factor

  router.get('/account/second-factor', signedIn, async (req, res) => {
    const user = actorOf(req.ctx);
    if (hasSecondFactor(user)) {
      res.render('account/second-factor', presentSecondFactor(req.ctx));
      return;
    }
    res.render('account/second-factor', await presentEnrolment(req.ctx, { secret: enrolmentSecretOrNew(req, app.config, user._id) }));
  });

  router.post('/account/second-factor', signedIn, async (req, res) => {
    const user = actorOf(req.ctx);
    const secret = enrolmentSecret(req, app.config, user._id);
    const form = parseForm(codeBody, req.body, INVALID);
    const result = await enrolSecondFactor({ app, ctx: req.ctx, secret, code: form.ok ? form.data.code : '' });
    if (!result.ok) {
      if (secret && form.ok) securityEvent(logger, req, 'sign_in.second_factor_failure', { userId: String(user._id), step: 'enrolment' });
      const page = await presentEnrolment(req.ctx, { secret: enrolmentSecretOrNew(req, app.config, user._id), errors: codeError(form) });
      res.status(422).render('account/second-factor', page);
      return;
    }
    endEnrolment(req);
    res.render('account/recovery-codes', presentRecoveryCodes(req.ctx, { codes: result.codes, justEnabled: true }));
  });

  router.post('/account/second-factor/recovery-codes', signedIn, async (req, res) => {
    const user = actorOf(req.ctx);
    if (!hasSecondFactor(user)) {
      res.redirect(303, '/account/second-factor');
      return;
    }
    const form = parseForm(codeBody, req.body, INVALID);
    const result = await regenerateRecoveryCodes({ app, ctx: req.ctx, code: form.ok ? form.data.code : '' });
    if (!result.ok) {
      if (form.ok) securityEvent(logger, req, 'sign_in.second_factor_failure', { userId: String(user._id), step: 'recovery_codes' });
      res.status(422).render('account/second-factor', presentSecondFactor(req.ctx, { errors: codeError(form) }));
      return;
    }
    res.render('account/recovery-codes', presentRecoveryCodes(req.ctx, { codes: result.codes, justEnabled: false }));
  });

  return router;
}
