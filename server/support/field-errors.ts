// A field's error is one string until the page's presenter translates it: an i18n key, or a key
// with the values its message names ("key|{\"max\":2000}": keyWith), or a text a service already
// worded. Kept free of Express and multer: services and presenters build and read them.
import type { TFunction } from 'i18next';

/** An i18n key ('feature.errors.required'), as opposed to one of zod's own English messages. */
export const MESSAGE_KEY = /^[a-z][A-Za-z]*\.[A-Za-z0-9_.]+$/;

/**
 * A field's error that says the limit ("At most 5,000 characters"): its key with the maximum, in
 * the one string a field's error is until the page's presenter translates it (fieldErrorText).
 */
export function withLimit(key: string, max: number): string {
  return keyWith(key, { max });
}

/** A field's error key with the values its message names (the text typed, a limit), until it is translated (fieldErrorText). */
export function keyWith(key: string, params: Record<string, string | number>): string {
  return `${key}|${JSON.stringify(params)}`;
}

/** A field's error in the reader's language: a key (with its values: keyWith), or a text a service already worded. */
export function fieldErrorText(t: TFunction, value: string): string {
  const bar = value.indexOf('|');
  if (bar > 0 && MESSAGE_KEY.test(value.slice(0, bar))) {
    try {
      const params = JSON.parse(value.slice(bar + 1)) as unknown;
      if (params && typeof params === 'object' && !Array.isArray(params)) return t(value.slice(0, bar), params as Record<string, unknown>);
    } catch {
      // not one of ours: shown as it is
    }
  }
  return MESSAGE_KEY.test(value) ? t(value) : value;
}

