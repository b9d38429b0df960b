// The leaders' and HR dashboard, and the charting library served from this origin (CSP 'self').
import path from 'node:path';
import { createRequire } from 'node:module';
import { Router } from 'express';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { cachedDashboard } from '../server/dashboard/index.ts';
import { figureTables, withCells } from '../server/dashboard/tables.ts';
import { resolveDashboardFilter } from '../server/dashboard/filter.ts';

const require = createRequire(import.meta.url);
// Resolved once at start: a missing package fails loudly at boot, not on the first chart.
const chartJsFile = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

export function dashboardRoutes(ctx: AppContext): Router {
  const router = Router();
  const viewers = allow('role.staff');

  // Behind sign-in like the pages that use it; cached by the browser for a day.
  router.get('/vendor/chart.js', viewers, (_req, res) => {
    res.type('application/javascript');
    res.sendFile(chartJsFile, { maxAge: '1d', headers: { 'X-Content-Type-Options': 'nosniff' } });
  });

  router.get('/dashboard', viewers, async (req, res) => {
    const resolved = await resolveDashboardFilter(req.user!, req.query as Record<string, unknown>);
    const data = await cachedDashboard(resolved.filter, ctx.now());
    const t = res.locals.t;
    const tables = withCells(figureTables(data, t, req.locale), req.locale);
    const query = new URLSearchParams(Object.entries(resolved.values).filter(([, v]) => v)).toString();
    res.render('dashboard/index', {
      title: t('dashboard.title'),
      data,
      tables,
      charts: JSON.stringify(tables.map((tb) => ({ id: tb.id, title: tb.title, ...tb.chart }))),
      ...resolved,
      reportUrl: `/reports/steering${query ? `?${query}` : ''}`,
      csvUrl: `/reports/steering.csv${query ? `?${query}` : ''}`,
      pdfUrl: `/reports/steering.pdf${query ? `?${query}` : ''}`,
      isAdmin: req.user!.role === 'admin',
      styles: ['/static/css/leaders.css'],
      scripts: ['/vendor/chart.js', '/static/js/dashboard.js'],
    });
  });

  return router;
}
