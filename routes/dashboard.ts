// The leaders' and HR dashboard, and the charting library served from this origin (CSP 'self').
import path from 'node:path';
import { createRequire } from 'node:module';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { BadRequestError } from '../server/errors.ts';
import { dashboardView } from '../server/dashboard/index.ts';
import { filterQueryFields, PERIOD_ERROR, validPeriod } from '../server/dashboard/filter.ts';
import { dashboardPage } from '../server/dashboard/present.ts';

const require = createRequire(import.meta.url);
// Resolved once at start: a missing package fails loudly at boot, not on the first chart.
const chartJsFile = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

const dashboardQuery = z.object(filterQueryFields).refine(validPeriod, PERIOD_ERROR);

export function dashboardRoutes(_app: AppContext): Router {
  const router = Router();

  // Behind sign-in like the pages that use it; cached by the browser for a day.
  router.get('/vendor/chart.js', allow('role.staff'), (_req, res) => {
    res.type('application/javascript');
    res.sendFile(chartJsFile, { maxAge: '1d', headers: { 'X-Content-Type-Options': 'nosniff' } });
  });

  router.get('/dashboard', allow('dashboard.view'), async (req, res) => {
    const { ctx } = req;
    const parsed = dashboardQuery.safeParse(req.query);
    if (!parsed.success) throw new BadRequestError(parsed.error.issues[0]!.message);
    res.render('dashboard/index', dashboardPage({ ctx, view: await dashboardView({ ctx, query: parsed.data }) }));
  });

  return router;
}
