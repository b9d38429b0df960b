// Registers the job that finishes the holiday recounts a stopped process left unfinished
// (server/cases/deadline-recount.ts resumeRecounts): every 5 minutes, first 30 s after start, so a
// restart after a crash puts the deadlines right within a minute of coming back.
import { registerService, periodicService } from '../services.ts';
import { resumeRecounts } from './deadline-recount.ts';

export const RECOUNT_RESUME_INTERVAL_MS = 5 * 60_000;

registerService((app) =>
  periodicService(app, {
    name: 'deadline-recount-resume',
    intervalMs: RECOUNT_RESUME_INTERVAL_MS,
    firstDelayMs: 30_000,
    run: async () => {
      const r = await resumeRecounts(app);
      if (r.resumed || r.failed) app.logger.info(r, 'unfinished deadline recounts run');
    },
  }),
);
