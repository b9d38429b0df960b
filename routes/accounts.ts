// Sign-in (password, then the second factor for staff), sign-out, self-registration with e-mail
// verification, password reset, and accepting a staff invitation. Answers never tell whether an
// account exists: same page, same message, and the password is checked against a dummy hash.
import { Router, type Request, type Response, type NextFunction } from 'express';
import passport from 'passport';
import type { AppContext } from '../server/deps.ts';
import { User, type UserDoc } from '../models/user.ts';
import { securityEvent, recordAudit } from '../server/audit/index.ts';
import { safeNextPath } from '../server/http/safe-next.ts';
import { flash } from '../server/http/flash.ts';
import { keptValues, parseForm, signInForm, secondFactorForm, registerForm, emailOnlyForm, newPasswordForm, invitationAcceptForm } from '../server/accounts/forms.ts';
import { clientIp, landingPath, throttles, translateErrors } from '../server/accounts/http.ts';
import { logIn, logOut, regenerateSession } from '../server/accounts/session.ts';
import { findUsableToken } from '../server/accounts/tokens.ts';
import {
  acceptInvitation,
  claimTotpCode,
  registerApplicant,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  useRecoveryCode,
  verifyEmail,
} from '../server/accounts/service.ts';
import { rememberLocale } from '../server/http/visitor-state.ts';

const SECOND_FACTOR_WINDOW_MS = 10 * 60_000;

function hasTotp(user: { totp?: { enabledAt?: Date | null; secret?: string | null } | null }): boolean {
  return Boolean(user.totp?.enabledAt && user.totp?.secret);
}

/** passport-local as a promise: the user, or false. */
function authenticateLocal(req: Request, res: Response): Promise<UserDoc | false> {
  return new Promise((resolve, reject) => {
    passport.authenticate('local', { session: false }, (err: unknown, user: UserDoc | false) => (err ? reject(err) : resolve(user)))(
      req,
      res,
      ((err?: unknown) => (err ? reject(err) : resolve(false))) as NextFunction,
    );
  });
}

