// Fills the mail log from the case outboxes, for e-mails tried before the mail log existed (run
// once after upgrading: `npm run backfill-mail-log`). Idempotent: a row that exists is left as it
// is (the dispatcher's own rows are newer). Reads the cases holding an attempted e-mail in batches.
import { Case } from '../../models/case.ts';
import { MailLog } from '../../models/mail-log.ts';

export async function backfillMailLog(opts: { batchSize?: number } = {}): Promise<{ cases: number; added: number }> {
  const batchSize = opts.batchSize ?? 500;
  let cases = 0;
  let added = 0;
  let after: unknown;
  for (;;) {
    const batch = await Case.find({ ...(after ? { _id: { $gt: after } } : {}), 'outbox.0': { $exists: true } }, { reference: 1, institute: 1, outbox: 1 })
      .sort({ _id: 1 })
      .limit(batchSize)
      .lean();
    if (!batch.length) break;
    after = batch[batch.length - 1]!._id;
    for (const c of batch) {
      cases += 1;
      for (const i of c.outbox) {
        if (i.status === 'pending' && !i.attempts) continue; // never tried: the dispatcher will log it
        const res = await MailLog.updateOne(
          { source: 'case', case: c._id, key: i.key },
          {
            $setOnInsert: {
              reference: c.reference,
              institute: c.institute,
              template: i.template,
              to: i.to,
              locale: i.locale,
              status: i.status,
              attempts: i.attempts ?? 0,
              queuedAt: i.createdAt,
              at: i.lastAttemptAt ?? i.sentAt ?? i.createdAt,
              sentAt: i.sentAt ?? undefined,
              lastError: i.lastError ?? undefined,
              messageId: i.messageId ?? undefined,
              templateVersion: 0,
            },
          },
          { upsert: true },
        );
        added += res.upsertedCount ?? 0;
      }
    }
  }
  return { cases, added };
}
