// Translations live in locales/<lng>/<feature>.json; a key is "<feature>.<path>", so each feature
// owns its own file. Loaded once at boot (synchronously: it is a handful of small files).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import i18next, { type i18n, type TFunction } from 'i18next';

export const LOCALES = ['vi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'vi';

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

export const localesDir = path.resolve(import.meta.dirname, '../../locales');

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

/** One fixed-language function per locale (getFixedT builds a new one per call). */
const translators = new Map<string, TFunction>();
/** Texts without parameters, per locale: the resources never change after start (measured: i18next was ~10% of the queue page's CPU). */
const plainTexts = new Map<string, Map<string, string>>();

export function translator(locale: Locale): TFunction {
  let t = translators.get(locale);
  if (!t) {
    t = i18n().getFixedT(locale);
    translators.set(locale, t);
  }
  return t;
}

/** `t(key)` or `t(key, params)` in `locale`; the text of a key without parameters is computed once. */
export function translate(locale: Locale, key: string, params?: Record<string, unknown>): string {
  if (params && Object.keys(params).length > 0) return translator(locale)(key, params) as string;
  let texts = plainTexts.get(locale);
  if (!texts) plainTexts.set(locale, (texts = new Map()));
  let text = texts.get(key);
  if (text === undefined) {
    text = translator(locale)(key) as string;
    texts.set(key, text);
  }
  return text;
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
