// Registers the daily retention job with the background services started by main.ts.
import { registerService } from '../services.ts';
import { retentionService } from './index.ts';

registerService((app) => retentionService(app));