export function accountsRoutes(ctx: AppContext): Router {
  const router = Router();
  const { logger } = ctx;

  const signInPage = (res: Response, status: number, locals: Record<string, unknown>) =>
    res.status(status).render('accounts/signin', { title: res.locals.t('accounts.signin.title'), ...locals });

  const linkInvalid = (res: Response) =>
    res.status(410).render('accounts/link-invalid', { title: res.locals.t('accounts.linkInvalid.title') });

  const checkEmailPage = (res: Response, messageKey: string, email: string) =>
    res.render('accounts/check-email', { title: res.locals.t('accounts.checkEmail.title'), messageKey, email });

  // ------------------------------------------------------------------ sign in

  router.get('/signin', (req, res) => {
    const next = safeNextPath(req.query.next, '');
    if (req.user) {
      res.redirect(303, next || landingPath(req.user));
      return;
    }
    signInPage(res, 200, { values: { next } });
  });

  router.post('/signin', async (req, res) => {
    const form = parseForm(signInForm, req.body);
    const next = safeNextPath((req.body as Record<string, unknown>)?.next, '');
    if (!form.ok) {
      signInPage(res, 422, { values: keptValues(req.body), errors: translateErrors(res, form.errors) });
      return;
    }
    const { email, password } = form.data;
    const ip = clientIp(req);
    const limits = throttles(ctx).login;

    const lock = await limits.check(email, ip);
    if (lock.locked) {
      securityEvent(logger, req, 'sign_in.locked', { email });
      res.setHeader('Retry-After', String(lock.retryAfterSeconds));
      signInPage(res, 429, { values: { email, next }, message: res.locals.t('accounts.signin.locked', { minutes: Math.ceil(lock.retryAfterSeconds / 60) }) });
      return;
    }

    const user = await authenticateLocal(req, res);
    if (!user) {
      const after = await limits.fail(email, ip);
      securityEvent(logger, req, after.locked ? 'sign_in.locked' : 'sign_in.failure', { email });
      if (after.locked) {
        res.setHeader('Retry-After', String(after.retryAfterSeconds));
        signInPage(res, 429, { values: { email, next }, message: res.locals.t('accounts.signin.locked', { minutes: Math.ceil(after.retryAfterSeconds / 60) }) });
      } else {
        signInPage(res, 401, { values: { email, next }, message: res.locals.t('accounts.signin.failed') });
      }
      return;
    }

    if (hasTotp(user)) {
      // Password accepted; the account is not signed in until the second factor is checked.
      await regenerateSession(req);
      req.session.pendingSecondFactor = { userId: String(user._id), epoch: user.sessionEpoch ?? 0, at: ctx.now().getTime() };
      res.redirect(303, `/signin/second-factor${next ? `?next=${encodeURIComponent(next)}` : ''}`);
      return;
    }
    await limits.succeed(email, ip);
    await logIn(req, user);
    await User.updateOne({ _id: user._id }, { $set: { lastSignInAt: ctx.now() } });
    securityEvent(logger, req, 'sign_in.success', { userId: String(user._id), secondFactor: false });
    res.redirect(303, next || landingPath(user));
  });

  const pendingUser = async (req: Request): Promise<UserDoc | null> => {
    const pending = req.session.pendingSecondFactor;
    if (!pending || ctx.now().getTime() - pending.at > SECOND_FACTOR_WINDOW_MS) return null;
    const user = await User.findById(pending.userId);
    if (!user || user.disabledAt || (user.sessionEpoch ?? 0) !== pending.epoch) return null;
    return user as UserDoc;
  };

  /** The user half-way through sign-in, or (when that step expired) back to the sign-in page. */
  const pendingUserOrRestart = async (req: Request, res: Response): Promise<UserDoc | null> => {
    const user = await pendingUser(req);
    if (!user) {
      delete req.session.pendingSecondFactor;
      flash(req, 'info', 'accounts.secondFactor.expired');
      res.redirect(303, '/signin');
    }
    return user;
  };

  const secondFactorPage = (res: Response, status: number, locals: Record<string, unknown>) =>
    res.status(status).render('accounts/second-factor', { title: res.locals.t('accounts.secondFactor.title'), ...locals });

  router.get('/signin/second-factor', async (req, res) => {
    const user = await pendingUserOrRestart(req, res);
    if (!user) return;
    secondFactorPage(res, 200, { values: { next: safeNextPath(req.query.next, '') } });
  });

  router.post('/signin/second-factor', async (req, res) => {
    const user = await pendingUserOrRestart(req, res);
    if (!user) return;
    const next = safeNextPath((req.body as Record<string, unknown>)?.next, '');
    const form = parseForm(secondFactorForm, req.body);
    if (!form.ok) {
      secondFactorPage(res, 422, { values: { next }, errors: translateErrors(res, form.errors) });
      return;
    }
    const ip = clientIp(req);
    const limits = throttles(ctx).login;
    const lock = await limits.check(user.email, ip);
    if (lock.locked) {
      delete req.session.pendingSecondFactor;
      securityEvent(logger, req, 'sign_in.locked', { userId: String(user._id), step: 'second_factor' });
      res.setHeader('Retry-After', String(lock.retryAfterSeconds));
      signInPage(res, 429, { values: { email: user.email }, message: res.locals.t('accounts.signin.locked', { minutes: Math.ceil(lock.retryAfterSeconds / 60) }) });
      return;
    }

    const code = form.data.code.replace(/\s+/g, '');
    let ok = false;
    let recoveryLeft: number | undefined;
    if (/^\d{6}$/.test(code)) ok = await claimTotpCode(ctx, user, code);
    else {
      const r = await useRecoveryCode(user._id, code);
      ok = r.ok;
      if (ok) recoveryLeft = r.left;
    }
    if (!ok) {
      const after = await limits.fail(user.email, ip);
      securityEvent(logger, req, 'sign_in.second_factor_failure', { userId: String(user._id), locked: after.locked });
      if (after.locked) {
        delete req.session.pendingSecondFactor;
        res.setHeader('Retry-After', String(after.retryAfterSeconds));
        signInPage(res, 429, { values: { email: user.email }, message: res.locals.t('accounts.signin.locked', { minutes: Math.ceil(after.retryAfterSeconds / 60) }) });
      } else {
        secondFactorPage(res, 401, { values: { next }, errors: { code: res.locals.t('accounts.secondFactor.wrongCode') } });
      }
      return;
    }
    await limits.succeed(user.email, ip);
    await logIn(req, user); // a new session id; the pending marker goes with the old session
    await User.updateOne({ _id: user._id }, { $set: { lastSignInAt: ctx.now() } });
    securityEvent(logger, req, 'sign_in.success', { userId: String(user._id), secondFactor: recoveryLeft === undefined ? 'totp' : 'recovery_code' });
    if (recoveryLeft !== undefined) {
      await recordAudit(req, { action: 'user.recovery_code_used', targetType: 'user', targetId: String(user._id), summary: { left: recoveryLeft } });
      flash(req, 'info', 'accounts.secondFactor.recoveryUsed', { left: recoveryLeft });
    }
    res.redirect(303, next || landingPath(user));
  });

  // ------------------------------------------------------------------ sign out

  router.post('/signout', async (req, res) => {
    if (req.user) securityEvent(logger, req, 'sign_out', { userId: String(req.user._id) });
    await logOut(req);
    flash(req, 'success', 'accounts.signout.done');
    res.redirect(303, '/');
  });

  // ------------------------------------------------------------------ registration

  const registerPage = (res: Response, status: number, locals: Record<string, unknown>) =>
    res.status(status).render('accounts/register', { title: res.locals.t('accounts.register.title'), ...locals });

  router.get('/register', (req, res) => {
    if (req.user) {
      res.redirect(303, landingPath(req.user));
      return;
    }
    registerPage(res, 200, { values: { locale: req.locale } });
  });

  router.post('/register', async (req, res) => {
    const form = parseForm(registerForm, req.body);
    if (!form.ok) {
      registerPage(res, 422, { values: keptValues(req.body), errors: translateErrors(res, form.errors) });
      return;
    }
    const { email } = form.data;
    if (await throttles(ctx).mail.allow(`register:${email}`)) {
      const { user } = await registerApplicant(ctx, form.data);
      if (user) await recordAudit(req, { action: 'user.registered', targetType: 'user', targetId: String(user._id), actorId: user._id, actorRole: 'applicant' });
    } else securityEvent(logger, req, 'rate_limited', { what: 'register', email });
    rememberLocale(req, form.data.locale);
    checkEmailPage(res, 'accounts.checkEmail.registered', email);
  });

  router.get('/verify-email/resend', (req, res) => {
    res.render('accounts/resend', { title: res.locals.t('accounts.resend.title'), values: { email: req.user?.email ?? '' } });
  });

  router.post('/verify-email/resend', async (req, res) => {
    const form = parseForm(emailOnlyForm, req.body);
    if (!form.ok) {
      res.status(422).render('accounts/resend', { title: res.locals.t('accounts.resend.title'), values: keptValues(req.body), errors: translateErrors(res, form.errors) });
      return;
    }
    if (await throttles(ctx).mail.allow(`verify:${form.data.email}`)) await resendVerification(ctx, form.data.email);
    else securityEvent(logger, req, 'rate_limited', { what: 'verify_resend', email: form.data.email });
    checkEmailPage(res, 'accounts.checkEmail.resent', form.data.email);
  });

  router.get('/verify-email/:token', async (req, res) => {
    const user = await verifyEmail(ctx, req.params.token);
    if (!user) {
      linkInvalid(res);
      return;
    }
    await recordAudit(req, { action: 'user.email_verified', targetType: 'user', targetId: String(user._id), actorId: user._id, actorRole: user.role });
    flash(req, 'success', 'accounts.verify.done');
    res.redirect(303, req.user ? landingPath(req.user) : '/signin');
  });

  // ------------------------------------------------------------------ password reset

  router.get('/password/forgot', (req, res) => {
    res.render('accounts/forgot', { title: res.locals.t('accounts.forgot.title'), values: {} });
  });

  router.post('/password/forgot', async (req, res) => {
    const form = parseForm(emailOnlyForm, req.body);
    if (!form.ok) {
      res.status(422).render('accounts/forgot', { title: res.locals.t('accounts.forgot.title'), values: keptValues(req.body), errors: translateErrors(res, form.errors) });
      return;
    }
    const { email } = form.data;
    securityEvent(logger, req, 'password.reset_requested', { email });
    if (await throttles(ctx).mail.allow(`reset:${email}`)) await requestPasswordReset(ctx, email);
    else securityEvent(logger, req, 'rate_limited', { what: 'password_reset', email });
    checkEmailPage(res, 'accounts.checkEmail.reset', email);
  });

  const resetPage = (res: Response, status: number, locals: Record<string, unknown>) =>
    res.status(status).render('accounts/reset', { title: res.locals.t('accounts.reset.title'), ...locals });

  router.get('/password/reset/:token', async (req, res) => {
    const token = await findUsableToken(req.params.token, 'password_reset', ctx.now());
    if (!token) {
      linkInvalid(res);
      return;
    }
    resetPage(res, 200, { token: req.params.token });
  });

  router.post('/password/reset/:token', async (req, res) => {
    const token = await findUsableToken(req.params.token, 'password_reset', ctx.now());
    const owner = token ? await User.findById(token.user) : null;
    if (!token || !owner) {
      linkInvalid(res);
      return;
    }
    const form = parseForm(newPasswordForm(owner.email), req.body);
    if (!form.ok) {
      resetPage(res, 422, { token: req.params.token, errors: translateErrors(res, form.errors) });
      return;
    }
    const user = await resetPassword(ctx, req.params.token, form.data.password);
    if (!user) {
      linkInvalid(res);
      return;
    }
    await throttles(ctx).login.succeed(user.email, clientIp(req));
    securityEvent(logger, req, 'password.changed', { userId: String(user._id), via: 'reset' });
    await recordAudit(req, { action: 'user.password_reset', targetType: 'user', targetId: String(user._id), actorId: user._id, actorRole: user.role });
    // Whoever was signed in on this browser starts afresh.
    if (req.user) await logOut(req);
    flash(req, 'success', 'accounts.reset.done');
    res.redirect(303, '/signin');
  });

  // ------------------------------------------------------------------ staff invitation

  const invitationPage = (res: Response, status: number, locals: Record<string, unknown>) =>
    res.status(status).render('accounts/invitation', { title: res.locals.t('accounts.invitation.title'), ...locals });

  router.get('/invitations/:token', async (req, res) => {
    const token = await findUsableToken(req.params.token, 'invitation', ctx.now());
    const invitee = token ? await User.findById(token.user) : null;
    if (!token || !invitee || invitee.disabledAt) {
      linkInvalid(res);
      return;
    }
    invitationPage(res, 200, { token: req.params.token, invitee: { email: invitee.email }, values: { name: invitee.name } });
  });

  router.post('/invitations/:token', async (req, res) => {
    const token = await findUsableToken(req.params.token, 'invitation', ctx.now());
    const invitee = token ? await User.findById(token.user) : null;
    if (!token || !invitee || invitee.disabledAt) {
      linkInvalid(res);
      return;
    }
    const form = parseForm(invitationAcceptForm(invitee.email), req.body);
    if (!form.ok) {
      invitationPage(res, 422, { token: req.params.token, invitee: { email: invitee.email }, values: keptValues(req.body), errors: translateErrors(res, form.errors) });
      return;
    }
    const user = await acceptInvitation(ctx, req.params.token, form.data);
    if (!user) {
      linkInvalid(res);
      return;
    }
    await recordAudit(req, { action: 'user.invitation_accepted', targetType: 'user', targetId: String(user._id), actorId: user._id, actorRole: user.role });
    await logIn(req, user);
    securityEvent(logger, req, 'sign_in.success', { userId: String(user._id), via: 'invitation' });
    flash(req, 'success', 'accounts.invitation.accepted');
    res.redirect(303, '/account/second-factor');
  });

  return router;
}
