// E-mail templates: views/emails/<template>/<locale>.subject.hbs, <locale>.text.hbs and
// <locale>.html.hbs (the HTML one is wrapped in views/emails/layout.<locale>.html.hbs), unless an
// administrator has saved an edited version (server/mail/templates.ts): then that version is used.
// The subject and the text part are rendered without HTML escaping (they are not HTML); the HTML
// part escapes every {{value}}. Nothing here can reach a file other than the template folders: no
// partials are registered, and edits using partials or unknown helpers are refused when saved.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { viewsDir, helpers } from '../views/engine.ts';
import type { Locale } from '../i18n/index.ts';
import { checkTemplate, currentOverride, ESSENTIAL_VARIABLES, KNOWN_HELPERS, sampleData, TEMPLATE_NAME, usedVariables, versionParts, type Part, type TemplateParts, type TemplateProblem } from './templates.ts';

const hb = Handlebars.create();
for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, fn as Handlebars.HelperDelegate);
hb.unregisterHelper('log');

const cache = new Map<string, Handlebars.TemplateDelegate>();

async function compileFile(file: string, escape: boolean): Promise<Handlebars.TemplateDelegate> {
  const key = `file:${file}:${escape}`;
  let tpl = cache.get(key);
  if (!tpl) {
    tpl = hb.compile(await readFile(file, 'utf8'), { noEscape: !escape, strict: false });
    cache.set(key, tpl);
  }
  return tpl;
}

/**
 * Edited text: only the known helpers, compiled once per saved version (versions never change).
 * Each entry keeps its source and is used only for the same text: a version number is unique within
 * one database, not within a process that has opened another (the tests' databases, one after the
 * other, each with its own version 1 of the same template).
 */
