// Daily: 30 days before a document needed for a pending support track stops being valid, the
// applicant gets one reminder e-mail (template 'document_expiring') through the case outbox; a
// passport valid today but not long enough for the residence card (validityOf 'too_short') gets one
// notice of its own ('document_too_short'), whenever that becomes so (a card end recorded later).
import type { AppContext } from '../deps.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { User } from '../../models/user.ts';
import { ACTIVE_SUPPORT_STATUSES, TERMINAL_STAGES, type DocumentType, type SupportKind } from '../../models/constants.ts';
import { queueDocumentEmail } from './email.ts';
import { currentDocuments } from './index.ts';
import { groupBy } from '../support/group-by.ts';
import { EXPIRY_WARNING_DAYS, passportRequiredUntil, validityOf, validUntil, type ValidityCase } from './validity.ts';

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

/** Which e-mail a document owes today, if any: each is claimed by its own field, once per file. */
type Owed = 'expiring' | 'too_short';

function owedFor(d: { type: string; issuedAt?: Date | null; expiresAt?: Date | null; expiryReminderSentAt?: Date | null; tooShortNoticeSentAt?: Date | null }, c: ValidityCase, now: Date): Owed | undefined {
  const until = validUntil(d);
  // Already expired: past warning (the expiry reminder came 30 days before); the page asks for a new one.
  if (!until || until.getTime() <= now.getTime()) return undefined;
  // Within the expiry window the expiry reminder says it all (upload a renewed one before that
  // day): one e-mail, not two about the same file on the same morning.
  if (until.getTime() - now.getTime() <= EXPIRY_WARNING_DAYS * DAY) return d.expiryReminderSentAt ? undefined : 'expiring';
  if (!d.tooShortNoticeSentAt && validityOf(d, c, now) === 'too_short') return 'too_short';
  return undefined;
}

/**
 * One pass over the open cases with an active support procedure (a cursor, lean), reading the
 * documents of a batch of cases at a time: at 100,000 cases, two queries per case kept the
 * embedded database busy for minutes after each start. The case fields validity depends on (the
 * planned arrival, the residence card's end in its track) come with the cursor.
 */
export async function runDocumentExpiryReminders(app: AppContext, now: Date = app.now()): Promise<{ sent: number; tooShort: number }> {
  const cursor = Case.find(
    { stage: { $nin: [...TERMINAL_STAGES] }, supportTracks: { $elemMatch: { status: { $in: [...ACTIVE_SUPPORT_STATUSES] } } } },
    { applicant: 1, reference: 1, supportTracks: 1, 'profile.plannedArrival': 1 },
  )
    .lean()
    .cursor({ batchSize: BATCH });
  type Row = ValidityCase & { _id: unknown; applicant: unknown; reference: string; needed: Set<string> };
  let sent = 0;
  let tooShort = 0;
  let batch: Row[] = [];
  const run = async () => {
    const docs = await currentDocuments(batch.map((c) => c._id));
    const byCase = groupBy(docs, (d) => String(d.case));
    const candidates = batch.flatMap((c) =>
      (byCase.get(String(c._id)) ?? []).flatMap((d) => {
        const owed = c.needed.has(d.type) && d.status !== 'rejected' ? owedFor(d, c, now) : undefined;
        return owed ? [{ c, d, owed }] : [];
      }),
    );
    // A renewal already sent and waiting for HR's check needs no reminder.
    const renewing = candidates.length
      ? new Set((await CaseDocument.find({ renewalOf: { $in: candidates.map(({ d }) => d._id) }, status: 'pending' }, { renewalOf: 1 }).lean()).map((r) => String(r.renewalOf)))
      : new Set<string>();
    for (const { c, d, owed } of candidates) {
      if (renewing.has(String(d._id))) continue;
      // Claim the e-mail first: two instances running the job never both send it, and a restart
      // after the claim does not send it again.
      const field = owed === 'expiring' ? 'expiryReminderSentAt' : 'tooShortNoticeSentAt';
      const claimed = await CaseDocument.updateOne({ _id: d._id, [field]: { $exists: false } }, { $set: { [field]: now } });
      if (claimed.modifiedCount !== 1) continue;
      const applicant = await User.findById(c.applicant);
      const expiresOn = validUntil(d);
      const queued =
        owed === 'expiring'
          ? await queueDocumentEmail({ app, applicant, caseDoc: c, doc: d, template: 'document_expiring', data: { expiresOn }, now })
          : await queueDocumentEmail({ app, applicant, caseDoc: c, doc: d, template: 'document_too_short', data: { expiresOn, requiredUntil: passportRequiredUntil(c, now) }, now });
      if (!queued) continue;
      if (owed === 'expiring') sent += 1;
      else tooShort += 1;
    }
    batch = [];
  };
  try {
    for await (const c of cursor) {
      const needed = new Set<string>();
      for (const tr of c.supportTracks ?? []) if ((ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(tr.status)) for (const t of TRACK_DOCUMENTS[tr.kind as SupportKind] ?? []) needed.add(t);
      if (needed.size === 0) continue;
      batch.push({ _id: c._id, applicant: c.applicant, reference: c.reference, profile: (c as ValidityCase).profile, supportTracks: c.supportTracks, needed });
      if (batch.length >= BATCH) await run();
    }
    if (batch.length) await run();
  } finally {
    await cursor.close();
  }
  app.logger.info({ sent, tooShort }, 'document expiry reminders');
  return { sent, tooShort };
}
