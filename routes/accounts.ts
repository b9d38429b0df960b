// Sign-in (password, then the second factor for staff), sign-out, self-registration with e-mail
// verification, password reset, and accepting a staff invitation. Answers never tell whether an
// account exists: same page, same message, and the password is checked against a dummy hash.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { securityEvent } from '../server/audit/index.ts';
import { allow } from '../server/http/allow.ts';
import { safeNextPath } from '../server/http/safe-next.ts';
import { flash } from '../server/http/flash.ts';
import { keptValues, parseForm } from '../server/http/forms.ts';
import { awaitSecondFactor, endSecondFactor, logIn, logOut, pendingSecondFactor } from '../server/http/session.ts';
import { rememberLocale } from '../server/http/visitor-state.ts';
import { checkNewPassword, email, INVALID, locale, name, newPassword, nextPath, secondFactorCode, signInEmail, signInPassword } from '../server/accounts/forms.ts';
import { completeSecondFactor, secondFactorUser, signIn, type LockScope } from '../server/accounts/sign-in.ts';
import {
  acceptInvitation,
  openInvitation,
  openResetLink,
  registerApplicant,
  requestPasswordReset,
  resendVerification,
  resetPassword,
  verifyEmail,
} from '../server/accounts/service.ts';
import { landingPath, lockedMessage, presentAccountsPage, type AccountsPage, type AccountsPageInput } from '../server/accounts/present.ts';
import { sendAfterAnswer } from '../server/accounts/mail.ts';

const signInBody = z.object({ email: signInEmail, password: signInPassword, next: nextPath });
const secondFactorBody = z.object({ code: secondFactorCode, next: nextPath });
const registerBody = z
  .object({ name, email, password: newPassword, locale, consent: z.literal('yes', { error: 'accounts.errors.consent' }) })
  .superRefine(checkNewPassword('password', (v) => v.email));
const emailBody = z.object({ email });
const resetBody = (accountEmail: string) => z.object({ password: newPassword }).superRefine(checkNewPassword('password', () => accountEmail));
const invitationBody = (accountEmail: string) => z.object({ name, password: newPassword }).superRefine(checkNewPassword('password', () => accountEmail));
// Punctuation a mail client or a sentence glued to the end of the link ("…/reset/<token>.") is not
// part of a token (letters, digits, "-" and "_"): dropped, so the link still works.
const tokenParams = z.object({ token: z.string().transform((t) => t.replace(/[^A-Za-z0-9_-]+$/, '')) });

/** Renders a page of views/accounts/ with its presenter. */
function show(req: Request, res: Response, page: AccountsPage, status: number, input: AccountsPageInput = {}): void {
  res.status(status).render(`accounts/${page}`, presentAccountsPage(req.ctx, page, input));
}

/** The lockout answer of both sign-in steps: 429 with Retry-After, on the sign-in page. */
function showLocked(req: Request, res: Response, lock: { retryAfterSeconds: number; scope: LockScope }, values: Record<string, unknown>): void {
  res.setHeader('Retry-After', String(lock.retryAfterSeconds));
  show(req, res, 'signin', 429, { values, message: lockedMessage(lock.retryAfterSeconds, lock.scope) });
}

