// Public list of open calls and a call's page; starting an application needs an applicant sign-in.
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { TRACKS } from '../models/constants.ts';
import { authorize } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { flash } from '../server/http/flash.ts';
import { caseStyles } from '../server/http/styles.ts';
import { applyTarget, findCall, listOpenCalls, publishedCall } from '../server/calls/service.ts';
import { applicationPath, presentApply, presentCall, presentCallList } from '../server/calls/present.ts';
import { startApplication } from '../server/applications/service.ts';

const listQuery = z.object({
  track: z.enum(TRACKS).optional().catch(undefined),
  field: z.string().trim().min(1).max(200).optional().catch(undefined),
});
const callParams = z.object({ id: z.string() });

export function callsRoutes(app: AppContext): Router {
  const router = Router();
  router.use(['/calls'], caseStyles);

  router.get('/calls', async (req, res) => {
    const { track, field } = listQuery.parse(req.query);
    const listing = await listOpenCalls({ ctx: req.ctx, track, field });
    res.render('calls/index', presentCallList(req.ctx, { listing, track, field }));
  });

  router.get('/calls/:id', async (req, res) => {
    const page = await publishedCall({ ctx: req.ctx, callId: callParams.parse(req.params).id });
    res.render('calls/show', presentCall(req.ctx, page));
  });

  // GET shows what will happen (sign-in first when anonymous, via the gate); POST creates the draft.
  router.get('/calls/:id/apply', allow('role.applicant'), async (req, res) => {
    const call = await findCall({ callId: callParams.parse(req.params).id });
    authorize(req.ctx.actor, 'call.apply', call);
    const { existing } = await applyTarget({ ctx: req.ctx, call });
    if (existing) {
      res.redirect(303, applicationPath(existing));
      return;
    }
    res.render('calls/apply', presentApply(req.ctx, call));
  });

  router.post('/calls/:id/apply', allow('role.applicant'), async (req, res) => {
    const { caseDoc, created } = await startApplication({ ctx: req.ctx, callId: callParams.parse(req.params).id });
    if (created) flash(req, 'success', 'applications.flash.started');
    res.redirect(303, applicationPath({ id: String(caseDoc._id), draft: caseDoc.stage === 'draft' }));
  });

  return router;
}
