// A message shown once on the next page: kept in the session of a signed-in user, in a signed
// cookie for a visitor who has none (see visitor-state.ts: nothing is stored for anonymous visitors).
import type { Request } from 'express';
import { setFlash, takeFlash as take, type Flash, type FlashLink } from './visitor-state.ts';

/** `link`: a page of this site the message points to (e.g. what was just done, out of sight on the next page). */
export function flash(req: Request, kind: Flash['kind'], key: string, params?: Record<string, unknown>, link?: FlashLink): void {
  setFlash(req, { kind, key, params, ...(link ? { link } : {}) });
}

export function takeFlash(req: Request): Flash | undefined {
  return take(req);
}
