// The steering-committee report: printable page, CSV and PDF, in the user's language (or ?lang=).
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { BadRequestError } from '../server/errors.ts';
import { isLocale, LOCALES, translator } from '../server/i18n/index.ts';
import { filterQueryFields, PERIOD_ERROR, validPeriod } from '../server/dashboard/filter.ts';
import { buildSteeringReport, exportSteeringReport } from '../server/reports/index.ts';
import { steeringPage } from '../server/reports/present.ts';

/** The dashboard's filters, and the report's language (anything else than vi/en: the page's). */
const reportQuery = z
  .object({ ...filterQueryFields, lang: z.preprocess((v) => (isLocale(v) ? v : undefined), z.enum(LOCALES).optional()) })
  .refine(validPeriod, PERIOD_ERROR);

function parseReportQuery(req: Request) {
  const parsed = reportQuery.safeParse(req.query);
  if (!parsed.success) throw new BadRequestError(parsed.error.issues[0]!.message);
  const { lang, ...query } = parsed.data;
  return { query, locale: lang ?? req.ctx.locale };
}

export function reportsRoutes(_app: AppContext): Router {
  const router = Router();
  const viewers = allow('dashboard.view');

  router.get('/reports/steering', viewers, async (req, res) => {
    const { ctx } = req;
    const { query, locale } = parseReportQuery(req);
    // The printable page is wholly in the report's language (it may differ from the user's).
    res.locals.locale = locale;
    res.locals.otherLocale = locale === 'vi' ? 'en' : 'vi';
    res.locals.t = translator(locale);
    res.render('reports/steering', steeringPage({ report: await buildSteeringReport({ ctx, query, locale }) }));
  });

  for (const format of ['csv', 'pdf'] as const) {
    router.get(`/reports/steering.${format}`, viewers, async (req, res) => {
      const { ctx } = req;
      const { query, locale } = parseReportQuery(req);
      const file = await exportSteeringReport({ ctx, query, locale, format });
      res.setHeader('Content-Type', file.contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`);
      res.send(file.body);
    });
  }

  return router;
}
