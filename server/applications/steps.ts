// The multi-step application form: which steps exist, how each step's flat form body (plain HTML,
// no JavaScript) is read and checked, and what it writes to the case. Saving a step checks formats
// only; what is still missing is listed on the review step (completeness.ts), so a draft can be
// saved half-done at any time.
import { hasHiddenCharacters } from '../support/hidden-characters.ts';
import { calendarDayProblem, dayFirst } from '../support/calendar-day.ts';
import { z } from 'zod';
import { DEGREES } from '../../models/constants.ts';
import type { FieldErrors } from '../errors.ts';
import { keyWith, withLimit } from '../http/forms.ts';
import { COUNTRY_CODES } from './countries.ts';
import { criteriaFor } from './tracks.ts';

export const STEPS = ['profile', 'eligibility', 'achievements', 'dependants', 'support', 'review'] as const;
export type Step = (typeof STEPS)[number];
export const DATA_STEPS: readonly Step[] = ['profile', 'eligibility', 'achievements', 'dependants', 'support'];

export function isStep(v: unknown): v is Step {
  return typeof v === 'string' && (STEPS as readonly string[]).includes(v);
}

export function nextStep(step: Step): Step {
  const i = STEPS.indexOf(step);
  return STEPS[Math.min(i + 1, STEPS.length - 1)]!;
}

/** Blank rows offered under the filled ones on repeatable sections. */
export const BLANK_ROWS = 3;
/** Upper bound on rows read from one form (keeps the body within the parser's field limit). */
export const MAX_ROWS = 40;

export type Body = Record<string, unknown>;

