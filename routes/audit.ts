// The audit log (administrators): /admin/audit, newest first, with its filters and pages. Filters
// that cannot be read are shown again as typed with what to fix (422), never a bare 400 page.
import { Router } from 'express';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { auditNames, auditQueryFields, checkAuditFilters, listAuditLog } from '../server/audit/log.ts';
import { presentAuditLog } from '../server/audit/present.ts';

export function auditRoutes(_app: AppContext): Router {
  const router = Router();

  router.get('/admin/audit', allow('audit.list'), async (req, res) => {
    const parsed = auditQueryFields.safeParse(req.query ?? {});
    // A parameter given twice: shown as empty, with the general message.
    const values = parsed.success ? parsed.data : { actor: '', action: '', reference: '', from: '', to: '', before: '' };
    const checked = parsed.success ? checkAuditFilters(values) : { ok: false as const, errors: { _form: 'audit.errors.badFilter' } };
    const { before: _before, ...shown } = values;
    if (!checked.ok) {
      res.status(422).render('admin/audit', presentAuditLog(req.ctx, { values: shown, errors: checked.errors }));
      return;
    }
    const listing = await listAuditLog({ ctx: req.ctx, filters: checked.filters });
    res.render('admin/audit', presentAuditLog(req.ctx, { listing, names: await auditNames(listing.rows), filters: checked.filters, values: shown }));
  });

  return router;
}
