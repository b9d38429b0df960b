// Editing the e-mail templates (administrators): every event found under views/emails, in both
// languages. A save is a new version (who, when), checked first (server/mail/templates.ts
// checkTemplate: parse, known helpers only, no partials, renders in strict mode on sample data);
// a refused edit stores nothing and the template in use stays as it was. Reverting writes a new
// version too (a copy of an earlier one, or "back to built-in"), so the history is never rewritten.
// Each version remembers the built-in template it was written from (`base`): when a release changes
// that one, the edit is flagged until the administrator keeps it (a new version), changes it or goes
// back to the built-in template.
import type { AppContext } from '../deps.ts';
import type { Context } from '../context.ts';
import { actorOf } from '../context.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { authorize } from '../policies/index.ts';
import { recordAudit } from '../audit/index.ts';
import { EmailTemplate, EmailTemplatePreview, PREVIEW_LIFETIME_MS, type EmailTemplateFields } from '../../models/email-template.ts';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { User } from '../../models/user.ts';
import type { Locale } from '../i18n/index.ts';
import { editMisfit, renderEmail, withCurrentNames, type RenderResult } from '../mail/render.ts';
import {
  builtinHash,
  builtinParts,
  checkTemplate,
  invalidateOverrides,
  isTemplateName,
  listTemplateNames,
  missingEssentials,
  sampleData,
  templateVariables,
  type TemplateParts,
  type TemplateProblem,
} from '../mail/templates.ts';
import { isId } from '../support/object-id.js';

function mustBeTemplate(template: string): void {
  if (!isTemplateName(template)) throw new NotFoundError();
}

type TemplateRow = EmailTemplateFields & { _id: unknown };

/**
 * Has the built-in template changed since this edit was written against it? `old`: the built-in
 * text it was written against, when known (versions saved before it was kept are from an unknown
 * older one). Nothing for the built-in template itself.
 */
export type Drift = { changed: false } | { changed: true; old?: TemplateParts };

function driftOf(template: string, locale: Locale, row: Pick<TemplateRow, 'kind' | 'base'> | undefined): Drift {
  if (!row || row.kind === 'builtin') return { changed: false };
  const base = row.base;
  if (base?.hash === builtinHash(template, locale)) return { changed: false };
  return { changed: true, old: base ? { subject: base.subject ?? '', text: base.text ?? '', html: base.html ?? '' } : undefined };
}

/** The built-in template an edit saved now is written against (stored with it). */
function currentBase(template: string, locale: Locale) {
  return { hash: builtinHash(template, locale), ...builtinParts(template, locale) };
}

const partsOf = (row: Pick<TemplateRow, 'subject' | 'text' | 'html'>): TemplateParts => ({ subject: row.subject ?? '', text: row.text ?? '', html: row.html ?? '' });

/** The newest version of every template and language that has one (an edit or back to the built-in one), with its text. */
async function headVersions(): Promise<Map<string, TemplateRow>> {
  // The collection is small (administrators' saves): the newest of each, then the text of those.
  const all = await EmailTemplate.find({}, { template: 1, locale: 1, version: 1 }).sort({ template: 1, locale: 1, version: -1 }).lean();
  const ids: unknown[] = [];
  const seen = new Set<string>();
  for (const r of all) {
    const k = `${r.template}:${r.locale}`;
    if (!seen.has(k)) ids.push(r._id);
    seen.add(k);
  }
  const heads = ids.length ? await EmailTemplate.find({ _id: { $in: ids } }).lean() : [];
  return new Map(heads.map((r) => [`${r.template}:${r.locale}`, r as TemplateRow]));
}

/**
 * Every template with, per language, its version in use (0 = built-in), when it was saved, whether
 * the built-in template changed after the edit (to review), and whether the edit needs care (no
 * longer fits the e-mail's data, or leaves out what the e-mail must carry).
 */
