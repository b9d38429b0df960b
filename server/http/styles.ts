// Adds a feature's stylesheet to its pages (the layout links every entry of `styles`).
import type { RequestHandler } from 'express';

export function withStyles(href: string): RequestHandler {
  return (_req, res, next) => {
    const styles = Array.isArray(res.locals.styles) ? (res.locals.styles as string[]) : [];
    if (!styles.includes(href)) res.locals.styles = [...styles, href];
    next();
  };
}

/** The cases stylesheet: the case pages, the applicant's pages and the calls. */
export const caseStyles = withStyles('/static/css/cases.css');
