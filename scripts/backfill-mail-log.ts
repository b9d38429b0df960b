// Fills the mail log from the case outboxes (e-mails tried before the mail log existed). Run once
// after upgrading, on the database `npm start` uses (stop the app first with the embedded database):
//   node --import tsx scripts/backfill-mail-log.ts
import { backfillMailLog } from '../server/mail-log/backfill.ts';
import { runOnDatabase } from './support/on-database.ts';

runOnDatabase(async () => {
  const r = await backfillMailLog();
  return `Mail log: ${r.added} e-mails added from ${r.cases} cases.`;
});
