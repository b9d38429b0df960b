// Registers the document reminder job (documents expiring, passports not valid long enough) with
// the background services (server/services.ts). It runs shortly after start and then every 6 hours;
// each e-mail is sent once (claimed per document), so running more often than daily never repeats one.
import { periodicService, registerService } from '../services.ts';
import { runDocumentExpiryReminders } from './reminders.ts';

const EVERY_MS = 6 * 3_600_000;

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
