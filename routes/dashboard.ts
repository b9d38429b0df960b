// The leaders' and HR dashboard, and the charting library served from this origin (CSP 'self').
import path from 'node:path';
import { createRequire } from 'node:module';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { allow } from '../server/http/allow.ts';
import { BadRequestError } from '../server/errors.ts';
import { dashboardView } from '../server/dashboard/index.ts';
import { filterQueryFields, PERIOD_ERROR, PERIOD_ERROR_KEY, validPeriod } from '../server/dashboard/filter.ts';
import { dashboardPage } from '../server/dashboard/present.ts';
import { tOf } from '../server/context.ts';

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
    if (parsed.success) {
      res.render('dashboard/index', dashboardPage({ ctx, view: await dashboardView({ ctx, query: parsed.data }) }));
      return;
    }
    // A period that ends before it starts, or a day not written YYYY-MM-DD (an address edited by
    // hand): the dashboard without the period, the dates as typed and the message beside them (a 400
    // page took the dashboard away). Anything else is a bad request.
    const withoutPeriod = dashboardQuery.safeParse({ ...req.query, from: undefined, to: undefined });
    const onPeriod = parsed.error.issues.every((i) => i.message === PERIOD_ERROR_KEY || i.path[0] === 'from' || i.path[0] === 'to');
    if (!onPeriod || !withoutPeriod.success) throw new BadRequestError(parsed.error.issues[0]!.message);
    const badDay = parsed.error.issues.some((i) => i.message !== PERIOD_ERROR_KEY);
    const page = dashboardPage({ ctx, view: await dashboardView({ ctx, query: withoutPeriod.data }) });
    const typed = (v: unknown) => (typeof v === 'string' ? v.slice(0, 40) : '');
    res.status(422).render('dashboard/index', { ...page, values: { ...page.values, from: typed(req.query.from), to: typed(req.query.to) }, periodError: tOf(ctx)(badDay ? 'dashboard.errors.badDay' : PERIOD_ERROR_KEY) });
  });

  return router;
}
