// Text indexes and $text: MongoDB's index spec ({ _fts: 'text', _ftsx: 1 } with weights), its
// tokenising (case- and diacritic-insensitive, on letters and digits), its search string (terms are
// OR-ed, "phrases" and -negations must hold) and its score (fts_spec.cpp's formula). No language
// has stemming or stop words here: every language behaves as MongoDB's 'none' (README).
import { CommandError } from './errors.ts';
import { getOwn, isNumeric, isPlainObject, setOwn, toNumber } from './compare.ts';
import { valuesAtPath } from './paths.ts';

type Doc = Record<string, unknown>;

const LANGUAGES = new Set(['none', 'danish', 'da', 'dutch', 'nl', 'english', 'en', 'finnish', 'fi', 'french', 'fr', 'german', 'de',
  'hungarian', 'hu', 'italian', 'it', 'norwegian', 'nb', 'portuguese', 'pt', 'romanian', 'ro', 'russian', 'ru', 'spanish', 'es',
  'swedish', 'sv', 'turkish', 'tr']);

export interface TextSpec {
  /** Field path → weight; '$**' indexes every string field. */
  weights: Map<string, number>;
}

export function isTextKey(key: Record<string, unknown>): boolean {
  return Object.values(key).some((v) => v === 'text') || key._fts === 'text';
}

/** Normalises a requested text index as MongoDB stores it; refuses what this server cannot build. */
export function textIndexSpec(raw: Doc, name: string): Doc {
  const key = raw.key as Doc;
  if (key._fts === 'text') return { ...raw, name }; // already normalised (listIndexes → createIndexes)
  const weights: Doc = {};
  for (const [field, v] of Object.entries(key)) {
    if (v !== 'text') throw new CommandError('CannotCreateIndex', `Error in specification ${JSON.stringify(raw)} :: caused by :: compound text indexes with non-text fields are not supported by this server (embedded-mongo)`);
    weights[field] = 1;
  }
  if (raw.weights !== undefined) {
    if (!isPlainObject(raw.weights)) throw new CommandError('CannotCreateIndex', 'weights must be an object');
    for (const [field, w] of Object.entries(raw.weights)) {
      if (!isNumeric(w) || toNumber(w) < 1 || toNumber(w) > 99999) throw new CommandError('CannotCreateIndex', `Error in specification ${JSON.stringify(raw)} :: caused by :: weight for text index needs numeric type between 1 and 99999`);
      weights[field] = toNumber(w);
    }
  }
  const language = raw.default_language ?? 'english';
  if (typeof language !== 'string' || !LANGUAGES.has(language)) {
    throw new CommandError('CannotCreateIndex', `Error in specification ${JSON.stringify(raw)} :: caused by :: default_language "${String(language)}" is not a supported language`);
  }
  const { key: _k, weights: _w, ...rest } = raw;
  return { ...rest, name, key: { _fts: 'text', _ftsx: 1 }, weights, default_language: language, language_override: raw.language_override ?? 'language', textIndexVersion: 3 };
}

export function textSpecOf(spec: Doc): TextSpec {
  const weights = new Map<string, number>();
  for (const [f, w] of Object.entries((spec.weights ?? {}) as Doc)) weights.set(f, toNumber(w));
  return { weights };
}

function fold(s: string, caseSensitive: boolean, diacriticSensitive: boolean): string {
  let out = diacriticSensitive ? s : s.normalize('NFD').replace(/\p{M}+/gu, '');
  if (!caseSensitive) out = out.toLowerCase();
  return out;
}

export function tokens(s: string, caseSensitive = false, diacriticSensitive = false): string[] {
  return fold(s, caseSensitive, diacriticSensitive).split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

function strings(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
}

function allStrings(v: unknown, out: string[]): void {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) allStrings(x, out);
  else if (isPlainObject(v)) for (const k of Object.keys(v)) allStrings(v[k], out);
}

/** The indexed strings of a document, with their weights. */
export function fieldTexts(doc: Doc, spec: TextSpec): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [path, w] of spec.weights) {
    const found: string[] = [];
    if (path === '$**') allStrings(doc, found);
    else for (const v of valuesAtPath(doc, path)) strings(v, found);
    for (const s of found) out.push([s, w]);
  }
  return out;
}

/** Index keys of a document: its distinct terms. */
export function termsOf(doc: Doc, spec: TextSpec): string[] {
  const set = new Set<string>();
  for (const [s] of fieldTexts(doc, spec)) for (const t of tokens(s)) set.add(t);
  return [...set];
}

export interface TextQuery {
  terms: string[];
  negated: string[];
  phrases: string[];
  negatedPhrases: string[];
  caseSensitive: boolean;
  diacriticSensitive: boolean;
}

