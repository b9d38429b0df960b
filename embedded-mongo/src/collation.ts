// Collations (locale, strength 1-5, caseLevel, caseFirst, numericOrdering, alternate) on top of
// Intl.Collator (ICU, as MongoDB's). A spec is validated and expanded as MongoDB reports it; a
// comparator is built once per distinct spec. `undefined` everywhere means the simple (binary) one.
import * as btree from 'sorted-btree';
import { CommandError } from './errors.ts';
import { compareStrings, compareWith, isNumeric, isPlainObject, toNumber, type StringComparator } from './compare.ts';

type Doc = Record<string, unknown>;

export interface Collation {
  /** Identity of the collation (same key ⇒ same order), for index selection. */
  key: string;
  spec: Doc;
  compareStrings: StringComparator;
  compare(a: unknown, b: unknown): number;
}

const FIELDS = new Set(['locale', 'caseLevel', 'caseFirst', 'strength', 'numericOrdering', 'alternate', 'maxVariable', 'normalization', 'backwards', 'version']);
// MongoDB's `@collation=` keywords → BCP 47 `-u-co-` values.
const KEYWORDS = new Map(Object.entries({ phonebook: 'phonebk', traditional: 'trad', pinyin: 'pinyin', stroke: 'stroke', search: 'search', unihan: 'unihan', zhuyin: 'zhuyin', big5han: 'big5han', gb2312han: 'gb2312', dictionary: 'dict', eor: 'eor', reformed: 'reformed', standard: 'standard', compat: 'compat', emoji: 'emoji' }));

function bcp47(locale: string): string | undefined {
  const [base, ext] = locale.split('@');
  let tag = base!.replace(/_/g, '-');
  if (ext) {
    const m = /^collation=([a-z0-9]+)$/.exec(ext);
    const co = m ? KEYWORDS.get(m[1]!) : undefined;
    if (!co) return undefined;
    tag += `-u-co-${co}`;
  }
  try {
    return Intl.Collator.supportedLocalesOf([tag]).length > 0 ? tag : undefined;
  } catch {
    return undefined;
  }
}

function bool(spec: Doc, k: string, dflt: boolean): boolean {
  const v = spec[k];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new CommandError('TypeMismatch', `BSON field 'collation.${k}' is the wrong type, expected type 'bool'`);
  return v;
}

function oneOf(spec: Doc, k: string, allowed: string[], dflt: string): string {
  const v = spec[k];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !allowed.includes(v)) throw new CommandError('BadValue', `Field '${k}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}. Got: ${JSON.stringify(v)}`);
  return v;
}

/** Validates a collation document and returns it as MongoDB stores and reports it. */
export function collationSpec(raw: unknown): Doc {
  if (!isPlainObject(raw)) throw new CommandError('TypeMismatch', "BSON field 'collation' is the wrong type, expected type 'object'");
  for (const k of Object.keys(raw)) if (!FIELDS.has(k)) throw new CommandError('Location40415', `BSON field 'collation.${k}' is an unknown field.`);
  if (typeof raw.locale !== 'string') throw new CommandError('Location40414', "BSON field 'collation.locale' is missing but a required field");
  if (raw.locale === 'simple') {
    if (Object.keys(raw).length > 1) throw new CommandError('BadValue', "If locale is 'simple', no other fields may be specified");
    return { locale: 'simple' };
  }
  if (!bcp47(raw.locale)) throw new CommandError('BadValue', `Field 'locale' is invalid in: ${JSON.stringify(raw)}`);
  let strength = 3;
  if (raw.strength !== undefined) {
    if (!isNumeric(raw.strength)) throw new CommandError('TypeMismatch', "BSON field 'collation.strength' is the wrong type, expected type 'int'");
    strength = toNumber(raw.strength);
    if (!Number.isInteger(strength) || strength < 1 || strength > 5) throw new CommandError('BadValue', `Field 'strength' must be an integer 1 through 5. Got: ${strength}`);
  }
  const spec: Doc = {
    locale: raw.locale,
    caseLevel: bool(raw, 'caseLevel', false),
    caseFirst: oneOf(raw, 'caseFirst', ['upper', 'lower', 'off'], 'off'),
    strength,
    numericOrdering: bool(raw, 'numericOrdering', false),
    alternate: oneOf(raw, 'alternate', ['non-ignorable', 'shifted'], 'non-ignorable'),
    maxVariable: oneOf(raw, 'maxVariable', ['punct', 'space'], 'punct'),
    normalization: bool(raw, 'normalization', false),
    backwards: bool(raw, 'backwards', false),
    version: '57.1',
  };
  // French secondary ordering has no Intl.Collator equivalent: refused rather than ignored.
  if (spec.backwards === true) throw new CommandError('NotImplemented', "collation option 'backwards: true' is not supported by this server (embedded-mongo)");
  return spec;
}

const cache = new Map<string, Collation>();

/** The collation for a (validated or raw) spec; undefined for none or 'simple'. */
export function collationFor(raw: unknown): Collation | undefined {
  if (raw === undefined || raw === null) return undefined;
  const spec = isPlainObject(raw) && raw.version === '57.1' ? raw : collationSpec(raw);
  if (spec.locale === 'simple') return undefined;
  const key = JSON.stringify(spec);
  let c = cache.get(key);
  if (c) return c;
  const strength = spec.strength as number;
  const sensitivity = strength === 1 ? (spec.caseLevel ? 'case' : 'base') : strength === 2 ? (spec.caseLevel ? 'variant' : 'accent') : 'variant';
  const intl = new Intl.Collator(bcp47(spec.locale as string), {
    usage: 'sort',
    sensitivity,
    caseFirst: spec.caseFirst === 'off' ? 'false' : (spec.caseFirst as 'upper' | 'lower'),
    numeric: spec.numericOrdering === true,
    ignorePunctuation: spec.alternate === 'shifted',
  });
  // Strength 5 (identical) breaks remaining ties by code point; 4 (quaternary) only differs from 3
  // under alternate 'shifted', which Intl approximates with ignorePunctuation.
  const str: StringComparator = strength === 5 ? (a, b) => intl.compare(a, b) || compareStrings(a.normalize('NFD'), b.normalize('NFD')) : (a, b) => intl.compare(a, b);
  c = { key, spec, compareStrings: str, compare: (a, b) => compareWith(a, b, str) };
  cache.set(key, c);
  return c;
}

/** A command's collation, else the collection's default; undefined when simple. */
export function effectiveCollation(cmdCollation: unknown, collectionDefault: unknown): Collation | undefined {
  if (cmdCollation !== undefined && cmdCollation !== null) return collationFor(cmdCollation);
  return collationFor(collectionDefault);
}

// sorted-btree is CommonJS: Node's ESM view nests the class one level deeper than its types say.
const BTree = ((btree.default as unknown as { default?: unknown }).default ?? btree.default) as unknown as new <K, V>(entries: undefined, compare: (a: K, b: K) => number) => btree.default<K, V>;

/** Names equal-by-collation values with one key (the first seen): grouping and distinct. */
export class CollatedKeys {
  private readonly tree: btree.default<unknown, string>;
  private next = 0;
  constructor(collation: Collation) {
    this.tree = new BTree<unknown, string>(undefined, collation.compare);
  }
  key(v: unknown): string {
    let k = this.tree.get(v);
    if (k === undefined) {
      k = String(this.next++);
      this.tree.set(v, k);
    }
    return k;
  }
}
