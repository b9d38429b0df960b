// Personal data (DESIGN.md §8): download everything held about me (/account/export), delete my
// account while I have only drafts (/account/delete), and the consent to keep an unsuccessful
// application's data (/applications/:id/consent; the review step saves it with the submission).
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../server/deps.ts';
import type { UserDoc } from '../models/user.ts';
import { AuthenticationRequiredError, ForbiddenError, RateLimitedError } from '../server/errors.ts';
import { allow } from '../server/http/allow.ts';
import { recordAudit, securityEvent } from '../server/audit/index.ts';
import { flash } from '../server/http/flash.ts';
import { logOut } from '../server/accounts/session.ts';
import { createLoginLimiter, type LoginLimiter } from '../server/accounts/limiter.ts';
import { ownCase } from '../server/applications/service.ts';
import { buildExport } from '../server/privacy/export.ts';
import { confirmPassword, deleteOwnAccount, selfDeleteBlock } from '../server/privacy/account.ts';
import { checkboxValue, setKeepDataConsent } from '../server/privacy/consent.ts';
import { rememberLocale } from '../server/http/visitor-state.ts';

function me(req: Request): UserDoc {
  if (!req.user) throw new AuthenticationRequiredError();
  return req.user as UserDoc;
}

export function privacyRoutes(ctx: AppContext): Router {
  const router = Router();
  const anyone = allow('role.signedIn');
  // Password guesses here count with the sign-in failures, so a stolen session cannot be used to try passwords.
  let limiter: LoginLimiter | undefined;
  const passwordLimiter = () => (limiter ??= createLoginLimiter(ctx.db.connection, ctx.config.login));

  router.get('/account/export', anyone, async (req, res) => {
    const user = me(req);
    const now = ctx.now();
    const data = await buildExport(user, now);
    await recordAudit(req, { action: 'privacy.exported', targetType: 'user', targetId: String(user._id) });
    res.set({
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="my-data-${now.toISOString().slice(0, 10)}.json"`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    res.send(JSON.stringify(data, null, 2));
  });

  const deletePage = async (req: Request, res: Response, status: number, locals: Record<string, unknown> = {}) => {
    const user = me(req);
    const block = await selfDeleteBlock(user);
    if (block === 'staff') throw new ForbiddenError('privacy.delete.blocked_staff');
    res.status(status).render('privacy/delete', { title: res.locals.t('privacy.delete.title'), blocked: block ? res.locals.t(`privacy.delete.blocked_${block}`) : undefined, ...locals });
  };

  router.get('/account/delete', anyone, async (req, res) => {
    await deletePage(req, res, 200);
  });

  router.post('/account/delete', anyone, async (req, res) => {
    const user = me(req);
    const block = await selfDeleteBlock(user);
    if (block) throw new ForbiddenError(`privacy.delete.blocked_${block}`);
    const password = (req.body as Record<string, unknown>).password;
    const ip = req.ip ?? '';
    const lock = await passwordLimiter().check(user.email, ip);
    if (lock.locked) throw new RateLimitedError(lock.retryAfterSeconds);
    if (typeof password !== 'string' || password === '' || !(await confirmPassword(user, password))) {
      if (typeof password === 'string' && password !== '') {
        securityEvent(ctx.logger, req, 'sign_in.failure', { userId: String(user._id), step: 'account_delete' });
        await passwordLimiter().fail(user.email, ip);
      }
      await deletePage(req, res, 422, { errors: { password: res.locals.t(password ? 'privacy.delete.wrongPassword' : 'privacy.delete.passwordRequired') } });
      return;
    }
    await passwordLimiter().succeed(user.email, ip);
    await deleteOwnAccount(ctx, req, user);
    const locale = req.locale;
    await logOut(req);
    // The goodbye message in the language the person was using.
    rememberLocale(req, locale);
    flash(req, 'success', 'privacy.delete.done');
    res.redirect(303, '/');
  });

  router.post('/applications/:id/consent', allow('role.applicant'), async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const granted = checkboxValue(req.body, 'keepDataConsent');
    await setKeepDataConsent(req, me(req), caseDoc._id, granted);
    flash(req, 'success', granted ? 'privacy.consent.given' : 'privacy.consent.withdrawn');
    res.redirect(303, `/applications/${String(caseDoc._id)}#personal-data`);
  });

  return router;
}
