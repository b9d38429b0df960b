// Filters read from an address's query (the dashboard, the steering report, a call's shortlist):
// a filter that cannot be read is said beside its field on the page, with the other filters kept
// and applied (422), never a bare 400 page that loses them.
import type { z } from 'zod';
import { BadRequestError, type FieldErrors } from '../errors.ts';
import { isoDay } from './calendar-day.ts';

/** What was typed in a filter, to show back in the form (a list or an object shows as nothing). */
const typedText = (v: unknown) => (typeof v === 'string' ? v.slice(0, 40) : '');

/**
 * Names no form of ours writes: bracketed (`minScore[$gt]`), an operator or a path (`$where`,
 * `a.b`), or an object's own (`__proto__`). The input guard lets them through to the pages that
 * read their query here (answersItsOwnQuery), to be said above the form.
 */
const HOSTILE_KEY = /[[\]$.]|^(__proto__|constructor|prototype)$/;

export interface FilterRead<T> {
  /** The filters to apply: those that could be read (an unreadable one is left out, as if not set). */
  data: T;
  /** Field → i18n key of what to fix ('form': a parameter no field of the form owns); undefined when all were read. */
  errors?: FieldErrors;
  /** Every filter field as typed, for the form shown again. */
  typed: Record<string, string>;
}

/**
 * Reads `query` with `schema` (an object of optional, string-valued `fields`, maybe refined across
 * fields). A field given as a list or an object (`?minScore=1&minScore=2`, `?minScore[$gt]=`) is
 * unreadable, and so is the whole form when a bracketed or prototype name is sent; an issue with no
 * field (the schema's cross-field check) is said beside `crossField`. Unknown plain names (a
 * tracking parameter, the report's `lang`) are the schema's to keep or strip. The fields named in
 * `days` are days, typed day first or YYYY-MM-DD (calendar-day.ts isoDay); no other is read as one.
 */
export function readFilters<T>(schema: z.ZodType<T>, query: Record<string, unknown>, opts: { fields: readonly string[]; days?: readonly string[]; cross?: readonly string[]; formError: string }): FilterRead<T> {
  const errors: FieldErrors = {};
  // A copy with no prototype: the names read are ours, whatever the query's keys.
  const clean: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(query)) {
    if (HOSTILE_KEY.test(k)) errors.form ??= opts.formError;
    else if (opts.fields.includes(k) && v !== undefined && typeof v !== 'string') errors[k] ??= opts.formError;
    else clean[k] = opts.days?.includes(k) ? isoDay(v) : v;
  }
  const typed = Object.fromEntries(opts.fields.map((f) => [f, typedText(query[f])]));
  const first = schema.safeParse(clean);
  if (first.success && !Object.keys(errors).length) return { data: first.data, typed };
  const dropped = new Set<string>();
  for (const issue of first.success ? [] : first.error.issues) {
    const own = typeof issue.path[0] === 'string' && opts.fields.includes(issue.path[0]) ? issue.path[0] : undefined;
    if (own) dropped.add(own);
    else for (const f of opts.cross ?? []) dropped.add(f);
    errors[own ?? opts.cross?.at(-1) ?? 'form'] ??= issue.message;
  }
  // Read again without the fields said wrong (a period that ends before it starts: both its days): what is left applies.
  for (const k of Object.keys(errors)) dropped.add(k);
  const rest: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(clean)) if (!dropped.has(k)) rest[k] = v;
  const second = schema.safeParse(rest);
  // Every field is optional: without the wrong ones the filters always read (else a programming error).
  if (!second.success) throw new BadRequestError(opts.formError);
  return { data: second.data, errors, typed };
}
