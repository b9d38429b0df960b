// The administrator's call form: a plain form with numbered rows for the checklist and the
// scorecard (names like cl_type_0, sc_key_1), so it works without JavaScript; "add row" buttons
// re-render it with one more empty row. Parsing gives back what was typed, the field errors (message
// keys, also set on the rows they concern) and, when valid, the data to store.
import { withoutHiddenCharacters } from '../support/hidden-characters.ts';
import { z } from 'zod';
import { TRACKS, DOCUMENT_TYPES, CHECKLIST_PHASES } from '../../models/constants.ts';
import { CALL_CODE, type CallDoc } from '../../models/call.ts';
import { vnDateKey, vnEndOfDay, vnStartOfDay } from '../calendar/index.ts';
import { isCalendarDay } from '../support/calendar-day.ts';
import { bodyRefusals, firstText, withLimit, type FieldErrorKeys } from '../http/forms.ts';
import { bothLanguages, storedText } from '../support/localized.ts';

const MAX_ROWS = 40;
/** A call's code (models/call.ts holds the rule for every write). */
export { CALL_CODE };
/** A document's own size limit, in whole MB (models/call.ts, checklistItemSchema.maxMb). */
export const MAX_MB = { min: 1, max: 200 } as const;

export interface ChecklistRowValues {
  type: string;
  phase: string;
  required: boolean;
  maxMb: string;
  multiple: boolean;
  /** The document or its phase (shown under the document's select). */
  error?: string;
  /** The size limit (shown under its own input, the row's selects being right). */
  maxMbError?: string;
}

export interface CriterionRowValues {
  key: string;
  labelVi: string;
  labelEn: string;
  weight: string;
  error?: string;
}

export interface CallFormValues {
  code: string;
  institute: string;
  titleVi: string;
  titleEn: string;
  descriptionVi: string;
  descriptionEn: string;
  track: string;
  /** The research field in each language: at least one is required (server/support/localized.ts says why the other may stay blank). */
  fieldVi: string;
  fieldEn: string;
  opensAt: string;
  closesAt: string;
  status: string;
  /** Complete scorecards a case needs before a leader decides (1–20). */
  minScorecards: string;
  checklist: ChecklistRowValues[];
  scorecard: CriterionRowValues[];
  /** What was wrong with the body itself (a name sent twice, a name no form of ours writes), found while reading it. */
  refused?: FieldErrorKeys;
}

export interface CallData {
  code?: string;
  institute: string;
  title: { vi: string; en: string };
  description: { vi: string; en: string };
  track: (typeof TRACKS)[number];
  field: { vi?: string; en?: string };
  opensAt: Date;
  closesAt: Date;
  status: 'draft' | 'open' | 'closed';
  minScorecards: number;
  checklist: Array<{ type: string; phase: string; required: boolean; maxMb?: number; multiple: boolean }>;
  scorecard: Array<{ key: string; label: { vi: string; en: string }; weight: number }>;
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const rowCount = (v: unknown, fallback: number) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, MAX_ROWS) : fallback;
};

export const CALL_STATUSES = ['draft', 'open', 'closed'] as const;

/** A new call's form, opening today (in Vietnam). */
export function emptyCallValues(today: Date): CallFormValues {
  return {
    code: '', institute: '', titleVi: '', titleEn: '', descriptionVi: '', descriptionEn: '', track: 'expert', fieldVi: '', fieldEn: '',
    opensAt: vnDateKey(today), closesAt: '', status: 'draft', minScorecards: '1',
    checklist: [{ type: 'cv', phase: 'application', required: true, maxMb: '', multiple: false }, { type: 'passport', phase: 'application', required: true, maxMb: '', multiple: false }],
    scorecard: [{ key: '', labelVi: '', labelEn: '', weight: '' }],
  };
}

export function callToValues(c: CallDoc): CallFormValues {
  return {
    code: c.code ?? '',
    institute: String(c.institute),
    titleVi: c.title?.vi ?? '',
    titleEn: c.title?.en ?? '',
    descriptionVi: c.description?.vi ?? '',
    descriptionEn: c.description?.en ?? '',
    track: c.track,
    // A call stored before the field had two languages: the one string in both boxes (as the backfill stores it).
    // (get: a document's nested path hides a stored string behind an object of blanks.)
    fieldVi: bothLanguages(c.get('field')).vi,
    fieldEn: bothLanguages(c.get('field')).en,
    opensAt: vnDateKey(c.opensAt),
    closesAt: vnDateKey(c.closesAt),
    status: c.status,
    minScorecards: String(c.minScorecards ?? 1),
    checklist: c.checklist.map((i) => ({ type: i.type, phase: i.phase, required: i.required !== false, maxMb: i.maxMb ? String(i.maxMb) : '', multiple: !!i.multiple })),
    scorecard: c.scorecard.map((s) => ({ key: s.key, labelVi: s.label?.vi ?? '', labelEn: s.label?.en ?? '', weight: String(s.weight) })),
  };
}

