// Administration (admin role only): institutes, calls with checklist and scorecard, the holiday
// calendar and dead e-mails. User accounts live in routes/admin-users.ts, panels in the leaders'
// routes; the index page links to all of them.
import { Router, type Request, type Response } from 'express';
import mongoose from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { NotFoundError } from '../server/errors.ts';
import { flash } from '../server/http/flash.ts';
import { recordAudit } from '../server/audit/index.ts';
import { Institute } from '../models/institute.ts';
import { Call } from '../models/call.ts';
import { Case } from '../models/case.ts';
import { Holiday } from '../models/holiday.ts';
import { TRACKS, DOCUMENT_TYPES, CHECKLIST_PHASES } from '../models/constants.ts';
import { callToValues, emptyCallValues, validateCall, valuesFromBody, type CallFormValues } from '../server/admin/calls.ts';
import { vnDateKey } from '../server/calendar/index.ts';
import { deadMessages, outboxCounts, requeueDead } from '../server/outbox/index.ts';

type Body = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

function idParam(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!mongoose.isValidObjectId(id)) throw new NotFoundError();
  return id;
}

function zodErrors(issues: z.core.$ZodIssue[], t: Response['locals']['t']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const k = String(i.path[0]);
    out[k] ??= t(`admin.errors.${['required', 'tooLong', 'code', 'date'].includes(i.message) ? i.message : 'invalid'}`);
  }
  return out;
}

const instituteSchema = z.object({
  code: z.string().trim().toUpperCase().regex(/^[A-Z0-9-]{2,20}$/, 'code'),
  nameVi: z.string().trim().min(1, 'required').max(300, 'tooLong'),
  nameEn: z.string().trim().min(1, 'required').max(300, 'tooLong'),
});

const holidaySchema = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'date'),
  nameVi: z.string().trim().min(1, 'required').max(200, 'tooLong'),
  nameEn: z.string().trim().min(1, 'required').max(200, 'tooLong'),
});

const isDuplicateKey = (err: unknown) => (err as { code?: number })?.code === 11000;

