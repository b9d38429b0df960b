// Public list of open calls and a call's page; starting an application needs an applicant sign-in.
import { Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { withStyles } from '../server/cases/http.ts';
import { Call } from '../models/call.ts';
import { Institute } from '../models/institute.ts';
import { Case } from '../models/case.ts';
import { TRACKS } from '../models/constants.ts';
import { NotFoundError } from '../server/errors.ts';
import { allow } from '../server/http/allow.ts';
import { existingApplication, isCallOpen, startApplication } from '../server/applications/service.ts';
import { flash } from '../server/http/flash.ts';

const listQuery = z.object({
  track: z.enum(TRACKS).optional().catch(undefined),
  field: z.string().trim().max(200).optional().catch(undefined),
});

export function callsRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(['/calls'], withStyles);

  router.get('/calls', async (req, res) => {
    const t = res.locals.t;
    const now = ctx.now();
    const q = listQuery.parse({ track: req.query.track || undefined, field: typeof req.query.field === 'string' && req.query.field ? req.query.field : undefined });
    const open = { status: 'open', opensAt: { $lte: now }, closesAt: { $gte: now } };
    const filter: Record<string, unknown> = { ...open };
    if (q.track) filter.track = q.track;
    if (q.field) filter.field = q.field;
    const [calls, fieldRows] = await Promise.all([
      Call.find(filter as never, { title: 1, track: 1, field: 1, closesAt: 1, institute: 1 }).sort({ closesAt: 1 }).limit(200).lean(),
      Call.find(open as never, { field: 1 }).limit(1000).lean(),
    ]);
    const institutes = await Institute.find({ _id: { $in: [...new Set(calls.map((c) => String(c.institute)))] } }, { name: 1 }).lean();
    const instituteName = new Map(institutes.map((i) => [String(i._id), i.name]));
    const fields = [...new Set(fieldRows.map((r) => r.field))].sort((a, b) => a.localeCompare(b));
    res.render('calls/index', {
      title: t('calls.title'),
      calls: calls.map((c) => ({ ...c, id: String(c._id), instituteName: instituteName.get(String(c.institute)), trackLabel: t(`calls.tracks.${c.track}`) })),
      tracks: TRACKS.map((k) => ({ value: k, label: t(`calls.tracks.${k}`), selected: q.track === k })),
      fields: fields.map((f) => ({ value: f, selected: q.field === f })),
      filtered: Boolean(q.track || q.field),
    });
  });

  router.get('/calls/:id', async (req, res) => {
    const t = res.locals.t;
    const now = ctx.now();
    if (!Types.ObjectId.isValid(req.params.id)) throw new NotFoundError();
    const call = await Call.findById(req.params.id).lean();
    // Drafts are not published; a closed call stays readable so links in e-mails keep working.
    if (!call || call.status === 'draft') throw new NotFoundError();
    const institute = await Institute.findById(call.institute, { name: 1 }).lean();
    const mine = req.user?.role === 'applicant' ? await Case.findOne({ applicant: req.user._id, call: call._id, stage: { $nin: ['withdrawn', 'rejected', 'closed'] } }, { stage: 1 }).lean() : null;
    res.render('calls/show', {
      title: call.title?.[req.locale] || call.title?.en,
      call,
      id: String(call._id),
      instituteName: institute?.name,
      trackLabel: t(`calls.tracks.${call.track}`),
      open: isCallOpen(call as never, now),
      checklist: (call.checklist ?? []).map((i) => ({
        label: t(`documents.types.${i.type}`, { defaultValue: i.type }),
        phase: t(`documents.phases.${i.phase ?? 'application'}`),
        required: i.required !== false,
        multiple: !!i.multiple,
        note: i.note,
      })),
      mine: mine ? { id: String(mine._id), draft: mine.stage === 'draft' } : undefined,
      canApply: !req.user || req.user.role === 'applicant',
    });
  });

  // GET shows what will happen (sign-in first when anonymous, via the gate); POST creates the draft.
  router.get('/calls/:id/apply', allow('role.applicant'), async (req, res) => {
    const now = ctx.now();
    if (!Types.ObjectId.isValid(String(req.params.id))) throw new NotFoundError();
    const call = await Call.findById(String(req.params.id)).lean();
    if (!call || call.status === 'draft') throw new NotFoundError();
    const existing = await existingApplication(req.user!, call._id);
    if (existing) {
      res.redirect(303, existing.stage === 'draft' ? `/applications/${String(existing._id)}/edit/profile` : `/applications/${String(existing._id)}`);
      return;
    }
    if (!isCallOpen(call as never, now)) throw new NotFoundError('calls.notOpen');
    res.render('calls/apply', { title: res.locals.t('calls.apply.title'), call, id: String(call._id) });
  });

  router.post('/calls/:id/apply', allow('role.applicant'), async (req, res) => {
    const { caseDoc, created } = await startApplication(ctx, req, req.user!, String(req.params.id));
    if (created) flash(req, 'success', 'applications.flash.started');
    res.redirect(303, caseDoc.stage === 'draft' ? `/applications/${String(caseDoc._id)}/edit/profile` : `/applications/${String(caseDoc._id)}`);
  });

  return router;
}
