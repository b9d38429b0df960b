// Posted forms: validated by a zod schema declared beside the route, whose messages are i18n keys;
// a form that fails is shown again with what was typed and one message per field, translated by
// the page's presenter.
import { z } from 'zod';
import { BadRequestError } from '../errors.ts';
import type { TFunction } from 'i18next';
import { MESSAGE_KEY, fieldErrorText, keyWith, withLimit } from '../support/field-errors.ts';

// The field-error strings (a key with the values its message names) have no HTTP in them: services
// and presenters build and read them too.
export { MESSAGE_KEY, fieldErrorText, keyWith, withLimit } from '../support/field-errors.ts';

export type FieldErrorKeys = Record<string, string>;

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldErrorKeys };

/** The message key of one of a schema's issues (`fallback` for zod's own): a text too long carries its maximum. */
export function issueKey(issue: z.core.$ZodIssue, fallback = 'errors.validation'): string {
  if (!MESSAGE_KEY.test(issue.message)) return fallback;
  if (issue.code === 'too_big' && issue.origin === 'string') return withLimit(issue.message, Number(issue.maximum));
  return issue.message;
}

/** Validates a body; on failure, the first message key per field (`fallback` for zod's own messages). */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown, fallback = 'errors.validation'): FormResult<z.output<S>> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return { ok: true, data: r.data };
  const errors: FieldErrorKeys = {};
  for (const issue of r.error.issues) {
    const field = String(issue.path[0] ?? '_form');
    errors[field] ??= issueKey(issue, fallback);
  }
  return { ok: false, errors };
}

/** Values to show again in a re-rendered form: what was typed, never the passwords. */
export function keptValues(body: unknown, ...omit: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' && k !== '_csrf' && !/password/i.test(k) && !omit.includes(k)) out[k] = v;
  }
  return out;
}

/**
 * Fields never shown back: secrets, and the form's own bookkeeping (hidden inputs: ids, keys, where
 * to go back, list sizes), which nobody typed and which would only show internals.
 */
const NOT_TYPED =
  /password|passwd|secret|token|csrf|otp|totp|code|recovery|^_|rows$|^(version|go|next|lang|decision|track|askId|formKey|key|ids?|userId|caseId|back|returnTo|from|query|action|edit|seen|sort|baseVersion|toVersion)$/i;
/** Field names as the app's forms write them; anything else (hostile or unknown shape) is not shown. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * The free texts a form carried, to show back when it cannot be applied (an expired session, a
 * stale token), so that a long answer typed on a phone is not lost: only named text fields, never
 * secrets or bookkeeping fields, at most `maxFields` of them, each cut to `maxChars`. Escaped by the view.
 */
export function typedTexts(body: unknown, maxFields = 30, maxChars = 20_000, maxTotal = 50_000): Array<{ field: string; text: string }> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [];
  const out: Array<{ field: string; text: string }> = [];
  // The whole page is bounded too (30 fields of 20,000 characters made a 600 kB error page).
  let left = maxTotal;
  for (const [field, v] of Object.entries(body as Record<string, unknown>)) {
    if (out.length >= maxFields || left <= 0) break;
    if (!FIELD_NAME.test(field) || NOT_TYPED.test(field)) continue;
    const text = (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').join('\n') : typeof v === 'string' ? v : '').trim().slice(0, Math.min(maxChars, left));
    if (!text) continue;
    out.push({ field, text });
    left -= text.length;
  }
  return out;
}

/** A name our forms write (letters, digits, _ and -); `field[$gt]`, `field[__proto__]` or `a.b` are not. */
const FORM_FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/**
 * The first field name of a url-encoded body that none of our forms writes (a crafted request:
 * `field[$gt]`, `field[__proto__]`), cut to 60 characters; undefined when every name is ours. The
 * body parser keeps such names as plain keys, so they would only be ignored: refused instead, so
 * that whoever sent them learns that nothing was saved.
 */
export function unexpectedFieldName(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const odd = Object.keys(body).find((k) => !FORM_FIELD_NAME.test(k));
  return odd === undefined ? undefined : odd.slice(0, 60);
}

/**
 * What is wrong with a url-encoded body itself, before its values are read: a name no form of ours
 * writes (unexpectedFieldName, above the form: '_form') and any of `names` sent several times
 * (fieldVi=a&fieldVi=b: errors.oneValue beside its box). Undefined when nothing is.
 */
export function bodyRefusals(body: unknown, names: readonly string[]): FieldErrorKeys | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const out: FieldErrorKeys = {};
  Object.assign(out, repeatedFields(body, names));
  const odd = unexpectedFieldName(body);
  if (odd !== undefined) out._form = keyWith('errors.unexpectedField', { name: odd });
  return Object.keys(out).length ? out : undefined;
}

/** One text of a url-encoded body, trimmed; a name sent several times gives its first value (bodyRefusals refuses it). */
export function firstText(body: Record<string, unknown>, name: string): string {
  const v = Object.hasOwn(body, name) ? body[name] : undefined;
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim() : '';
}

/** Form errors (field → message key) in the page's language; undefined when there are none. */
export function translateErrors(t: TFunction, errors: FieldErrorKeys | undefined): Record<string, string> | undefined {
  if (!errors || Object.keys(errors).length === 0) return undefined;
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, fieldErrorText(t, v)]));
}

/**
 * One trimmed text from a url-encoded field ('' when absent). A name sent several times (`a=1&a=2`)
 * is refused (errors.oneValue), never read as its first value: which one a person meant is not ours
 * to guess. A route that shows its form again checks repeatedFields first, for a 422 beside the box;
 * elsewhere readForm's 400 refuses it.
 */
export const formText = z.preprocess((v, ctx) => {
  if (Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: 'errors.oneValue', input: v });
    return z.NEVER;
  }
  return typeof v === 'string' ? v.trim() : '';
}, z.string());

/** The names of a form schema's fields (a z.object's keys). */
export function formFields(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}

/** The fields among `names` sent several times, each with errors.oneValue beside its box; undefined when none was. */
export function repeatedFields(body: unknown, names: readonly string[]): FieldErrorKeys | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const out: FieldErrorKeys = {};
  for (const name of names) if (Object.hasOwn(b, name) && Array.isArray(b[name])) out[name] = 'errors.oneValue';
  return Object.keys(out).length ? out : undefined;
}

/** What was typed in `names`, to show a refused form again: each field's text, a repeated one's first value. */
export function typedValues(body: unknown, names: readonly string[]): Record<string, string> {
  const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  return Object.fromEntries(names.map((n) => [n, firstText(b, n)]));
}

/** The version a form was built for (hidden field): digits only. */
export const formVersion = z.preprocess((v) => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN), z.number({ error: 'cases.errors.version' }).int());

/**
 * Reads what a form must carry to be answered at all (the version it was built for, a choice among
 * buttons): a body without it is a bad request, not a form to show again.
 */
export function readForm<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = parseForm(schema, body, 'errors.badRequest');
  // The key alone: a bad request says what was wrong, not a limit (withLimit).
  if (!r.ok) throw new BadRequestError(Object.values(r.errors)[0]!.split('|')[0]);
  return r.data;
}

/** One trimmed text of a url-encoded body ('' when absent), to show back or to steer (a repeated name: its first value). */
export function bodyText(body: unknown, name: string): string {
  return body && typeof body === 'object' ? firstText(body as Record<string, unknown>, name) : '';
}

