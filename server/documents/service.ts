// Registers the document expiry reminder job with the background services (server/services.ts).
// It runs shortly after start and then every 6 hours; each reminder is sent once (claimed per
// document), so running more often than daily never repeats an e-mail.
import { registerService } from '../services.ts';
import { runDocumentExpiryReminders } from './reminders.ts';

const EVERY_MS = 6 * 3_600_000;

registerService((ctx) => {
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  const tick = () => {
    if (running) return;
    running = runDocumentExpiryReminders(ctx)
      .catch((err: unknown) => ctx.logger.error({ err }, 'document expiry reminders failed'))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    name: 'document-expiry-reminders',
    start() {
      first = setTimeout(tick, 60_000);
      first.unref();
      timer = setInterval(tick, EVERY_MS);
      timer.unref();
    },
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
});
