// Registers the planner's periodic job with the background services started by main.ts.
import { registerService } from '../services.ts';
import { plannerService } from './jobs.ts';

registerService((app) => plannerService(app));
