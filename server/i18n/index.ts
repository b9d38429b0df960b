// Translations live in locales/<lng>/<feature>.json; a key is "<feature>.<path>", so each feature
// owns its own file. Loaded once at boot (synchronously: it is a handful of small files).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fromRoot } from '../support/project-root.ts';
import i18next, { type i18n, type TFunction } from 'i18next';

export const LOCALES = ['vi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'vi';

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

export const localesDir = fromRoot('locales');

export function loadResources(dir = localesDir): Record<Locale, Record<string, unknown>> {
  const out = {} as Record<Locale, Record<string, unknown>>;
  for (const lng of LOCALES) {
    const bundle: Record<string, unknown> = {};
    for (const file of readdirSync(path.join(dir, lng)).filter((f) => f.endsWith('.json')).sort()) {
      bundle[path.basename(file, '.json')] = JSON.parse(readFileSync(path.join(dir, lng, file), 'utf8'));
    }
    out[lng] = bundle;
  }
  return out;
}

let instance: i18n | undefined;

export function i18n(): i18n {
  if (!instance) {
    const resources = loadResources();
    instance = i18next.createInstance();
    void instance.init({
      initAsync: false,
      resources: Object.fromEntries(LOCALES.map((l) => [l, { translation: resources[l] }])),
      lng: DEFAULT_LOCALE,
      fallbackLng: 'en',
      supportedLngs: [...LOCALES],
      interpolation: { escapeValue: false }, // Handlebars escapes; e-mail text must not get HTML entities
      returnNull: false,
    });
  }
  return instance;
}

/**
 * The `t` of one language (views, services, presenters, e-mails): plain keys and keys with plain
 * values go through `translate` (cached texts), anything else (plurals, options, arrays of keys,
 * a default value) to i18next.
 */
const fastTranslators = new Map<string, TFunction>();
export function translator(locale: Locale): TFunction {
  let t = fastTranslators.get(locale);
  if (!t) {
    const slow = i18nextTranslator(locale);
    const fast = (key: unknown, params?: unknown, ...rest: unknown[]) => {
      if (typeof key === 'string' && rest.length === 0 && (params === undefined || (typeof params === 'object' && params !== null && Object.getPrototypeOf(params) === Object.prototype))) {
        return translate(locale, key, params as Record<string, unknown> | undefined);
      }
      return (slow as unknown as (...a: unknown[]) => unknown)(key, params, ...rest);
    };
    t = fast as unknown as TFunction;
    fastTranslators.set(locale, t);
  }
  return t;
}

/** One fixed-language function per locale (getFixedT builds a new one per call). */
const i18nextTranslators = new Map<string, TFunction>();
/** Texts without parameters, per locale: the resources never change after start (measured: i18next was ~10% of the queue page's CPU). */
const plainTexts = new Map<string, Map<string, string>>();

function i18nextTranslator(locale: Locale): TFunction {
  let t = i18nextTranslators.get(locale);
  if (!t) {
    t = i18n().getFixedT(locale);
    i18nextTranslators.set(locale, t);
  }
  return t;
}

/**
 * Entries kept per locale in each table below. The resources never change after start, so every
 * answer is remembered; but keys can be built from stored data (a stage, a history action), so a
 * table past this size is started over rather than grown (the resources hold ~1,400 texts).
 */
const REMEMBERED_MAX = 20_000;
/**
 * Longer ids are computed each time, never remembered: a key or default built from stored or typed
 * text (a history action, a document type) could otherwise hold a long text, and i18next's answer
 * (a missing key's own text), in each of 20,000 entries per table and locale. The longest id the
 * pages ask for is a formatted text's key (at most 52 characters) with two values of at most 40.
 */
const REMEMBERED_ID_MAX = 256;

/** `compute()` once per locale and id in `table`, bounded by REMEMBERED_MAX entries of at most REMEMBERED_ID_MAX characters. */
function remembered<T>(table: Map<string, Map<string, T>>, locale: Locale, id: string, compute: () => T): T {
  if (id.length > REMEMBERED_ID_MAX) return compute();
  let texts = table.get(locale);
  if (!texts) table.set(locale, (texts = new Map()));
  let value = texts.get(id);
  if (value === undefined) {
    value = compute();
    if (texts.size >= REMEMBERED_MAX) texts.clear();
    texts.set(id, value);
  }
  return value;
}

/** A text cut at its `{{name}}` placeholders: literal parts and the names between them. */
type Compiled = Array<string | { name: string }>;
/** Not in this language's resources (i18next would fall back, or try the next plural form). */
const MISSING = Symbol('missing');
/** Per locale and key: the compiled text, null when only i18next can render it, or MISSING. */
const compiledTexts = new Map<string, Map<string, Compiled | null | typeof MISSING>>();
/** Parameters that are i18next options (plurals, context, defaults, nesting…), not values: i18next renders those. */
const I18NEXT_OPTIONS = new Set(['count', 'ordinal', 'context', 'defaultValue', 'lng', 'lngs', 'fallbackLng', 'ns', 'keySeparator', 'nsSeparator', 'returnObjects', 'returnDetails', 'joinArrays', 'postProcess', 'interpolation', 'replace', 'skipInterpolation']);
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const pluralRulesByLocale = new Map<string, Intl.PluralRules>();
function pluralRules(locale: Locale): Intl.PluralRules {
  let rules = pluralRulesByLocale.get(locale);
  if (!rules) pluralRulesByLocale.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules;
}

/** The text of `key` in `locale` as parts, when its only markup is plain `{{name}}` placeholders. */
function compile(locale: Locale, key: string): Compiled | null | typeof MISSING {
  const raw = i18n().getResource(locale, 'translation', key) as unknown;
  if (raw === undefined) return MISSING;
  // An object, nesting ($t), formats ({{d, datetime}}), paths ({{user.name}}) or unescaped values
  // ({{- x}}): i18next's own rendering.
  if (typeof raw !== 'string' || raw.includes('$t(')) return null;
  const parts: Compiled = [];
  let last = 0;
  for (const m of raw.matchAll(PLACEHOLDER)) {
    const name = m[1]!.trim();
    if (!PLAIN_NAME.test(name)) return null;
    parts.push(raw.slice(last, m.index), { name });
    last = m.index + m[0].length;
  }
  parts.push(raw.slice(last));
  return parts;
}

function compiled(locale: Locale, key: string): Compiled | null | typeof MISSING {
  return remembered(compiledTexts, locale, key, () => compile(locale, key));
}

/**
 * `t(key, params)` by substitution into the compiled text, as i18next renders it (values with
 * String(), no escaping: escapeValue is off). Undefined when i18next must render it: an option
 * among the parameters, a value missing, null or an object, or a value holding markup of its own.
 * (i18next's per-call option handling was ~15 % of the queue page's CPU.)
 */
function substitute(locale: Locale, key: string, params: Record<string, unknown>): string | undefined {
  let counted = false;
  for (const name in params) {
    if (name === 'count' && typeof params.count === 'number' && Number.isFinite(params.count)) counted = true;
    // A default only matters for a missing key, which goes to i18next anyway.
    else if (name !== 'defaultValue' && I18NEXT_OPTIONS.has(name)) return undefined;
  }
  let parts: Compiled | null | typeof MISSING;
  if (counted) {
    // i18next's plural lookup: key_zero for 0 when there is one, then key_<CLDR category>, then key.
    const count = params.count as number;
    parts = count === 0 ? compiled(locale, `${key}_zero`) : MISSING;
    if (parts === MISSING) parts = compiled(locale, `${key}_${pluralRules(locale).select(count)}`);
    if (parts === MISSING) parts = compiled(locale, key);
  } else parts = compiled(locale, key);
  if (!parts || parts === MISSING) return undefined;
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const v = Object.hasOwn(params, part.name) ? params[part.name] : undefined;
    if (typeof v === 'string') {
      if (v.includes('{{') || v.includes('$t(')) return undefined;
      out += v;
    } else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out += String(v);
    else return undefined;
  }
  return out;
}

