// The daily digests' outbox items (the HR lead's overdue digest, the panel's e-mails) as a drill reads
// them, straight from the cases' outboxes on the drill's own connection to the app's database.
import type { Db } from 'mongodb';
import type { OutboxItem } from '../../../server/outbox/item.ts';

export const DIGEST_TEMPLATES = ['overdue_digest', 'panel_digest'];

export type DigestItem = Pick<OutboxItem, 'key' | 'template' | 'to' | 'status' | 'attempts'> & { lastError?: string };

/** Every digest item queued on any case, in the cases' order. */
export async function digestItems(db: Db): Promise<DigestItem[]> {
  const cases = await db.collection('cases').find({}, { projection: { outbox: 1 } }).toArray();
  return cases.flatMap((c) => ((c.outbox ?? []) as DigestItem[]).filter((i) => DIGEST_TEMPLATES.includes(i.template)));
}
