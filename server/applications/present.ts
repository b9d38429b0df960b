// Presenters of the applicant's pages: my applications, one application (timeline, information
// request, offer, withdraw, messages, documents), the multi-step form of a draft and the withdraw
// confirmation. Plain page models, translated through tOf(ctx).
import { requestPausedText } from '../cases/held-request.ts';
import { presentPlan } from '../planner/present.ts';
import type { TFunction } from 'i18next';
import { tOf, type Context } from '../context.ts';
import type { CaseDoc } from '../../models/case.ts';
import { ACTIVE_STAGES, ACTIVE_SUPPORT_STATUSES, DEGREES, inStages } from '../../models/constants.ts';
import type { FieldErrors } from '../errors.ts';
import { caseStageLabel, endedByDecline, errorTexts, messagesView, stageBadge, timeline, type FormState } from '../cases/present.ts';
import { resendItems, type ChecklistView } from '../documents/present.ts';
import { signedOfferOwed } from '../documents/index.ts';
import { canEditStep, editableSteps, type ApplicationData, type ApplicationRow, type StepData, type StepInput } from './service.ts';
import { STEPS, nextStep, profileValues, eligibilityValues, rowValues, ROW_SPECS, SUPPORT_FIELDS, MAX_ROWS, type RowKind, type Step } from './steps.ts';
import type { MissingPart } from './completeness.ts';
import { criteriaFor } from './tracks.ts';
import { formatDay } from '../views/time.ts';
import { countryOptions, countryName } from './countries.ts';
import { applicantDecisionReason, heldReasonTold } from '../cases/applicant-view.ts';
import { listText } from '../procedures/present.ts';
import { DECLINE_REASON_MAX, offerReady } from '../workflow/index.ts';
import type { OfferAnswer } from './offer.ts';
import { offerStartMove } from '../cases/planned-start-moves.ts';
import { askedDocument } from './answer.ts';
import { DATE_RULES } from '../documents/validity.ts';
import type { DocumentType } from '../../models/constants.ts';
import { fieldErrorText } from '../http/forms.ts';
import { papersForFamily, familySupportText, familyVisasWanted, residenceCardWanted, vietnameseCitizen, visaWanted, type FamilyCase } from './family-support.ts';

export function applicationsList(ctx: Context, rows: ApplicationRow[]) {
  const t = tOf(ctx);
  return {
    title: t('applications.title'),
    cases: rows.map((c) => ({
      id: String(c._id),
      reference: c.reference,
      callTitle: c.callTitle,
      stage: c.stage,
      stageLabel: caseStageLabel(t, c),
      isDraft: c.stage === 'draft',
      updatedAt: c.updatedAt,
      submittedAt: c.submittedAt,
      badge: stageBadge(c.stage),
    })),
  };
}

/** The to-do for what was sent back, with the day it is needed by as its e-mail gave it (verify.ts reuploadBy), when there is one. */
function resendNeeded(t: ReturnType<typeof tOf>, locale: string, checklist: unknown, by: ApplicationData['resendBy']): string | undefined {
  const items = resendItems(checklist);
  if (items.length === 0) return undefined;
  const list = items.map((i) => t(`documents.types.${i.type}`)).join(', ');
  return by ? t('applications.show.next.resendBy', { count: items.length, list, date: formatDay(by.date, locale), left: by.left }) : t('applications.show.next.resend', { count: items.length, list });
}

/** Once the offer is accepted, the signed offer or contract the call asks back, while none is uploaded (one sent back is resendNeeded's). */
function signedOfferAsk(t: ReturnType<typeof tOf>, stage: string, checklist: unknown): string | undefined {
  if (stage !== 'onboarding' && stage !== 'arrived') return undefined;
  return signedOfferOwed((checklist as ChecklistView | undefined)?.items) === 'missing' ? t('applications.show.next.signedOffer') : undefined;
}

/**
 * What the stage means for the applicant. Once the offer is accepted it names the procedures under
 * way now, read from the case's procedures (not the ones asked for at the start: one set Not needed
 * or refused since is no longer "being prepared"), and those refused, whose next step HR says below.
 */
