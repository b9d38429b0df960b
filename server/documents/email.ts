// The e-mails the documents feature owes an applicant about one of their documents (rejected,
// expiring, a passport not valid long enough, a renewal HR added for them), queued in the case outbox in the applicant's language.
// The case version is left alone: a queued e-mail must not make an officer's open form stale.
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { AppContext } from '../deps.ts';
import { DEFAULT_LOCALE, isLocale, translator } from '../i18n/index.ts';
import { caseEmail, outboxKey } from '../outbox/item.ts';
import type { WorkingCalendar } from '../calendar/index.ts';
import { deadlineLeft } from '../procedures/service.ts';
import { formatDay } from '../views/time.ts';
import { questionsLine, type HrContact } from '../institutes/contact.ts';

export interface DocumentEmailOptions {
  app: Pick<AppContext, 'config'>;
  applicant: UserDoc | null;
  caseDoc: { _id: unknown; reference: string };
  doc: { _id: unknown; type: string; originalName: string };
  template: 'document_rejected' | 'document_accepted' | 'document_expiring' | 'document_too_short' | 'document_renewal_added';
  data: Record<string, unknown>;
  now: Date;
  /** Set where the same document can owe the same e-mail twice (a decision changed and changed back). */
  eventKey?: string;
  /** The day a new version is needed by (verify.ts reuploadBy): written with its working days left, in the applicant's words. */
  dueBy?: { at: Date; calendar: WorkingCalendar };
  /** The institute's HR office, for an e-mail that tells of a decision (a rejection): who to ask about it (`contactHr`). */
  contact?: HrContact;
}

/** Can the applicant be e-mailed about their documents (an account that exists and is not disabled)? */
export function applicantEmailable<T extends Pick<UserDoc, 'disabledAt'>>(applicant: T | null): applicant is T {
  return !!applicant && !applicant.disabledAt;
}

/** Queues the e-mail; false when the applicant cannot be e-mailed (nothing queued). */
export async function queueDocumentEmail(input: DocumentEmailOptions): Promise<boolean> {
  const { app, applicant, caseDoc, doc, template, now } = input;
  if (!applicantEmailable(applicant)) return false;
  const locale = isLocale(applicant.locale) ? applicant.locale : DEFAULT_LOCALE;
  const caseId = String(caseDoc._id);
  const item = caseEmail(
    { email: applicant.email, locale },
    template,
    {
      name: applicant.name,
      reference: caseDoc.reference,
      caseId,
      documentType: translator(locale)(`documents.types.${doc.type}`),
      fileName: doc.originalName,
      link: `${app.config.appUrl}/applications/${caseId}#doc-${doc.type}`,
      ...(input.contact ? { contactHr: questionsLine(translator(locale), input.contact, locale) } : {}),
      ...(input.dueBy ? { dueOn: formatDay(input.dueBy.at, locale), dueLeft: deadlineLeft(translator(locale), input.dueBy.calendar, now, input.dueBy.at).text } : {}),
      ...input.data,
    },
    input.eventKey ? outboxKey(caseId, template, String(doc._id), input.eventKey) : outboxKey(caseId, template, String(doc._id)),
    now,
  );
  await Case.updateOne({ _id: caseDoc._id }, { $push: { outbox: item } });
  return true;
}
