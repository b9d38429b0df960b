// Registers the outbox dispatcher with the background services started by main.ts.
import { registerService } from '../services.ts';
import { dispatcherService } from './index.ts';

registerService((ctx) => dispatcherService(ctx));
