// Text typed into forms may be pasted from anywhere; some characters are invisible and change what
// the next reader sees.
/**
 * C0 and C1 control characters other than tab and line breaks (NUL among them), and the
 * bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069: the "Trojan
 * Source" characters, CVE-2021-42574) that reorder what staff read. Soft hyphens, zero-width
 * joiners and direction marks stay allowed: PDFs and some scripts carry them harmlessly.
 */
const HIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

export function hasHiddenCharacters(s: string): boolean {
  return HIDDEN.test(s);
}

/** For zod's refine: true when the text is free of them. */
export const withoutHiddenCharacters = (s: string): boolean => !HIDDEN.test(s);

/**
 * What a name given by a device rather than typed (an uploaded file's, shown in lists and sent back
 * as the download's name) keeps: no control or format character (\p{Cc}, \p{Cf}: direction marks,
 * overrides and isolates, U+061C, the BOM, soft hyphens, zero-width characters and joiners) and no
 * line or paragraph separator (\p{Zl}, \p{Zp}), so it reads as it is stored. Letters of every script
 * stay. Taken out rather than refused: the applicant did not type them and cannot see them.
 */
const NOT_IN_NAMES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

export function nameWithoutHiddenCharacters(s: string): string {
  return s.replace(NOT_IN_NAMES, '');
}

/**
 * What a required text or a minimum length counts: the characters that show. White space, the
 * default-ignorable characters (zero-width space U+200B, word joiner U+2060, BOM, joiners, variation
 * selectors, Hangul fillers, tags) and the controls print nothing, so eleven U+200B are not a reason
 * the applicant can read. Only counted, never stripped: a ZWJ inside an emoji or a ZWNJ in Persian
 * stays in the stored text.
 */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\u2800]/gu;

/** The number of characters (code points) that show. */
export function visibleLength(s: string): number {
  let n = 0;
  for (const _ of s.replace(INVISIBLE, '')) n += 1;
  return n;
}

/** For zod's refine: true when at least `min` characters show (1: the text is not blank). */
export const hasVisibleText =
  (min = 1) =>
  (s: string): boolean =>
    visibleLength(s) >= min;
