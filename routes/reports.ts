// The steering-committee report: printable page, CSV and PDF, in the user's language (or ?lang=).
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { answersItsOwnQuery } from '../server/http/input-guard.ts';
import { isLocale, LOCALES, translator } from '../server/i18n/index.ts';
import { filterQueryFields, PERIOD_ERROR, readDashboardFilters, validPeriod } from '../server/dashboard/filter.ts';
import { dashboardView } from '../server/dashboard/index.ts';
import { dashboardFilterPage } from '../server/dashboard/present.ts';
import { buildSteeringReport, exportSteeringReport, REPORT_FORMATS } from '../server/reports/index.ts';
import { steeringPage } from '../server/reports/present.ts';

/** The dashboard's filters, and the report's language (anything else than vi/en: the page's). */
const reportQuery = z
  .object({ ...filterQueryFields, lang: z.preprocess((v) => (isLocale(v) ? v : undefined), z.enum(LOCALES).optional()) })
  .refine(validPeriod, PERIOD_ERROR);

/**
 * The report's filters and language; undefined when a filter cannot be read, after answering with
 * the dashboard (the report's filter form) showing what to fix beside the filters as typed (422): a
 * bare 400 page lost them, and a download link has no page of its own to say it on.
 */
async function readReportQuery(req: Request, res: Response) {
  const read = readDashboardFilters(reportQuery, req.query);
  if (read.errors) {
    const { ctx } = req;
    const { status, page } = dashboardFilterPage({ ctx, view: await dashboardView({ ctx, query: read.data }), read });
    res.status(status).render('dashboard/index', page);
    return undefined;
  }
  const { lang, ...query } = read.data;
  return { query, locale: lang ?? req.ctx.locale };
}

export function reportsRoutes(_app: AppContext): Router {
  const router = Router();
  answersItsOwnQuery(/^\/reports\/steering(\.(csv|pdf|xlsx))?\/?$/);
  const viewers = allow('dashboard.view');

  router.get('/reports/steering', viewers, async (req, res) => {
    const { ctx } = req;
    const read = await readReportQuery(req, res);
    if (!read) return;
    const { query, locale } = read;
    // The printable page is wholly in the report's language (it may differ from the user's).
    res.locals.locale = locale;
    res.locals.otherLocale = locale === 'vi' ? 'en' : 'vi';
    res.locals.t = translator(locale);
    res.render('reports/steering', steeringPage({ report: await buildSteeringReport({ ctx, query, locale }) }));
  });

  for (const format of REPORT_FORMATS) {
    router.get(`/reports/steering.${format}`, viewers, async (req, res) => {
      const { ctx } = req;
      const read = await readReportQuery(req, res);
      if (!read) return;
      const { query, locale } = read;
      const file = await exportSteeringReport({ ctx, query, locale, format });
      res.setHeader('Content-Type', file.contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`);
      res.send(file.body);
    });
  }

  return router;
}
