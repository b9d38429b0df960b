import type { Request } from 'express';

export function wantsHtml(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'html';
}
