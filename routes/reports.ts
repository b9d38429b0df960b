// The steering-committee report: printable page, CSV and PDF, in the user's language (or ?lang=).
import { Router, type Request } from 'express';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { isLocale, translator, type Locale } from '../server/i18n/index.ts';
import { recordAudit } from '../server/audit/index.ts';
import { buildSteeringReport, steeringCsv, steeringPdf, reportFileName } from '../server/reports/index.ts';
import { withCells } from '../server/dashboard/tables.ts';

function reportLocale(req: Request): Locale {
  return isLocale(req.query.lang) ? req.query.lang : req.locale;
}

export function reportsRoutes(ctx: AppContext): Router {
  const router = Router();
  const viewers = allow('role.staff');

  router.get('/reports/steering', viewers, async (req, res) => {
    const locale = reportLocale(req);
    // The printable page is wholly in the report's language (it may differ from the user's).
    res.locals.locale = locale;
    res.locals.otherLocale = locale === 'vi' ? 'en' : 'vi';
    res.locals.t = translator(locale);
    const r = await buildSteeringReport(req.user!, req.query as Record<string, unknown>, locale, ctx.now());
    const query = new URLSearchParams(Object.entries(r.resolved.values).filter(([, v]) => v));
    const qs = (lang: string) => {
      const p = new URLSearchParams(query);
      p.set('lang', lang);
      return `?${p.toString()}`;
    };
    res.render('reports/steering', {
      title: r.title,
      report: r,
      tables: withCells(r.tables, locale),
      reportLocale: locale,
      csvUrl: `/reports/steering.csv${qs(locale)}`,
      pdfUrl: `/reports/steering.pdf${qs(locale)}`,
      otherLangUrl: `/reports/steering${qs(locale === 'vi' ? 'en' : 'vi')}`,
      dashboardUrl: `/dashboard${query.toString() ? `?${query}` : ''}`,
      styles: ['/static/css/leaders.css'],
    });
  });

  router.get('/reports/steering.csv', viewers, async (req, res) => {
    const r = await buildSteeringReport(req.user!, req.query as Record<string, unknown>, reportLocale(req), ctx.now());
    await recordAudit(req, { action: 'report.export', targetType: 'report', targetId: 'steering', summary: { format: 'csv', ...r.resolved.values } });
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${reportFileName(r, 'csv')}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(Buffer.from(steeringCsv(r), 'utf8'));
  });

  router.get('/reports/steering.pdf', viewers, async (req, res) => {
    const r = await buildSteeringReport(req.user!, req.query as Record<string, unknown>, reportLocale(req), ctx.now());
    const pdf = await steeringPdf(r);
    await recordAudit(req, { action: 'report.export', targetType: 'report', targetId: 'steering', summary: { format: 'pdf', ...r.resolved.values } });
    res.setHeader('Content-Type', 'application/pdf');
    res.setHeader('Content-Disposition', `attachment; filename="${reportFileName(r, 'pdf')}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(pdf);
  });

  return router;
}