const editedCache = new Map<string, { source: string; tpl: Handlebars.TemplateDelegate }>();
function compileEdited(source: string, escape: boolean, cacheKey?: string): Handlebars.TemplateDelegate {
  const key = cacheKey ? `edit:${cacheKey}:${escape}` : undefined;
  const kept = key ? editedCache.get(key) : undefined;
  if (kept && kept.source === source) return kept.tpl;
  const tpl = hb.compile(source, { noEscape: !escape, strict: false, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true });
  if (key) {
    if (editedCache.size > 500) editedCache.clear();
    editedCache.set(key, { source, tpl });
  }
  return tpl;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface RenderResult extends RenderedMail {
  /** The edited version used; 0 = the built-in files. */
  version: number;
  /** Set when the edited version failed on this data and the built-in one was used instead. */
  fellBack?: string;
}

export interface RenderOptions {
  /** Unsaved text (the editor's preview): rendered as typed, nothing cached. */
  parts?: TemplateParts;
  /** A given saved version (0 = built-in); without it, the version in use now. */
  version?: number;
}

/**
 * The facts an e-mail must carry (ESSENTIAL_VARIABLES) as the built-in template words them, for an
 * edited text: views/emails/<template>/<locale>.facts.<text|html>.hbs, where the template has them
 * (each the built-in template's lines of those facts, each behind its {{#if}}).
 */
const factsFile = (template: string, locale: Locale, p: 'text' | 'html') => path.join(viewsDir, 'emails', template, `${locale}.facts.${p}.hbs`);
const factsKnown = new Map<string, boolean>();

/** An edit of this template in this language that leaves out an essential fact gets it added after its text when sent. */
export function factsAdded(template: string, locale: Locale): boolean {
  const key = `${template}:${locale}`;
  let known = factsKnown.get(key);
  if (known === undefined) {
    known = TEMPLATE_NAME.test(template) && existsSync(factsFile(template, locale, 'text')) && existsSync(factsFile(template, locale, 'html'));
    factsKnown.set(key, known);
  }
  return known;
}

/** The essential variables an edited part uses (parsed once per saved version and part). */
const usedCache = new Map<string, { source: string; used: Set<string> }>();
function usedIn(source: string, cacheKey: string | undefined): Set<string> {
  if (!cacheKey) return usedVariables(source);
  const kept = usedCache.get(cacheKey);
  // Only for the same text (see editedCache).
  if (kept && kept.source === source) return kept.used;
  if (usedCache.size > 500) usedCache.clear();
  const used = usedVariables(source);
  usedCache.set(cacheKey, { source, used });
  return used;
}

/**
 * What an edited part leaves out of the facts the e-mail must carry (a date to act by, the working
 * days left, the dates that moved), worded as the built-in template words them, to go after the
 * administrator's text: an edit saved before the built-in template gained such a line (the hold
 * e-mail's paused request, the planned start's moved procedure dates) must not keep it from the
 * applicant. The facts the edit does carry are left out here (not said twice); empty when none is
 * missing, none applies to this e-mail's data, or the template has no facts file.
 */
async function missingFacts(
  template: string,
  locale: Locale,
  ctx: Record<string, unknown>,
  source: string,
  p: 'text' | 'html',
  cacheKey: string | undefined,
  edited: { render: (data: Record<string, unknown>) => string; out: string },
): Promise<string> {
  const essential = Object.hasOwn(ESSENTIAL_VARIABLES, template) ? ESSENTIAL_VARIABLES[template]! : [];
  if (!essential.length || !factsAdded(template, locale)) return '';
  const used = usedIn(source, cacheKey);
  // Named is not shown: `{{#if dueAt}}{{/if}}` (or an {{#each}} with nothing inside) names the date and
  // says nothing of it, and kept it from being added (security review s34). A fact counts as carried
  // only when the edit's text changes with it.
  const shown = essential.filter((n) => used.has(n) && !sameWithout(edited, ctx, n));
  if (shown.length === essential.length) return '';
  const carried = Object.fromEntries(shown.map((n) => [n, undefined]));
  return (await compileFile(factsFile(template, locale, p), p === 'html'))({ ...ctx, ...carried }).trim();
}

/** A value unlike `v`, of its kind, that renders differently wherever `v` is shown (undefined: nothing to show). */
function unlike(v: unknown): unknown {
  if (v instanceof Date) return new Date(v.getTime() + 400 * 86_400_000);
  if (typeof v === 'string') return v ? `${v}\u2063` : undefined;
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  // A list shown item by item shows its items twice; one only tested (`{{#if}}`) does not change.
  if (Array.isArray(v)) return v.length ? [...v, ...v] : undefined;
  return undefined;
}

/** Whether the edit renders the same with fact `name` changed (or has nothing of it to show): it does not show it. */
function sameWithout(edited: { render: (data: Record<string, unknown>) => string; out: string }, ctx: Record<string, unknown>, name: string): boolean {
  const other = unlike(ctx[name]);
  if (other === undefined) return false;
  try {
    return edited.render({ ...ctx, [name]: other }) === edited.out;
  } catch {
    return false;
  }
}

async function renderWith(template: string, locale: Locale, ctx: Record<string, unknown>, source: { parts?: TemplateParts; cacheKey?: string }) {
  const dir = path.join(viewsDir, 'emails', template);
  const part = async (p: Part, escape: boolean) =>
    source.parts ? compileEdited(source.parts[p], escape, source.cacheKey && `${source.cacheKey}:${p}`) : compileFile(path.join(dir, `${locale}.${p}.hbs`), escape);
  const subject = (await part('subject', false))(ctx).trim().replace(/\s+/g, ' ');
  const textOf = await part('text', false);
  const htmlOf = await part('html', true);
  let text = textOf(ctx);
  let body = htmlOf(ctx);
  if (source.parts) {
    const textFacts = await missingFacts(template, locale, ctx, source.parts.text, 'text', source.cacheKey && `${source.cacheKey}:text`, { render: textOf, out: text });
    if (textFacts) text = `${text.trimEnd()}\n\n${textFacts}\n`;
    const htmlFacts = await missingFacts(template, locale, ctx, source.parts.html, 'html', source.cacheKey && `${source.cacheKey}:html`, { render: htmlOf, out: body });
    if (htmlFacts) body = `${body}\n${htmlFacts}`;
  }
  const layout = await compileFile(path.join(viewsDir, 'emails', `layout.${locale}.html.hbs`), true);
  const html = layout({ ...ctx, subject, body: new Handlebars.SafeString(body) });
  return { subject, text, html };
}

/**
 * Data stored in the shape an older template read, given the names the template reads now. Queued
 * and logged e-mails keep the data they were written with (the mail log renders them again).
 * procedure_update carried both languages' words ({ vi: {…}, en: {…} }) until it was sent in the
 * applicant's language only, with that language's words at the top level.
 */
const LEGACY_DATA: Record<string, (data: Record<string, unknown>, locale: Locale) => Record<string, unknown>> = {
  // Account e-mails composed or kept (the mail log) before they named their reader by role said "Ông/Bà" to everyone.
  ...Object.fromEntries(['verify_email', 'password_reset', 'account_disabled', 'account_enabled', 'second_factor_reset', 'account_disabled_reset'].map((t) => [t, (data: Record<string, unknown>, locale: Locale) => (data.you !== undefined ? data : { ...data, you: locale === 'vi' ? 'Ông/Bà' : 'you' })])),
  // One window per e-mail until the digest (server/planner/jobs.ts): that window becomes the list's one row.
  certificate_window(data) {
    if (Array.isArray(data.windows) || typeof data.documentType !== 'string') return data;
    const name = data.documentType;
    const row = { document: name, label: name.charAt(0).toUpperCase() + name.slice(1), from: data.from, to: data.to, procedures: data.procedures, uploadable: data.uploadable, closing: data.closing, daysLeft: data.daysLeft, ...(data.replaces ? { replaces: data.replaces } : {}) };
    return { ...data, documents: name, windows: [row], replaced: !!data.replaces };
  },
  procedure_update(data, locale) {
    const w = data[locale] as Record<string, unknown> | undefined;
    if (data.headline !== undefined || !w || typeof w !== 'object') return data;
    return {
      ...data,
      kindLabel: w.kind,
      statusLabel: w.status,
      headline: w.headline,
      legalBasis: w.legalBasis,
      office: w.office,
      filedOn: w.filedAt,
      decisionDue: w.dueAt,
      reasonsDue: w.reasonsDueAt,
      cardFrom: w.cardStartsAt,
      cardTo: w.cardEndsAt,
    };
  },
};

/**
 * A link to the app carrying the e-mail's language (`lang`, read by server/http/locale.ts): opened
 * signed out, the sign-in page it leads to is in the e-mail's language, not the browser's. Before
 * the #fragment; a link that names a language already keeps it.
 */
export function linkInLanguage(url: string, locale: Locale): string {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash);
  if (/[?&]lang=/.test(base)) return url;
  return `${base}${base.includes('?') ? '&' : '?'}lang=${locale}${fragment}`;
}