export function parseTextQuery(arg: unknown): TextQuery {
  if (!isPlainObject(arg)) throw new CommandError('BadValue', '$text expects an object');
  for (const k of Object.keys(arg)) {
    if (!['$search', '$language', '$caseSensitive', '$diacriticSensitive'].includes(k)) throw new CommandError('BadValue', `Unrecognized field in $text: ${k}`);
  }
  if (typeof arg.$search !== 'string') throw new CommandError('TypeMismatch', '$search requires a string value');
  if (arg.$language !== undefined && (typeof arg.$language !== 'string' || !LANGUAGES.has(arg.$language))) {
    throw new CommandError('BadValue', `language "${String(arg.$language)}" is not supported`);
  }
  const caseSensitive = arg.$caseSensitive === true;
  const diacriticSensitive = arg.$diacriticSensitive === true;
  const q: TextQuery = { terms: [], negated: [], phrases: [], negatedPhrases: [], caseSensitive, diacriticSensitive };
  const search = arg.$search;
  // Quoted phrases (a leading '-' negates one), then the remaining words.
  const rest = search.replace(/(-?)"([^"]*)"/g, (_m, neg: string, phrase: string) => {
    if (phrase.trim()) (neg ? q.negatedPhrases : q.phrases).push(phrase);
    return ' ';
  });
  for (const word of rest.split(/\s+/)) {
    if (!word) continue;
    const neg = word.startsWith('-');
    for (const t of tokens(neg ? word.slice(1) : word, caseSensitive, diacriticSensitive)) (neg ? q.negated : q.terms).push(t);
  }
  // A phrase's own terms are searched too (MongoDB ORs them in).
  for (const p of q.phrases) q.terms.push(...tokens(p, caseSensitive, diacriticSensitive));
  q.terms = [...new Set(q.terms)];
  return q;
}

/** MongoDB's per-document term scores (FTSSpec::_scoreStringV2), summed over the query's terms. */
export function textScore(doc: Doc, spec: TextSpec, q: TextQuery): number | undefined {
  const texts = fieldTexts(doc, spec);
  const folded = (s: string) => fold(s, q.caseSensitive, q.diacriticSensitive);
  const all = texts.map(([s]) => folded(s));
  for (const p of q.phrases) if (!all.some((s) => s.includes(folded(p)))) return undefined;
  for (const p of q.negatedPhrases) if (all.some((s) => s.includes(folded(p)))) return undefined;
  const scores = new Map<string, number>();
  for (const [raw, weight] of texts) {
    const toks = tokens(raw, q.caseSensitive, q.diacriticSensitive);
    const terms = new Map<string, { count: number; freq: number; exp: number }>();
    for (const t of toks) {
      const d = terms.get(t) ?? { count: 0, freq: 0, exp: 0 };
      d.exp = d.exp ? d.exp * 2 : 1;
      d.count += 1;
      d.freq += 1 / d.exp;
      terms.set(t, d);
    }
    for (const [term, d] of terms) {
      const coeff = (0.5 * d.count) / toks.length + 0.5;
      const adjustment = raw.length === term.length && raw.toLowerCase() === term.toLowerCase() ? 1.1 : 1;
      scores.set(term, (scores.get(term) ?? 0) + weight * d.freq * coeff * adjustment);
    }
  }
  for (const t of q.negated) if (scores.has(t)) return undefined;
  let score = 0;
  let hit = false;
  for (const t of q.terms) {
    const s = scores.get(t);
    if (s !== undefined) { score += s; hit = true; }
  }
  return hit ? score : undefined;
}

/** Splits `{ $text, ...rest }` (or a top-level $and holding one $text) into the search and the rest. */
export function extractText(filter: Doc): { text: unknown; rest: Doc } | undefined {
  // The common case (no $text, no $and) costs two property checks.
  if (!Object.prototype.hasOwnProperty.call(filter, '$text') && !Object.prototype.hasOwnProperty.call(filter, '$and')) return undefined;
  let text: unknown;
  let found = 0;
  const rest: Doc = {};
  for (const k of Object.keys(filter)) {
    const v = getOwn(filter, k);
    if (k === '$text') { text = v; found++; continue; }
    if (k === '$and' && Array.isArray(v)) {
      const kept: unknown[] = [];
      for (const sub of v) {
        if (isPlainObject(sub) && '$text' in sub && Object.prototype.hasOwnProperty.call(sub, '$text')) {
          text = sub.$text; found++;
          const { $text: _t, ...others } = sub;
          if (Object.keys(others).length) kept.push(others);
        } else kept.push(sub);
      }
      if (kept.length) rest.$and = kept;
      continue;
    }
    setOwn(rest, k, v);
  }
  if (found === 0) return undefined;
  if (found > 1) throw new CommandError('BadValue', 'Too many text expressions');
  return { text, rest };
}
