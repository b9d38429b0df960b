// Administration (admin role only): institutes, calls with checklist and scorecard, the holiday
// calendar and dead e-mails. User accounts live in routes/admin-users.ts, panels in the leaders'
// routes; the index page links to all of them.
import { HOLIDAY_KINDS } from '../models/holiday.ts';
import { withoutHiddenCharacters } from '../server/support/hidden-characters.ts';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import type { Context } from '../server/context.ts';
import { authorize } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { flash } from '../server/http/flash.ts';
import { BadRequestError, ConflictError } from '../server/errors.ts';
import { formatDay } from '../server/views/time.ts';
import { bodyRefusals, parseForm, type FieldErrorKeys } from '../server/http/forms.ts';
import { calendarDayMessage, isCalendarDay, readDayFields } from '../server/support/calendar-day.ts';
import { createInstitute, findInstitute, hrContactValues, HR_CONTACT_LIMITS, instituteOptions, listInstitutes, updateInstitute } from '../server/admin/institutes.ts';
import { callCodeProblems, callPanel, fieldOptions, listCalls, saveCall } from '../server/admin/calls.ts';
import { findCall } from '../server/calls/service.ts';
import { addRow, callToValues, emptyCallValues, valuesFromBody, type CallFormValues } from '../server/admin/call-form.ts';
import { addKnownHoliday, createHoliday, deleteHoliday, dismissKnownHoliday, findHoliday, observeKnownHolidayAgain, holidayOn, knownHolidayOn, holidayToRemove, holidayYear, planHolidayChange, planRemoval, recountResult, type HolidayPlan } from '../server/admin/holidays.ts';
import { decisionReason } from '../server/accounts/forms.ts';
import { adminOverview, outboxOverview, requeueEmail } from '../server/admin/outbox.ts';
import { countEditsToReview } from '../server/email-templates/service.ts';
import {
  presentAdminIndex,
  presentCallForm,
  requiredAddedParams,
  presentCalls,
  presentHolidayConfirm,
  presentHolidays,
  presentRecountResult,
  presentInstituteEdit,
  presentInstitutes,
  presentOutbox,
} from '../server/admin/present.ts';

/** What a form field is given when absent or not text: nothing (so the values shown again are plain strings). */
const text = z.unknown().optional().transform((v) => (typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v[0] === 'string' ? v[0].trim() : ''));
const INVALID = 'admin.errors.invalid';