/** A single trimmed string from a url-encoded body (repeated names give the first value). */
export function str(body: Body, name: string): string {
  const v = body[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim() : '';
}

export interface StepResult {
  /** What was typed, as strings, for re-rendering the form. */
  values: Record<string, unknown>;
  /** field name → i18n key of the message. */
  errors: FieldErrors;
  /** The update to apply when there are no errors. */
  set: Record<string, unknown>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseDate(s: string): Date | undefined {
  if (!DATE.test(s)) return undefined;
  const d = new Date(`${s}T00:00:00.000Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s ? undefined : d;
}

/** Field checkers answer an i18n error key, or undefined when the value is acceptable (blank is). */
type Check = (s: string, now: Date) => string | undefined;

const maxLen =
  (n: number): Check =>
  (s) =>
    s.length > n ? withLimit('applications.errors.tooLong', n) : undefined;

/** A name on one line: control and format characters (NUL, bidirectional overrides) would hide or reorder what staff read. */
const plainName: Check = (s) => (/[\p{Cc}\p{Cf}]/u.test(s) ? 'applications.errors.characters' : undefined);

/**
 * Not written as a date input sends it, or no such day (2026-02-30); the years each field takes are
 * their own rule. A date input cannot show a value that is not a day (it comes back empty), so the
 * message quotes what was typed.
 */
function dayError(s: string): string | undefined {
  const problem = calendarDayProblem(s);
  return problem === 'format' || problem === 'noSuchDay' ? notADay(s) : undefined;
}

// Quoted day first, as the field shows it (a day typed 31/02/1985 was read as 1985-02-31).
const notADay = (s: string) => keyWith('applications.errors.date', { value: dayFirst(s).slice(0, 40) });

// Each message names the rule that failed: 1800-01-01 is in the past, but before 1900.
const pastDate: Check = (s, now) => {
  if (!s) return undefined;
  const d = dayError(s) ?? parseDate(s);
  if (typeof d === 'string' || !d) return d ?? notADay(s);
  if (d.getUTCFullYear() < 1900) return 'applications.errors.dateOfBirthYear';
  if (d.getTime() >= now.getTime()) return 'applications.errors.dateOfBirth';
  return undefined;
};

const futureDate: Check = (s, now) => {
  if (!s) return undefined;
  const d = dayError(s) ?? parseDate(s);
  if (typeof d === 'string' || !d) return d ?? notADay(s);
  if (d.getTime() < now.getTime() - 86_400_000) return 'applications.errors.futureDate';
  if (d.getUTCFullYear() > now.getUTCFullYear() + 10) return 'applications.errors.futureTooFar';
  return undefined;
};

/**
 * A DOI as its handbook writes it: "10.", a registrant code of digits (4 to 9, dotted sub-codes
 * allowed), "/", then the item's suffix (ISO 26324; DOI Handbook §2.2). A link or "doi:" prefix is
 * taken off before this check (normalizeDoi), so a pasted https://doi.org/… address is accepted.
 */
const doi: Check = (s) => (!s || /^10\.\d{4,9}(\.\d+)*\/\S+$/.test(s) ? undefined : 'applications.errors.doi');

/** "https://doi.org/10.1/x", "doi: 10.1/x" → "10.1/x": the DOI itself is stored, however it was pasted. */
export function normalizeDoi(s: string): string {
  return s.trim().replace(/^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:\s*)/i, '');
}

const country: Check = (s) => (!s || COUNTRY_CODES.has(s) ? undefined : 'applications.errors.country');

const phoneSchema = z.string().regex(/^\+?[0-9][0-9 ().-]{5,38}$/);
const phone: Check = (s) => (!s || phoneSchema.safeParse(s).success ? undefined : 'applications.errors.phone');

const oneOf =
  (allowed: readonly string[]): Check =>
  (s) =>
    !s || allowed.includes(s) ? undefined : 'applications.errors.choice';

const yearCheck: Check = (s, now) => {
  if (!s) return undefined;
  const n = z.coerce.number().int().min(1900).max(now.getUTCFullYear() + 1).safeParse(s);
  return n.success ? undefined : 'applications.errors.year';
};

const amount: Check = (s) => {
  if (!s) return undefined;
  return z.coerce.number().min(0).max(1e12).safeParse(s.replace(/[ ,]/g, '')).success ? undefined : 'applications.errors.amount';
};

export const PROFILE_FIELDS = {
  fullName: [maxLen(200), plainName],
  dateOfBirth: [pastDate],
  nationality: [country],
  countryOfResidence: [country],
  overseasVietnamese: [oneOf(['yes', 'no'])],
  phone: [maxLen(40), phone],
  currentPosition: [maxLen(200)],
  currentEmployer: [maxLen(200)],
  highestDegree: [oneOf(DEGREES)],
  field: [maxLen(200)],
  plannedArrival: [futureDate],
} satisfies Record<string, Check[]>;
export type ProfileField = keyof typeof PROFILE_FIELDS;

function check(checks: Check[], s: string, now: Date): string | undefined {
  for (const c of checks) {
    const e = c(s, now);
    if (e) return e;
  }
  // Every text the applicant types, whatever its own checks: staff read it.
  return hasHiddenCharacters(s) ? 'errors.hiddenCharacters' : undefined;
}

export function parseProfile(body: Body, now: Date): StepResult {
  const values: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  const set: Record<string, unknown> = {};
  for (const [name, checks] of Object.entries(PROFILE_FIELDS) as [ProfileField, Check[]][]) {
    let s = str(body, name);
    if (name === 'nationality' || name === 'countryOfResidence') s = s.toUpperCase();
    values[name] = s;
    const e = check(checks, s, now);
    if (e) {
      errors[name] = e;
      continue;
    }
    let v: unknown = s || undefined;
    if (s && (name === 'dateOfBirth' || name === 'plannedArrival')) v = parseDate(s);
    if (name === 'overseasVietnamese') v = s ? s === 'yes' : undefined;
    set[`profile.${name}`] = v;
  }
  return { values, errors, set };
}

/** The profile as strings, for the form. */
export function profileValues(profile: Record<string, unknown> | undefined | null): Record<string, unknown> {
  const p = profile ?? {};
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(PROFILE_FIELDS)) {
    const v = p[name];
    if (v instanceof Date) out[name] = v.toISOString().slice(0, 10);
    else if (typeof v === 'boolean') out[name] = v ? 'yes' : 'no';
    else out[name] = v ?? '';
  }
  return out;
}

// ---- eligibility -------------------------------------------------------------------------------

export function parseEligibility(body: Body, track: string): StepResult {
  const errors: FieldErrors = {};
  const rows: { key: string; met: boolean; evidence?: string }[] = [];
  const values: Record<string, unknown> = {};
  for (const c of criteriaFor(track)) {
    const met = str(body, `met_${c.key}`);
    const evidence = str(body, `evidence_${c.key}`);
    values[`met_${c.key}`] = met;
    values[`evidence_${c.key}`] = evidence;
    if (met && met !== 'yes' && met !== 'no') errors[`met_${c.key}`] = 'applications.errors.choice';
    if (evidence.length > 2000) errors[`evidence_${c.key}`] = withLimit('applications.errors.tooLong', 2000);
    else if (hasHiddenCharacters(evidence)) errors[`evidence_${c.key}`] = 'errors.hiddenCharacters';
    if (met === 'yes' || met === 'no') rows.push({ key: c.key, met: met === 'yes', ...(evidence ? { evidence } : {}) });
  }
  return { values, errors, set: { eligibility: rows } };
}

export function eligibilityValues(rows: { key: string; met?: boolean | null; evidence?: string | null }[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of rows ?? []) {
    out[`met_${r.key}`] = r.met === true ? 'yes' : r.met === false ? 'no' : '';
    out[`evidence_${r.key}`] = r.evidence ?? '';
  }
  return out;
}

// ---- repeatable rows (achievements, dependants) ------------------------------------------------

interface RowSpec {
  /** Prefix of the field names: `<prefix>_<index>_<column>`. */
  prefix: string;
  columns: Record<string, Check[]>;
  /** The column that must be filled when any other column of the row is. */
  required: string;
  /** Converts a checked row of strings into the stored sub-document. */
  toDoc: (row: Record<string, string>) => Record<string, unknown>;
}

const num = (s: string) => (s ? Number(s.replace(/[ ,]/g, '')) : undefined);

export const ROW_SPECS = {
  publications: {
    prefix: 'pub',
    columns: { title: [maxLen(500)], venue: [maxLen(300)], year: [yearCheck], doi: [maxLen(200), doi] },
    required: 'title',
    toDoc: (r) => ({ title: r.title, venue: r.venue || undefined, year: num(r.year!), doi: r.doi || undefined }),
  },
  patents: {
    prefix: 'pat',
    columns: { title: [maxLen(500)], number: [maxLen(100)], year: [yearCheck] },
    required: 'title',
    toDoc: (r) => ({ title: r.title, number: r.number || undefined, year: num(r.year!) }),
  },
  projectsLed: {
    prefix: 'proj',
    columns: { title: [maxLen(500)], funder: [maxLen(300)], year: [yearCheck], budgetUsd: [amount] },
    required: 'title',
    toDoc: (r) => ({ title: r.title, funder: r.funder || undefined, year: num(r.year!), budgetUsd: num(r.budgetUsd!) }),
  },
  dependants: {
    prefix: 'dep',
    columns: { fullName: [maxLen(200), plainName], relationship: [oneOf(['spouse', 'child', 'other'])], dateOfBirth: [pastDate], nationality: [country] },
    required: 'fullName',
    toDoc: (r) => ({
      fullName: r.fullName,
      relationship: r.relationship || undefined,
      dateOfBirth: r.dateOfBirth ? parseDate(r.dateOfBirth) : undefined,
      nationality: r.nationality || undefined,
    }),
  },
} satisfies Record<string, RowSpec>;
export type RowKind = keyof typeof ROW_SPECS;

export interface RowsResult {
  /** Every row shown, blank ones included, as strings. */
  rows: Record<string, string>[];
  errors: FieldErrors;
  docs: Record<string, unknown>[];
}

/**
 * How many rows to read. The hidden <prefix>_rows says how many the page had, but a count that is
 * missing, not a number or too small (a failed script, a stale or edited page) must not drop the
 * rows that were typed: every <prefix>_<i>_<column> present is read, up to MAX_ROWS (the page never
 * offers more).
 */
function rowCount(body: Body, spec: RowSpec): number {
  const typed = str(body, `${spec.prefix}_rows`);
  let count = /^\d{1,3}$/.test(typed) ? Number(typed) : 0;
  const named = new RegExp(`^${spec.prefix}_(0|[1-9]\\d{0,5})_(${Object.keys(spec.columns).join('|')})$`);
  for (const key of Object.keys(body)) {
    const m = named.exec(key);
    if (m) count = Math.max(count, Number(m[1]) + 1);
  }
  return Math.min(MAX_ROWS, count);
}

export function parseRows(body: Body, kind: RowKind, now: Date): RowsResult {
  const spec: RowSpec = ROW_SPECS[kind];
  const count = rowCount(body, spec);
  const rows: Record<string, string>[] = [];
  const errors: FieldErrors = {};
  const docs: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const row: Record<string, string> = {};
    for (const col of Object.keys(spec.columns)) {
      let s = str(body, `${spec.prefix}_${i}_${col}`);
      if (col === 'nationality') s = s.toUpperCase();
      if (col === 'doi') s = normalizeDoi(s);
      row[col] = s;
    }
    const filled = Object.values(row).some(Boolean);
    // Blank rows are dropped from what is stored; on an error the rows are re-shown as typed, so
    // error names (by shown index) still point at the right row.
    rows.push(row);
    if (!filled) continue;
    let ok = true;
    for (const [col, checks] of Object.entries(spec.columns)) {
      const e = check(checks, row[col]!, now);
      if (e) {
        errors[`${spec.prefix}_${i}_${col}`] = e;
        ok = false;
      }
    }
    if (!row[spec.required]) {
      errors[`${spec.prefix}_${i}_${spec.required}`] = 'applications.errors.rowRequired';
      ok = false;
    }
    if (ok) docs.push(spec.toDoc(row));
  }
  return { rows, errors, docs };
}

/** Stored rows as strings, followed by blank rows to fill in. */
export function rowValues(kind: RowKind, stored: Record<string, unknown>[] | undefined, blanks = BLANK_ROWS): Record<string, string>[] {
  const spec: RowSpec = ROW_SPECS[kind];
  const rows = (stored ?? []).map((doc) => {
    const row: Record<string, string> = {};
    for (const col of Object.keys(spec.columns)) {
      const v = doc[col];
      row[col] = v instanceof Date ? v.toISOString().slice(0, 10) : v === undefined || v === null ? '' : String(v);
    }
    return row;
  });
  const blank = Object.fromEntries(Object.keys(spec.columns).map((c) => [c, '']));
  for (let i = 0; i < blanks && rows.length < MAX_ROWS; i++) rows.push({ ...blank });
  return rows;
}

export function parseAchievements(body: Body, now: Date): StepResult & { rows: Record<RowKind, Record<string, string>[]> } {
  const pubs = parseRows(body, 'publications', now);
  const pats = parseRows(body, 'patents', now);
  const projs = parseRows(body, 'projectsLed', now);
  return {
    values: {},
    rows: { publications: pubs.rows, patents: pats.rows, projectsLed: projs.rows, dependants: [] },
    errors: { ...pubs.errors, ...pats.errors, ...projs.errors },
    set: {
      'achievements.publications': pubs.docs,
      'achievements.patents': pats.docs,
      'achievements.projectsLed': projs.docs,
      // Counts move with the lists in the same update, so rankings never read a stale count.
      'achievements.publicationsCount': pubs.docs.length,
      'achievements.patentsCount': pats.docs.length,
    },
  };
}

export function parseDependants(body: Body, now: Date): StepResult & { rows: Record<string, string>[] } {
  const deps = parseRows(body, 'dependants', now);
  return { values: {}, rows: deps.rows, errors: deps.errors, set: { dependants: deps.docs } };
}

// ---- support -----------------------------------------------------------------------------------

export const SUPPORT_FIELDS = ['workPermit', 'visa', 'residenceCard', 'housing', 'citizenship', 'family'] as const;
export type SupportField = (typeof SUPPORT_FIELDS)[number];

/**
 * `citizen`: the applicant is a Vietnamese citizen (./family-support.ts vietnameseCitizen). A work
 * permit is for foreign workers only (Decree 219/2025/ND-CP, the foreign worker of Labour Code 2019
 * Art. 151: not checked against the gazette text here), and a citizen who also holds another
 * nationality is only a Vietnamese citizen to the authorities in Vietnam (Law on Vietnamese
 * Nationality Art. 5(4), as amended by Law 79/2025/QH15 Art. 1(1), read in the published text):
 * one asked by a citizen is refused with what to do instead, not started at the acceptance.
 * A citizen entering on a foreign passport is a foreigner to the immigration law and needs a visa or
 * a visa exemption certificate (Law 47/2014/QH13 Art. 4(4): one passport per entry; Art. 12(5): the
 * exemption for overseas Vietnamese holding foreign passports, as quoted by thoidai.com.vn; not
 * checked against the gazette text). The case records one nationality and not the passport used, so
 * the visa tick stays refused to a citizen; the texts tell them to write to the HR office instead.
 */
export function parseSupport(body: Body, opts: { citizen?: boolean; foreignFamily?: boolean } = {}): StepResult {
  const values: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  const set: Record<string, unknown> = {};
  for (const f of SUPPORT_FIELDS) {
    const on = ['on', 'yes', 'true', '1'].includes(str(body, f));
    values[f] = on;
    set[`supportRequested.${f}`] = on;
  }
  if (opts.citizen && values.workPermit) errors.workPermit = 'applications.errors.workPermitCitizen';
  // Nor a temporary residence card of their own: the card is a foreigner's paper replacing a visa
  // (Law 47/2014/QH13 Art. 3 definitions; Art. 36, the cases and symbols, TT among them as amended by
  // Law 51/2019; luatviet.net.vn "the-tam-tru-cho-nguoi-nuoc-ngoai"). For a citizen the tick means the
  // foreign family members' TT cards, so it needs such members entered.
  if (opts.citizen && values.residenceCard && !opts.foreignFamily) errors.residenceCard = 'applications.errors.residenceCardCitizen';
  // Nor a visa of their own (Law 47/2014/QH13 Art. 3(11): the entry paper of a foreigner): the tick is
  // for foreign family members' TT visas (Art. 8(18), as amended by Law 51/2019/QH14), so it needs them entered.
  if (opts.citizen && values.visa && !opts.foreignFamily) errors.visa = 'applications.errors.visaCitizen';
  return { values, errors, set };
}

/** The day fields of the profile steps: the applicant's birth and planned arrival, each dependant's birth (typed day first: calendar-day.ts readDayFields). */
export const STEP_DAY_FIELDS = ['dateOfBirth', 'plannedArrival', new RegExp(`^${ROW_SPECS.dependants.prefix}_\\d{1,3}_dateOfBirth$`)] as const;
