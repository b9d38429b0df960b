// The offer's content: HR's short summary of the terms (position, start, salary, contract length:
// free text, as the letter words them) and the offer letter itself (a PDF, or a JPEG or PNG scan, the applicant signs and
// sends back as the checklist's `signed_offer`). Attached while the offer is prepared or waits for
// the answer (OFFER_TERMS_STAGES, models/constants.ts). The letter is stored like any document
// (the same storage, scan and temporary files: server/documents), as a version of its own type.
// One case update checked against the version the officer saw, with the history event and, at
// `offer`, the applicant's e-mail in the outbox (once per change: its key is the new version); then
// the audit event. A letter stored before a refused update is removed again.
import type { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../deps.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { User } from '../../models/user.ts';
import { CaseDocument, type DocumentDoc } from '../../models/document.ts';
import { OFFER_LETTER_TYPE, OFFER_TERMS_STAGES, inStages } from '../../models/constants.ts';
import { ValidationError, type FieldErrors } from '../errors.ts';
import { hasVisibleText, withoutHiddenCharacters } from '../support/hidden-characters.ts';
import { isCalendarDay } from '../support/calendar-day.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from './pending-audit.ts';
import { documentAudit, settleDocumentAudits } from '../documents/pending-audit.ts';
import type { PendingAudit } from '../audit/index.ts';
import { caseEmail, outboxKey } from '../outbox/item.ts';
import { translator } from '../i18n/index.ts';
import { countedDeadline, loadCalendar } from '../calendar/index.ts';
import { STAGE_DEADLINES, offerReady } from '../workflow/transitions.ts';
import { deadlineLeft } from '../procedures/service.ts';
import { aboutField, refused } from '../documents/errors.ts';
import { signedOfferUploadable } from '../documents/index.ts';
import { scanOrRefuse } from '../documents/scan.ts';
import { storeNextVersion, type StoredFile } from '../documents/versions.ts';
import { documentStores } from '../documents/stores.ts';
import type { ReceivedFile } from '../documents/upload.ts';
import { caseConflict, versionSeen } from './conflict.ts';
import { startTooSoonForFiling, tooSoonText } from './planned-start.ts';
import { discardReceived, type DocumentStorage } from '../documents/storage.ts';

/** The form's text fields (named apart from the case page's other forms, which share its error summary). */
export const OFFER_TERM_FIELDS = { position: 'offerPosition', start: 'offerStart', salary: 'offerSalary', contractLength: 'offerContractLength' } as const;
export type OfferTermKey = keyof typeof OFFER_TERM_FIELDS;
export const OFFER_TERM_KEYS = Object.keys(OFFER_TERM_FIELDS) as OfferTermKey[];
/** The letter's file input: the only file field the form's upload takes. */
export const OFFER_LETTER_FIELD = 'offer_letter';
/** A summary, not the letter: one line each (the letter holds the full terms). */
export const OFFER_TERM_MAX = 200;

export type OfferTermsForm = Record<(typeof OFFER_TERM_FIELDS)[OfferTermKey], string>;

export function canChangeOfferTerms(caseDoc: Pick<CaseDoc, 'stage'>): boolean {
  return inStages(caseDoc.stage, OFFER_TERMS_STAGES);
}

const optionalTerm = z.string().trim().max(OFFER_TERM_MAX, 'tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters');
/**
 * The planned start is a day (walk 26 #13: free text showed "2027-03-01" raw beside the case's own
 * planned start in each language's form): 'YYYY-MM-DD' from the date input, stored as that day at
 * 00:00 UTC as the case's planned start is (server/cases/planned-start.ts); empty for none.
 */
const startDay = z
  .string()
  .trim()
  .refine((v) => v === '' || isCalendarDay(v), 'invalidDate')
  .transform((v) => (v === '' ? undefined : new Date(`${v}T00:00:00.000Z`)));
const termsSchema = z.object({
  position: z.string().trim().refine(hasVisibleText(), 'required').max(OFFER_TERM_MAX, 'tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
  start: startDay,
  salary: optionalTerm,
  contractLength: optionalTerm,
});
type Terms = z.infer<typeof termsSchema>;

/** The terms as typed, or the field errors in the officer's language. */
function readTerms(ctx: Context, form: Partial<OfferTermsForm>): Terms {
  const t = tOf(ctx);
  const parsed = termsSchema.safeParse(Object.fromEntries(OFFER_TERM_KEYS.map((k) => [k, form[OFFER_TERM_FIELDS[k]] ?? ''])));
  if (parsed.success) return parsed.data;
  const errors: FieldErrors = {};
  for (const i of parsed.error.issues) {
    const field = OFFER_TERM_FIELDS[String(i.path[0]) as OfferTermKey];
    if (!field || errors[field]) continue;
    errors[field] = i.message === 'errors.hiddenCharacters' ? t(i.message) : i.message === 'invalidDate' ? t('cases.offerTerms.errors.startDate') : i.message === 'tooLong' ? t('cases.offerTerms.errors.tooLong', { max: OFFER_TERM_MAX }) : t('cases.offerTerms.errors.positionRequired');
  }
  throw new ValidationError(errors);
}

type StoredTerms = Partial<Record<Exclude<OfferTermKey, 'start'>, string | null>> & { startOn?: Date | null };
/** The same terms as stored (an old free-text start is kept when no day is given: not a change). */
const sameTerms = (a: Terms, b: StoredTerms | null | undefined) => (['position', 'salary', 'contractLength'] as const).every((k) => a[k] === (b?.[k] ?? '')) && a.start?.getTime() === (b?.startOn ?? undefined)?.getTime();

export interface OfferTermsResult {
  caseDoc: CaseDoc;
  /** Nothing new (the same terms, no file): nothing written (a double submit). */
  unchanged?: true;
  /** The applicant's address when an e-mail was written to the outbox. */
  mailedTo?: string;
}

/**
 * The one file the form may carry, refused beside the input otherwise: a PDF, or a JPEG or PNG for
 * a letter that is only a scan. Its type is what its bytes are (the upload engine's magic-byte
 * check, server/http/upload-engine.ts, as for every document: a renamed .exe or a PNG named .jpg is
 * refused there, before anything is stored), and it is served back with that type.
 */
function letterFile(files: ReceivedFile[]): Extract<ReceivedFile, { tempPath: string }> | undefined {
  const accepted = files.map((f) => {
    if (f.refusal) throw f.refusal.about(f.field);
    if (f.field !== OFFER_LETTER_FIELD) throw refused.unknownField(f.field);
    return f;
  });
  if (accepted.length > 1) throw refused.tooMany(1).about(OFFER_LETTER_FIELD);
  return accepted[0];
}

/**
 * Stores an offer letter as the next version of the case's offer-letter slot, accepted (HR's own
 * letter: nothing for HR to check, so it never waits in the queue's "to check" count), marked
 * `offerPending` until the case's offer names it (models/document.ts): a process killed before
 * leaves a letter the orphan sweep removes (server/documents/sweep.ts sweepOfferLetters).
 */
export function storeOfferLetter(storage: DocumentStorage, file: StoredFile, opts: { caseId: Types.ObjectId; actor: Types.ObjectId; now: Date }, audit?: (written: { version: number; storage: DocumentDoc['storage'] }) => PendingAudit): Promise<DocumentDoc> {
  return storeNextVersion(storage, file, { case: opts.caseId, type: OFFER_LETTER_TYPE, slot: 0, current: true, offerPending: true, uploadedBy: opts.actor, status: 'accepted', reviewedBy: opts.actor, reviewedAt: opts.now }, audit);
}

/**
 * Sets the offer's terms, and its letter when a file came with them. Refusals: ValidationError
 * (the terms, beside their fields), UploadError (the file: nothing stored), a conflict when the case
 * changed since the form was built or left the stages where the offer is prepared. Temporary files
 * are gone when this returns.
 */
export async function changeOfferTerms(opts: { app: Pick<AppContext, 'config' | 'db'>; ctx: Context; caseDoc: CaseDoc; version: number; form: Partial<OfferTermsForm>; files: ReceivedFile[] }): Promise<OfferTermsResult> {
  const { app, ctx, caseDoc } = opts;
  const actor = actorOf(ctx);
  const now = ctx.now;
  const storage = documentStores(app).current;
  let created: DocumentDoc | undefined;
  let letterAudit: PendingAudit | undefined;
  let committed = false;
  try {
    const terms = readTerms(ctx, opts.form);
    const file = letterFile(opts.files);
    const before = caseDoc.offerTerms;
    if (!file && sameTerms(terms, before)) return { caseDoc, unchanged: true };
    // Only the start-up sweep's claim since the page was built (a lost letter taken back, models/case.ts
    // sweptClaim): the form saw the offer as it is, and its letter is not lost to a conflict page.
    if (caseDoc.version !== versionSeen(caseDoc, opts.version) || !canChangeOfferTerms(caseDoc)) throw await caseConflict({ ctx, caseId: caseDoc._id });
    // A start no work permit filing can meet any more is refused, naming the earliest day (Decree
    // 219/2025/ND-CP: the file lodged at least 10 days before it; ./planned-start.ts). Only a day HR
    // changes: an offer saved before keeps its other terms editable.
    if (terms.start && terms.start.getTime() !== before?.startOn?.getTime()) {
      const soon = startTooSoonForFiling(caseDoc, terms.start, await loadCalendar(), now);
      if (soon) throw new ValidationError({ [OFFER_TERM_FIELDS.start]: tooSoonText(tOf(ctx), ctx.locale, soon, 'cases.offerTerms.errors.startTooSoon') });
    }

    if (file) {
      await scanOrRefuse(app.config.upload.clamdscanPath, file.tempPath, file.name).catch((err: unknown) => Promise.reject(aboutField(err, OFFER_LETTER_FIELD)));
      // HR's own letter: nothing for HR to check, so it never waits in the queue's "to check" count.
      // The letter's own upload event is written with its record (server/documents/pending-audit.ts):
      // a process stopped before the case's update below leaves a letter the repair still audits.
      created = await storeOfferLetter(storage, file, { caseId: caseDoc._id as Types.ObjectId, actor: actor._id as Types.ObjectId, now }, ({ version }) =>
        (letterAudit = documentAudit(ctx, { action: 'document.upload', summary: { case: String(caseDoc._id), type: OFFER_LETTER_TYPE, slot: 0, version, size: file.size, sha256: file.sha256, offerLetter: true } })),
      ).catch(async (err: unknown) => {
        // The same form sent twice at once (a double click): both read the same next version and the
        // index refuses the second letter (its file already taken back). The other save wins; this
        // one is the stale form it now is, not a server error.
        if ((err as { code?: number })?.code === 11000) throw await caseConflict({ ctx, caseId: caseDoc._id });
        throw err;
      });
    }

    const termsChanged = !sameTerms(terms, before);
    // The applicant may accept only a complete offer, its terms and its letter (offerReady,
    // server/workflow/transitions.ts). Told only once the offer is made (at `shortlisted` the letter
    // waits for the leader's decision, and the offer_made e-mail says it is on their page) and only
    // once it is complete: half an offer is not worth an e-mail, and they could not accept it yet.
    const wasReady = offerReady({ offerTerms: before });
    const ready = offerReady({ offerTerms: { position: terms.position, letter: created?._id ?? before?.letter } });
    const applicant = caseDoc.stage === 'offer' && ready ? await User.findById(caseDoc.applicant, { email: 1, locale: 1, name: 1, disabledAt: 1 }).lean() : null;
    // The answer-by date counts from the day the applicant can read what they answer: an offer made
    // before its terms gets its full answer period (STAGE_DEADLINES.offer) once complete, never less.
    const calendar = caseDoc.stage === 'offer' && (ready || caseDoc.stageDueAt) ? await loadCalendar() : undefined;
    const fullPeriod = caseDoc.stage === 'offer' && ready && !wasReady && calendar ? { from: now, workingDays: STAGE_DEADLINES.offer! } : undefined;
    const moved = fullPeriod && calendar ? countedDeadline(calendar, fullPeriod) : undefined;
    const later = moved && (!caseDoc.stageDueAt || moved.getTime() > caseDoc.stageDueAt.getTime()) ? moved : undefined;
    let mail;
    if (applicant && !applicant.disabledAt) {
      const call = await Call.findById(caseDoc.call, { title: 1, checklist: 1 }).lean();
      const dueAt = later ?? caseDoc.stageDueAt ?? undefined;
      mail = caseEmail(
        { email: applicant.email, locale: applicant.locale },
        'offer_letter_ready',
        {
          reference: caseDoc.reference,
          caseId: String(caseDoc._id),
          link: `${app.config.appUrl}/applications/${String(caseDoc._id)}#offer`,
          name: applicant.name,
          applicantName: caseDoc.profile?.fullName ?? '',
          callTitle: call ? { vi: call.title?.vi, en: call.title?.en } : undefined,
          // "Changed" once the complete offer was already on their page; "ready" the first time.
          isChanged: wasReady,
          hasLetter: true,
          signedCopyUpload: signedOfferUploadable(call),
          dueAt,
          // The working days left, counted now in the applicant's language, as the offer_made e-mail says them.
          dueLeft: dueAt && calendar ? deadlineLeft(translator(applicant.locale === 'en' ? 'en' : 'vi'), calendar, now, dueAt).text : undefined,
        },
        outboxKey(String(caseDoc._id), caseDoc.version + 1, 'offer_letter_ready'),
        now,
      );
    }
    // The timelines say a first complete offer is ready, not that its terms "changed" (walk 28 #11).
    const firstSave = !before?.position && !before?.letter && !before?.start && !before?.startOn;
    const history = { at: now, actor: actor._id, actorRole: actor.role, action: 'offer_terms', offerTerms: { letter: !!created, terms: termsChanged, told: !!mail, ...(ready && !wasReady ? { ready: true } : {}), ...(firstSave ? { first: true } : {}), ...(later ? { answerBy: later } : {}) } };
    // The audit event goes into the same update (./pending-audit.ts), with the version it makes.
    const audit = caseAudit(ctx, {
      at: now,
      action: 'case.offer_terms_changed',
      summary: { terms: termsChanged, ...(later ? { answerBy: later.toISOString() } : {}), ...(created ? { letter: { document: String(created._id), version: created.version, size: created.size, sha256: created.sha256, storage: created.storage } } : {}), told: !!mail, version: caseDoc.version + 1, reference: caseDoc.reference },
    });
    const updated = await Case.findOneAndUpdate(
      { _id: caseDoc._id, stage: caseDoc.stage, version: caseDoc.version },
      {
        // A day given replaces an old free-text start; without one that text stays as typed (HR cannot retype it in a date input).
        $set: { offerTerms: { position: terms.position, salary: terms.salary, contractLength: terms.contractLength, ...(terms.start ? { startOn: terms.start } : { start: before?.start ?? undefined }), letter: created?._id ?? before?.letter ?? undefined, updatedAt: now, updatedBy: actor._id }, ...(later ? { stageDueAt: later, stageDueCount: fullPeriod } : {}) },
        $inc: { version: 1 },
        $push: { history, ...(mail ? { outbox: mail } : {}), ...withPendingAudits([audit]) },
      },
      { returnDocument: 'after' },
    );
    if (!updated) throw await caseConflict({ ctx, caseId: caseDoc._id });
    // The case names the letter now: a failure after this point (an audit insert) must not take it back.
    committed = true;
    if (created) await CaseDocument.updateMany({ case: caseDoc._id, type: OFFER_LETTER_TYPE, current: true, version: { $lt: created.version } }, { $set: { current: false } });
    // Named by the offer: no longer the sweep's (server/documents/sweep.ts). The one named before is
    // cleared too: a process killed just before its own clear left it marked, and it is kept history.
    if (created) await CaseDocument.updateMany({ _id: { $in: [created._id, ...(before?.letter ? [before.letter] : [])] }, offerPending: true }, { $unset: { offerPending: 1 } });
    await settleCaseAudits(caseDoc._id, [audit]);
    if (created && letterAudit) await settleDocumentAudits(created._id as Types.ObjectId, [letterAudit]);
    return { caseDoc: updated, mailedTo: mail ? applicant!.email : undefined };
  } catch (err) {
    // Record before file, as the documents' own upload does; only while no case names it.
    if (created && !committed) {
      await CaseDocument.deleteOne({ _id: created._id }).catch(() => undefined);
      await storage.remove(created.storageKey).catch(() => undefined);
    }
    throw err;
  } finally {
    await Promise.all(opts.files.map((f) => (f.refusal ? undefined : discardReceived(f.tempPath))));
  }
}
