// Stamps the case on audit events written before they carried it, so the audit log's case filter
// finds them. Run once after upgrading, on the database `npm start` uses (stop the app first with
// the embedded database):
//   node --import tsx scripts/backfill-audit-case.ts
import { backfillAuditCase } from '../server/audit/backfill-case.ts';
import { runOnDatabase } from './support/on-database.ts';

runOnDatabase(async () => {
  const r = await backfillAuditCase();
  return `Audit log: ${r.stamped} events stamped with their case.`;
});