export function nextStepText(t: TFunction, stage: string, tracks: ReadonlyArray<{ kind: string; status: string }>, family?: FamilyCase): string | undefined {
  if (stage !== 'onboarding' && stage !== 'arrived') return t(`applications.show.next.${stage}`, { defaultValue: '' }) || undefined;
  // A Vietnamese citizen's visa (and card) procedure is their foreign family's TT papers, not theirs
  // (server/applications/family-support.ts): "handling the visa for you" contradicted "none for you" below (walk app32).
  const forFamily = (kind: string) => !!family && vietnameseCitizen(family) && ((kind === 'visa' && familyVisasWanted(family)) || (kind === 'residence_card' && papersForFamily(family)));
  const names = (statuses: readonly string[]) => tracks.filter((p) => statuses.includes(p.status)).map((p) => t(`procedures.inSentence.${forFamily(p.kind) ? `${p.kind}Family` : p.kind}`));
  const list = (items: string[]) => listText(t, items, 'and');
  const running = names(ACTIVE_SUPPORT_STATUSES);
  const refused = names(['refused']);
  const base = running.length ? t(`applications.show.next.${stage}`, { list: list(running) }) : t(`applications.show.next.${stage}None`);
  return refused.length ? `${base} ${t('applications.show.next.refused', { list: list(refused) })}` : base;
}

/**
 * By when HR acts next, where HR does (submitted, screening, a hold's review): the stage's date as a
 * target, or, once it has passed, that it is taking longer than planned (not "overdue" at the applicant).
 */
function hrByText(t: TFunction, locale: string, stage: string, left: ApplicationData['hrLeft']): string | undefined {
  if (!left) return undefined;
  const params = { date: formatDay(left.date, locale), left: left.text };
  if (left.overdue) return t('applications.show.next.hrLate', params);
  return t(`applications.show.next.hrBy.${stage}`, { ...params, defaultValue: '' }) || undefined;
}

/**
 * The file input beside the answer, when HR's request names a paper (server/applications/answer.ts):
 * its field is the document type, as on the upload form, with the date its rule needs typed beside it.
 */
function answerUploadView(t: TFunction, caseDoc: ApplicationData['caseDoc'], state: FormState) {
  const type = askedDocument(caseDoc);
  if (!type) return undefined;
  const rule = DATE_RULES[type as DocumentType];
  const dateField = rule ? `${type}_${rule === 'issued' ? 'issuedAt' : 'expiresAt'}` : undefined;
  const errors = state.errors ?? {};
  return {
    field: type,
    label: t('applications.info.file', { type: t(`documents.types.${type}`) }),
    error: errors[type] ? fieldErrorText(t, errors[type]) : undefined,
    ...(dateField
      ? { dateField, dateLabel: t(rule === 'issued' ? 'applications.info.issuedAt' : 'applications.info.expiresAt'), dateValue: String(state.values?.[dateField] ?? ''), dateError: errors[dateField] ? fieldErrorText(t, errors[dateField]) : undefined }
      : {}),
  };
}

