// Posted forms: validated by a zod schema declared beside the route, whose messages are i18n keys;
// a form that fails is shown again with what was typed and one message per field, translated by
// the page's presenter.
import { z } from 'zod';
import { BadRequestError } from '../errors.ts';
import type { TFunction } from 'i18next';

export type FieldErrorKeys = Record<string, string>;

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: FieldErrorKeys };

/** An i18n key ('feature.errors.required'), as opposed to one of zod's own English messages. */
const MESSAGE_KEY = /^[a-z][A-Za-z]*\.[A-Za-z0-9_.]+$/;

/** Validates a body; on failure, the first message key per field (`fallback` for zod's own messages). */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown, fallback = 'errors.validation'): FormResult<z.output<S>> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return { ok: true, data: r.data };
  const errors: FieldErrorKeys = {};
  for (const issue of r.error.issues) {
    const field = String(issue.path[0] ?? '_form');
    errors[field] ??= MESSAGE_KEY.test(issue.message) ? issue.message : fallback;
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

/** Form errors (field → message key) in the page's language; undefined when there are none. */
export function translateErrors(t: TFunction, errors: FieldErrorKeys | undefined): Record<string, string> | undefined {
  if (!errors || Object.keys(errors).length === 0) return undefined;
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, t(v)]));
}

/** One trimmed text from a url-encoded field ('' when absent; a repeated name gives its first value). */
export const formText = z.preprocess((v) => {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim() : '';
}, z.string());

/** The version a form was built for (hidden field): digits only. */
export const formVersion = z.preprocess((v) => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN), z.number({ error: 'cases.errors.version' }).int());

/**
 * Reads what a form must carry to be answered at all (the version it was built for, a choice among
 * buttons): a body without it is a bad request, not a form to show again.
 */
export function readForm<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = parseForm(schema, body, 'errors.badRequest');
  if (!r.ok) throw new BadRequestError(Object.values(r.errors)[0]);
  return r.data;
}

/** One trimmed text of a url-encoded body ('' when absent). */
export function bodyText(body: unknown, name: string): string {
  return formText.parse((body as Record<string, unknown> | undefined)?.[name]);
}

