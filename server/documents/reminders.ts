// Daily: 30 days before a document needed for a pending support track stops being valid, the
// applicant gets one reminder e-mail (template 'document_expiring') through the case outbox.
import type { AppContext } from '../deps.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { User } from '../../models/user.ts';
import { ACTIVE_SUPPORT_STATUSES, TERMINAL_STAGES, type DocumentType, type SupportKind } from '../../models/constants.ts';
import { queueDocumentEmail } from './email.ts';
import { currentDocuments } from './index.ts';
import { groupBy } from '../support/group-by.ts';
import { EXPIRY_WARNING_DAYS, validUntil } from './validity.ts';

const DAY = 86_400_000;

/** The documents each support procedure is filed with. */
export const TRACK_DOCUMENTS: Record<SupportKind, DocumentType[]> = {
  work_permit: ['passport', 'health_certificate', 'criminal_record', 'degree', 'degree_translation'],
  visa: ['passport', 'dependant_passport'],
  residence_card: ['passport', 'dependant_passport'],
  citizenship: ['passport', 'criminal_record'],
  housing: [],
  work_permit_exemption: ['passport', 'degree', 'degree_translation'],
};

/** Cases read per batch: one query for their documents and one for pending renewals per batch. */
const BATCH = 500;

/**
 * One pass over the open cases with an active support procedure (a cursor, lean), reading the
 * documents of a batch of cases at a time: at 100,000 cases, two queries per case kept the
 * embedded database busy for minutes after each start.
 */
export async function runDocumentExpiryReminders(app: AppContext, now: Date = app.now()): Promise<{ sent: number }> {
  const cursor = Case.find(
    { stage: { $nin: [...TERMINAL_STAGES] }, supportTracks: { $elemMatch: { status: { $in: [...ACTIVE_SUPPORT_STATUSES] } } } },
    { applicant: 1, reference: 1, supportTracks: 1 },
  )
    .lean()
    .cursor({ batchSize: BATCH });
  type Row = { _id: unknown; applicant: unknown; reference: string; needed: Set<string> };
  let sent = 0;
  let batch: Row[] = [];
  const run = async () => {
    const docs = await currentDocuments(batch.map((c) => c._id));
    const byCase = groupBy(docs, (d) => String(d.case));
    const candidates = batch.flatMap((c) => (byCase.get(String(c._id)) ?? []).filter((d) => c.needed.has(d.type) && d.status !== 'rejected' && !d.expiryReminderSentAt).map((d) => ({ c, d })));
    // A renewal already sent and waiting for HR's check needs no reminder.
    const renewing = candidates.length
      ? new Set((await CaseDocument.find({ renewalOf: { $in: candidates.map(({ d }) => d._id) }, status: 'pending' }, { renewalOf: 1 }).lean()).map((r) => String(r.renewalOf)))
      : new Set<string>();
    for (const { c, d } of candidates) {
      if (renewing.has(String(d._id))) continue;
      const until = validUntil(d);
      if (!until || until.getTime() <= now.getTime() || until.getTime() - now.getTime() > EXPIRY_WARNING_DAYS * DAY) continue;
      // Claim the reminder first: two instances running the job never both send it.
      const claimed = await CaseDocument.updateOne({ _id: d._id, expiryReminderSentAt: { $exists: false } }, { $set: { expiryReminderSentAt: now } });
      if (claimed.modifiedCount !== 1) continue;
      const applicant = await User.findById(c.applicant);
      if (!(await queueDocumentEmail({ app, applicant, caseDoc: c, doc: d, template: 'document_expiring', data: { expiresOn: validUntil(d) }, now }))) continue;
      sent += 1;
    }
    batch = [];
  };
  try {
    for await (const c of cursor) {
      const needed = new Set<string>();
      for (const tr of c.supportTracks ?? []) if ((ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(tr.status)) for (const t of TRACK_DOCUMENTS[tr.kind as SupportKind] ?? []) needed.add(t);
      if (needed.size === 0) continue;
      batch.push({ _id: c._id, applicant: c.applicant, reference: c.reference, needed });
      if (batch.length >= BATCH) await run();
    }
    if (batch.length) await run();
  } finally {
    await cursor.close();
  }
  app.logger.info({ sent }, 'document expiry reminders');
  return { sent };
}
