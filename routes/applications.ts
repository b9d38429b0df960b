// The applicant's pages: my applications, one application (timeline, information request, offer,
// withdraw, messages), and the multi-step form of a draft.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../server/deps.ts';
import { withStyles } from '../server/cases/http.ts';
import { Case, type CaseDoc } from '../models/case.ts';
import { Call } from '../models/call.ts';
import { DEGREES } from '../models/constants.ts';
import type { UserDoc } from '../models/user.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../server/errors.ts';
import { allow } from '../server/http/allow.ts';
import { requireVerifiedEmail } from '../server/http/account-gate.ts';
import { flash } from '../server/http/flash.ts';
import { availableActions } from '../server/workflow/index.ts';
import {
  applicantAction,
  canEditStep,
  editableSteps,
  ownCase,
  peopleNames,
  saveStep,
  type ApplicantAction,
} from '../server/applications/service.ts';
import {
  STEPS,
  isStep,
  nextStep,
  parseAchievements,
  parseDependants,
  parseEligibility,
  parseProfile,
  parseSupport,
  profileValues,
  eligibilityValues,
  rowValues,
  ROW_SPECS,
  SUPPORT_FIELDS,
  type RowKind,
  type Step,
} from '../server/applications/steps.ts';
import { missingParts, type MissingPart } from '../server/applications/completeness.ts';
import { criteriaFor } from '../server/applications/tracks.ts';
import { countryOptions, countryName } from '../server/applications/countries.ts';
import { postMessage } from '../server/cases/commands.ts';
import { documentsChecklist, messagesView, stageLabel, timeline } from '../server/cases/present.ts';
import { bodyText, formVersion, renderConflict } from '../server/cases/http.ts';
import { checkboxValue, setKeepDataConsent } from '../server/privacy/consent.ts';

type T = Response['locals']['t'];

function translateErrors(t: T, errors: FieldErrors): FieldErrors {
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.includes('.') && !v.includes(' ') ? t(v) : v]));
}

function stepNav(t: T, caseDoc: CaseDoc, current: Step) {
  const editable = editableSteps(caseDoc.stage);
  return STEPS.filter((s) => editable.includes(s)).map((s) => ({
    key: s,
    label: t(`applications.steps.${s}`),
    href: `/applications/${String(caseDoc._id)}/edit/${s}`,
    current: s === current,
  }));
}

/** Rows of a repeatable section, each cell with its field name, value and error. */
function rowsView(kind: RowKind, rows: Record<string, string>[], errors: FieldErrors) {
  const spec = ROW_SPECS[kind];
  return rows.map((row, i) => {
    const cells: Record<string, { name: string; value: string; error?: string }> = {};
    for (const col of Object.keys(spec.columns)) {
      const name = `${spec.prefix}_${i}_${col}`;
      cells[col] = { name, value: row[col] ?? '', error: errors[name] };
    }
    return { index: i, rowNumber: i + 1, ...cells };
  });
}

function missingView(t: T, caseId: string, parts: MissingPart[]) {
  return parts.map((p) => {
    let text: string;
    if (p.step === 'profile') text = t('applications.missing.field', { field: t(p.key) });
    else if (p.step === 'documents') text = t(p.key, { type: t(`documents.types.${String(p.params?.type)}`, { defaultValue: String(p.params?.type) }) });
    else text = t(p.key, p.params ?? {});
    let href: string | undefined;
    if (p.step === 'documents') href = `/applications/${caseId}#documents`;
    else if (p.step !== 'call') href = `/applications/${caseId}/edit/${p.step}${p.field ? `#f-${p.field}` : ''}`;
    return { text, href, stepLabel: p.step === 'documents' ? t('applications.documents.title') : p.step === 'call' ? '' : t(`applications.steps.${p.step}`) };
  });
}

interface StepState {
  values?: Record<string, unknown>;
  errors?: FieldErrors;
  rows?: Partial<Record<RowKind, Record<string, string>[]>>;
  missing?: MissingPart[];
  submitErrors?: string[];
}

