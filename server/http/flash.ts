// A message shown once on the next page: kept in the session of a signed-in user, in a signed
// cookie for a visitor who has none (see visitor-state.ts: nothing is stored for anonymous visitors).
import type { Request } from 'express';
import { setFlash, takeFlash as take, type Flash } from './visitor-state.ts';

export function flash(req: Request, kind: Flash['kind'], key: string, params?: Record<string, unknown>): void {
  setFlash(req, { kind, key, params });
}

export function takeFlash(req: Request): Flash | undefined {
  return take(req);
}
