// Editable e-mail templates (administrators): the list of events, the editor of one event in one
// language (preview on a case or on sample data, save as a new version), the preview's HTML part
// for its frame, reverting to an earlier version or to the built-in template, and keeping an edit
// as it is once reviewed against a built-in template that changed after it.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { flash } from '../server/http/flash.ts';
import { sendEmailPreview, sendEmailPreviewGone } from '../server/http/email-preview.ts';
import { emailPreviewHtml, emailTemplateEditor, keepEmailTemplate, listEmailTemplates, previewEmailDraft, previewEmailTemplate, revertEmailTemplate, saveEmailTemplate } from '../server/email-templates/service.ts';
import { presentTemplateEditor, presentTemplateList, previewGoneText } from '../server/email-templates/present.ts';
import { isTemplateName, type TemplateProblem } from '../server/mail/templates.ts';
import type { RenderResult } from '../server/mail/render.ts';
import { NotFoundError } from '../server/errors.ts';

const params = z.object({ template: z.string().regex(/^[a-z0-9_-]{1,60}$/), locale: z.enum(['vi', 'en']) });
/** Text of a textarea: a string (CRLF as the browser sends it becomes LF), anything else is empty; bounded well above the check's limits. */
const source = z.unknown().optional().transform((v) => (typeof v === 'string' ? v.replace(/\r\n?/g, '\n').slice(0, 200_000) : ''));
const editBody = z.object({
  op: z.enum(['save', 'preview']).catch('preview'),
  subject: source,
  text: source,
  html: source,
  reference: z.unknown().optional().transform((v) => (typeof v === 'string' ? v.trim().toUpperCase().slice(0, 20) : '')),
  baseVersion: z.unknown().optional().transform((v) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? v : '0')),
});
const revertBody = z.object({
  toVersion: z.string().regex(/^\d{1,6}$/).transform(Number),
  baseVersion: z.string().regex(/^\d{1,6}$/).transform(Number),
});
const keepBody = z.object({
  baseVersion: z.string().regex(/^\d{1,6}$/).transform(Number),
  seen: z.string().regex(/^[0-9a-f]{64}$/),
});
const referenceQuery = z.unknown().optional().transform((v) => (typeof v === 'string' && /^[A-Za-z0-9-]{1,20}$/.test(v) ? v.toUpperCase() : undefined));
const previewQuery = z.object({ reference: referenceQuery });
/** The preview frame's address: a kept draft (`draft`), else the text in use on a case (`reference`) or on sample data. */
const frameQuery = z.object({
  draft: z.unknown().optional().transform((v) => (typeof v === 'string' ? v.slice(0, 64) : undefined)),
  reference: referenceQuery,
});

/** An event's folder and a language, else 404 before anything else is read (`constructor`, `__proto__`, a name with no folder). */
function parseParams(req: Request) {
  const p = params.safeParse(req.params);
  if (!p.success || !isTemplateName(p.data.template)) throw new NotFoundError();
  return p.data;
}

