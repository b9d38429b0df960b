// The leaders' and HR dashboard, and the charting library served from this origin (CSP 'self').
import path from 'node:path';
import { createRequire } from 'node:module';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { answersItsOwnQuery } from '../server/http/input-guard.ts';
import type { FilterRead } from '../server/http/filter-query.ts';
import { dashboardView } from '../server/dashboard/index.ts';
import { filterQueryFields, PERIOD_ERROR, readDashboardFilters, validPeriod, type FilterQuery } from '../server/dashboard/filter.ts';
import { dashboardPage } from '../server/dashboard/present.ts';
import { tOf } from '../server/context.ts';

const require = createRequire(import.meta.url);
// Resolved once at start: a missing package fails loudly at boot, not on the first chart.
const chartJsFile = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

const dashboardQuery = z.object(filterQueryFields).refine(validPeriod, PERIOD_ERROR);

/**
 * The dashboard with the filters as read. A filter that cannot be read (a period that ends before it
 * starts, a day not YYYY-MM-DD, a list or an object where one value goes: an address edited by hand)
 * is said beside its field, as typed, with the rest applied (422): a 400 page took the dashboard away.
 * The steering report's downloads answer bad filters with this page too (its form is here).
 */
export async function renderDashboard(req: Request, res: Response, read: FilterRead<FilterQuery>): Promise<void> {
  const { ctx } = req;
  const page = dashboardPage({ ctx, view: await dashboardView({ ctx, query: read.data }) });
  if (!read.errors) {
    res.render('dashboard/index', page);
    return;
  }
  const t = tOf(ctx);
  const errors = Object.fromEntries(Object.entries(read.errors).map(([k, key]) => [k, t(key)]));
  // Only administrators have the institute field: anyone else is told above the form.
  if (!page.isAdmin && errors.institute) errors.form ??= errors.institute;
  res.status(422).render('dashboard/index', { ...page, values: { ...page.values, ...read.typed, institute: page.isAdmin ? read.typed.institute : '' }, errors });
}

export function dashboardRoutes(_app: AppContext): Router {
  const router = Router();
  answersItsOwnQuery(/^\/dashboard\/?$/);

  // Behind sign-in like the pages that use it; cached by the browser for a day.
  router.get('/vendor/chart.js', allow('role.staff'), (_req, res) => {
    res.type('application/javascript');
    res.sendFile(chartJsFile, { maxAge: '1d', headers: { 'X-Content-Type-Options': 'nosniff' } });
  });

  router.get('/dashboard', allow('dashboard.view'), async (req, res) => {
    await renderDashboard(req, res, readDashboardFilters(dashboardQuery, req.query));
  });

  return router;
}
