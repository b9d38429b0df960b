// Fills the mail log from the case outboxes (e-mails tried before the mail log existed). Run once
// after upgrading, on the database `npm start` uses (stop the app first with the embedded database):
//   node --import tsx scripts/backfill-mail-log.ts
import { ConfigError, loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { openDatabase } from '../server/db/index.ts';
import { backfillMailLog } from '../server/mail-log/backfill.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const db = await openDatabase(config, logger);
  try {
    const r = await backfillMailLog();
    process.stdout.write(`Mail log: ${r.added} e-mails added from ${r.cases} cases.\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