/** The form's single texts (the rows are read by their numbered names). */
const MAIN_TEXTS = ['code', 'institute', 'titleVi', 'titleEn', 'descriptionVi', 'descriptionEn', 'track', 'fieldVi', 'fieldEn', 'opensAt', 'closesAt', 'status', 'minScorecards'] as const;

/** Reads the posted form back into values (rows kept in order, including empty ones). */
export function valuesFromBody(body: Record<string, unknown>): CallFormValues {
  const nCl = rowCount(body.checklistRows, 0);
  const nSc = rowCount(body.scorecardRows, 0);
  const checklist: ChecklistRowValues[] = [];
  for (let i = 0; i < nCl; i++) {
    checklist.push({ type: str(body[`cl_type_${i}`]), phase: str(body[`cl_phase_${i}`]) || 'application', required: body[`cl_required_${i}`] === 'on', maxMb: str(body[`cl_maxMb_${i}`]), multiple: body[`cl_multiple_${i}`] === 'on' });
  }
  const scorecard: CriterionRowValues[] = [];
  for (let i = 0; i < nSc; i++) {
    scorecard.push({ key: str(body[`sc_key_${i}`]), labelVi: str(body[`sc_labelVi_${i}`]), labelEn: str(body[`sc_labelEn_${i}`]), weight: str(body[`sc_weight_${i}`]) });
  }
  // The form's own texts, each sent once: a name sent several times (fieldVi=a&fieldVi=b) is
  // refused beside its box, which keeps the first value; a name none of our forms writes
  // (field[$gt], field[__proto__]) is refused above the form. Nothing is saved either way.
  const main = Object.fromEntries(MAIN_TEXTS.map((name) => [name, firstText(body, name)])) as Record<(typeof MAIN_TEXTS)[number], string>;
  // Stored upper-case (as institute codes): shown back as it will be stored.
  main.code = main.code.toUpperCase();
  const refused = bodyRefusals(body, MAIN_TEXTS);
  return { ...main, checklist, scorecard, ...(refused ? { refused } : {}) };
}


/**
 * One more empty row of the given kind ("add row" buttons). A document row starts optional: a
 * required one added to a call with open cases makes each of their applications incomplete at once,
 * so the administrator ticks "Required" knowingly (and the save says how many open cases lack it).
 */
export function addRow(v: CallFormValues, kind: 'checklist' | 'scorecard'): CallFormValues {
  if (kind === 'checklist') v.checklist.push({ type: '', phase: 'application', required: false, maxMb: '', multiple: false });
  else v.scorecard.push({ key: '', labelVi: '', labelEn: '', weight: '' });
  return v;
}

/**
 * Validates the values; returns the data to store, or field errors (message keys). `today` (Vietnam's
 * day) refuses a closing day already past, unless it is the one the call has stored (`storedClosesAt`):
 * a closed call's form still saves with its own past day (walk s36: an open call was saved closing
 * three days ago, and its public page offered an application the server then refused).
 */
