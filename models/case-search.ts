// The words the HR queue's search looks for (server/cases/queue.ts), derived from the case and kept
// on it as `searchTerms`: normalized (lower case, Vietnamese diacritics removed, đ → d), whole words
// only. The queue matches a typed word as a prefix of a stored word with an anchored range on the
// multikey index { institute, searchTerms }, so the index stays one entry per word (not per prefix).
//
// Sources: the reference (TA-2026-000123 → ta, 2026, 000123 and 123), the applicant's full name
// (profile.fullName), their e-mail (from the user: split into its words), the nationality's ISO
// code and its name in Vietnamese and English (VN → vn, viet, nam, vietnam).

/** Lower case without diacritics: "Nguyễn Thị Đào" → "nguyen thi dao". */
export function normalizeSearch(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
}

/** At most this many words are kept from one typed query or one source (hostile input is cut, not refused). */
export const MAX_QUERY_WORDS = 6;
/** A stored or typed word is cut to this length (an index key stays small). */
export const MAX_WORD = 40;

/**
 * Version of the stored words' format: a case whose `searchTermsVersion` differs gets its words
 * again from the backfill (server/cases/search-backfill.ts). 2: names with an apostrophe or hyphen
 * are also stored written together (O'Brien → obrien).
 */
export const SEARCH_TERMS_VERSION = 2;

// Apostrophes (' ’ ‘ ʼ) and hyphens inside a name: "O'Brien", "O’Brien", "Jean-Pierre".
const JOINERS = /['\u2018\u2019\u02BC-]/g;
const JOINED_NAME = /\p{L}+(?:['\u2018\u2019\u02BC-]\p{L}+)+/gu;

/**
 * The words of a text: letters and digits, normalized. A name written with an apostrophe or a
 * hyphen gives its parts and the whole written together ("O'Brien" → o, brien, obrien), so it is
 * found whether the apostrophe is typed, typed as another one, or left out (queryWords).
 */
export function searchWords(s: unknown): string[] {
  if (typeof s !== 'string' || !s) return [];
  const text = normalizeSearch(s.slice(0, 400));
  const words = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  for (const name of text.match(JOINED_NAME) ?? []) words.push(name.replace(JOINERS, ''));
  return words.map((w) => w.slice(0, MAX_WORD));
}

const displayNames = new Map<string, Intl.DisplayNames>();
function countryNameIn(code: string, locale: 'vi' | 'en'): string {
  let names = displayNames.get(locale);
  if (!names) {
    names = new Intl.DisplayNames([locale], { type: 'region' });
    displayNames.set(locale, names);
  }
  try {
    return names.of(code) ?? '';
  } catch {
    return '';
  }
}

export interface SearchSource {
  reference?: string | null;
  fullName?: string | null;
  nationality?: string | null;
  email?: string | null;
}

/** The case's search words, sorted and without duplicates. */
export function caseSearchTerms(src: SearchSource): string[] {
  const words = new Set<string>();
  const add = (ws: string[]) => ws.forEach((w) => words.add(w));
  add(searchWords(src.reference));
  const number = /(\d+)$/.exec(src.reference ?? '')?.[1];
  if (number) add([String(Number(number))]);
  add(searchWords(src.fullName));
  add(searchWords(src.email));
  const code = typeof src.nationality === 'string' && /^[A-Za-z]{2}$/.test(src.nationality) ? src.nationality.toUpperCase() : undefined;
  if (code) {
    add([code.toLowerCase()]);
    for (const locale of ['vi', 'en'] as const) {
      const name = countryNameIn(code, locale);
      const ws = searchWords(name);
      add(ws);
      // "Viet Nam" is also written "Vietnam": the joined form finds both spellings.
      if (ws.length > 1) add([ws.join('').slice(0, MAX_WORD)]);
    }
  }
  return [...words].sort();
}

/** The words of what an officer typed in the search box (at most MAX_QUERY_WORDS, longest kept). */
export function queryWords(q: string): string[] {
  // An apostrophe inside a typed word joins it ("o'brien", "O’Brien" → obrien: stored as such);
  // a hyphen splits it (its parts are stored).
  const typed = normalizeSearch(q.slice(0, 400)).replace(/(\p{L})['\u2018\u2019\u02BC](?=\p{L})/gu, '$1');
  const ws = [...new Set(typed.split(/[^\p{L}\p{N}]+/u).filter(Boolean).map((w) => w.slice(0, MAX_WORD)))];
  return ws.length <= MAX_QUERY_WORDS ? ws : ws.sort((a, b) => b.length - a.length).slice(0, MAX_QUERY_WORDS);
}