export function accountsRoutes(app: AppContext): Router {
  const router = Router();
  const { logger } = app;

  // ------------------------------------------------------------------ sign in

  router.get('/signin', (req, res) => {
    const next = safeNextPath(req.query.next, '');
    if (req.user) {
      res.redirect(303, next || landingPath(req.user));
      return;
    }
    // Just confirmed an e-mail address: the form has it already (carried by the confirmation's own
    // message, never in the address bar or the access log).
    const confirmed = (res.locals.flash as { key?: string; params?: { email?: unknown } } | undefined);
    const email = confirmed?.key === 'accounts.verify.done' && typeof confirmed.params?.email === 'string' ? confirmed.params.email : undefined;
    show(req, res, 'signin', 200, { values: { next, ...(email ? { email } : {}) } });
  });

  router.post('/signin', async (req, res) => {
    const form = parseForm(signInBody, req.body, INVALID);
    const next = safeNextPath((req.body as Record<string, unknown>)?.next, '');
    if (!form.ok) {
      show(req, res, 'signin', 422, { values: keptValues(req.body), errors: form.errors });
      return;
    }
    const { email: address } = form.data;
    const outcome = await signIn({ app, ctx: req.ctx, email: address, password: form.data.password });
    switch (outcome.kind) {
      case 'locked':
        securityEvent(logger, req, 'sign_in.locked', { email: address, scope: outcome.scope });
        showLocked(req, res, outcome, { email: address, next });
        return;
      case 'failed':
        securityEvent(logger, req, 'sign_in.failure', { email: address });
        show(req, res, 'signin', 401, { values: { email: address, next }, message: { key: 'accounts.signin.failed' } });
        return;
      case 'disabled': {
        securityEvent(logger, req, 'sign_in.failure', { email: address, disabled: true });
        const { contactEmail } = outcome;
        const key = contactEmail ? 'accounts.signin.disabled' : 'accounts.signin.disabledNoContact';
        show(req, res, 'signin', 403, { values: { email: address, next }, message: { key, params: { contactEmail } } });
        return;
      }
      case 'second_factor':
        await awaitSecondFactor(req, outcome.step);
        res.redirect(303, `/signin/second-factor${next ? `?next=${encodeURIComponent(next)}` : ''}`);
        return;
      case 'signed_in':
        await logIn(req, outcome.user);
        securityEvent(logger, req, 'sign_in.success', { userId: String(outcome.user._id), secondFactor: false });
        res.redirect(303, next || landingPath(outcome.user));
    }
  });

  /** The user half-way through sign-in, or (when that step expired) back to the sign-in page. */
  const pendingUserOrRestart = async (req: Request, res: Response) => {
    const user = await secondFactorUser({ ctx: req.ctx, step: pendingSecondFactor(req) });
    if (!user) {
      endSecondFactor(req);
      flash(req, 'info', 'accounts.secondFactor.expired');
      res.redirect(303, '/signin');
    }
    return user;
  };

  router.get('/signin/second-factor', async (req, res) => {
    if (!(await pendingUserOrRestart(req, res))) return;
    show(req, res, 'second-factor', 200, { values: { next: safeNextPath(req.query.next, '') } });
  });

  router.post('/signin/second-factor', async (req, res) => {
    const user = await pendingUserOrRestart(req, res);
    if (!user) return;
    const next = safeNextPath((req.body as Record<string, unknown>)?.next, '');
    const form = parseForm(secondFactorBody, req.body, INVALID);
    if (!form.ok) {
      show(req, res, 'second-factor', 422, { values: { next }, errors: form.errors });
      return;
    }
    const outcome = await completeSecondFactor({ app, ctx: req.ctx, user, code: form.data.code });
    const userId = String(user._id);
    switch (outcome.kind) {
      case 'locked':
        endSecondFactor(req);
        securityEvent(logger, req, 'sign_in.locked', { userId, step: 'second_factor', scope: outcome.scope });
        showLocked(req, res, outcome, { email: user.email });
        return;
      case 'wrong_code':
        securityEvent(logger, req, 'sign_in.second_factor_failure', { userId, locked: outcome.locked });
        if (outcome.locked) {
          endSecondFactor(req);
          showLocked(req, res, outcome, { email: user.email });
        } else {
          show(req, res, 'second-factor', 401, { values: { next }, errors: { code: 'accounts.secondFactor.wrongCode' } });
        }
        return;
      case 'signed_in': {
        const { recoveryLeft } = outcome;
        await logIn(req, user); // a new session id; the pending marker goes with the old session
        securityEvent(logger, req, 'sign_in.success', { userId, secondFactor: recoveryLeft === undefined ? 'totp' : 'recovery_code' });
        if (recoveryLeft !== undefined) flash(req, 'info', 'accounts.secondFactor.recoveryUsed', { left: recoveryLeft });
        res.redirect(303, next || landingPath(user));
      }
    }
  });

  // ------------------------------------------------------------------ sign out

  router.post('/signout', allow('role.signedIn'), async (req, res) => {
    if (req.user) securityEvent(logger, req, 'sign_out', { userId: String(req.user._id) });
    await logOut(req);
    flash(req, 'success', 'accounts.signout.done');
    res.redirect(303, '/');
  });

  // ------------------------------------------------------------------ registration

  router.get('/register', (req, res) => {
    if (req.user) {
      res.redirect(303, landingPath(req.user));
      return;
    }
    show(req, res, 'register', 200, { values: { locale: req.ctx.locale } });
  });

  router.post('/register', async (req, res) => {
    const form = parseForm(registerBody, req.body, INVALID);
    if (!form.ok) {
      show(req, res, 'register', 422, { values: keptValues(req.body), errors: form.errors });
      return;
    }
    const { email: address } = form.data;
    const { rateLimited, networkLimited, mail } = await registerApplicant({ app, ctx: req.ctx, ...form.data });
    if (networkLimited) {
      securityEvent(logger, req, 'rate_limited', { what: 'register_network', email: address });
      res.setHeader('Retry-After', '3600');
      show(req, res, 'register', 429, { values: keptValues(req.body, 'password'), message: { key: 'accounts.register.networkLimited' } });
      return;
    }
    sendAfterAnswer(res, app, mail);
    if (rateLimited) securityEvent(logger, req, 'rate_limited', { what: 'register', email: address });
    rememberLocale(req, form.data.locale);
    show(req, res, 'check-email', 200, { messageKey: 'accounts.checkEmail.registered', email: address });
  });

  router.get('/verify-email/resend', (req, res) => {
    show(req, res, 'resend', 200, { values: { email: req.user?.email ?? '' } });
  });

  router.post('/verify-email/resend', async (req, res) => {
    const form = parseForm(emailBody, req.body, INVALID);
    if (!form.ok) {
      show(req, res, 'resend', 422, { values: keptValues(req.body), errors: form.errors });
      return;
    }
    const { rateLimited, mail } = await resendVerification({ app, ctx: req.ctx, email: form.data.email });
    sendAfterAnswer(res, app, mail);
    if (rateLimited) securityEvent(logger, req, 'rate_limited', { what: 'verify_resend', email: form.data.email });
    show(req, res, 'check-email', 200, { messageKey: 'accounts.checkEmail.resent', email: form.data.email });
  });

  router.get('/verify-email/:token', async (req, res) => {
    const { token } = tokenParams.parse(req.params);
    const user = await verifyEmail({ ctx: req.ctx, token });
    if (!user) {
      show(req, res, 'link-invalid', 410);
      return;
    }
    flash(req, 'success', 'accounts.verify.done', req.user ? undefined : { email: user.email });
    res.redirect(303, req.user ? landingPath(req.user) : '/signin');
  });

  // ------------------------------------------------------------------ password reset

  router.get('/password/forgot', (req, res) => {
    show(req, res, 'forgot', 200, { values: {} });
  });

  router.post('/password/forgot', async (req, res) => {
    const form = parseForm(emailBody, req.body, INVALID);
    if (!form.ok) {
      show(req, res, 'forgot', 422, { values: keptValues(req.body), errors: form.errors });
      return;
    }
    const { email: address } = form.data;
    securityEvent(logger, req, 'password.reset_requested', { email: address });
    const { rateLimited, mail } = await requestPasswordReset({ app, ctx: req.ctx, email: address });
    sendAfterAnswer(res, app, mail);
    if (rateLimited) securityEvent(logger, req, 'rate_limited', { what: 'password_reset', email: address });
    show(req, res, 'check-email', 200, { messageKey: 'accounts.checkEmail.reset', email: address });
  });

  router.get('/password/reset/:token', async (req, res) => {
    const { token } = tokenParams.parse(req.params);
    if (!(await openResetLink({ ctx: req.ctx, token }))) {
      show(req, res, 'link-invalid', 410);
      return;
    }
    show(req, res, 'reset', 200, { token });
  });

  router.post('/password/reset/:token', async (req, res) => {
    const { token } = tokenParams.parse(req.params);
    const owner = await openResetLink({ ctx: req.ctx, token });
    if (!owner) {
      show(req, res, 'link-invalid', 410);
      return;
    }
    const form = parseForm(resetBody(owner.email), req.body, INVALID);
    if (!form.ok) {
      show(req, res, 'reset', 422, { token, errors: form.errors });
      return;
    }
    const done = await resetPassword({ app, ctx: req.ctx, token, password: form.data.password });
    if (!done) {
      show(req, res, 'link-invalid', 410);
      return;
    }
    securityEvent(logger, req, 'password.changed', { userId: String(done.userId), via: 'reset', calendarFeedEnded: done.feedEnded });
    // Whoever was signed in on this browser starts afresh.
    if (req.user) await logOut(req);
    flash(req, 'success', done.feedEnded ? 'accounts.reset.doneFeedEnded' : 'accounts.reset.done');
    res.redirect(303, '/signin');
  });

  // ------------------------------------------------------------------ staff invitation

  router.get('/invitations/:token', async (req, res) => {
    const { token } = tokenParams.parse(req.params);
    const invitee = await openInvitation({ ctx: req.ctx, token });
    if (!invitee) {
      show(req, res, 'link-invalid', 410);
      return;
    }
    show(req, res, 'invitation', 200, { token, invitee: { email: invitee.email }, values: { name: invitee.name } });
  });

  router.post('/invitations/:token', async (req, res) => {
    const { token } = tokenParams.parse(req.params);
    const invitee = await openInvitation({ ctx: req.ctx, token });
    if (!invitee) {
      show(req, res, 'link-invalid', 410);
      return;
    }
    const form = parseForm(invitationBody(invitee.email), req.body, INVALID);
    if (!form.ok) {
      show(req, res, 'invitation', 422, { token, invitee: { email: invitee.email }, values: keptValues(req.body), errors: form.errors });
      return;
    }
    const user = await acceptInvitation({ ctx: req.ctx, token, ...form.data });
    if (!user) {
      show(req, res, 'link-invalid', 410);
      return;
    }
    await logIn(req, user);
    securityEvent(logger, req, 'sign_in.success', { userId: String(user._id), via: 'invitation' });
    flash(req, 'success', 'accounts.invitation.accepted');
    res.redirect(303, '/account/second-factor');
  });

  return router;
}
