// Page models of the template editor: the list of events, and one event in one language with the
// form (what was typed, or the text in use), the problems of a refused edit in the page's
// language, the preview, the variables and the versions.
import type { Context } from '../context.ts';
import { tOf } from '../context.ts';
import { missingEssentials, PARTS, type TemplateParts, type TemplateProblem, type Variable } from '../mail/templates.ts';
import { lineDiff, withContext } from '../support/line-diff.ts';
import { factsAdded, type RenderResult } from '../mail/render.ts';
import type { emailTemplateEditor, listEmailTemplates } from './service.ts';
import { withFields } from '../support/with-fields.ts';

const label = (t: ReturnType<typeof tOf>, template: string) => t(`workflow.templates.${template}`, { defaultValue: template });

export function presentTemplateList(ctx: Context, rows: Awaited<ReturnType<typeof listEmailTemplates>>) {
  const t = tOf(ctx);
  return {
    title: t('emailTemplates.title'),
    styles: ['/static/css/mail.css'],
    rows: rows.map((r) => withFields(r, { label: label(t, r.name) })),
    toReview: rows.reduce((n, r) => n + r.locales.filter((l) => l.drifted).length, 0),
  };
}

export function problemMessages(ctx: Context, problems: TemplateProblem[]): string[] {
  const t = tOf(ctx);
  return problems.map((p) => {
    const part = t(`emailTemplates.parts.${p.part}`);
    const reason = reasonText(t, p.reason);
    return p.line ? t('emailTemplates.problemAtLine', { part, line: p.line, reason }) : t('emailTemplates.problem', { part, reason });
  });
}

/** A problem's reason in the page's language (codes from server/mail/templates.ts checkTemplate). */
function reasonText(t: ReturnType<typeof tOf>, reason: string): string {
  const unknown = /^"([^"]+)" not defined in/.exec(reason);
  if (unknown) return t('emailTemplates.unknownVariable', { name: unknown[1] });
  const [code, a, b] = reason.split(':');
  // The template's own marks are parameters: in a message's text i18next would read {{ }} as its own.
  switch (code) {
    case 'empty':
      return t('emailTemplates.problems.empty');
    case 'partials':
      return t('emailTemplates.problems.partials', { example: '{{> …}}' });
    case 'decorators':
      return t('emailTemplates.problems.decorators', { example: '{{* …}}' });
    case 'unreadable':
      return t('emailTemplates.problems.unreadable', { open: '{{', close: '}}' });
    case 'tooLong':
      return t('emailTemplates.problems.tooLong', { max: a });
    case 'unclosed':
      return t('emailTemplates.problems.unclosed', { block: `{{#${a}}}`, end: `{{/${a}}}` });
    case 'essential':
      return t('emailTemplates.problems.essential', { variable: `{{${a}}}` });
    case 'mismatched':
      return t('emailTemplates.problems.mismatched', { open: `{{#${a}}}`, close: `{{/${b}}}`, end: `{{/${a}}}` });
    default:
      // A helper's own refusal while rendering the sample (its name is in it, e.g. "unknown helper exec").
      return reason;
  }
}

function essentialMessages(ctx: Context, template: string, parts: TemplateParts | undefined): string[] | undefined {
  const missing = parts ? missingEssentials(template, parts) : [];
  return missing.length ? problemMessages(ctx, missing) : undefined;
}

/** The preview frame's one line when its draft is gone (kept for PREVIEW_LIFETIME_MS, models/email-template.ts). */
export function previewGoneText(ctx: Context): string {
  return tOf(ctx)('emailTemplates.previewGone');
}

function variableRows(vars: Variable[]) {
  return vars.map((v) => ({ name: v.name, list: v.list, fields: v.fields.join(', '), example: v.list ? `{{#each ${v.name}}}…{{/each}}` : `{{${v.name}}}` }));
}

/**
 * Where the preview frame loads the HTML part from (routes/email-templates.ts): a document of its
 * own under its own policy, as the mail log's. In the page (srcdoc) it would take the site's policy,
 * which refuses the inline styles every e-mail carries, and the preview would not look like the e-mail.
 */
