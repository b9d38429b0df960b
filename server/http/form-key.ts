// A key rendered once into a form that adds something (a note, a message): the same form sent twice
// (a double click, a resent request) adds it once. Stale-version checks guard stage changes; a note
// or a message changes no version, so without this both submissions were stored (and a message's
// e-mail owed twice).
import { randomHex } from '../support/random-hex.ts';

/** A fresh key for a form being rendered. */
export function newFormKey(): string {
  return randomHex(16);
}

/** The key a form sent, if it is one this app renders (anything else is ignored: no key, no dedupe). */
export function sentFormKey(body: unknown): string | undefined {
  const v = (body as Record<string, unknown> | undefined)?.formKey;
  return typeof v === 'string' && /^[a-f0-9]{32}$/.test(v) ? v : undefined;
}
