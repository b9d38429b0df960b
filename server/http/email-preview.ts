// An e-mail's HTML part shown as the recipient sees it, in a frame of the page: served as a document
// of its own with its own policy. Inside the page (srcdoc) it would inherit the site's policy
// (style-src 'self'), which refuses the inline styles every e-mail carries. Here inline styles and
// data: images only; no script, no request anywhere, framed only by this site, and sandboxed even
// if opened on its own.
import type { Response } from 'express';
import Handlebars from 'handlebars';

export const EMAIL_PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox";

export function sendEmailPreview(res: Response, html: string): void {
  res.setHeader('Content-Security-Policy', EMAIL_PREVIEW_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(html);
}

/** What the frame shows when there is no preview to show (e.g. a draft's preview expired): one line, 404, same policy. */
export function sendEmailPreviewGone(res: Response, message: string): void {
  sendEmailPreview(res.status(404), `<!doctype html><meta charset="utf-8"><p>${Handlebars.Utils.escapeExpression(message)}</p>`);
}