async function renderStep(ctx: AppContext, req: Request, res: Response, caseDoc: CaseDoc, step: Step, state: StepState = {}, status = 200): Promise<void> {
  const t = res.locals.t;
  const locale = req.locale;
  const call = await Call.findById(caseDoc.call, { title: 1, track: 1, status: 1, opensAt: 1, closesAt: 1, checklist: 1 }).lean();
  const errors = translateErrors(t, state.errors ?? {});
  const id = String(caseDoc._id);
  const view: Record<string, unknown> = {
    title: `${t(`applications.steps.${step}`)} · ${caseDoc.reference}`,
    caseId: id,
    reference: caseDoc.reference,
    callTitle: call?.title,
    step,
    steps: stepNav(t, caseDoc, step),
    version: caseDoc.version,
    errors: Object.keys(errors).length ? errors : undefined,
    action: `/applications/${id}/edit/${step}`,
    isDraft: caseDoc.stage === 'draft',
    hasNext: step !== 'review' && editableSteps(caseDoc.stage).includes(nextStep(step)),
  };
  switch (step) {
    case 'profile': {
      const values = state.values ?? profileValues(caseDoc.profile as never);
      view.values = values;
      view.countries = countryOptions(locale);
      view.degrees = DEGREES.map((d) => ({ value: d, label: t(`applications.degrees.${d}`) }));
      break;
    }
    case 'eligibility': {
      const values = state.values ?? eligibilityValues(caseDoc.eligibility as never);
      view.trackLabel = t(`calls.tracks.${caseDoc.track}`);
      view.criteria = criteriaFor(caseDoc.track).map((c) => ({
        key: c.key,
        label: c.label[locale] ?? c.label.en,
        met: values[`met_${c.key}`] ?? '',
        evidence: values[`evidence_${c.key}`] ?? '',
        metError: errors[`met_${c.key}`],
        evidenceError: errors[`evidence_${c.key}`],
      }));
      break;
    }
    case 'achievements': {
      const a = caseDoc.achievements;
      view.publications = rowsView('publications', state.rows?.publications ?? rowValues('publications', a?.publications as never), errors);
      view.patents = rowsView('patents', state.rows?.patents ?? rowValues('patents', a?.patents as never), errors);
      view.projectsLed = rowsView('projectsLed', state.rows?.projectsLed ?? rowValues('projectsLed', a?.projectsLed as never), errors);
      break;
    }
    case 'dependants': {
      view.dependants = rowsView('dependants', state.rows?.dependants ?? rowValues('dependants', caseDoc.dependants as never), errors);
      view.countries = countryOptions(locale);
      break;
    }
    case 'support': {
      const values = state.values ?? Object.fromEntries(SUPPORT_FIELDS.map((f) => [f, !!caseDoc.supportRequested?.[f]]));
      view.support = SUPPORT_FIELDS.map((f) => ({ name: f, label: t(`applications.support.${f}`), hint: t(`applications.support.${f}Hint`), checked: !!values[f] }));
      break;
    }
    case 'review': {
      const missing = state.missing ?? (await missingParts(caseDoc, call, locale, ctx.now()));
      view.missing = missingView(t, id, missing);
      view.submitErrors = state.submitErrors;
      view.summary = reviewSummary(t, caseDoc, locale);
      view.keepDataConsent = caseDoc.keepDataConsent === true;
      view.retentionDays = ctx.config.retentionDays;
      break;
    }
  }
  res.status(status).render('applications/edit', view);
}

