// Registers the daily reminder job with the background services started by main.ts.
import { registerService } from '../services.ts';
import { remindersService } from './index.ts';

registerService((ctx) => remindersService(ctx, ctx.config.remindersIntervalMs));