const LINK_NAME = /^link$|Link$/;
const isLink = (name: string, v: unknown): v is string => LINK_NAME.test(name) && typeof v === 'string' && /^https?:\/\//i.test(v);

/**
 * Every link of an e-mail's data (`link`, `…Link`, and those of a list's rows: the digests' cases)
 * in the e-mail's language: in one place, so that every e-mail, a queued one and an edited
 * template's included, carries it.
 */
function linksInLanguage(data: Record<string, unknown>, locale: Locale): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  for (const [name, v] of Object.entries(data)) {
    if (isLink(name, v)) out[name] = linkInLanguage(v, locale);
    else if (Array.isArray(v)) {
      out[name] = v.map((row: unknown) => (row && typeof row === 'object' && Object.getPrototypeOf(row) === Object.prototype ? linksInLanguage(row as Record<string, unknown>, locale) : row));
    }
  }
  return out;
}

const misfits = new Map<string, TemplateProblem[]>();

/**
 * What an edited version gets wrong against the e-mail's data as the built-in template now reads it
 * (the same strict check as a save, on sample data): nothing when it fits. Once per version.
 */
export function editMisfit(template: string, locale: Locale, edited: TemplateParts & { version: number }): TemplateProblem[] {
  const key = `${template}:${locale}:${edited.version}`;
  let found = misfits.get(key);
  if (!found) {
    found = checkTemplate(template, locale, edited, sampleData(template));
    if (misfits.size > 500) misfits.clear();
    misfits.set(key, found);
  }
  return found;
}

/** An e-mail's stored data under the names its template reads now (LEGACY_DATA). */
export function withCurrentNames(template: string, locale: Locale, data: Record<string, unknown>): Record<string, unknown> {
  return Object.hasOwn(LEGACY_DATA, template) ? LEGACY_DATA[template]!(data, locale) : data;
}

export async function renderEmail(template: string, locale: Locale, data: Record<string, unknown>, opts: RenderOptions = {}): Promise<RenderResult> {
  if (!TEMPLATE_NAME.test(template)) throw new Error(`bad e-mail template name: ${template}`);
  const ctx = { ...linksInLanguage(withCurrentNames(template, locale, data), locale), locale };
  if (opts.parts) return { ...(await renderWith(template, locale, ctx, { parts: opts.parts })), version: -1 };
  const edited = opts.version === undefined ? await currentOverride(template, locale) : await versionParts(template, locale, opts.version);
  // An edit saved against an earlier form of the e-mail's data (a variable renamed or turned into a
  // list since) would send with gaps, as rendering is not strict: the built-in one is sent instead.
  // A named version (the mail log showing what was sent) renders as it was.
  const misfit = edited && opts.version === undefined ? editMisfit(template, locale, edited)[0] : undefined;
  if (edited && misfit) {
    return { ...(await renderWith(template, locale, ctx, {})), version: 0, fellBack: `the edited version ${edited.version} no longer fits this e-mail's data (${misfit.part}: ${misfit.reason})`.slice(0, 300) };
  }
  if (edited) {
    try {
      return { ...(await renderWith(template, locale, ctx, { parts: edited, cacheKey: `${template}:${locale}:${edited.version}` })), version: edited.version };
    } catch (err) {
      // Checked against sample data when saved, yet failing on this message's data: the built-in
      // template is sent rather than nothing.
      return { ...(await renderWith(template, locale, ctx, {})), version: 0, fellBack: String((err as Error)?.message ?? err).slice(0, 300) };
    }
  }
  return { ...(await renderWith(template, locale, ctx, {})), version: 0 };
}