export async function listEmailTemplates(opts: { ctx: Context }) {
  authorize(actorOf(opts.ctx), 'mail.editTemplates');
  const names = listTemplateNames();
  const heads = await headVersions();
  return names.map((name) => ({
    name,
    locales: (['vi', 'en'] as const).map((locale) => {
      const r = heads.get(`${name}:${locale}`);
      const edited = !!r && r.kind !== 'builtin';
      const needsCare = edited && (editMisfit(name, locale, { ...partsOf(r), version: r.version }).length > 0 || missingEssentials(name, partsOf(r)).length > 0);
      return { locale, edited, version: r?.version ?? 0, savedAt: r?.savedAt, savedByName: r?.savedByName, drifted: driftOf(name, locale, r).changed, needsCare };
    }),
  }));
}

/** How many edits in use were written against a built-in template that has changed since (the administration page's badge). */
export async function countEditsToReview(opts: { ctx: Context }): Promise<number> {
  authorize(actorOf(opts.ctx), 'mail.editTemplates');
  const names = new Set(listTemplateNames());
  let n = 0;
  for (const r of (await headVersions()).values()) if (names.has(r.template) && driftOf(r.template, r.locale as Locale, r).changed) n++;
  return n;
}

/** The editor's data: the text in use, the built-in text, the history, the variables. */
export async function emailTemplateEditor(opts: { ctx: Context; template: string; locale: Locale }) {
  authorize(actorOf(opts.ctx), 'mail.editTemplates');
  mustBeTemplate(opts.template);
  const { template, locale } = opts;
  const versions = await EmailTemplate.find({ template, locale }).sort({ version: -1 }).limit(100).lean();
  const builtin = builtinParts(template, locale);
  const head = versions[0];
  const edited = !!head && head.kind !== 'builtin';
  const inUse: TemplateParts = edited ? partsOf(head) : builtin;
  return {
    template,
    locale,
    /** The version the form is based on (a save must name it: a stale one is a conflict). */
    version: head?.version ?? 0,
    edited,
    inUse,
    builtin,
    /** The built-in template as the page shows it (keeping an edit names it: a newer one is a conflict). */
    builtinHash: builtinHash(template, locale),
    drift: driftOf(template, locale, head),
    versions,
    variables: templateVariables(template),
    /** An edit in use that no longer fits the e-mail's data (the built-in one is sent until it is fixed: server/mail/render.ts). */
    misfit: edited ? editMisfit(template, locale, { ...inUse, version: head.version }) : [],
  };
}

export type SaveOutcome = { ok: true; version: number } | { ok: false; problems: TemplateProblem[] };

async function nextVersion(opts: { ctx: Context; template: string; locale: Locale; baseVersion: number; row: Record<string, unknown>; action: string; summary: Record<string, unknown> }): Promise<number> {
  const actor = actorOf(opts.ctx);
  const head = await EmailTemplate.findOne({ template: opts.template, locale: opts.locale }, { version: 1 }).sort({ version: -1 }).lean();
  if ((head?.version ?? 0) !== opts.baseVersion) throw new ConflictError('emailTemplates.conflict');
  const version = opts.baseVersion + 1;
  try {
    await EmailTemplate.create({ template: opts.template, locale: opts.locale, version, savedBy: actor._id, savedByName: actor.name, savedAt: opts.ctx.now, ...opts.row });
  } catch (err) {
    // Two saves based on the same version: the unique index lets one through.
    if ((err as { code?: number }).code === 11000) throw new ConflictError('emailTemplates.conflict');
    throw err;
  }
  invalidateOverrides();
  await recordAudit(opts.ctx, { action: opts.action, targetType: 'email_template', targetId: `${opts.template}:${opts.locale}`, summary: { version, ...opts.summary } });
  return version;
}

/** Saves an edit as a new version, or says what is wrong (part, line, reason) and stores nothing. */
export async function saveEmailTemplate(opts: { app: AppContext; ctx: Context; template: string; locale: Locale; parts: TemplateParts; baseVersion: number }): Promise<SaveOutcome> {
  authorize(actorOf(opts.ctx), 'mail.editTemplates');
  mustBeTemplate(opts.template);
  const problems = checkTemplate(opts.template, opts.locale, opts.parts, sampleData(opts.template, opts.app.config.appUrl));
  if (problems.length) return { ok: false, problems };
  const version = await nextVersion({
    ctx: opts.ctx,
    template: opts.template,
    locale: opts.locale,
    baseVersion: opts.baseVersion,
    row: { kind: 'edit', ...opts.parts, base: currentBase(opts.template, opts.locale) },
    action: 'email_template.save',
    summary: { subject: opts.parts.subject.slice(0, 200) },
  });
  return { ok: true, version };
}

