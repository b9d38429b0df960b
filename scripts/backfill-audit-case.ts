// Stamps the case on audit events written before they carried it, so the audit log's case filter
// finds them. Run once after upgrading, on the database `npm start` uses (stop the app first with
// the embedded database):
//   node --import tsx scripts/backfill-audit-case.ts
import { ConfigError, loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { openDatabase } from '../server/db/index.ts';
import { backfillAuditCase } from '../server/audit/backfill-case.ts';

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
    const r = await backfillAuditCase();
    process.stdout.write(`Audit log: ${r.stamped} events stamped with their case.\n`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