function reviewSummary(t: T, c: CaseDoc, locale: string) {
  const p = (c.profile ?? {}) as Record<string, unknown>;
  return {
    fullName: p.fullName,
    dateOfBirth: p.dateOfBirth,
    nationality: countryName(p.nationality, locale),
    countryOfResidence: countryName(p.countryOfResidence, locale),
    highestDegree: p.highestDegree ? t(`applications.degrees.${String(p.highestDegree)}`) : '',
    field: p.field,
    currentPosition: p.currentPosition,
    currentEmployer: p.currentEmployer,
    publications: c.achievements?.publicationsCount ?? 0,
    patents: c.achievements?.patentsCount ?? 0,
    projectsLed: c.achievements?.projectsLed?.length ?? 0,
    dependants: (c.dependants ?? []).length,
    support: SUPPORT_FIELDS.filter((f) => c.supportRequested?.[f]).map((f) => t(`applications.support.${f}`)),
  };
}

interface DetailState {
  errors?: FieldErrors;
  values?: Record<string, unknown>;
}

async function renderDetail(ctx: AppContext, req: Request, res: Response, caseDoc: CaseDoc, state: DetailState = {}, status = 200): Promise<void> {
  const t = res.locals.t;
  const user = req.user as UserDoc;
  const call = await Call.findById(caseDoc.call).lean();
  const names = await peopleNames([...(caseDoc.messages ?? []).map((m) => m.author)]);
  const actions = availableActions(caseDoc, user);
  const id = String(caseDoc._id);
  const checklist = await documentsChecklist(caseDoc, call, user);
  res.status(status).render('applications/show', {
    title: `${caseDoc.reference}`,
    caseId: id,
    c: caseDoc.toObject(),
    callTitle: call?.title,
    callId: String(caseDoc.call),
    stage: caseDoc.stage,
    stageLabel: stageLabel(t, caseDoc.stage),
    version: caseDoc.version,
    timeline: timeline(caseDoc.history ?? [], names, t, { applicantId: caseDoc.applicant, forApplicant: true }),
    infoRequest: caseDoc.stage === 'awaiting_applicant' ? caseDoc.toObject().infoRequest : undefined,
    canAnswer: actions.includes('answer_info'),
    canAcceptOffer: actions.includes('accept_offer'),
    canDeclineOffer: actions.includes('decline_offer'),
    canWithdraw: actions.includes('withdraw'),
    isDraft: caseDoc.stage === 'draft',
    canEdit: editableSteps(caseDoc.stage).length > 0,
    decisionReason: caseDoc.stage === 'rejected' && caseDoc.history?.at(-1)?.from === 'screening' ? caseDoc.decision?.reason : undefined, // a leader's reason after the panel is internal
    messages: messagesView(caseDoc.messages ?? [], names, t, true),
    canMessage: !['draft', 'closed', 'rejected', 'withdrawn'].includes(caseDoc.stage),
    checklist,
    keepDataConsent: caseDoc.keepDataConsent === true,
    retentionDays: ctx.config.retentionDays,
    errors: state.errors && Object.keys(state.errors).length ? state.errors : undefined,
    values: state.values ?? {},
  });
}

