// A drill's run of the daily reminder job (server/reminders: the due-soon reminders, the HR lead's
// overdue digest, the panel's e-mail), as its own process reaching the running app's database
// (MONGODB_URI: the app's embedded server and its credentials), as a second instance of the app would
// run it: the app keeps sending what the job queues. Prints the job's result as one JSON line.
// The app's own schedule (hourly, its first run a minute after the start) is too slow for a drill.
import { openDatabase } from '../../../server/db/index.ts';
import { loadConfig } from '../../../server/config.ts';
import { createLogger } from '../../../server/logger.ts';
import { runReminders } from '../../../server/reminders/index.ts';
import type { AppContext } from '../../../server/deps.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('warn');
  const db = await openDatabase(config, logger);
  const ctx = { config, logger, db, now: () => new Date() } as unknown as AppContext;
  const result = await runReminders(ctx, new Date());
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