/** A new version copying `toVersion` (0: back to the built-in template). */
export async function revertEmailTemplate(opts: { ctx: Context; template: string; locale: Locale; toVersion: number; baseVersion: number }): Promise<number> {
  authorize(actorOf(opts.ctx), 'mail.editTemplates');
  mustBeTemplate(opts.template);
  const { template, locale, toVersion } = opts;
  let row: Record<string, unknown>;
  if (toVersion === 0) row = { kind: 'builtin' };
  else {
    const from = await EmailTemplate.findOne({ template, locale, version: toVersion }).lean();
    if (!from) throw new NotFoundError();
    // A copy is written against what its source was (an edit of an older built-in template stays one).
    row = from.kind === 'builtin' ? { kind: 'builtin', revertedFrom: toVersion } : { kind: 'revert', revertedFrom: toVersion, subject: from.subject, text: from.text, html: from.html, base: from.base };
  }
  return nextVersion({ ctx: opts.ctx, template, locale, baseVersion: opts.baseVersion, row, action: 'email_template.revert', summary: { to: toVersion } });
}

export type KeepOutcome = 'kept' | 'unchanged' | 'misfit';

/**
 * "Keep my edit": the edit in use, reviewed against the built-in template as it is now, is a new
 * version (a copy, written against today's built-in one), so it is no longer flagged. `seenHash`:
 * the built-in template the administrator was shown (another one since is a conflict). An edit that
 * no longer fits the e-mail's data is not sent (server/mail/render.ts), so it must be corrected instead.
 */
export async function keepEmailTemplate(opts: { ctx: Context; template: string; locale: Locale; baseVersion: number; seenHash: string }): Promise<KeepOutcome> {
  authorize(actorOf(opts.ctx), 'mail.editTemplates');
  mustBeTemplate(opts.template);
  const { template, locale } = opts;
  const head = await EmailTemplate.findOne({ template, locale }).sort({ version: -1 }).lean();
  if (!head || head.kind === 'builtin' || head.version !== opts.baseVersion || opts.seenHash !== builtinHash(template, locale)) throw new ConflictError('emailTemplates.conflict');
  if (!driftOf(template, locale, head).changed) return 'unchanged';
  if (editMisfit(template, locale, { ...partsOf(head), version: head.version }).length) return 'misfit';
  await nextVersion({
    ctx: opts.ctx,
    template,
    locale,
    baseVersion: head.version,
    row: { kind: 'kept', revertedFrom: head.version, ...partsOf(head), base: currentBase(template, locale) },
    action: 'email_template.keep',
    summary: { from: head.version, builtinWas: head.base?.hash?.slice(0, 12) ?? null },
  });
  return 'kept';
}

export type PreviewOutcome =
  | { ok: true; rendered: RenderResult; reference?: string; previewId?: string }
  | { ok: false; problems: TemplateProblem[]; reference?: string; caseNotFound?: boolean };

/** The data an e-mail of this event about this case would carry: its last such e-mail's data, else built from the case. */
async function caseData(app: AppContext, template: string, reference: string) {
  const c = await Case.findOne({ reference }, { reference: 1, applicant: 1, call: 1, institute: 1, stage: 1, stageDueAt: 1, profile: 1, outbox: 1 }).lean();
  if (!c) return undefined;
  const [applicant, call] = await Promise.all([User.findById(c.applicant, { name: 1 }).lean(), Call.findById(c.call, { title: 1 }).lean()]);
  const data: Record<string, unknown> = {
    reference: c.reference,
    caseId: String(c._id),
    link: `${app.config.appUrl}/applications/${c._id}`,
    name: applicant?.name ?? '',
    applicantName: c.profile?.fullName ?? '',
    callTitle: call ? { vi: call.title?.vi, en: call.title?.en } : undefined,
    to: c.stage,
    dueAt: c.stageDueAt,
  };
  const last = [...(c.outbox ?? [])].reverse().find((i) => i.template === template);
  return { caseDoc: c, data: { ...data, ...((last?.data ?? {}) as Record<string, unknown>) } };
}

