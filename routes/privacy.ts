// Personal data (DESIGN.md §8): download everything held about me (/account/export), delete my
// account while I have only drafts (/account/delete), and the consent to keep an unsuccessful
// application's data (/applications/:id/consent; the review step saves it with the submission).
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { actorOf, type Context } from '../server/context.ts';
import { authorize } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { securityEvent } from '../server/audit/index.ts';
import { flash } from '../server/http/flash.ts';
import { logOut } from '../server/http/session.ts';
import { rememberLocale } from '../server/http/visitor-state.ts';
import { exportMyData } from '../server/privacy/export.ts';
import { deleteOwnAccount, selfDeleteBlock } from '../server/privacy/account.ts';
import { isTicked, setKeepDataConsent } from '../server/privacy/consent.ts';
import { presentDeletePage, presentPrivacyNotice } from '../server/privacy/present.ts';

const deleteBody = z.object({ password: z.string().catch('') });
const consentBody = z.object({ keepDataConsent: z.unknown().optional().transform(isTicked) });
const caseParams = z.object({ id: z.string() });

export function privacyRoutes(app: AppContext): Router {
  const router = Router();
  const signedIn = allow('role.signedIn');

  router.get('/account/export', signedIn, async (req, res) => {
    const me = actorOf(req.ctx);
    authorize(me, 'user.export', me);
    const { filename, json } = await exportMyData({ ctx: req.ctx });
    res.set({
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${filename}"`,
      'X-Content-Type-Options': 'nosniff',
    });
    res.send(json);
  });

  /** Staff accounts are disabled by an administrator, never deleted by themselves. */
  const mayErase = (ctx: Context) => {
    const me = actorOf(ctx);
    authorize(me, 'user.erase', me, 'privacy.delete.blocked_staff');
  };

  router.get('/account/delete', signedIn, async (req, res) => {
    mayErase(req.ctx);
    res.render('privacy/delete', presentDeletePage(req.ctx, { block: await selfDeleteBlock({ ctx: req.ctx }) }));
  });

  router.post('/account/delete', signedIn, async (req, res) => {
    mayErase(req.ctx);
    const { password } = deleteBody.parse(req.body);
    const result = await deleteOwnAccount({ app, ctx: req.ctx, password });
    if (!result.ok) {
      if (result.reason === 'wrongPassword') securityEvent(app.logger, req, 'sign_in.failure', { userId: String(actorOf(req.ctx)._id), step: 'account_delete' });
      res.status(422).render('privacy/delete', presentDeletePage(req.ctx, { errors: { password: `privacy.delete.${result.reason}` } }));
      return;
    }
    const locale = req.ctx.locale;
    await logOut(req);
    // The goodbye message in the language the person was using.
    rememberLocale(req, locale);
    flash(req, 'success', 'privacy.delete.done');
    res.redirect(303, '/');
  });

  /** The privacy notice the consent texts name: public (an anonymous visitor reads it before registering). */
  router.get('/privacy', (req, res) => {
    res.render('privacy/notice', presentPrivacyNotice(req.ctx, { retentionDays: app.config.retentionDays }));
  });

  router.post('/applications/:id/consent', allow('role.applicant'), async (req, res) => {
    const { id } = caseParams.parse(req.params);
    const { keepDataConsent: granted } = consentBody.parse(req.body);
    await setKeepDataConsent({ ctx: req.ctx, caseId: id, granted });
    flash(req, 'success', granted ? 'privacy.consent.given' : 'privacy.consent.withdrawn');
    res.redirect(303, `/applications/${id}#personal-data`);
  });

  return router;
}
