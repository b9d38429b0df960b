// One Handlebars setup for pages and e-mails, with the helpers both need.
import path from 'node:path';
import { newFormKey } from '../http/form-key.ts';
import { fromRoot } from '../support/project-root.ts';
import { ExpressHandlebars } from 'express-handlebars';
import Handlebars, { type HelperOptions, type RuntimeOptions } from 'handlebars';
import { isLocale, translate, translator, DEFAULT_LOCALE, type Locale } from '../i18n/index.ts';
import { asDate, formatDateTime, formatDay, isoWithOffset } from './time.ts';
import { dayFirst } from '../support/calendar-day.ts';
import { eachInPieces } from './pieces.ts';
import { formatDecimal, formatNumber } from './numbers.ts';

export const viewsDir = fromRoot('views');

function localeOf(options: HelperOptions): string {
  const root = options.data?.root as { locale?: string } | undefined;
  return isLocale(root?.locale) ? root!.locale! : DEFAULT_LOCALE;
}

/** The `localized` helper's pick: the vi or en member of a {vi, en} object (for presenters that write a row's text). */
export function localizedText(value: unknown, locale: string): unknown {
  if (!value || typeof value !== 'object') return value ?? '';
  const v = value as Record<string, string>;
  return v[locale] || v.en || v.vi || '';
}

export const helpers = {
  /** {{t "feature.key" name=value}}: text in the page's language. */
  t(key: string, options: HelperOptions) {
    return translate(localeOf(options) as 'vi' | 'en', key, options.hash);
  },
  /** {{tp key params}}: like t, with the parameters given as one object (e.g. a flash message's). */
  tp(key: string, params: unknown, options: HelperOptions) {
    const locale = localeOf(options);
    const values = params && typeof params === 'object' ? (params as Record<string, unknown>) : {};
    return translator(locale as 'vi' | 'en')(key, values);
  },
  eq: (a: unknown, b: unknown) => String(a) === String(b),
  ne: (a: unknown, b: unknown) => String(a) !== String(b),
  and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
  or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
  not: (v: unknown) => !v,
  includes: (list: unknown, v: unknown) => Array.isArray(list) && list.map(String).includes(String(v)),
  /** A day in the page's language, e.g. 5/12/2026 (vi) or 5 Dec 2026 (en): the one form (server/views/time.ts). */
  date(value: unknown, options: HelperOptions) {
    return formatDay(value, localeOf(options));
  },
  /** {{number x}}: up to 2 decimals in the page's language (2,5 / 2.5); {{number x 2}}: exactly 2 (4,40 / 4.40). */
  number(value: unknown, ...rest: unknown[]) {
    const options = rest.pop() as HelperOptions;
    if (value === null || value === undefined || value === '') return '';
    const n = Number(value);
    if (!Number.isFinite(n)) return '';
    return rest.length ? formatDecimal(n, localeOf(options), Number(rest[0])) : formatNumber(n, localeOf(options));
  },
  /** Date and time in Vietnam with the zone, e.g. 3 Dec 2026, 14:05 (UTC+7) or 3/12/2026, 14:05 (UTC+7). */
  dateTime(value: unknown, options: HelperOptions) {
    const d = asDate(value);
    return d ? formatDateTime(d, localeOf(options)) : '';
  },
  /** ISO 8601 with the offset for <time datetime>, e.g. 2026-12-03T14:05:00+07:00. */
  isoDateTime(value: unknown) {
    const d = asDate(value);
    return d ? isoWithOffset(d) : '';
  },
  /** A day field's value as it is typed, dd/mm/yyyy (a YYYY-MM-DD day rewritten; what was typed otherwise shown as it was). */
  dayFirst: (value: unknown) => dayFirst(value),
  /** yyyy-mm-dd for <input type="date"> values. */
  isoDate(value: unknown) {
    return asDate(value)?.toISOString().slice(0, 10) ?? '';
  },
  /** Picks the vi or en member of a {vi, en} object for the page's language. */
  localized(value: unknown, options: HelperOptions) {
    return localizedText(value, localeOf(options));
  },
  json: (v: unknown) => JSON.stringify(v),
  add: (a: number, b: number) => Number(a) + Number(b),
  concat: (...args: unknown[]) => args.slice(0, -1).join(''),
  /** A form field's id: the one given, else f-<name> (the field partial). */
  idFor: (given: unknown, name: unknown) => (typeof given === 'string' && given ? given : `f-${String(name)}`),
  /** A fresh key for a form that adds something, so that sending it twice adds it once (server/http/form-key.ts). */
  formKey: () => newFormKey(),
  /** `each` over a long list, sent to the browser in pieces (server/views/pieces.ts). */
  eachInPieces,
};

/** The app's helpers and Handlebars' own block helpers (if, each, unless, with, lookup). */
export const KNOWN_HELPERS: Record<string, boolean> = Object.fromEntries(
  [...Object.keys(helpers), 'if', 'unless', 'each', 'with', 'lookup'].map((name) => [name, true]),
);

