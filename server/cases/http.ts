// Route helpers shared by the applicant's and the staff's case pages: the 409 page for a stale
// form, and reading the hidden version field.
import type { RequestHandler, Response } from 'express';
import { BadRequestError } from '../errors.ts';
import { describeConflict } from './present.ts';

/** The 409 page: what changed on the case (who, what, when), and a link back. Nothing was applied. */
export async function renderConflict(res: Response, caseId: unknown, viewer: { _id: unknown }, backUrl: string): Promise<void> {
  const t = res.locals.t;
  const conflict = await describeConflict(caseId, viewer, t);
  res.status(409).render('cases/conflict', { title: t('cases.conflict.title'), conflict, backUrl });
}

/** The version the form was built for (hidden field); a missing or odd value is a bad request. */
export function formVersion(body: unknown): number {
  const raw = (body as Record<string, unknown> | undefined)?.version;
  const n = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n)) throw new BadRequestError('cases.errors.version');
  return n;
}

export function bodyText(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.trim() : '';
}

/** Adds this feature's stylesheet to its pages (the layout links every entry of `styles`). */
export const withStyles: RequestHandler = (_req, res, next) => {
  const styles = Array.isArray(res.locals.styles) ? (res.locals.styles as string[]) : [];
  if (!styles.includes('/static/css/cases.css')) res.locals.styles = [...styles, '/static/css/cases.css'];
  next();
};
