// The leaders' and HR dashboard, and the charting library served from this origin (CSP 'self').
import path from 'node:path';
import { createRequire } from 'node:module';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { answersItsOwnQuery } from '../server/http/input-guard.ts';
import { dashboardView } from '../server/dashboard/index.ts';
import { filterQueryFields, PERIOD_ERROR, readDashboardFilters, validPeriod } from '../server/dashboard/filter.ts';
import { dashboardFilterPage } from '../server/dashboard/present.ts';

const require = createRequire(import.meta.url);
// Resolved once at start: a missing package fails loudly at boot, not on the first chart.
const chartJsFile = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

const dashboardQuery = z.object(filterQueryFields).refine(validPeriod, PERIOD_ERROR);

export function dashboardRoutes(_app: AppContext): Router {
  const router = Router();
  answersItsOwnQuery(/^\/dashboard\/?$/);

  // Behind sign-in like the pages that use it; cached by the browser for a day.
  router.get('/vendor/chart.js', allow('role.staff'), (_req, res) => {
    res.type('application/javascript');
    res.sendFile(chartJsFile, { maxAge: '1d', headers: { 'X-Content-Type-Options': 'nosniff' } });
  });

  router.get('/dashboard', allow('dashboard.view'), async (req, res) => {
    const { ctx } = req;
    const read = readDashboardFilters(dashboardQuery, req.query);
    const { status, page } = dashboardFilterPage({ ctx, view: await dashboardView({ ctx, query: read.data }), read });
    res.status(status).render('dashboard/index', page);
  });

  return router;
}
