// The private calendar feed: the settings page on the account (make, remake, revoke; POST with the
// CSRF token, each an audit event) and the feed itself, fetched by calendar apps without a session
// (server/http/public-routes.ts), authenticated by the secret token in its path.
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { authorize } from '../server/policies/index.ts';
import { flash } from '../server/http/flash.ts';
import { NotFoundError } from '../server/errors.ts';
import { createFeedToken, renderFeed, revokeFeedToken } from '../server/calendar-feed/service.ts';
import { presentFeedSettings } from '../server/calendar-feed/present.ts';

/** The secret token of `/calendar/<token>.ics` (renderFeed answers any unknown one as not found). */
const feedToken = z.string().min(1).max(200);

export function calendarFeedRoutes(app: AppContext): Router {
  const router = Router();
  // Officers and leaders: exactly the roles that have a caseload with deadlines (service.ts FEED_ROLES).
  const feedHolder: RequestHandler = (req, _res, next) => {
    authorize(req.ctx.actor, 'role.evaluator', undefined, 'calendarFeed.errors.role');
    next();
  };

  router.get('/account/calendar', feedHolder, (req, res) => {
    res.render('calendar-feed/settings', presentFeedSettings(req.ctx, { appUrl: app.config.appUrl }));
  });

  // The URL is on this answer only (the token is not stored): not redirected away from, and, as
  // every page, not cached (server/http/app.ts).
  router.post('/account/calendar', feedHolder, async (req, res) => {
    const made = await createFeedToken({ ctx: req.ctx });
    res.render('calendar-feed/settings', presentFeedSettings(req.ctx, { appUrl: app.config.appUrl, created: made }));
  });

  router.post('/account/calendar/revoke', feedHolder, async (req, res) => {
    const { revoked } = await revokeFeedToken({ ctx: req.ctx });
    flash(req, revoked ? 'success' : 'info', revoked ? 'calendarFeed.revoked' : 'calendarFeed.nothingToRevoke');
    res.redirect(303, '/account/calendar');
  });

  router.get('/calendar/:token.ics', async (req, res) => {
    const token = feedToken.safeParse(req.params.token);
    if (!token.success) throw new NotFoundError();
    const feed = await renderFeed({ app, ctx: req.ctx, token: token.data });
    // Built afresh on every fetch; the ETag lets a calendar app skip an unchanged body. No
    // Last-Modified: a case leaving the feed changes no date that could be compared.
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('ETag', feed.etag);
    res.setHeader('X-Robots-Tag', 'noindex');
    const match = String(req.headers['if-none-match'] ?? '');
    if (match.split(',').some((v) => v.trim().replace(/^W\//, '') === feed.etag)) {
      res.status(304).end();
      return;
    }
    res.type('text/calendar; charset=utf-8').send(feed.body);
  });

  return router;
}
