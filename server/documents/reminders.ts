// Daily: 30 days before a document needed for a pending support track stops being valid, the
// applicant gets one reminder e-mail (template 'document_expiring') through the case outbox.
import type { AppContext } from '../deps.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { User } from '../../models/user.ts';
import { ACTIVE_SUPPORT_STATUSES, TERMINAL_STAGES, type DocumentType, type SupportKind } from '../../models/constants.ts';
import { queueDocumentEmail } from './email.ts';
import { currentDocuments } from './index.ts';
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

export async function runDocumentExpiryReminders(app: AppContext, now: Date = app.now()): Promise<{ sent: number }> {
  const cases = await Case.find(
    { stage: { $nin: [...TERMINAL_STAGES] }, supportTracks: { $elemMatch: { status: { $in: [...ACTIVE_SUPPORT_STATUSES] } } } },
    { applicant: 1, reference: 1, supportTracks: 1, profile: 1 },
  );
  let sent = 0;
  for (const c of cases) {
    const needed = new Set<string>();
    for (const tr of c.supportTracks ?? []) if ((ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(tr.status)) for (const t of TRACK_DOCUMENTS[tr.kind as SupportKind] ?? []) needed.add(t);
    if (needed.size === 0) continue;
    const docs = (await currentDocuments([c._id])).filter((d) => needed.has(d.type) && d.status !== 'rejected' && !d.expiryReminderSentAt);
    // A renewal already sent and waiting for HR's check needs no reminder.
    const renewing = new Set((await CaseDocument.find({ renewalOf: { $in: docs.map((d) => d._id) }, status: 'pending' }, { renewalOf: 1 }).lean()).map((r) => String(r.renewalOf)));
    const due = docs.filter((d) => {
      if (renewing.has(String(d._id))) return false;
      const until = validUntil(d);
      return until && until.getTime() > now.getTime() && until.getTime() - now.getTime() <= EXPIRY_WARNING_DAYS * DAY;
    });
    if (due.length === 0) continue;
    const applicant = await User.findById(c.applicant);
    for (const d of due) {
      // Claim the reminder first: two instances running the job never both send it.
      const claimed = await CaseDocument.updateOne({ _id: d._id, expiryReminderSentAt: { $exists: false } }, { $set: { expiryReminderSentAt: now } });
      if (claimed.modifiedCount !== 1) continue;
      if (!(await queueDocumentEmail({ app, applicant, caseDoc: c, doc: d, template: 'document_expiring', data: { expiresOn: validUntil(d) }, now }))) continue;
      sent += 1;
    }
  }
  app.logger.info({ sent }, 'document expiry reminders');
  return { sent };
}