/** i18next's answers for `t(key, { defaultValue })` (a label named by stored data, e.g. a history action), per locale. */
const defaultedTexts = new Map<string, Map<string, string>>();

/**
 * i18next's answers for a text with formats ({{max, number}}: the character counter of every
 * limited field, four on a case page) given short plain values, per locale and values. Each of
 * those was ~40 µs of i18next's option handling (~4 % of the case page's web thread at 100,000
 * cases); its answer depends only on the language, the key and the values.
 */
const formattedTexts = new Map<string, Map<string, string>>();
const FORMATTED_VALUE_MAX = 40;

/** The table's id of `t(key, params)` when its answer may be remembered: a text i18next must format, values that are numbers, booleans or short strings. */
function formattedId(locale: Locale, key: string, params: Record<string, unknown>): string | undefined {
  if (compiled(locale, key) !== null) return undefined;
  let id = key;
  for (const name in params) {
    if (I18NEXT_OPTIONS.has(name)) return undefined;
    const v = params[name];
    if (typeof v === 'number' ? !Number.isFinite(v) : typeof v === 'string' ? v.length > FORMATTED_VALUE_MAX || v.includes('{{') || v.includes('$t(') : typeof v !== 'boolean') return undefined;
    id += `\u0000${name}\u0000${typeof v}\u0000${String(v)}`;
  }
  return id;
}

/** What the tables above hold (tests: they stay bounded whatever text reaches them). */
export function rememberedSizes(): { entries: number; chars: number } {
  let entries = 0;
  let chars = 0;
  for (const table of [plainTexts, compiledTexts, defaultedTexts, formattedTexts] as Array<Map<string, Map<string, unknown>>>) {
    for (const texts of table.values()) {
      entries += texts.size;
      for (const [id, value] of texts) chars += id.length + (typeof value === 'string' ? value.length : 0);
    }
  }
  return { entries, chars };
}

/** `t(key)` or `t(key, params)` in `locale`; the text of a key without parameters is computed once. */
export function translate(locale: Locale, key: string, params?: Record<string, unknown>): string {
  if (params && Object.keys(params).length > 0) {
    const fast = substitute(locale, key, params);
    if (fast !== undefined) return fast;
    const defaultValue = params.defaultValue;
    // A key this language lacks, with a default only: i18next's fallback language, else the
    // default. On the case page such labels (history actions) were most of the time in i18next.
    if (typeof defaultValue === 'string' && Object.keys(params).length === 1) {
      return remembered(defaultedTexts, locale, `${key}\u0000${defaultValue}`, () => i18nextTranslator(locale)(key, { defaultValue }) as string);
    }
    const id = formattedId(locale, key, params);
    if (id !== undefined) return remembered(formattedTexts, locale, id, () => i18nextTranslator(locale)(key, params) as string);
    return i18nextTranslator(locale)(key, params) as string;
  }
  return remembered(plainTexts, locale, key, () => i18nextTranslator(locale)(key) as string);
}

/** Picks the best supported locale from an Accept-Language header. */
export function localeFromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: (tag ?? '').toLowerCase().split('-')[0], q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .sort((a, b) => b.q - a.q);
  return ranked.map((r) => r.lang).find(isLocale);
}
