// Every feature router is mounted at the root and declares full paths, so the route inventory
// test can list every route from the app's router stack.
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
import { adminRoutes } from './admin.ts';
import { privacyRoutes } from './privacy.ts';

export function registerRoutes(app: Express, ctx: AppContext): void {
  app.use(homeRoutes(ctx));
  app.use(accountsRoutes(ctx));
  app.use(accountRoutes(ctx));
  app.use(adminUsersRoutes(ctx));
  app.use(documentsRoutes(ctx));
  app.use(shortlistsRoutes(ctx));
  app.use(dashboardRoutes(ctx));
  app.use(reportsRoutes(ctx));
  app.use(callsRoutes(ctx));
  app.use(applicationsRoutes(ctx));
  app.use(casesRoutes(ctx));
  app.use(adminRoutes(ctx));
  app.use(privacyRoutes(ctx));
}