export function applicationPage(ctx: Context, data: ApplicationData, retentionDays: number, state: FormState = {}) {
  const t = tOf(ctx);
  const { caseDoc, call, names, checklist, actions } = data;
  return {
    title: `${caseDoc.reference}`,
    caseId: String(caseDoc._id),
    c: caseDoc.toObject(),
    callTitle: call?.title,
    callId: String(caseDoc.call),
    stage: caseDoc.stage,
    stageLabel: caseStageLabel(t, caseDoc),
    // What the stage means for the applicant and what comes next (the timeline says only what happened).
    nextStep:
      caseDoc.stage === 'draft'
        ? undefined
        : caseDoc.stage === 'offer' && !offerReady(caseDoc)
          ? t('applications.show.next.offerPending')
          : // An offer declined (by them, or by their e-mail or letter recorded by HR) ends the case as withdrawn: said as what they did.
            endedByDecline(caseDoc)
            ? t('applications.show.next.declined')
            : nextStepText(t, caseDoc.stage, caseDoc.supportTracks ?? [], caseDoc),
    // What the applicant must do first, before the stage's general words: a document HR sent back
    // (rejected, expired, not valid long enough) waits for a new version from them.
    nextAction: resendNeeded(t, ctx.locale, checklist, data.resendBy) ?? signedOfferAsk(t, caseDoc.stage, checklist),
    hrBy: hrByText(t, ctx.locale, caseDoc.stage, data.hrLeft),
    // A held case: why, in the words they were told (never an internal reason).
    heldReason: ((r) => (r ? t('applications.show.next.heldReason', { reason: r }) : undefined))(heldReasonTold(caseDoc)),
    // Held while they owed an answer: that the request waits too, and the working days they will have again.
    heldRequest: data.heldRequest ? requestPausedText(t, data.heldRequest.dueAt, data.heldRequest.left, ctx.locale) : undefined,
    version: caseDoc.version,
    timeline: timeline(caseDoc.history ?? [], names, t, { applicantId: caseDoc.applicant, forApplicant: true, locale: ctx.locale }),
    infoRequest: caseDoc.stage === 'awaiting_applicant' ? caseDoc.toObject().infoRequest : undefined,
    infoLeft: data.infoLeft,
    offerDueAt: data.offerDueAt,
    offerLeft: data.offerLeft,
    // What is offered, HR's words; a term HR left blank is the letter's ("As in the letter"), or, while
    // there is no letter yet, still being prepared (there is no letter to read it in).
    offer: data.offer ? { letterUrl: data.offer.letterUrl, signedCopyUpload: data.offer.signedCopyUpload, terms: data.offer.terms.map((o) => ({ key: o.key, label: t(`applications.offer.terms.${o.key}`), text: (o.moved ? movedStartText(t, o.moved, ctx.locale) : o.on ? formatDay(o.on, ctx.locale) : o.text) || t(data.offer!.letterUrl ? 'applications.offer.asInLetter' : 'applications.offer.termPreparing') })) } : undefined,
    canAnswer: actions.includes('answer_info'),
    answerUpload: answerUploadView(t, caseDoc, state),
    canAcceptOffer: actions.includes('accept_offer'),
    // Made, but its terms or letter not attached yet: nothing to accept (the workflow refuses it), said so.
    offerPending: actions.includes('accept_offer') && !offerReady(caseDoc),
    canDeclineOffer: actions.includes('decline_offer'),
    canWithdraw: actions.includes('withdraw'),
    isDraft: caseDoc.stage === 'draft',
    canEdit: editableSteps(caseDoc.stage).length > 0,
    decisionReason: applicantDecisionReason(caseDoc),
    messages: messagesView(caseDoc.messages ?? [], names, t, true),
    canMessage: inStages(caseDoc.stage, ACTIVE_STAGES),
    checklist,
    procedures: data.procedures,
    contact: data.contact,
    planner: presentPlan(ctx, data.plan, caseDoc.forecast?.computedAt, { forApplicant: true }),
    keepDataConsent: caseDoc.keepDataConsent === true,
    retentionDays,
    errors: errorTexts(t, state.errors),
    // An acceptance refused by the workflow (the offer's terms not attached yet): its reason, above the page.
    formErrorsText: errorTexts(t, state.errors)?.offer,
    values: state.values ?? {},
  };
}

export function withdrawPage(ctx: Context, { caseDoc, call }: ApplicationData) {
  return { title: tOf(ctx)('applications.withdraw.title'), caseId: String(caseDoc._id), reference: caseDoc.reference, callTitle: call?.title, version: caseDoc.version };
}

/**
 * The confirmation of an answer to the offer: what follows in plain words (accept: the support
 * procedures asked for start and HR's next steps; decline: the application ends for good, HR reads
 * the decision and the optional reason), the answer-by date, and the form that takes the step.
 */
