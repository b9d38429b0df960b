// Every feature router is mounted at the root and declares full paths, so the route inventory
// test can list every route from the app's router stack.
import type { Express } from 'express';
import type { AppContext } from '../server/app.ts';
import { homeRoutes } from './home.ts';

export function registerRoutes(app: Express, ctx: AppContext): void {
  app.use(homeRoutes(ctx));
}
