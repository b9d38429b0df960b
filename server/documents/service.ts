// Registers the documents' jobs with the background services (server/services.ts):
// - the reminders (documents expiring, passports not valid long enough): shortly after start and then
//   every 6 hours; each e-mail is sent once (claimed per document), so running more often than daily
//   never repeats one;
// - the repair of the cases' "documents to check" flag (to-check.ts): the cases a failed recount
//   marked, every minute; every case, every 6 hours, for the writes that bypass the model (the
//   start-time backfill does the first run).
import { periodicService, registerService } from '../services.ts';
import { setDocumentsToCheckLogger } from '../../models/document.ts';
import { runDocumentExpiryReminders } from './reminders.ts';
import { documentsToCheckFlagged, repairDocumentsToCheck, repairMarkedCases } from './to-check.ts';

const EVERY_MS = 6 * 3_600_000;
/** The marked cases' repair: a recount that failed is put right within two minutes. */
export const MARKED_REPAIR_MS = 60_000;

registerService((app) =>
  periodicService(app, {
    name: 'document-expiry-reminders',
    intervalMs: EVERY_MS,
    firstDelayMs: 60_000,
    run: async () => {
      await runDocumentExpiryReminders(app);
    },
  }),
);

registerService((app) =>
  periodicService(app, {
    name: 'documents-to-check-repair',
    intervalMs: EVERY_MS,
    firstDelayMs: EVERY_MS,
    run: async () => {
      // Before the start-time backfill's mark, the backfill does this work.
      if (!(await documentsToCheckFlagged())) return;
      const r = await repairDocumentsToCheck();
      // Something to repair means a write bypassed the model or a recount failed: worth a warning.
      if (r.fixed) app.logger.warn(r, 'documents to check: cases whose flag had drifted recounted');
    },
  }),
);

registerService((app) => {
  // The recounts of document writes made by this process (the jobs') log their failures here.
  setDocumentsToCheckLogger(app.logger);
  return periodicService(app, {
    name: 'documents-to-check-marked',
    intervalMs: MARKED_REPAIR_MS,
    firstDelayMs: MARKED_REPAIR_MS,
    run: async () => {
      const r = await repairMarkedCases();
      if (r.recounted || r.failed) app.logger[r.failed ? 'error' : 'warn'](r, 'documents to check: cases marked by a failed recount recounted');
    },
  });
});