export function offerConfirmPage(ctx: Context, { caseDoc, call, offerDueAt, offerLeft }: ApplicationData, answer: OfferAnswer, state: FormState = {}) {
  const t = tOf(ctx);
  const decline = answer === 'decline';
  return {
    title: t(`applications.offer.confirm.${answer}.title`),
    caseId: String(caseDoc._id),
    reference: caseDoc.reference,
    callTitle: call?.title,
    version: caseDoc.version,
    answer,
    decline,
    offerDueAt,
    offerLeft,
    // The planned start of work the acceptance leaves: the offer's day when it names another (server/workflow ACCEPTANCE), else theirs.
    start: decline ? undefined : acceptedStartText(t, caseDoc, ctx.now, ctx.locale),
    // The procedures the acceptance starts: those asked for in the application (the visa too when only
    // family support was: their TT visas go with it), and what becomes of the family support asked.
    support: decline ? [] : SUPPORT_FIELDS.filter((f) => f !== 'family' && !(f === 'workPermit' && vietnameseCitizen(caseDoc)) && !(f === 'residenceCard' && !residenceCardWanted(caseDoc)) && (f === 'visa' ? visaWanted(caseDoc) : caseDoc.supportRequested?.[f])).map((f) => t(`applications.support.${f}`)),
    family: decline ? undefined : familySupportText(t, caseDoc, 'applicant'),
    reasonMax: DECLINE_REASON_MAX,
    errors: errorTexts(t, state.errors),
    values: state.values ?? {},
  };
}

/** "1 Apr 2027 (changed on 6 Dec 2026; the offer said 1 Mar 2027)": the planned start HR moved after the acceptance. */
function movedStartText(t: TFunction, m: { on: Date; changedOn?: Date; offerSaid?: Date | string }, locale: string): string {
  const date = formatDay(m.on, locale);
  const offerSaid = m.offerSaid instanceof Date ? formatDay(m.offerSaid, locale) : (m.offerSaid ?? '');
  const key = m.changedOn ? (offerSaid ? 'changedOnWas' : 'changedOn') : offerSaid ? 'was' : undefined;
  return key ? t(`applications.offer.startMoved.${key}`, { date, changedOn: m.changedOn ? formatDay(m.changedOn, locale) : '', offerSaid }) : date;
}

function acceptedStartText(t: TFunction, caseDoc: CaseDoc, now: Date, locale: string): string | undefined {
  const move = offerStartMove(caseDoc, now);
  if (move) return move.from ? t('applications.offer.confirm.accept.startMoves', { date: formatDay(move.to, locale), from: formatDay(move.from, locale) }) : t('applications.offer.confirm.accept.startMovesTo', { date: formatDay(move.to, locale) });
  const planned = caseDoc.profile?.plannedArrival;
  return planned ? t('applications.offer.confirm.accept.startStays', { date: formatDay(planned, locale) }) : undefined;
}

