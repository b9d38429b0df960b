import type { Request } from 'express';

export function flash(req: Request, kind: 'success' | 'error' | 'info', key: string, params?: Record<string, unknown>): void {
  if (req.session) req.session.flash = { kind, key, params };
}

export function takeFlash(req: Request) {
  const f = req.session?.flash;
  if (f) delete req.session.flash;
  return f;
}