const INSTITUTE_FIELDS = ['code', 'nameVi', 'nameEn', 'hrEmail', 'hrPhone', 'hrAddressVi', 'hrAddressEn', 'hrHoursVi', 'hrHoursEn'] as const;
/** What was typed, to show again (a name sent several times: its first value, refused by bodyRefusals). */
const instituteFields = z.object(Object.fromEntries(INSTITUTE_FIELDS.map((k) => [k, text])) as Record<(typeof INSTITUTE_FIELDS)[number], typeof text>);
/** An optional part of the HR contact: blank clears it; else bounded and free of hidden characters. */
const contactPart = (max: number) => z.string().max(max, 'admin.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters');
const instituteBody = z.object({
  code: z.string().toUpperCase().regex(/^[A-Z0-9-]{2,20}$/, 'admin.errors.code'),
  nameVi: z.string().min(1, 'admin.errors.required').max(300, 'admin.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
  nameEn: z.string().min(1, 'admin.errors.required').max(300, 'admin.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
  // Kept as typed but lower-cased, as accounts keep addresses; written into e-mails, so an address only.
  hrEmail: contactPart(HR_CONTACT_LIMITS.hrEmail)
    .transform((v) => v.toLowerCase())
    .refine((v) => v === '' || z.email().safeParse(v).success, 'admin.institutes.errors.email'),
  // Digits with the usual separators (+84 24 3756 4321, (024) 3756-4321, ext. not included): at least 6 digits.
  hrPhone: contactPart(HR_CONTACT_LIMITS.hrPhone).refine((v) => v === '' || (/^\+?[0-9 ().\-/]+$/.test(v) && (v.match(/[0-9]/g) ?? []).length >= 6), 'admin.institutes.errors.phone'),
  // Each language optional: the applicant reads their own, else the other (server/support/localized.ts).
  hrAddressVi: contactPart(HR_CONTACT_LIMITS.hrAddressVi),
  hrAddressEn: contactPart(HR_CONTACT_LIMITS.hrAddressEn),
  hrHoursVi: contactPart(HR_CONTACT_LIMITS.hrHoursVi),
  hrHoursEn: contactPart(HR_CONTACT_LIMITS.hrHoursEn),
});

/** The institute form read and checked: the body's own refusals (bodyRefusals) before its values'. */
function parseInstituteForm(body: unknown) {
  const values = instituteFields.parse(body);
  const refused = bodyRefusals(body, INSTITUTE_FIELDS);
  return { values, form: refused ? ({ ok: false, errors: refused } as const) : parseForm(instituteBody, values, INVALID) };
}

const holidayFields = z.object({ date: text, kind: text, nameVi: text, nameEn: text });
// The day fields the holiday and call forms declare (typed day first: readDayFields).
const HOLIDAY_DAYS = ['date'] as const;
const CALL_DAYS = ['opensAt', 'closesAt'] as const;
const holidayBody = z
  .object({
    // Blank is "enter a date"; otherwise say what is wrong with the day typed (2026-02-30: no such day).
    date: z.string().superRefine((v, ctx) => {
      const message = v === '' ? 'admin.errors.date' : calendarDayMessage(v);
      if (message) ctx.addIssue({ code: 'custom', message });
    }),
    // An old form without the choice adds a day off, as it always did.
    kind: z.preprocess((v) => (v === '' ? 'day_off' : v), z.enum(HOLIDAY_KINDS, 'admin.errors.invalid')),
    nameVi: z.string().min(1, 'admin.errors.required').max(200, 'admin.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
    nameEn: z.string().min(1, 'admin.errors.required').max(200, 'admin.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
  })
  // A make-up working day replaces a Saturday or Sunday: a weekday is a working day already.
  .refine((b) => b.kind !== 'working_day' || !isCalendarDay(b.date) || [0, 6].includes(new Date(`${b.date}T00:00:00Z`).getUTCDay()), { path: ['kind'], message: 'admin.holidays.workingDayWeekday' });
/** The confirmation of a calendar change: why (audited), and the plan the page showed. */
const holidayReason = z.object({ reason: decisionReason('admin.holidays.confirm.errors') });
const confirmFields = z.object({ reason: text, seen: text.pipe(z.string().max(64)).catch('') });
/** A known holiday's button: its date only (name, kind and basis come from the list, never from the form). */
const knownBody = z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });
const holidaysQuery = z.object({ year: z.string().regex(/^\d{4}$/).optional().catch(undefined) });

/** The call form's button: "add a row" re-renders, "save" validates and stores (the rows are read by valuesFromBody). */
const callFormOp = z.object({ op: z.enum(['addChecklistRow', 'addCriterionRow', 'save']).catch('save') });

const requeueBody = z.object({ caseId: text, key: text.pipe(z.string().min(1).max(299)) });
const idParams = z.object({ id: z.string() });

export function adminRoutes(app: AppContext): Router {
  const router = Router();
  const admin = allow('role.admin');

  router.get('/admin', admin, async (req, res) => {
    const [overview, templatesToReview] = await Promise.all([adminOverview(), countEditsToReview({ ctx: req.ctx })]);
    res.render('admin/index', presentAdminIndex(req.ctx, { ...overview, templatesToReview }));
  });

  // --- Institutes -------------------------------------------------------------------------
  const showInstitutes = async (req: Request, res: Response, status = 200, values: Record<string, string> = {}, errors?: FieldErrorKeys) => {
    res.status(status).render('admin/institutes', presentInstitutes(req.ctx, { rows: await listInstitutes(), values, errors }));
  };

  router.get('/admin/institutes', admin, async (req, res) => {
    await showInstitutes(req, res);
  });

  router.post('/admin/institutes', admin, async (req, res) => {
    authorize(req.ctx.actor, 'institute.create');
    const { values, form } = parseInstituteForm(req.body);
    const saved = form.ok ? await createInstitute({ ctx: req.ctx, ...form.data }) : form;
    if (!saved.ok) return showInstitutes(req, res, 422, values, saved.errors);
    flash(req, 'success', 'admin.created');
    res.redirect(303, '/admin/institutes');
  });

  router.get('/admin/institutes/:id', admin, async (req, res) => {
    const institute = await findInstitute({ instituteId: idParams.parse(req.params).id });
    const values = { code: institute.code, nameVi: institute.name?.vi, nameEn: institute.name?.en, ...hrContactValues(institute.toObject()) };
    res.render('admin/institute-edit', presentInstituteEdit(req.ctx, { id: String(institute._id), values }));
  });

  router.post('/admin/institutes/:id', admin, async (req, res) => {
    const institute = await findInstitute({ instituteId: idParams.parse(req.params).id });
    authorize(req.ctx.actor, 'institute.update', institute);
    const { values, form } = parseInstituteForm(req.body);
    const saved = form.ok ? await updateInstitute({ ctx: req.ctx, institute, ...form.data }) : form;
    if (!saved.ok) {
      res.status(422).render('admin/institute-edit', presentInstituteEdit(req.ctx, { id: String(institute._id), values, errors: saved.errors }));
      return;
    }
    flash(req, 'success', 'admin.saved');
    res.redirect(303, '/admin/institutes');
  });

  // --- Calls ------------------------------------------------------------------------------
  const showCallForm = async (req: Request, res: Response, input: { id?: string; values: CallFormValues; errors?: FieldErrorKeys; status?: number; call?: Awaited<ReturnType<typeof findCall>> }) => {
    const { call, ...form } = input;
    const [institutes, fields, panel] = await Promise.all([instituteOptions(), fieldOptions(), call ? callPanel(call) : undefined]);
    const defaultMb = Math.round(app.config.upload.maxBytes / (1024 * 1024));
    res.status(input.status ?? 200).render('admin/call-form', presentCallForm(req.ctx, { ...form, institutes, defaultMb, fieldOptions: fields, panel }));
  };

  /** Shared by create and edit: "add row" re-renders, "save" validates and stores. */
  const handleCallForm = async (req: Request, res: Response, call?: Awaited<ReturnType<typeof findCall>>) => {
    const id = call ? String(call._id) : undefined;
    const values = valuesFromBody(readDayFields(req.body, CALL_DAYS));
    const { op } = callFormOp.parse(req.body);
    if (op !== 'save') return showCallForm(req, res, { id, values: addRow(values, op === 'addChecklistRow' ? 'checklist' : 'scorecard') });
    const saved = await saveCall({ ctx: req.ctx, call, values });
    if (!saved.ok) return showCallForm(req, res, { id, values, errors: saved.errors, status: 422 });
    // A row made required while cases are open: how many of them lack it, said on the page (a warning, not a refusal).
    if ('lacking' in saved) flash(req, 'warning', 'admin.calls.requiredAdded', requiredAddedParams(req.ctx, saved.lacking));
    else flash(req, 'success', call ? 'admin.saved' : 'admin.created');
    res.redirect(303, `/admin/calls/${saved.id}`);
  };

  router.get('/admin/calls', admin, async (req, res) => {
    const [rows, codeProblems] = await Promise.all([listCalls(), callCodeProblems()]);
    res.render('admin/calls', presentCalls(req.ctx, { rows, codeProblems }));
  });

  router.get('/admin/calls/new', admin, async (req, res) => {
    await showCallForm(req, res, { values: emptyCallValues(req.ctx.now) });
  });

  router.post('/admin/calls/new', admin, async (req, res) => {
    authorize(req.ctx.actor, 'call.create');
    await handleCallForm(req, res);
  });

  router.get('/admin/calls/:id', admin, async (req, res) => {
    const call = await findCall({ callId: idParams.parse(req.params).id });
    await showCallForm(req, res, { id: String(call._id), values: callToValues(call), call });
  });

  router.post('/admin/calls/:id', admin, async (req, res) => {
    const call = await findCall({ callId: idParams.parse(req.params).id });
    authorize(req.ctx.actor, 'call.update', call);
    await handleCallForm(req, res, call);
  });

  // --- Holidays ---------------------------------------------------------------------------
  const showHolidays = async (req: Request, res: Response, status = 200, values: Record<string, string> = {}, errors?: FieldErrorKeys) => {
    // The year asked for, else the year of the date just typed, else this year.
    const year = holidaysQuery.parse(req.query).year ?? (/^\d{4}/.test(values.date ?? '') ? values.date!.slice(0, 4) : undefined);
    res.status(status).render('admin/holidays', presentHolidays(req.ctx, { calendar: await holidayYear({ ctx: req.ctx, year }), values, errors }));
  };

  router.get('/admin/holidays', admin, async (req, res) => {
    await showHolidays(req, res);
  });

  // Adding or removing a day moves open legal deadlines: each goes through a page (GET) that lists,
  // from a dry run of the recount, what would move and what keeps its date, and asks why; its form
  // (POST) confirms. The add form only checks the day and leads to that page.
  const showHolidayConfirm = async (req: Request, res: Response, status: number, plan: HolidayPlan, action: string, values: Record<string, string>, errors?: FieldErrorKeys) => {
    res.status(status).render('admin/holiday-confirm', presentHolidayConfirm(req.ctx, { plan, action, values, errors }));
  };
  /** The add form's day, checked; a day already in the calendar is said on the form. */
  const dayToAdd = async (values: z.infer<typeof holidayFields>) => {
    const form = parseForm(holidayBody, values, INVALID);
    if (form.ok && (await holidayOn(form.data.date))) return { ok: false as const, errors: { date: 'admin.holidays.dateTaken' } };
    return form;
  };

  router.post('/admin/holidays', admin, async (req, res) => {
    authorize(req.ctx.actor, 'holiday.create');
    const values = holidayFields.parse(readDayFields(req.body, HOLIDAY_DAYS));
    const form = await dayToAdd(values);
    if (!form.ok) return showHolidays(req, res, 422, values, form.errors);
    res.redirect(303, `/admin/holidays/add?${new URLSearchParams(form.data).toString()}`);
  });

  router.get('/admin/holidays/add', admin, async (req, res) => {
    authorize(req.ctx.actor, 'holiday.create');
    const values = holidayFields.parse(req.query);
    const form = await dayToAdd(values);
    if (!form.ok) return showHolidays(req, res, 422, values, form.errors);
    const plan = await planHolidayChange({ ctx: req.ctx, change: 'added', date: form.data.date, kind: form.data.kind, name: { vi: form.data.nameVi, en: form.data.nameEn } });
    await showHolidayConfirm(req, res, 200, plan, '/admin/holidays/add', { ...values, reason: '', seen: plan.seen });
  });

  router.post('/admin/holidays/add', admin, async (req, res) => {
    authorize(req.ctx.actor, 'holiday.create');
    const values = holidayFields.parse(readDayFields(req.body, HOLIDAY_DAYS));
    const form = parseForm(holidayBody, values, INVALID);
    if (!form.ok) return showHolidays(req, res, 422, values, form.errors);
    const { reason: typed, seen } = confirmFields.parse(req.body);
    const kept = { ...values, reason: typed, seen };
    const why = parseForm(holidayReason, { reason: typed }, INVALID);
    if (!why.ok) {
      const plan = await planHolidayChange({ ctx: req.ctx, change: 'added', date: form.data.date, kind: form.data.kind, name: { vi: form.data.nameVi, en: form.data.nameEn } });
      return showHolidayConfirm(req, res, 422, plan, '/admin/holidays/add', kept, why.errors);
    }
    const done = await createHoliday({ app, ctx: req.ctx, ...form.data, reason: why.data.reason, seen });
    if (!done.ok) return showHolidayConfirm(req, res, 409, done.stale, '/admin/holidays/add', { ...kept, seen: done.stale.seen }, { _form: 'admin.holidays.confirm.changed' });
    // The result page it leads to shows the counts: the message does not repeat them.
    flash(req, 'success', 'admin.holidays.added');
    res.redirect(303, `/admin/holidays/recounts/${done.recountId}`);
  });

  // The known holidays missing from the calendar (notice on /admin/holidays): one click adds one, by
  // the same path as a confirmed manual add, or marks it not observed. The buttons send a date of the
  // list; anything else (an operator, a list, a date not in it) was not sent by the page: 400.
  const knownDay = (body: unknown) => {
    const parsed = knownBody.safeParse(body);
    const day = parsed.success ? knownHolidayOn(parsed.data.date) : undefined;
    if (!day) throw new BadRequestError();
    return day;
  };

  router.post('/admin/holidays/known/add', admin, async (req, res) => {
    authorize(req.ctx.actor, 'holiday.create');
    const day = knownDay(req.body);
    try {
      const done = await addKnownHoliday({ app, ctx: req.ctx, day });
      if (!done.ok) throw new Error('a one-click add compares no plan'); // createHoliday without `seen` never returns stale
      flash(req, 'success', 'admin.holidays.added');
      res.redirect(303, `/admin/holidays/recounts/${done.recountId}`);
    } catch (err) {
      // Added meanwhile (a second click, another tab): said, nothing counted twice.
      if (!(err instanceof ConflictError)) throw err;
      flash(req, 'info', 'admin.holidays.known.alreadyAdded', { date: formatDay(new Date(`${day.date}T05:00:00Z`), req.ctx.locale) });
      res.redirect(303, `/admin/holidays?year=${day.date.slice(0, 4)}`);
    }
  });

  // "Not observed" and its undo: a date of the known list only; a second click changes nothing and is told so.
  const knownDayMark = (path: string, permission: 'holiday.dismiss' | 'holiday.observe', run: (ctx: Context, day: ReturnType<typeof knownDay>) => Promise<boolean>, done: string, already: string) =>
    router.post(path, admin, async (req, res) => {
      authorize(req.ctx.actor, permission);
      const day = knownDay(req.body);
      const changed = await run(req.ctx, day);
      flash(req, changed ? 'success' : 'info', changed ? done : already, { date: formatDay(new Date(`${day.date}T05:00:00Z`), req.ctx.locale) });
      res.redirect(303, '/admin/holidays');
    });
  // A day another administrator added meanwhile is observed: not marked, and said so (the add wins).
  router.post('/admin/holidays/known/dismiss', admin, async (req, res) => {
    authorize(req.ctx.actor, 'holiday.dismiss');
    const day = knownDay(req.body);
    const done = await dismissKnownHoliday({ ctx: req.ctx, day });
    const date = formatDay(new Date(`${day.date}T05:00:00Z`), req.ctx.locale);
    if (done.added) flash(req, 'info', 'admin.holidays.known.addedNotDismissed', { date });
    else flash(req, done.dismissed ? 'success' : 'info', done.dismissed ? 'admin.holidays.known.dismissed' : 'admin.holidays.known.alreadyDismissed', { date });
    res.redirect(303, done.added ? `/admin/holidays?year=${day.date.slice(0, 4)}` : '/admin/holidays');
  });
  knownDayMark('/admin/holidays/known/observe', 'holiday.observe', async (ctx, day) => (await observeKnownHolidayAgain({ ctx, day })).restored, 'admin.holidays.known.observed', 'admin.holidays.known.alreadyObserved');

  router.get('/admin/holidays/:id/delete', admin, async (req, res) => {
    const holiday = await findHoliday({ holidayId: idParams.parse(req.params).id });
    authorize(req.ctx.actor, 'holiday.delete', holiday);
    const plan = await planRemoval({ ctx: req.ctx, holiday });
    await showHolidayConfirm(req, res, 200, plan, `/admin/holidays/${String(holiday._id)}/delete`, { reason: '', seen: plan.seen });
  });

  router.post('/admin/holidays/:id/delete', admin, async (req, res) => {
    // Gone already (a second click, another tab): the conflict page, not a second recount.
    const holiday = await holidayToRemove({ holidayId: idParams.parse(req.params).id });
    authorize(req.ctx.actor, 'holiday.delete', holiday);
    const holidayId = String(holiday._id);
    const { reason: typed, seen } = confirmFields.parse(req.body);
    const why = parseForm(holidayReason, { reason: typed }, INVALID);
    if (!why.ok) return showHolidayConfirm(req, res, 422, await planRemoval({ ctx: req.ctx, holiday }), `/admin/holidays/${holidayId}/delete`, { reason: typed, seen }, why.errors);
    const done = await deleteHoliday({ app, ctx: req.ctx, holiday, reason: why.data.reason, seen });
    if (!done.ok) return showHolidayConfirm(req, res, 409, done.stale, `/admin/holidays/${holidayId}/delete`, { reason: typed, seen: done.stale.seen }, { _form: 'admin.holidays.confirm.changed' });
    flash(req, 'success', 'admin.holidays.removed');
    res.redirect(303, `/admin/holidays/recounts/${done.recountId}`);
  });

  router.get('/admin/holidays/recounts/:id', admin, async (req, res) => {
    res.render('admin/holiday-recount', presentRecountResult(req.ctx, await recountResult({ recountId: idParams.parse(req.params).id })));
  });

  // --- E-mail delivery --------------------------------------------------------------------
  router.get('/admin/outbox', admin, async (req, res) => {
    res.render('admin/outbox', presentOutbox(req.ctx, await outboxOverview()));
  });

  router.post('/admin/outbox/requeue', admin, async (req, res) => {
    const body = requeueBody.safeParse(req.body);
    const ok = body.success && (await requeueEmail({ ctx: req.ctx, ...body.data }));
    flash(req, ok ? 'success' : 'error', ok ? 'admin.outbox.requeued' : 'admin.outbox.notRequeued');
    res.redirect(303, '/admin/outbox');
  });

  return router;
}