function stepNav(t: TFunction, caseDoc: CaseDoc, current: Step) {
  return STEPS.filter((s) => canEditStep(caseDoc.stage, s)).map((s) => ({
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

function missingView(t: TFunction, locale: string, caseId: string, parts: MissingPart[]) {
  return parts.map((p) => {
    let text: string;
    if (p.step === 'profile') text = t('applications.missing.field', { field: t(p.key) });
    else if (p.step === 'documents') text = t(p.key, { type: t(`documents.types.${String(p.params?.type)}`, { defaultValue: String(p.params?.type) }), date: p.params?.date instanceof Date ? formatDay(p.params.date, locale) : '' });
    else if (p.key === 'applications.missing.dependantDetails') {
      const lacking = (p.params?.lacking as string[]).map((f) => t(`applications.missing.dependantField.${f}`));
      text = t(p.key, { name: String(p.params?.name) || t('applications.dependants.person', { number: p.params?.number }), fields: lacking.join(', ') });
    } else text = t(p.key, p.params ?? {});
    let href: string | undefined;
    if (p.step === 'documents') href = `/applications/${caseId}#documents`;
    else if (p.step !== 'call') href = `/applications/${caseId}/edit/${p.step}${p.field ? `#f-${p.field}` : ''}`;
    return { text, href, stepLabel: p.step === 'documents' ? t('applications.documents.title') : p.step === 'call' ? '' : t(`applications.steps.${p.step}`) };
  });
}

function reviewSummary(t: TFunction, c: CaseDoc, locale: string) {
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

/** A step of the application form, as stored or (`state`) as typed with what to fix. */
export function stepPage(ctx: Context, data: StepData, retentionDays: number, state: StepInput & { errors?: FieldErrors; submitErrors?: string[]; notSubmitted?: boolean } = {}) {
  const t = tOf(ctx);
  const locale = ctx.locale;
  const { caseDoc, call, step } = data;
  const errors = errorTexts(t, state.errors) ?? {};
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
    hasNext: step !== 'review' && canEditStep(caseDoc.stage, nextStep(step)),
  };
  switch (step) {
    case 'profile': {
      view.values = state.values ?? profileValues(caseDoc.profile as never);
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
      view.maxRows = MAX_ROWS;
      view.scripts = ['/static/js/rows.js'];
      break;
    }
    case 'dependants': {
      view.dependants = rowsView('dependants', state.rows?.dependants ?? rowValues('dependants', caseDoc.dependants as never), errors);
      view.countries = countryOptions(locale);
      view.maxRows = MAX_ROWS;
      view.scripts = ['/static/js/rows.js'];
      break;
    }
    case 'support': {
      const values = state.values ?? Object.fromEntries(SUPPORT_FIELDS.map((f) => [f, !!caseDoc.supportRequested?.[f]]));
      // A Vietnamese citizen needs no visa nor work permit of their own (./family-support.ts): said so.
      // The housing hint's instruments (checked 7 Dec 2026): Decree 249/2025/ND-CP of 19 Sep 2025 on
      // attracting S&T, innovation and digital-transformation experts gives "housing and transport
      // allowances" (vietnamnews.vn 1725711; en.sggp.org.vn post120427) and, Art. 1(2), "does not
      // apply to Chief project engineers, Chief architects specified in Decree No. 231/2025/ND-CP dated
      // August 26, 2025" (english.luatvietnam.vn 411830), so chief engineers and architects are under
      // Decree 231. Unverified: the article of Decree 249 carrying the housing allowance, and whether
      // Decree 231 provides housing at all (searched pages and code for "Decree 231/2025 … housing",
      // "Nghị định 249/2025 … nhà ở công vụ … thuê nhà"; no text of Decree 231 found).
      // The work permit hint says the institute asks for the exemption certificate: unverified
      // whether the confirmed S&T expert's clause of Decree 219/2025/ND-CP Art. 7 is among those Art.
      // 9(4) lets off with a notice (server/procedures/rules.ts, work_permit_exemption).
      // The citizenship hint: keeping the other nationality needs the President's permission, on
      // restoration (amended Art. 23(5)) as on naturalisation for those the State benefits from
      // (news.laodong.vn 1528879: "allowed to retain foreign nationality if they meet 2 conditions …
      // and are permitted by the President"); the hint named only the other country's law.
      const citizen = vietnameseCitizen(caseDoc) && new Set(['visa', 'workPermit', 'residenceCard']);
      // An overseas Vietnamese of another nationality (walk s36: a returning chief engineer) is told of
      // the visa exemption certificate, open to them and to their foreign spouse and children (Decree
      // 82/2015/ND-CP Art. 2(1)), valid up to 5 years (Art. 4(1)) and issued for visiting relatives or
      // personal business (Art. 4(2); english.luatvietnam.vn 98640, checked 7 Dec 2026): so HR advises
      // on the paper for working at the institute. The product cites the same decree for a citizen's family.
      const overseas = !citizen && caseDoc.profile?.overseasVietnamese === true;
      const hintOf = (f: string) => `applications.support.${f}Hint${citizen && citizen.has(f) ? 'Citizen' : overseas && f === 'visa' ? 'Overseas' : ''}`;
      view.support = SUPPORT_FIELDS.map((f) => ({ name: f, label: t(`applications.support.${f}`), hint: t(hintOf(f)), checked: !!values[f], error: errors[f] }));
      break;
    }
    case 'review': {
      view.missing = missingView(t, locale, id, data.missing ?? []);
      view.documentWarnings = (data.documentWarnings ?? []).map((w) => ({
        text: t(`applications.review.documentWarning.${w.key}`, { type: t(`documents.types.${w.type}`, { defaultValue: w.type }), date: formatDay(w.until, locale), required: w.required ? formatDay(w.required, locale) : '', from: w.from ? formatDay(w.from, locale) : '' }),
        href: `/applications/${id}#documents`,
      }));
      view.submitErrors = state.submitErrors;
      // Sent and refused: the page says so first, whatever the reason listed below it.
      view.notSubmitted = state.notSubmitted === true;
      view.summary = reviewSummary(t, caseDoc, locale);
      view.keepDataConsent = caseDoc.keepDataConsent === true;
      view.retentionDays = retentionDays;
      break;
    }
  }
  return view;
}