export function adminRoutes(ctx: AppContext): Router {
  const router = Router();
  const admin = allow('role.admin');

  router.get('/admin', admin, async (_req, res) => {
    const [institutes, calls, counts] = await Promise.all([Institute.countDocuments(), Call.countDocuments(), outboxCounts()]);
    res.render('admin/index', { title: res.locals.t('admin.title'), institutes, calls, counts });
  });

  // --- Institutes -------------------------------------------------------------------------
  async function renderInstitutes(res: Response, status = 200, values: Body = {}, errors: Record<string, string> = {}) {
    const [rows, callCounts] = await Promise.all([
      Institute.find().sort({ code: 1 }).lean(),
      Call.aggregate<{ _id: unknown; n: number }>([{ $group: { _id: '$institute', n: { $sum: 1 } } }]),
    ]);
    const byId = new Map(callCounts.map((c) => [String(c._id), c.n]));
    res.status(status).render('admin/institutes', {
      title: res.locals.t('admin.institutes.title'),
      rows: rows.map((r) => ({ ...r, id: String(r._id), calls: byId.get(String(r._id)) ?? 0 })),
      values,
      errors: Object.keys(errors).length ? errors : undefined,
    });
  }

  router.get('/admin/institutes', admin, async (_req, res) => {
    await renderInstitutes(res);
  });

  router.post('/admin/institutes', admin, async (req, res) => {
    const body = req.body as Body;
    const values = { code: str(body.code), nameVi: str(body.nameVi), nameEn: str(body.nameEn) };
    const parsed = instituteSchema.safeParse(values);
    if (!parsed.success) return renderInstitutes(res, 422, values, zodErrors(parsed.error.issues, res.locals.t));
    try {
      const inst = await Institute.create({ code: parsed.data.code, name: { vi: parsed.data.nameVi, en: parsed.data.nameEn } });
      await recordAudit(req, { action: 'institute.create', targetType: 'institute', targetId: String(inst._id), summary: { code: inst.code } });
    } catch (err) {
      if (isDuplicateKey(err)) return renderInstitutes(res, 422, values, { code: res.locals.t('admin.institutes.codeTaken') });
      throw err;
    }
    flash(req, 'success', 'admin.created');
    res.redirect(303, '/admin/institutes');
  });

  router.get('/admin/institutes/:id', admin, async (req, res) => {
    const inst = await Institute.findById(idParam(req)).lean();
    if (!inst) throw new NotFoundError();
    res.render('admin/institute-edit', { title: res.locals.t('admin.institutes.edit'), id: String(inst._id), values: { code: inst.code, nameVi: inst.name?.vi, nameEn: inst.name?.en } });
  });

  router.post('/admin/institutes/:id', admin, async (req, res) => {
    const id = idParam(req);
    const inst = await Institute.findById(id);
    if (!inst) throw new NotFoundError();
    const body = req.body as Body;
    const values = { code: str(body.code), nameVi: str(body.nameVi), nameEn: str(body.nameEn) };
    const parsed = instituteSchema.safeParse(values);
    const fail = (errors: Record<string, string>) => res.status(422).render('admin/institute-edit', { title: res.locals.t('admin.institutes.edit'), id, values, errors });
    if (!parsed.success) return fail(zodErrors(parsed.error.issues, res.locals.t));
    const before = { code: inst.code, name: { ...inst.name } };
    try {
      await Institute.updateOne({ _id: id }, { $set: { code: parsed.data.code, name: { vi: parsed.data.nameVi, en: parsed.data.nameEn } } });
    } catch (err) {
      if (isDuplicateKey(err)) return fail({ code: res.locals.t('admin.institutes.codeTaken') });
      throw err;
    }
    await recordAudit(req, { action: 'institute.update', targetType: 'institute', targetId: id, summary: { before, after: { code: parsed.data.code } } });
    flash(req, 'success', 'admin.saved');
    res.redirect(303, '/admin/institutes');
  });

  // --- Calls ------------------------------------------------------------------------------
  async function renderCallForm(res: Response, opts: { id?: string; values: CallFormValues; errors?: Record<string, string>; status?: number }) {
    const institutes = await Institute.find().sort({ code: 1 }).lean();
    const t = res.locals.t;
    res.status(opts.status ?? 200).render('admin/call-form', {
      title: t(opts.id ? 'admin.calls.edit' : 'admin.calls.new'),
      id: opts.id,
      action: opts.id ? `/admin/calls/${opts.id}` : '/admin/calls/new',
      values: opts.values,
      errors: opts.errors && Object.keys(opts.errors).length ? opts.errors : undefined,
      institutes: institutes.map((i) => ({ id: String(i._id), code: i.code, name: i.name })),
      tracks: TRACKS,
      documentTypes: DOCUMENT_TYPES,
      phases: CHECKLIST_PHASES,
      statuses: ['draft', 'open', 'closed'],
      checklistRows: opts.values.checklist.length,
      scorecardRows: opts.values.scorecard.length,
    });
  }

  /** Shared by create and edit: "add row" re-renders, "save" validates and stores. */
  async function handleCallForm(req: Request, res: Response, id?: string) {
    const body = req.body as Body;
    const values = valuesFromBody(body);
    const op = str(body.op);
    if (op === 'addChecklistRow') {
      values.checklist.push({ type: '', phase: 'application', required: true, maxMb: '', multiple: false });
      return renderCallForm(res, { id, values });
    }
    if (op === 'addCriterionRow') {
      values.scorecard.push({ key: '', labelVi: '', labelEn: '', weight: '' });
      return renderCallForm(res, { id, values });
    }
    const instituteIds = (await Institute.find({}, { _id: 1 }).lean()).map((i) => String(i._id));
    const { data, errors } = validateCall(values, res.locals.t, instituteIds);
    if (!data) return renderCallForm(res, { id, values, errors, status: 422 });
    if (id) {
      const res1 = await Call.updateOne({ _id: id }, { $set: data, ...(data.code ? {} : { $unset: { code: '' } }) }, { runValidators: true });
      if (res1.matchedCount === 0) throw new NotFoundError();
      await recordAudit(req, { action: 'call.update', targetType: 'call', targetId: id, summary: { status: data.status, checklist: data.checklist.length, scorecard: data.scorecard.length } });
      flash(req, 'success', 'admin.saved');
    } else {
      const call = await Call.create(data);
      id = String(call._id);
      await recordAudit(req, { action: 'call.create', targetType: 'call', targetId: id, summary: { status: data.status, institute: data.institute } });
      flash(req, 'success', 'admin.created');
    }
    res.redirect(303, `/admin/calls/${id}`);
  }

  router.get('/admin/calls', admin, async (_req, res) => {
    const [calls, institutes, counts] = await Promise.all([
      Call.find().sort({ status: 1, closesAt: -1 }).lean(),
      Institute.find({}, { code: 1 }).lean(),
      Case.aggregate<{ _id: unknown; n: number }>([{ $group: { _id: '$call', n: { $sum: 1 } } }]),
    ]);
    const code = new Map(institutes.map((i) => [String(i._id), i.code]));
    const n = new Map(counts.map((c) => [String(c._id), c.n]));
    res.render('admin/calls', {
      title: res.locals.t('admin.calls.title'),
      rows: calls.map((c) => ({ ...c, id: String(c._id), instituteCode: code.get(String(c.institute)) ?? '', cases: n.get(String(c._id)) ?? 0 })),
    });
  });

  router.get('/admin/calls/new', admin, async (_req, res) => {
    await renderCallForm(res, { values: emptyCallValues() });
  });

  router.post('/admin/calls/new', admin, async (req, res) => {
    await handleCallForm(req, res);
  });

  router.get('/admin/calls/:id', admin, async (req, res) => {
    const call = await Call.findById(idParam(req));
    if (!call) throw new NotFoundError();
    await renderCallForm(res, { id: String(call._id), values: callToValues(call) });
  });

  router.post('/admin/calls/:id', admin, async (req, res) => {
    const id = idParam(req);
    if (!(await Call.exists({ _id: id }))) throw new NotFoundError();
    await handleCallForm(req, res, id);
  });

  // --- Holidays ---------------------------------------------------------------------------
  async function renderHolidays(req: Request, res: Response, status = 200, values: Body = {}, errors: Record<string, string> = {}) {
    const thisYear = vnDateKey(new Date()).slice(0, 4);
    const asked = str(req.query.year);
    const year = /^\d{4}$/.test(asked) ? asked : str(values.date).slice(0, 4) || thisYear;
    const rows = await Holiday.find({ date: { $gte: `${year}-01-01`, $lte: `${year}-12-31` } }).sort({ date: 1 }).lean();
    const stored = await Holiday.aggregate<{ _id: string }>([{ $group: { _id: { $substrBytes: ['$date', 0, 4] } } }]);
    const years = [...new Set([...stored.map((y) => y._id), thisYear, year])].sort();
    const locale = res.locals.locale === 'vi' ? 'vi-VN' : 'en-GB';
    res.status(status).render('admin/holidays', {
      title: res.locals.t('admin.holidays.title'),
      year,
      years,
      rows: rows.map((h) => ({ ...h, id: String(h._id), weekday: new Date(`${h.date}T00:00:00Z`).toLocaleDateString(locale, { weekday: 'long', timeZone: 'UTC' }) })),
      values,
      errors: Object.keys(errors).length ? errors : undefined,
    });
  }

  router.get('/admin/holidays', admin, async (req, res) => {
    await renderHolidays(req, res);
  });

  router.post('/admin/holidays', admin, async (req, res) => {
    const body = req.body as Body;
    const values = { date: str(body.date), nameVi: str(body.nameVi), nameEn: str(body.nameEn) };
    const parsed = holidaySchema.safeParse(values);
    if (!parsed.success) return renderHolidays(req, res, 422, values, zodErrors(parsed.error.issues, res.locals.t));
    try {
      const h = await Holiday.create({ date: parsed.data.date, name: { vi: parsed.data.nameVi, en: parsed.data.nameEn } });
      await recordAudit(req, { action: 'holiday.create', targetType: 'holiday', targetId: String(h._id), summary: { date: h.date } });
    } catch (err) {
      if (isDuplicateKey(err)) return renderHolidays(req, res, 422, values, { date: res.locals.t('admin.holidays.dateTaken') });
      throw err;
    }
    flash(req, 'success', 'admin.created');
    res.redirect(303, `/admin/holidays?year=${parsed.data.date.slice(0, 4)}`);
  });

  router.post('/admin/holidays/:id/delete', admin, async (req, res) => {
    const h = await Holiday.findOneAndDelete({ _id: idParam(req) });
    if (!h) throw new NotFoundError();
    await recordAudit(req, { action: 'holiday.delete', targetType: 'holiday', targetId: String(h._id), summary: { date: h.date, name: h.name?.en } });
    flash(req, 'success', 'admin.deleted');
    res.redirect(303, `/admin/holidays?year=${h.date.slice(0, 4)}`);
  });

  // --- E-mail delivery --------------------------------------------------------------------
  router.get('/admin/outbox', admin, async (_req, res) => {
    const [counts, dead] = await Promise.all([outboxCounts(), deadMessages()]);
    res.render('admin/outbox', { title: res.locals.t('admin.outbox.title'), counts, dead });
  });

  router.post('/admin/outbox/requeue', admin, async (req, res) => {
    const body = req.body as Body;
    const caseId = str(body.caseId);
    const key = str(body.key);
    const ok = key.length > 0 && key.length < 300 && (await requeueDead(caseId, key, ctx.now()));
    if (ok) await recordAudit(req, { action: 'email.requeue', targetType: 'case', targetId: caseId, summary: { key } });
    flash(req, ok ? 'success' : 'error', ok ? 'admin.outbox.requeued' : 'admin.outbox.notRequeued');
    res.redirect(303, '/admin/outbox');
  });

  return router;
}
