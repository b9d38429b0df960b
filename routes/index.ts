// Every feature router is mounted at the root and declares full paths, so the route inventory
// test can list every route from the app's router stack. Each router gets the app's dependencies
// (`app`); a handler's `req.ctx` is the request's Context.
import type { Express } from 'express';
import type { AppContext } from '../server/deps.ts';
import { homeRoutes } from './home.ts';
import { accountsRoutes } from './accounts.ts';
import { accountRoutes } from './account.ts';
import { adminUsersRoutes } from './admin-users.ts';
import { documentsRoutes } from './documents.ts';
import { shortlistsRoutes } from './shortlists.ts';
import { dashboardRoutes } from './dashboard.ts';
import { reportsRoutes } from './reports.ts';
import { callsRoutes } from './calls.ts';
import { applicationsRoutes } from './applications.ts';
import { casesRoutes } from './cases.ts';
import { proceduresRoutes } from './procedures.ts';
import { adminRoutes } from './admin.ts';
import { privacyRoutes } from './privacy.ts';
import { calendarFeedRoutes } from './calendar-feed.ts';
import { mailLogRoutes } from './mail-log.ts';
import { emailTemplatesRoutes } from './email-templates.ts';
import { auditRoutes } from './audit.ts';

/** In this order: the first router whose path matches answers. */
const FEATURES = [
  homeRoutes,
  accountsRoutes,
  accountRoutes,
  adminUsersRoutes,
  documentsRoutes,
  shortlistsRoutes,
  dashboardRoutes,
  reportsRoutes,
  callsRoutes,
  applicationsRoutes,
  casesRoutes,
  proceduresRoutes,
  adminRoutes,
  privacyRoutes,
  calendarFeedRoutes,
  mailLogRoutes,
  emailTemplatesRoutes,
  auditRoutes,
];

export function registerRoutes(server: Express, app: AppContext): void {
  for (const routes of FEATURES) server.use(routes(app));
}