export function validateCall(v: CallFormValues, instituteIds: string[], when?: { today: string; storedClosesAt?: string }): { data?: CallData; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const main = z
    .object({
      code: z.string().refine((x) => x === '' || CALL_CODE.test(x), 'callCode'),
      institute: z.string().refine((x) => instituteIds.includes(x), 'required'),
      titleVi: z.string().min(1, 'required').max(300, 'tooLong').refine(withoutHiddenCharacters, 'hidden'),
      titleEn: z.string().min(1, 'required').max(300, 'tooLong').refine(withoutHiddenCharacters, 'hidden'),
      descriptionVi: z.string().max(10_000, 'tooLong').refine(withoutHiddenCharacters, 'hidden'),
      descriptionEn: z.string().max(10_000, 'tooLong').refine(withoutHiddenCharacters, 'hidden'),
      track: z.enum(TRACKS, { error: 'required' }),
      fieldVi: z.string().max(200, 'tooLong').refine(withoutHiddenCharacters, 'hidden'),
      fieldEn: z.string().max(200, 'tooLong').refine(withoutHiddenCharacters, 'hidden'),
      opensAt: z.string().refine(isCalendarDay, 'date'),
      closesAt: z.string().refine(isCalendarDay, 'date'),
      status: z.enum(CALL_STATUSES, { error: 'required' }),
      // Empty means the default, one complete scorecard.
      minScorecards: z.string().refine((x) => x === '' || (/^\d{1,2}$/.test(x) && Number(x) >= 1 && Number(x) <= 20), 'minScorecards'),
    })
    .safeParse(v);
  if (!main.success) {
    for (const i of main.error.issues) {
      const k = String(i.path[0]);
      errors[k] ??= i.message === 'callCode' ? 'admin.calls.errors.code' : i.message === 'minScorecards' ? 'admin.calls.errors.minScorecards' : i.message === 'hidden' ? 'errors.hiddenCharacters' : i.code === 'too_big' ? withLimit('admin.errors.tooLong', Number(i.maximum)) : `admin.errors.${['required', 'tooLong', 'date'].includes(i.message) ? i.message : 'invalid'}`;
    }
  }
  // One language is enough (the other is shown from it); neither is not.
  if (!v.fieldVi && !v.fieldEn) errors.fieldVi ??= 'admin.calls.errors.fieldOneLanguage';
  for (const [k, message] of Object.entries(v.refused ?? {})) errors[k] = message;
  if (!errors.closesAt && when && v.closesAt < when.today && v.closesAt !== when.storedClosesAt) errors.closesAt = 'admin.calls.errors.closesInPast';
  if (!errors.opensAt && !errors.closesAt && v.closesAt < v.opensAt) errors.closesAt = 'admin.calls.errors.closesBeforeOpens';

  const checklist: CallData['checklist'] = [];
  const seenTypes = new Set<string>();
  v.checklist.forEach((row, i) => {
    if (!row.type) return;
    let err: string | undefined;
    const maxMb = row.maxMb === '' ? undefined : Number(row.maxMb);
    // Digits only: "2.5", "1e2" or "-5" are refused with the rule, not read as something else.
    if (row.maxMb !== '' && !(/^\d{1,3}$/.test(row.maxMb) && maxMb! >= MAX_MB.min && maxMb! <= MAX_MB.max)) {
      row.maxMbError = 'admin.calls.errors.maxMb';
      errors[`cl_maxMb_${i}`] = row.maxMbError;
    }
    if (!(DOCUMENT_TYPES as readonly string[]).includes(row.type) || !(CHECKLIST_PHASES as readonly string[]).includes(row.phase)) err = 'admin.errors.invalid';
    else if (seenTypes.has(`${row.type}|${row.phase}`)) err = 'admin.calls.errors.duplicateType';
    seenTypes.add(`${row.type}|${row.phase}`);
    if (err) {
      row.error = err;
      errors[`cl_type_${i}`] = err;
    } else if (!row.maxMbError) checklist.push({ type: row.type, phase: row.phase, required: row.required, ...(maxMb ? { maxMb } : {}), multiple: row.multiple });
  });

  const scorecard: CallData['scorecard'] = [];
  const seenKeys = new Set<string>();
  v.scorecard.forEach((row, i) => {
    if (!row.key && !row.labelVi && !row.labelEn && !row.weight) return;
    let err: string | undefined;
    const weight = Number(row.weight);
    if (!/^[a-z0-9_]{1,40}$/.test(row.key)) err = 'admin.errors.key';
    // A key names a field of each score sheet (Evaluation.scores): a name every object already has
    // (constructor, __proto__, toString…) broke the leaders' form (a 500, or a score silently lost).
    else if (row.key in Object.prototype || row.key === 'prototype') err = 'admin.calls.errors.reservedKey';
    else if (!row.labelVi || !row.labelEn || row.labelVi.length > 200 || row.labelEn.length > 200 || row.weight === '' || !(weight >= 0 && weight <= 100)) err = 'admin.calls.errors.rowIncomplete';
    else if (seenKeys.has(row.key)) err = 'admin.calls.errors.duplicateKey';
    seenKeys.add(row.key);
    if (err) {
      row.error = err;
      errors[`sc_key_${i}`] = err;
    } else scorecard.push({ key: row.key, label: { vi: row.labelVi, en: row.labelEn }, weight });
  });
  if (scorecard.length > 0 && scorecard.every((s) => s.weight === 0)) errors.scorecard = 'admin.calls.errors.weightsZero';

  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    data: {
      ...(v.code ? { code: v.code } : {}),
      institute: v.institute,
      title: { vi: v.titleVi, en: v.titleEn },
      description: { vi: v.descriptionVi, en: v.descriptionEn },
      track: v.track as CallData['track'],
      field: storedText(v.fieldVi, v.fieldEn)!,
      opensAt: vnStartOfDay(v.opensAt),
      closesAt: vnEndOfDay(vnStartOfDay(v.closesAt)),
      status: v.status as CallData['status'],
      minScorecards: v.minScorecards === '' ? 1 : Number(v.minScorecards),
      checklist,
      scorecard,
    },
  };
}
