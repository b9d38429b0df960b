// Registers the escalation job with the background services started by main.ts: every 10 minutes
// (first a minute after start), overdue procedures are escalated once per deadline.
import { registerService, periodicService } from '../services.ts';
import { setCalendarLogger } from '../calendar/index.ts';
import { runEscalations } from './escalation.ts';

export const ESCALATION_INTERVAL_MS = 10 * 60_000;

registerService((app) => {
  setCalendarLogger(app.logger);
  return periodicService(app, {
    name: 'procedure-escalation',
    intervalMs: ESCALATION_INTERVAL_MS,
    firstDelayMs: 60_000,
    run: async () => {
      const r = await runEscalations(app);
      if (r.escalated) app.logger.info({ escalated: r.escalated, emails: r.emails }, 'procedures escalated');
    },
  });
});