function previewFrameUrl(template: string, locale: string, previewId: string | undefined, reference: string | undefined): string {
  const base = `/admin/email-templates/${template}/${locale}/preview`;
  if (previewId) return `${base}?draft=${previewId}`;
  return reference ? `${base}?reference=${encodeURIComponent(reference)}` : base;
}

const DIFF_SIGN = { same: ' ', removed: '−', added: '+' } as const;
/** Unchanged lines shown around each change of the built-in template. */
const DIFF_CONTEXT = 2;

function diffRows(t: ReturnType<typeof tOf>, before: string, after: string) {
  return withContext(lineDiff(before, after), DIFF_CONTEXT).map((r) =>
    r.op === 'skipped' ? { op: r.op, sign: '⋯', line: t('emailTemplates.drift.skipped', { count: r.count }) } : { op: r.op, sign: DIFF_SIGN[r.op], line: r.line },
  );
}

/**
 * The built-in template's change since the edit in use was written: what changed, part by part,
 * when the one it was written against is known; else the edit beside the built-in one as it is now.
 */
function presentDrift(t: ReturnType<typeof tOf>, e: Awaited<ReturnType<typeof emailTemplateEditor>>) {
  if (!e.drift.changed) return undefined;
  const old = e.drift.old;
  return {
    known: !!old,
    seen: e.builtinHash,
    diffs: old
      ? PARTS.filter((p) => old[p] !== e.builtin[p]).map((p) => ({
          part: t(`emailTemplates.parts.${p}`),
          lines: diffRows(t, old[p], e.builtin[p]),
        }))
      : undefined,
    sides: old ? undefined : PARTS.map((p) => ({ part: t(`emailTemplates.parts.${p}`), edit: e.inUse[p], builtin: e.builtin[p] })),
  };
}

export function presentTemplateEditor(
  ctx: Context,
  input: {
    editor: Awaited<ReturnType<typeof emailTemplateEditor>>;
    values?: TemplateParts & { reference?: string; baseVersion?: string };
    problems?: TemplateProblem[];
    preview?: RenderResult;
    /** The kept draft the preview frame loads (a preview of the form); none: the text in use. */
    previewId?: string;
    caseNotFound?: boolean;
  },
) {
  const t = tOf(ctx);
  const e = input.editor;
  const values = input.values ?? { ...e.inUse, reference: '' };
  return {
    title: t('emailTemplates.editTitle', { template: label(t, e.template), locale: e.locale.toUpperCase() }),
    styles: ['/static/css/mail.css'],
    template: e.template,
    templateLabel: label(t, e.template),
    // Not `locale`: that is the page's language (the layout's lang, the t helper), the admin's own.
    templateLocale: e.locale,
    otherLocale: e.locale === 'vi' ? 'en' : 'vi',
    baseVersion: input.values?.baseVersion ?? String(e.version),
    version: e.version,
    edited: e.edited,
    values,
    problems: input.problems?.length ? problemMessages(ctx, input.problems) : undefined,
    misfit: e.misfit.length ? problemMessages(ctx, e.misfit) : undefined,
    drift: presentDrift(t, e),
    // What the form holds (typed, or the edit in use) leaves out what the e-mail must carry: said, not refused.
    // (Not beside a refusal: text that does not parse would seem to leave out everything.)
    essentials: input.problems?.length ? undefined : essentialMessages(ctx, e.template, input.values ?? (e.edited ? e.inUse : undefined)),
    // Those facts are added after the edit's text when the e-mail is sent (server/mail/render.ts), where the template words them.
    essentialsAdded: factsAdded(e.template, e.locale),
    caseNotFound: input.caseNotFound,
    preview: input.preview ? { subject: input.preview.subject, text: input.preview.text, frameUrl: previewFrameUrl(e.template, e.locale, input.previewId, input.values?.reference), reference: input.values?.reference } : undefined,
    variables: variableRows(e.variables),
    builtin: e.builtin,
    versions: e.versions.map((v) => ({
      version: v.version,
      kind: v.kind,
      kindLabel: t(`emailTemplates.kinds.${v.kind}`, { from: v.revertedFrom ?? '' }),
      subject: v.subject,
      text: v.text,
      savedAt: v.savedAt,
      savedByName: v.savedByName,
      current: v.version === e.version,
    })),
  };
}