export function applicationsRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(['/applications'], withStyles);
  const applicant = allow('role.applicant');

  router.get('/applications', applicant, async (req, res) => {
    const t = res.locals.t;
    const cases = await Case.find({ applicant: req.user!._id }, { reference: 1, call: 1, stage: 1, stageDueAt: 1, updatedAt: 1, submittedAt: 1 }).sort({ updatedAt: -1 }).limit(200).lean();
    const calls = await Call.find({ _id: { $in: [...new Set(cases.map((c) => String(c.call)))] } }, { title: 1 }).lean();
    const titles = new Map(calls.map((c) => [String(c._id), c.title]));
    res.render('applications/index', {
      title: t('applications.title'),
      cases: cases.map((c) => ({
        id: String(c._id),
        reference: c.reference,
        callTitle: titles.get(String(c.call)),
        stage: c.stage,
        stageLabel: stageLabel(t, c.stage),
        isDraft: c.stage === 'draft',
        updatedAt: c.updatedAt,
        submittedAt: c.submittedAt,
        badge: badgeClass(c.stage),
      })),
    });
  });

  router.get('/applications/:id', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    await renderDetail(ctx, req, res, caseDoc);
  });

  router.get('/applications/:id/edit', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const first = editableSteps(caseDoc.stage)[0];
    res.redirect(303, first ? `/applications/${String(caseDoc._id)}/edit/${first}` : `/applications/${String(caseDoc._id)}`);
  });

  router.get('/applications/:id/edit/:step', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const step = req.params.step;
    if (!isStep(step)) throw new NotFoundError();
    if (!canEditStep(caseDoc.stage, step)) {
      flash(req, 'info', 'applications.flash.notEditable');
      res.redirect(303, `/applications/${String(caseDoc._id)}`);
      return;
    }
    await renderStep(ctx, req, res, caseDoc, step);
  });

  router.post('/applications/:id/edit/:step', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const step = req.params.step;
    if (!isStep(step) || step === 'review') throw new NotFoundError();
    if (!canEditStep(caseDoc.stage, step)) throw new ConflictError('applications.notEditable');
    const body = req.body as Record<string, unknown>;
    const now = ctx.now();
    let result: { values: Record<string, unknown>; errors: FieldErrors; set: Record<string, unknown>; rows?: unknown };
    let rows: StepState['rows'] | undefined;
    switch (step) {
      case 'profile':
        result = parseProfile(body, now);
        break;
      case 'eligibility':
        result = parseEligibility(body, caseDoc.track);
        break;
      case 'achievements': {
        const r = parseAchievements(body, now);
        rows = r.rows;
        result = r;
        break;
      }
      case 'dependants': {
        const r = parseDependants(body, now);
        rows = { dependants: r.rows };
        result = r;
        break;
      }
      case 'support':
        result = parseSupport(body);
        break;
    }
    if (Object.keys(result.errors).length > 0) {
      await renderStep(ctx, req, res, caseDoc, step, { values: result.values, errors: result.errors, rows }, 422);
      return;
    }
    const saved = await saveStep(req, req.user!, caseDoc, step, result.set);
    const go = bodyText(body, 'go');
    flash(req, 'success', 'applications.flash.saved');
    const target = go === 'next' && canEditStep(saved.stage, nextStep(step)) ? nextStep(step) : step;
    res.redirect(303, `/applications/${String(saved._id)}/edit/${target}`);
  });

  // An application goes to staff only from an address the applicant has proved is theirs.
  router.post('/applications/:id/submit', applicant, requireVerifiedEmail, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const version = formVersion(req.body);
    if (caseDoc.stage !== 'draft' || caseDoc.version !== version) {
      await renderConflict(res, caseDoc._id, req.user!, `/applications/${String(caseDoc._id)}`);
      return;
    }
    // The consent to keep data after an unsuccessful application is saved even when something is still missing.
    const consent = checkboxValue(req.body, 'keepDataConsent');
    if (consent !== (caseDoc.keepDataConsent === true)) {
      await setKeepDataConsent({ ctx: req.ctx, caseId: caseDoc._id, granted: consent });
      caseDoc.keepDataConsent = consent;
    }
    const call = await Call.findById(caseDoc.call).lean();
    const missing = await missingParts(caseDoc, call, req.locale, ctx.now());
    if (missing.length > 0) {
      await renderStep(ctx, req, res, caseDoc, 'review', { missing }, 422);
      return;
    }
    if (!(await transition(ctx, req, res, caseDoc, 'submit', version, undefined, (err) => renderStep(ctx, req, res, caseDoc, 'review', { missing, submitErrors: Object.values(err.fields) }, 422)))) return;
    flash(req, 'success', 'applications.flash.submitted');
    res.redirect(303, `/applications/${String(caseDoc._id)}`);
  });

  router.post('/applications/:id/answer', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const version = formVersion(req.body);
    const answer = bodyText(req.body, 'answer');
    if (!answer) {
      await renderDetail(ctx, req, res, caseDoc, { errors: { answer: res.locals.t('applications.errors.answerRequired') }, values: { answer } }, 422);
      return;
    }
    const ok = await transition(ctx, req, res, caseDoc, 'answer_info', version, { answer }, (err) => renderDetail(ctx, req, res, caseDoc, { errors: err.fields, values: { answer } }, 422));
    if (!ok) return;
    flash(req, 'success', 'applications.flash.answered');
    res.redirect(303, `/applications/${String(caseDoc._id)}`);
  });

  router.post('/applications/:id/offer', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const version = formVersion(req.body);
    const decision = bodyText(req.body, 'decision');
    if (decision !== 'accept' && decision !== 'decline') throw new ValidationError({ decision: res.locals.t('applications.errors.choice') });
    const action = decision === 'accept' ? 'accept_offer' : 'decline_offer';
    const ok = await transition(ctx, req, res, caseDoc, action, version, undefined, (err) => renderDetail(ctx, req, res, caseDoc, { errors: err.fields }, 422));
    if (!ok) return;
    flash(req, 'success', decision === 'accept' ? 'applications.flash.offerAccepted' : 'applications.flash.offerDeclined');
    res.redirect(303, `/applications/${String(caseDoc._id)}`);
  });

  router.get('/applications/:id/withdraw', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const t = res.locals.t;
    if (!availableActions(caseDoc, req.user).includes('withdraw')) {
      flash(req, 'info', 'applications.flash.cannotWithdraw');
      res.redirect(303, `/applications/${String(caseDoc._id)}`);
      return;
    }
    const call = await Call.findById(caseDoc.call, { title: 1 }).lean();
    res.render('applications/withdraw', { title: t('applications.withdraw.title'), caseId: String(caseDoc._id), reference: caseDoc.reference, callTitle: call?.title, version: caseDoc.version });
  });

  router.post('/applications/:id/withdraw', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const version = formVersion(req.body);
    const ok = await transition(ctx, req, res, caseDoc, 'withdraw', version, undefined, (err) => renderDetail(ctx, req, res, caseDoc, { errors: err.fields }, 422));
    if (!ok) return;
    flash(req, 'success', 'applications.flash.withdrawn');
    res.redirect(303, `/applications/${String(caseDoc._id)}`);
  });

  router.post('/applications/:id/messages', applicant, async (req, res) => {
    const caseDoc = await ownCase(req.user, String(req.params.id));
    const text = bodyText(req.body, 'text');
    const t = res.locals.t;
    if (!text || text.length > 5000) {
      await renderDetail(ctx, req, res, caseDoc, { errors: { text: t(text ? 'applications.errors.tooLong' : 'applications.errors.messageRequired') }, values: { text } }, 422);
      return;
    }
    await postMessage(ctx, req, req.user!, caseDoc, text, ctx.now());
    flash(req, 'success', 'applications.flash.messageSent');
    res.redirect(303, `/applications/${String(caseDoc._id)}#messages`);
  });

  return router;
}

export function badgeClass(stage: string): string {
  if (['closed', 'arrived', 'onboarding', 'offer'].includes(stage)) return 'ok';
  if (['rejected', 'withdrawn'].includes(stage)) return 'err';
  if (['awaiting_applicant', 'on_hold', 'draft'].includes(stage)) return 'warn';
  return '';
}

/**
 * Applies an applicant action. A stale form gets the 409 page; a payload or guard error is shown
 * by `onInvalid`. Answers true when the transition happened.
 */
async function transition(
  ctx: AppContext,
  req: Request,
  res: Response,
  caseDoc: CaseDoc,
  action: ApplicantAction,
  version: number,
  payload: Record<string, unknown> | undefined,
  onInvalid: (err: ValidationError) => Promise<void>,
): Promise<boolean> {
  try {
    await applicantAction(ctx, req, req.user!, caseDoc, action, version, payload);
    return true;
  } catch (err) {
    if (err instanceof ConflictError) {
      await renderConflict(res, caseDoc._id, req.user!, `/applications/${String(caseDoc._id)}`);
      return false;
    }
    if (err instanceof ValidationError) {
      await onInvalid(err);
      return false;
    }
    throw err;
  }
}