export function emailTemplatesRoutes(app: AppContext): Router {
  const router = Router();
  const admin = allow('role.admin');

  router.get('/admin/email-templates', admin, async (req, res) => {
    res.render('email-templates/index', presentTemplateList(req.ctx, await listEmailTemplates({ ctx: req.ctx })));
  });

  async function showEditor(req: Request, res: Response, status: number, extra: Omit<Parameters<typeof presentTemplateEditor>[1], 'editor'> = {}) {
    const { template, locale } = parseParams(req);
    const editor = await emailTemplateEditor({ ctx: req.ctx, template, locale });
    res.status(status).render('email-templates/edit', presentTemplateEditor(req.ctx, { editor, ...extra }));
  }

  router.get('/admin/email-templates/:template/:locale', admin, async (req, res) => {
    const { template, locale } = parseParams(req);
    const { reference } = previewQuery.parse(req.query ?? {});
    if (!reference) return showEditor(req, res, 200);
    // A preview of the text in use on a case named in the address.
    const editor = await emailTemplateEditor({ ctx: req.ctx, template, locale });
    const out = await previewEmailTemplate({ app, ctx: req.ctx, template, locale, parts: editor.inUse, reference });
    const values = { ...editor.inUse, reference };
    res.status(out.ok ? 200 : 422).render('email-templates/edit', presentTemplateEditor(req.ctx, { editor, values, ...(out.ok ? { preview: out.rendered } : { problems: out.problems, caseNotFound: out.caseNotFound }) }));
  });

  router.post('/admin/email-templates/:template/:locale', admin, async (req, res) => {
    const { template, locale } = parseParams(req);
    const body = editBody.parse(req.body ?? {});
    const parts = { subject: body.subject, text: body.text, html: body.html };
    const values = { ...parts, reference: body.reference, baseVersion: body.baseVersion };
    if (body.op === 'preview') {
      const out = await previewEmailDraft({ app, ctx: req.ctx, template, locale, parts, reference: body.reference || undefined });
      const extra: { preview?: RenderResult; previewId?: string; problems?: TemplateProblem[]; caseNotFound?: boolean } = out.ok ? { preview: out.rendered, previewId: out.previewId } : { problems: out.problems, caseNotFound: out.caseNotFound };
      return showEditor(req, res, out.ok ? 200 : 422, { values, ...extra });
    }
    const saved = await saveEmailTemplate({ app, ctx: req.ctx, template, locale, parts, baseVersion: Number(body.baseVersion) });
    if (!saved.ok) return showEditor(req, res, 422, { values, problems: saved.problems });
    flash(req, 'success', 'emailTemplates.saved', { version: saved.version });
    res.redirect(303, `/admin/email-templates/${template}/${locale}`);
  });

  /** The preview's HTML part alone, for the editor's sandboxed frame (server/http/email-preview.ts). */
  router.get('/admin/email-templates/:template/:locale/preview', admin, async (req, res) => {
    const { template, locale } = parseParams(req);
    const { draft, reference } = frameQuery.parse(req.query ?? {});
    const html = await emailPreviewHtml({ app, ctx: req.ctx, template, locale, previewId: draft, reference });
    if (html === undefined) return sendEmailPreviewGone(res, previewGoneText(req.ctx));
    sendEmailPreview(res, html);
  });

  router.post('/admin/email-templates/:template/:locale/revert', admin, async (req, res) => {
    const { template, locale } = parseParams(req);
    const body = revertBody.safeParse(req.body ?? {});
    if (!body.success) {
      flash(req, 'error', 'emailTemplates.badRevert');
      return res.redirect(303, `/admin/email-templates/${template}/${locale}`);
    }
    const version = await revertEmailTemplate({ ctx: req.ctx, template, locale, ...body.data });
    // Back to the built-in text: said as such, not as "version N saved".
    if (body.data.toVersion === 0) flash(req, 'success', 'emailTemplates.revertedBuiltin', { version });
    else flash(req, 'success', 'emailTemplates.reverted', { version, from: body.data.toVersion });
    res.redirect(303, `/admin/email-templates/${template}/${locale}`);
  });

  /** "Keep my edit" after the built-in template changed: reviewed, no longer flagged (a new version). */
  router.post('/admin/email-templates/:template/:locale/keep', admin, async (req, res) => {
    const { template, locale } = parseParams(req);
    const here = `/admin/email-templates/${template}/${locale}`;
    const body = keepBody.safeParse(req.body ?? {});
    if (!body.success) {
      flash(req, 'error', 'emailTemplates.badKeep');
      return res.redirect(303, here);
    }
    const out = await keepEmailTemplate({ ctx: req.ctx, template, locale, baseVersion: body.data.baseVersion, seenHash: body.data.seen });
    if (out === 'kept') flash(req, 'success', 'emailTemplates.kept');
    else if (out === 'unchanged') flash(req, 'info', 'emailTemplates.keptAlready');
    else flash(req, 'error', 'emailTemplates.keepMisfit');
    res.redirect(303, here);
  });

  return router;
}