/**
 * A page template with its indentation dropped: every run of white space that holds a line break
 * becomes that one line break. A browser collapses such runs to one space, so the page looks the
 * same. No template keeps white space of its own inside <pre>, <textarea> or a pre-wrap element (only
 * a value). E-mails, where lines and indentation are the text, are compiled elsewhere
 * (server/mail/render.ts).
 *
 * Why: indentation was 12,400 of the queue page's 66,800 characters. A page with any character
 * beyond Latin-1 (the language switch's "Tiếng Việt") is a two-byte string, and one over 64 K
 * characters is a "large object" to V8: a fresh memory mapping each time it is flattened to be
 * sent, which cost about 50 page faults (0.9 ms on this machine) per queue page.
 */
export function withoutIndentation(template: string): string {
  return template.replace(/[ \t]*\r?\n\s*/g, '\n');
}

/** `{{t "feature.key"}}`: a text with no parameters, the same on every render of a language (not `{{{t …}}}`, unescaped). */
const PLAIN_T = /(?<!\{)\{\{\s*t\s+(?:"([\w.-]+)"|'([\w.-]+)')\s*\}\}(?!\})/g;
/** `(t "feature.key")`: the same text given to a helper or a partial (not escaped there). */
const PLAIN_T_ARGUMENT = /\(\s*t\s+(?:"([\w.-]+)"|'([\w.-]+)')\s*\)/g;

/**
 * A page template in one language: each `{{t "key"}}` (no parameters) replaced by its text,
 * escaped as the helper's answer would be, and each `(t "key")` by the text as a string literal.
 * The `t` helper answers those with the same text on every render (the resources never change
 * after start), yet each was a helper call with its options object (the case page, its partials
 * and the layout hold some 200 such calls). A text that could read as template syntax (braces,
 * a backslash; a quote inside a literal) is left to the helper.
 */
export function withTextsOf(template: string, locale: Locale): string {
  const text = (key: string) => translate(locale, key);
  return template
    .replace(PLAIN_T, (call: string, dq: string | undefined, sq: string | undefined) => {
      const out = Handlebars.Utils.escapeExpression(text((dq ?? sq)!));
      return /[{}\\]/.test(out) ? call : out;
    })
    .replace(PLAIN_T_ARGUMENT, (call: string, dq: string | undefined, sq: string | undefined) => {
      const out = text((dq ?? sq)!);
      return /[{}\\"]/.test(out) ? call : `"${out}"`;
    });
}

/** The page's language as the `t` helper reads it (localeOf): the root context's, else the default. */
function localeOfRender(context: unknown, options: RuntimeOptions | undefined): Locale {
  const root = ((options?.data as { root?: unknown } | undefined)?.root ?? context) as { locale?: unknown } | null | undefined;
  const locale = root?.locale;
  return isLocale(locale) ? locale : DEFAULT_LOCALE;
}

type PartialsOptions = Parameters<ExpressHandlebars['getPartials']>[0];
type Partials = Awaited<ReturnType<ExpressHandlebars['getPartials']>>;

/**
 * express-handlebars with page templates compiled without their indentation, and, with the view
 * cache on (production), the partials gathered once: otherwise every render walks each partials
 * directory and awaits every partial file's cached template again (about 100 µs a page, measured
 * with bench/views-render.ts). express-handlebars copies the map before adding a render's own.
 */
class PageTemplates extends ExpressHandlebars {
  private keptPartials: Promise<Partials> | undefined;

  /**
   * A template (page, layout or partial) compiled once per language, on its first render in that
   * language, with its plain texts written in (withTextsOf); each render runs the one of the
   * page's language. A partial is called with the page's data, whose root is the page's context.
   */
  protected override _compileTemplate(template: string, options?: RuntimeOptions): HandlebarsTemplateDelegate {
    const source = withoutIndentation(template);
    const compile = (locale: Locale) => super._compileTemplate(withTextsOf(source, locale), options);
    const byLocale = new Map<Locale, HandlebarsTemplateDelegate>();
    return (context: unknown, runtime?: RuntimeOptions) => {
      const locale = localeOfRender(context, runtime);
      let compiled = byLocale.get(locale);
      if (!compiled) byLocale.set(locale, (compiled = compile(locale)));
      return compiled(context, runtime);
    };
  }

  override getPartials(options?: PartialsOptions): Promise<Partials> {
    if (!options?.cache) return super.getPartials(options);
    this.keptPartials ??= super.getPartials(options).catch((err: unknown) => {
      this.keptPartials = undefined;
      throw err;
    });
    return this.keptPartials;
  }
}

let hbs: ExpressHandlebars | undefined;

export function viewEngine(): ExpressHandlebars {
  hbs ??= new PageTemplates({
    extname: '.hbs',
    defaultLayout: 'main',
    layoutsDir: path.join(viewsDir, 'layouts'),
    // Feature partials live beside their views: {{> planner/case}} is views/planner/case.hbs.
    // (express-handlebars reads `dir` when `templates` is absent; its types insist on `templates`.)
    partialsDir: [{ dir: path.join(viewsDir, 'partials') }, { dir: path.join(viewsDir, 'planner'), namespace: 'planner' }] as unknown as string[],
    helpers,
    // Every helper is known when a template is compiled: a helper is called directly, and
    // {{field}} reads the field instead of first looking up a helper of that name at each render
    // (a 50-row queue has some 600 such mustaches). A template that calls anything else fails to
    // compile, so a misspelt helper is an error, not an empty string.
    compilerOptions: { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true },
  });
  return hbs;
}
