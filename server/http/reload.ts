// The address a refused form leaves in the address bar is its POST-only action: the page with the
// refusal was the POST's answer. Opened again (a reload, a bookmark, a shared link) it should be the
// page the form belongs to, not "Not found": a GET there answers with a 303 to that page.
import type { Request, Response } from 'express';

/** A GET handler redirecting (303) to `to(params)`; each parameter is encoded as one path segment. */
export function reloadTo(to: (p: Record<string, string>) => string) {
  return (req: Request, res: Response): void => {
    const params = Object.fromEntries(Object.entries(req.params as Record<string, string>).map(([k, v]) => [k, encodeURIComponent(String(v))]));
    res.redirect(303, to(params));
  };
}