/** Renders what is in the form on a real case (by reference) or on sample data, after the same check as a save. */
export async function previewEmailTemplate(opts: { app: AppContext; ctx: Context; template: string; locale: Locale; parts: TemplateParts; reference?: string }): Promise<PreviewOutcome> {
  const actor = actorOf(opts.ctx);
  authorize(actor, 'mail.editTemplates');
  mustBeTemplate(opts.template);
  const sample = sampleData(opts.template, opts.app.config.appUrl);
  const problems = checkTemplate(opts.template, opts.locale, opts.parts, sample);
  if (problems.length) return { ok: false, problems, reference: opts.reference };
  let data = sample;
  if (opts.reference) {
    const found = await caseData(opts.app, opts.template, opts.reference);
    if (!found) return { ok: false, problems: [], reference: opts.reference, caseNotFound: true };
    authorize(actor, 'case.view', found.caseDoc);
    // Variables the case does not carry keep their sample value, so the preview shows every part.
    // A case's e-mail stored under older names is read under today's first (server/mail/render.ts).
    data = { ...sample, ...Object.fromEntries(Object.entries(withCurrentNames(opts.template, opts.locale, found.data)).filter(([, v]) => v !== undefined && v !== null)) };
  }
  try {
    const rendered = await renderEmail(opts.template, opts.locale, data, { parts: opts.parts });
    return { ok: true, rendered, reference: opts.reference };
  } catch (err) {
    return { ok: false, problems: [{ part: 'html', reason: String((err as Error)?.message ?? err).slice(0, 300) }], reference: opts.reference };
  }
}

/**
 * The editor's Preview: renders what is in the form (as previewEmailTemplate) and, when it renders,
 * keeps the draft briefly (`previewId`) for the preview frame, which loads the HTML part from
 * emailPreviewHtml. A preview changes no template and is not audited.
 */
export async function previewEmailDraft(opts: { app: AppContext; ctx: Context; template: string; locale: Locale; parts: TemplateParts; reference?: string }): Promise<PreviewOutcome> {
  const out = await previewEmailTemplate(opts);
  if (!out.ok) return out;
  const kept = await EmailTemplatePreview.create({
    owner: actorOf(opts.ctx)._id,
    template: opts.template,
    locale: opts.locale,
    ...opts.parts,
    reference: opts.reference,
    expiresAt: new Date(opts.ctx.now.getTime() + PREVIEW_LIFETIME_MS),
  });
  return { ...out, previewId: String(kept._id) };
}

/**
 * The HTML part alone, for the editor's preview frame: a draft kept by previewEmailDraft (this
 * administrator's own, of this template and language, not expired), or else the text in use, on the
 * case named or on sample data. Rendered afresh through the same check as the page's preview.
 * Undefined when there is nothing to show (the draft is gone, the case no longer found).
 */
export async function emailPreviewHtml(opts: { app: AppContext; ctx: Context; template: string; locale: Locale; previewId?: string; reference?: string }): Promise<string | undefined> {
  const actor = actorOf(opts.ctx);
  authorize(actor, 'mail.editTemplates');
  mustBeTemplate(opts.template);
  const { template, locale } = opts;
  let parts: TemplateParts;
  let reference = opts.reference;
  if (opts.previewId !== undefined) {
    if (!isId(opts.previewId)) return undefined;
    const draft = await EmailTemplatePreview.findOne({ _id: opts.previewId, owner: actor._id, template, locale, expiresAt: { $gt: opts.ctx.now } }).lean();
    if (!draft) return undefined;
    parts = { subject: draft.subject ?? '', text: draft.text ?? '', html: draft.html ?? '' };
    reference = draft.reference ?? undefined;
  } else {
    const head = await EmailTemplate.findOne({ template, locale }, { kind: 1, subject: 1, text: 1, html: 1 }).sort({ version: -1 }).lean();
    parts = head && head.kind !== 'builtin' ? { subject: head.subject ?? '', text: head.text ?? '', html: head.html ?? '' } : builtinParts(template, locale);
  }
  const out = await previewEmailTemplate({ app: opts.app, ctx: opts.ctx, template, locale, parts, reference });
  return out.ok ? out.rendered.html : undefined;
}
