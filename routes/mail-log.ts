// The mail log (administrators: every e-mail; HR officers: their institute's case e-mails): the
// list with its filters and pages, one message as it was sent, and requeueing a dead one.
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { NotFoundError } from '../server/errors.ts';
import { flash } from '../server/http/flash.ts';
import { sendEmailPreview } from '../server/http/email-preview.ts';
import { findMailLogEntry, listMailLog, loggedMessage, requeueLoggedMail, requeueRefusalFor } from '../server/mail-log/service.ts';
import { sendOwedAfterAnswer } from '../server/accounts/mail.ts';
import { presentMailLog, presentMailLogEntry } from '../server/mail-log/present.ts';
import { PAGE_CURSOR } from '../server/support/cursor-page.ts';

/** Anything not matching is dropped (a filter never fails the page): strings only, bounded. */
const optional = (re: RegExp) => z.unknown().optional().transform((v) => (typeof v === 'string' && re.test(v.trim()) ? v.trim() : undefined));
const logQuery = z.object({
  to: optional(/^[^\s$]{1,254}$/),
  reference: optional(/^[A-Za-z0-9-]{1,20}$/),
  template: optional(/^[a-z0-9_-]{1,60}$/),
  status: z.unknown().optional().transform((v) => (v === 'pending' || v === 'sent' || v === 'dead' ? v : undefined)),
  before: optional(PAGE_CURSOR),
});
/** The entry id of the path; one longer than any entry's does not exist (404, as an unknown id). */
function entryId(params: Record<string, unknown>): string {
  const id = String(params.id ?? '');
  if (id.length > 64) throw new NotFoundError();
  return id;
}

export function mailLogRoutes(app: AppContext): Router {
  const router = Router();
  const caseWorker = allow('role.caseWorker');

  router.get('/mail-log', caseWorker, async (req, res) => {
    const filters = logQuery.parse(req.query ?? {});
    const listing = await listMailLog({ ctx: req.ctx, filters });
    const values = Object.fromEntries(Object.entries(filters).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    res.render('mail-log/index', presentMailLog(req.ctx, { listing, filters, values }));
  });

  router.get('/mail-log/:id', caseWorker, async (req, res) => {
    const entry = await findMailLogEntry({ ctx: req.ctx, id: entryId(req.params) });
    res.render('mail-log/show', presentMailLogEntry(req.ctx, { entry, message: await loggedMessage({ entry }), requeueRefusal: await requeueRefusalFor({ ctx: req.ctx, entry }) }));
  });

  /** The HTML part alone, for the message page's sandboxed frame (server/http/email-preview.ts). */
  router.get('/mail-log/:id/preview', caseWorker, async (req, res) => {
    const entry = await findMailLogEntry({ ctx: req.ctx, id: entryId(req.params) });
    const message = await loggedMessage({ entry });
    // No HTML kept (too long to keep: models/mail-log.ts KEPT_HTML_MAX): the page shows the text only.
    if (!message?.html) throw new NotFoundError();
    sendEmailPreview(res, message.html);
  });

  router.post('/mail-log/:id/requeue', caseWorker, async (req, res) => {
    const done = await requeueLoggedMail({ app, ctx: req.ctx, id: entryId(req.params) });
    // An account e-mail goes after the answer, as the action that owed it did (server/accounts/mail.ts).
    if (done.owed) sendOwedAfterAnswer(res, app, done.owed);
    flash(req, done.ok ? 'success' : 'error', done.message);
    res.redirect(303, `/mail-log/${done.logId}`);
  });

  return router;
}
