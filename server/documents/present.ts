// Page models of the documents feature. The checklist of a case for one viewer: item states, what
// they may do, and (for staff) every version; used by the case page (/cases/:id) and the applicant
// page (/applications/:id) through the partial views/partials/documents-checklist.hbs, and by the
// upload page that answers a refused upload. Also the JSON answer of an upload.
import { CaseDocument, type DocumentDoc, type DocumentRecord } from '../../models/document.ts';
import { storedId, unselectedPaths } from '../support/lean-read.ts';
import { User, type UserRecord } from '../../models/user.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import type { AppError } from '../errors.ts';
import { UploadError } from './errors.ts';
import { formatNumber } from '../views/numbers.ts';
import { canDownloadDocument, canRenewDocument, canSeeDocumentVersions, canUploadDocument, canVerifyDocument } from '../policies/document.ts';
import type { CaseAccessFacts } from '../policies/case.ts';
import { DATE_RULES, isExpiredLike, validityOf, validityWords, validUntil, type Validity, type ValidityCase } from './validity.ts';
import { ACCEPT_ATTRIBUTE, ALLOWED_TYPES_TEXT, maxBytesFor, phaseDue, phaseOpen } from './rules.ts';
import { OFFER_LETTER_TYPE, TERMINAL_STAGES, inStages } from '../../models/constants.ts';
import { FAMILY_PAPER, withAskedPapers } from './asked-papers.ts';
import type { FamilyCase } from '../applications/family-support.ts';
import { loadCalendar, type WorkingCalendar } from '../calendar/index.ts';

export { phaseOpen };

/** 'too_short': valid today, but not long enough for what it must cover (a passport and the residence card's term). */
export type ItemState = 'missing' | 'uploaded' | 'accepted' | 'rejected' | 'expired' | 'too_short';

export interface DocumentView {
  id: string;
  type: string;
  slot: number;
  version: number;
  current: boolean;
  originalName: string;
  size: number;
  sizeKb: number;
  mimeType: string;
  status: 'pending' | 'accepted' | 'rejected';
  reason?: string;
  uploadedAt?: Date;
  reviewedAt?: Date;
  issuedAt?: Date;
  expiresAt?: Date;
  validUntil?: Date;
  validity: Validity;
  /** documents.validity.<validityKey>: a short passport says until when it must be valid, and why. */
  validityKey: string;
  requiredUntil?: Date;
  requiredFrom?: Date;
  downloadUrl: string;
  verifyUrl: string;
  /** Accept/reject forms are shown for this file. */
  canVerify: boolean;
  canReconsider: boolean;
  /** A decision on this file refused: what to fix and the reason as typed (its form comes back open). */
  verifyFailed?: { error: string; reason: string };
  /** The applicant may replace this file (rejected, expired or expiring). */
  replaceField?: string;
  /** A refused upload's message about the replacing file, or about its date. */
  replaceError?: string;
  replaceDateError?: string;
  /** Who accepted or rejected this version (staff views). */
  reviewedByName?: string;
  /** This version renews an earlier accepted one (renewal.ts). */
  isRenewal: boolean;
  /** The "upload a renewal" page, when the viewer may renew this accepted version now. */
  renewUrl?: string;
  /** What its link says: a renewal for what runs out (passport, certificates), a newer version for the rest (a CV, a degree). */
  renewLabelKey?: string;
}

export interface ChecklistItemView {
  type: string;
  /** The first item with a paper for this reader to check: the `to-check` anchor the queue links to. */
  firstToCheck?: boolean;
  phase: string;
  /** A paper off the checklist, sent with an answer to a request for information (phase `answer`). */
  answered?: boolean;
  /**
   * HR asked for it within a procedure (server/procedures/asks.ts): it reads as asked, not "Optional"
   * (walk s34 #2), with the soonest open request's answer-by date and its working days left.
   */
  asked?: { dueAt?: Date; leftKey?: string; leftCount?: number };
  /** What the applicant does for this item, where the product gives them what to send (the offer letter to sign). */
  guideKey?: string;
  /** The phase is due at the case's stage (server/documents/rules.ts phaseDue): only these are counted. */
  due: boolean;
  required: boolean;
  multiple: boolean;
  maxMb: number;
  maxBytes: number;
  note?: { vi?: string; en?: string };
  state: ItemState;
  expiring: boolean;
  current: DocumentView[];
  /** Earlier versions (staff only). */
  versions: DocumentView[];
  /** A renewal waiting for HR's check: not current until accepted (staff verify it; the applicant sees it waits). */
  renewals: DocumentView[];
  /** The file input name for a new file of this item, when the viewer may upload one now. */
  uploadField?: string;
  dateRule?: 'issued' | 'expires';
  /** A refused upload's message about this item's new file, or about its date. */
  uploadError?: string;
  dateError?: string;
}

export interface ChecklistView {
  caseId: string;
  uploadAction: string;
  canUpload: boolean;
  /** The applicant's unconfirmed address: uploads wait for its confirmation. */
  confirmEmailFirst?: string;
  isStaff: boolean;
  /** A reader who checks papers and has none to check here: `to-check` is the list's own anchor. */
  noneToCheck?: boolean;
  items: ChecklistItemView[];
  counts: { missing: number; rejected: number; expired: number; tooShort: number; expiring: number; accepted: number; total: number };
  /** The items of later phases not counted yet, by phase: said under the count, so that "0/5" becoming "3/8" is expected. */
  later: Array<{ phase: string; types: string[] }>;
  /** Accept attribute for file inputs (types allowed by magic bytes, as a hint to the browser). */
  accept: string;
  /** The allowed types as people read them, e.g. "PDF (.pdf), JPEG (.jpg, .jpeg), PNG (.png)". */
  allowedTypes: string;
  /** What was typed beside the files (dates), kept when the form comes back with an error. */
  values?: Record<string, string>;
}

export interface PresentedCase extends ValidityCase {
  /** Its nationality and family decide whether the family's proof has a place (./asked-papers.ts). */
  profile?: { plannedArrival?: Date | null; nationality?: string | null } | null;
  dependants?: FamilyCase['dependants'];
  supportRequested?: FamilyCase['supportRequested'];
  _id: unknown;
  applicant: unknown;
  institute: unknown;
  call: unknown;
  stage?: string | null;
  resumeStage?: string | null;
}

export interface PresentedCall {
  checklist?: Array<{ type: string; phase?: string | null; required?: boolean | null; multiple?: boolean | null; maxMb?: number | null; note?: { vi?: string | null; en?: string | null } | null }> | null;
}

function view(d: DocumentRecord, c: PresentedCase, now: Date, canVerify: boolean, names: Map<string, string> = new Map()): DocumentView {
  const validity = validityOf(d, c, now);
  const words = validityWords(d, c, now, validity);
  return {
    id: String(d._id),
    type: d.type,
    slot: d.slot ?? 0,
    version: d.version,
    current: d.current,
    originalName: d.originalName,
    size: d.size,
    sizeKb: Math.max(1, Math.round(d.size / 1024)),
    mimeType: d.mimeType,
    status: d.status,
    reason: d.reason ?? undefined,
    uploadedAt: (d as unknown as { createdAt?: Date }).createdAt,
    reviewedAt: d.reviewedAt ?? undefined,
    issuedAt: d.issuedAt ?? undefined,
    expiresAt: d.expiresAt ?? undefined,
    validUntil: validUntil(d),
    validity,
    validityKey: words.key,
    requiredUntil: words.required,
    requiredFrom: words.from,
    downloadUrl: `/documents/${String(d._id)}/download`,
    verifyUrl: `/documents/${String(d._id)}/verify`,
    canVerify: canVerify && d.status === 'pending' && (d.current || !!d.renewalOf),
    // A decision on the current file can be changed (server/documents/verify.ts), with a reason.
    canReconsider: canVerify && d.current && (d.status === 'accepted' || d.status === 'rejected'),
    reviewedByName: d.reviewedBy ? names.get(String(d.reviewedBy)) : undefined,
    isRenewal: !!d.renewalOf,
  };
}

/** Names of the people who checked these versions (one query). */
async function reviewerNames(docs: readonly DocumentRecord[]): Promise<Map<string, string>> {
  const ids = [...new Set(docs.map((d) => (d.reviewedBy ? String(d.reviewedBy) : '')).filter(Boolean))];
  if (ids.length === 0) return new Map();
  const users = await User.find({ _id: { $in: ids } }, { name: 1 }).lean();
  return new Map(users.map((u) => [String(u._id), u.name]));
}

function stateOf(current: DocumentView[]): ItemState {
  if (current.length === 0) return 'missing';
  if (current.some((d) => d.status === 'rejected')) return 'rejected';
  if (current.some((d) => d.validity === 'expired')) return 'expired';
  if (current.some((d) => isExpiredLike(d.validity))) return 'too_short';
  if (current.some((d) => d.status === 'pending')) return 'uploaded';
  return 'accepted';
}

type AskedTracks = ReadonlyArray<{ asks?: ReadonlyArray<{ documentType?: string | null; dueAt?: Date | null; receivedAt?: Date | null; closedAt?: Date | null }> | null }>;

/**
 * The item as a procedure's request names it (walk s34 #2): asked, and while a request is open, by
 * the soonest open one's date with the working days left (as deadlineLeft words them); undefined when
 * no request names it.
 */
function askedFor(c: PresentedCase, type: string, now: Date, calendar: WorkingCalendar): ChecklistItemView['asked'] {
  const tracks = Array.isArray(c.supportTracks) ? (c.supportTracks as AskedTracks) : [];
  const asks = tracks.flatMap((t) => t.asks ?? []).filter((a) => a.documentType === type);
  if (!asks.length) return undefined;
  const open = asks.filter((a) => !a.receivedAt && !a.closedAt && a.dueAt instanceof Date).map((a) => a.dueAt!).sort((x, y) => x.getTime() - y.getTime());
  const due = open[0];
  if (!due) return {};
  const n = calendar.workingDaysBetween(now, due);
  const overdue = due.getTime() < now.getTime();
  return { dueAt: due, leftKey: overdue ? 'procedures.deadline.overdue' : n === 0 ? 'procedures.deadline.today' : 'procedures.deadline.left', leftCount: overdue ? Math.max(1, -n) : n };
}

/** Every version of a case's documents, by type, slot and newest version first (the checklist's order). */
export function caseDocumentVersions(caseId: unknown): Promise<DocumentRecord[]> {
  // Through the driver: the same records as a lean read (server/support/lean-read.ts), read on every case page.
  const key = storedId(caseId);
  if (!key) return Promise.resolve([]);
  return CaseDocument.collection.find<DocumentRecord>({ case: key }, { projection: unselectedPaths(CaseDocument), sort: { type: 1, slot: 1, version: -1 } }).toArray();
}

/** `opts.documents`: the case's documents as caseDocumentVersions reads them, when the caller has them already. */
export async function checklistForCase(
  caseDoc: PresentedCase,
  call: PresentedCall,
  viewer: UserRecord,
  opts: { now?: Date; defaultMaxBytes?: number; facts?: CaseAccessFacts; documents?: readonly DocumentRecord[] } = {},
): Promise<ChecklistView> {
  const now = opts.now ?? new Date();
  const caseId = String(caseDoc._id);
  const mayDownload = canDownloadDocument(viewer, caseDoc, opts.facts);
  // An applicant uploads from a confirmed address only (server/documents/upload.ts requireConfirmedEmail):
  // until then the checklist says so instead of offering inputs that would be refused.
  const confirmEmailFirst = viewer.role === 'applicant' && !viewer.emailVerifiedAt && canUploadDocument(viewer, caseDoc);
  const mayUpload = canUploadDocument(viewer, caseDoc) && !confirmEmailFirst;
  const mayRenew = canRenewDocument(viewer, caseDoc);
  const mayVerify = canVerifyDocument(viewer, caseDoc);
  const staffView = canSeeDocumentVersions(viewer, caseDoc, opts.facts);
  const all: readonly DocumentRecord[] = mayDownload ? (opts.documents ?? (await caseDocumentVersions(caseDoc._id))) : [];

  // The highest version of each slot is its current file (see currentDocuments in index.ts).
  const currentIds = new Set<string>();
  const seen = new Set<string>();
  for (const d of all) {
    const k = `${d.type}|${d.slot ?? 0}`;
    if (d.current && !seen.has(k)) {
      seen.add(k);
      currentIds.add(String(d._id));
    }
  }

  const names = staffView ? await reviewerNames(all) : new Map<string, string>();
  const stage = String(caseDoc.stage ?? 'draft');
  const ended = inStages(stage, TERMINAL_STAGES);
  type Item = NonNullable<PresentedCall['checklist']>[number];
  // `answered`: a paper the call's checklist does not list, sent with an answer to HR's request for
  // information (server/applications/answer.ts): listed with the others, checked by HR as any file,
  // but not uploaded (nor renewed) here: it has no slot of the checklist to go to.
  const calendar = await loadCalendar();
  const itemView = (item: Item, answered = false): ChecklistItemView => {
    const docs = all.filter((d) => d.type === item.type);
    const waiting = (d: DocumentRecord) => !currentIds.has(String(d._id)) && !!d.renewalOf && d.status === 'pending';
    const current = docs.filter((d) => currentIds.has(String(d._id))).map((d) => view(d, caseDoc, now, mayVerify, names));
    const renewals = docs.filter(waiting).map((d) => view(d, caseDoc, now, mayVerify, names));
    const versions = staffView ? docs.filter((d) => !currentIds.has(String(d._id)) && !waiting(d)).map((d) => view(d, caseDoc, now, false, names)) : [];
    // An accepted current file takes a renewal (a newer passport or certificate) unless one already
    // waits: from the applicant, or from HR on their behalf.
    if (mayRenew && !answered) {
      for (const d of current) {
        if (d.status === 'accepted' && !renewals.some((r) => r.slot === d.slot)) {
          d.renewUrl = `/documents/${d.id}/renew`;
          d.renewLabelKey = DATE_RULES[d.type as keyof typeof DATE_RULES] ? 'documents.renewal.link' : 'documents.renewal.newer.link';
        }
      }
    }
    const state = stateOf(current);
    const open = !answered && mayUpload && phaseOpen(item.phase ?? 'application', String(caseDoc.stage ?? 'draft'), caseDoc.resumeStage);
    const multiple = item.multiple === true;
    // In a multi-file item each file is replaced through its own input; a single item has one input.
    if (open && multiple) {
      for (const d of current) {
        if (d.status === 'rejected' || d.validity !== 'ok') d.replaceField = `${item.type}--${d.slot}`;
      }
    }
    // A single item takes a new file unless its current one is accepted and still valid.
    const uploadField = open && (multiple || state === 'missing' || state === 'uploaded' || state === 'rejected' || state === 'expired' || state === 'too_short' || current.some((d) => d.validity === 'expiring')) ? item.type : undefined;
    return {
      type: item.type,
      phase: item.phase ?? 'application',
      due: answered || phaseDue(item.phase ?? 'application', stage, caseDoc.resumeStage),
      required: item.required !== false,
      multiple,
      maxMb: Math.round(maxBytesFor(item, opts.defaultMaxBytes) / (1024 * 1024)),
      // The exact limit the server applies, for the browser to check before sending (public/js/upload.js).
      maxBytes: maxBytesFor(item, opts.defaultMaxBytes),
      note: item.note && (item.note.vi || item.note.en) ? { vi: item.note.vi ?? undefined, en: item.note.en ?? undefined } : undefined,
      // The letter they sign is on their offer panel (server/cases/offer-terms.ts), above the checklist:
      // said while a signed copy is awaited, not once one is sent (HR checks it) or accepted.
      guideKey:
        item.type === 'signed_offer' && viewer.role === 'applicant' && uploadField && state !== 'uploaded'
          ? 'documents.guides.signed_offer'
          : // What counts as the family's proof (./asked-papers.ts familyPaperNeeded), for whoever reads the item.
            item.type === FAMILY_PAPER
            ? 'documents.guides.relationship_proof'
            : undefined,
      ...(answered ? { answered: true } : {}),
      ...((a) => (a ? { asked: a } : {}))(askedFor(caseDoc, item.type, now, calendar)),
      state,
      expiring: current.some((d) => d.validity === 'expiring'),
      current,
      versions,
      renewals,
      uploadField,
      dateRule: DATE_RULES[item.type as keyof typeof DATE_RULES],
    };
  };
  // The call's items, then the papers a procedure's request named that it does not list (./asked-papers.ts).
  const placed = withAskedPapers(call.checklist, caseDoc);
  const checklistTypes = new Set(placed.map((i) => i.type));
  // The papers sent with answers to HR's requests for information that have no place above (the offer letter is HR's own).
  const answeredTypes = [...new Set(all.filter((d) => !checklistTypes.has(d.type) && d.type !== OFFER_LETTER_TYPE).map((d) => d.type))];
  const listed: ChecklistItemView[] = [
    ...placed.map((item) => itemView(item)),
    ...answeredTypes.map((type) => itemView({ type, phase: 'answer', required: false, multiple: true }, true)),
  ];

  // A later phase's items (signed offer, health certificate, criminal record) are listed as coming
  // later while the case may still reach them, and not counted: "0/5 accepted" on a new
  // application, not "0/8". On a case that ended they are left out unless they hold a file.
  const hasFile = (i: ChecklistItemView) => i.current.length > 0 || i.renewals.length > 0 || i.versions.length > 0;
  const items = listed.filter((i) => i.due || !ended || hasFile(i));
  const counted = items.filter((i) => i.due || hasFile(i));
  const count = (s: ItemState) => counted.filter((i) => i.state === s).length;
  const notCounted = items.filter((i) => !counted.includes(i));
  // The offer's and onboarding's items both come once the offer is accepted (rules.ts phaseDue): one group, said once.
  const laterPhase = (phase: string) => (phase === 'onboarding' ? 'offer' : phase);
  const later = [...new Set(notCounted.map((i) => laterPhase(i.phase)))].map((phase) => ({ phase, types: notCounted.filter((i) => laterPhase(i.phase) === phase).map((i) => i.type) }));
  // The queue's "N to check" mark links to `#to-check`: the first paper waiting for this reader's
  // check, else the list itself (checked meanwhile by someone else).
  const firstToCheck = mayVerify ? items.find((i) => [...i.current, ...i.renewals].some((d) => d.canVerify)) : undefined;
  if (firstToCheck) firstToCheck.firstToCheck = true;
  return {
    ...(mayVerify && !firstToCheck ? { noneToCheck: true } : {}),
    caseId,
    uploadAction: `/cases/${caseId}/documents`,
    canUpload: mayUpload && items.some((i) => i.uploadField || i.current.some((d) => d.replaceField)),
    ...(confirmEmailFirst ? { confirmEmailFirst: viewer.email } : {}),
    isStaff: staffView,
    items,
    counts: {
      missing: count('missing'),
      rejected: count('rejected'),
      expired: count('expired'),
      tooShort: count('too_short'),
      expiring: counted.filter((i) => i.expiring).length,
      accepted: count('accepted'),
      total: counted.length,
    },
    later,
    accept: ACCEPT_ATTRIBUTE,
    allowedTypes: ALLOWED_TYPES_TEXT,
  };
}

/** The checklist's items sent back (rejected, expired, not valid long enough) that the viewer can replace now. */
export function resendItems(checklist: unknown): ChecklistItemView[] {
  return ((checklist as ChecklistView | undefined)?.items ?? []).filter((i) => (i.state === 'rejected' || i.state === 'expired' || i.state === 'too_short') && (i.uploadField || i.current.some((d) => d.replaceField)) && !renewalWaits(i));
}

/**
 * Every accepted file of the item has its renewal uploaded, waiting for HR: the applicant has done
 * what was asked (walk s37: "Action needed: send a new version" stayed after she sent it).
 */
function renewalWaits(i: ChecklistItemView): boolean {
  const accepted = i.current.filter((d) => d.status === 'accepted');
  return i.renewals.length > 0 && accepted.length > 0 && accepted.every((d) => i.renewals.some((r) => r.slot === d.slot));
}

/** Marks the file whose decision was refused, so the checklist shows its form again as it was sent. */
export function markVerifyFailed(checklist: unknown, documentId: string, failed: { error: string; reason: string }): void {
  for (const item of (checklist as ChecklistView | undefined)?.items ?? []) {
    for (const d of [...item.current, ...item.renewals]) if (d.id === documentId) d.verifyFailed = failed;
  }
}

/** A stored document as an upload's JSON answer lists it. */
export function documentJson(d: DocumentDoc) {
  return {
    id: String(d._id),
    type: d.type,
    slot: d.slot,
    version: d.version,
    originalName: d.originalName,
    mimeType: d.mimeType,
    size: d.size,
    sha256: d.sha256,
    status: d.status,
    downloadUrl: `/documents/${String(d._id)}/download`,
  };
}

const TYPED_DATE = /^[a-z_]{1,40}(?:--\d{1,3})?_(?:issuedAt|expiresAt)$/;

/**
 * The dates typed beside the files, to fill the form in again after a refusal: each as typed (a day
 * read as YYYY-MM-DD is shown day first by the view), cut to 40 characters; before, only a
 * well-formed one came back, so "01/01/2027000000" refused beside its box left the box empty.
 */
export function typedDates(dates: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dates)) {
    if (TYPED_DATE.test(k) && typeof v === 'string') out[k] = v.trim().slice(0, 40);
  }
  return out;
}

/** A refused upload in the user's language, for the page or the JSON answer, with the input it is about if any. */
export function uploadRefusal(ctx: Context, err: AppError): { status: number; code: string; message: string; field?: string; notSavedText?: string } {
  // Figures (the case quota's megabytes) are written as the reader's language writes them: 0,4 in
  // Vietnamese; a plural's count stays a number for i18next.
  const params = Object.fromEntries(Object.entries(err.params).map(([k, v]) => [k, typeof v === 'number' && k !== 'count' ? formatNumber(v, ctx.locale, 1) : v]));
  const t = tOf(ctx);
  const others = err instanceof UploadError && err.notSaved?.length ? err.notSaved : undefined;
  return {
    status: err.status,
    code: err.code,
    message: t(err.messageKey, params) as string,
    field: err instanceof UploadError ? err.field : undefined,
    // For the page's script, which shows only the message (the page answering a plain form says it in its summary).
    notSavedText: others ? (t('documents.errors.othersNotSaved', { count: others.length, types: others.join(', ') }) as string) : undefined,
  };
}

const dateSuffix = (rule: 'issued' | 'expires') => (rule === 'issued' ? 'issuedAt' : 'expiresAt');

/**
 * Puts a refused upload's message beside the input it is about (a file, or the date beside it), as
 * every refused form does; false when the page has no such input (the summary then says it).
 */
export function markUploadFailed(checklist: ChecklistView, field: string | undefined, message: string): boolean {
  if (!field) return false;
  for (const item of checklist.items) {
    const rule = item.dateRule;
    if (item.uploadField && field === item.uploadField) return !!(item.uploadError = message);
    if (item.uploadField && rule && field === `${item.uploadField}_${dateSuffix(rule)}`) return !!(item.dateError = message);
    for (const d of item.current) {
      if (d.replaceField && field === d.replaceField) return !!(d.replaceError = message);
      if (d.replaceField && rule && field === `${d.replaceField}_${dateSuffix(rule)}`) return !!(d.replaceDateError = message);
    }
  }
  return false;
}

/** The upload page that answers a refused upload: the message, the checklist and what was typed. */
export async function uploadPage(opts: {
  ctx: Context;
  caseDoc: PresentedCase & { reference: string };
  call: PresentedCall;
  defaultMaxBytes: number;
  message: string;
  /** The input the refusal is about (UploadError.field), if any. */
  field?: string;
  dates: Record<string, unknown>;
  backUrl: string;
}) {
  const { ctx, caseDoc } = opts;
  const t = tOf(ctx);
  const checklist = await checklistForCase(caseDoc, opts.call, actorOf(ctx), { now: ctx.now, defaultMaxBytes: opts.defaultMaxBytes });
  checklist.values = typedDates(opts.dates);
  const placed = markUploadFailed(checklist, opts.field, opts.message);
  return {
    title: t('documents.uploadPageTitle'),
    reference: caseDoc.reference,
    // The shared summary ({{> form-errors}}) takes the focus and links to the marked input; a refusal
    // about no input (the case's quota, no file chosen) is said in it. One refused file refuses the
    // request: it says that the others were not kept either.
    errors: { upload: opts.message },
    formErrorsText: `${placed ? t('common.formHasErrors') : opts.message} ${t('documents.errors.nothingKept')}`,
    checklist,
    backUrl: opts.backUrl.replace(/#.*$/, ''),
  };
}


/**
 * The words for a newer version of an accepted document: a "renewal" of what runs out (a passport, a
 * certificate: DATE_RULES), a "newer version" of what does not (a CV, a degree), which officers add
 * when an applicant sends one by e-mail.
 */
function renewalWords(t: (k: string, p?: Record<string, unknown>) => string, type: string): { title: string; submitLabel: string; lead: string } {
  const typeLabel = t(`documents.types.${type}`);
  const k = DATE_RULES[type as keyof typeof DATE_RULES] ? 'renewal' : 'renewal.newer';
  return { title: t(`documents.${k}.title`, { type: typeLabel }), submitLabel: t(`documents.${k}.submit`), lead: t(`documents.${k}.lead`, { type: typeLabel }) };
}

/** The "upload a renewal" page of one accepted document: what it renews, the file and date inputs, and a refusal if any. */
export function renewalPage(opts: {
  ctx: Context;
  doc: DocumentDoc;
  caseDoc: PresentedCase & { reference: string; profile?: { fullName?: string | null } | null };
  call: PresentedCall;
  defaultMaxBytes: number;
  renewable: boolean;
  message?: string;
  /** The input the refusal is about (UploadError.field), if any. */
  field?: string;
  dates?: Record<string, unknown>;
  /** For staff: will the applicant be e-mailed about the renewal (false: account disabled)? */
  applicantEmailable?: boolean;
}) {
  const { ctx, doc, caseDoc } = opts;
  const t = tOf(ctx);
  const staff = !!ctx.actor && ctx.actor.role !== 'applicant';
  const type = doc.type;
  const field = `${type}--${doc.slot ?? 0}`;
  const item = (opts.call.checklist ?? []).find((i) => i.type === type);
  const values = typedDates(opts.dates ?? {});
  const rule = DATE_RULES[type as keyof typeof DATE_RULES];
  const dateField = rule ? `${field}_${dateSuffix(rule)}` : undefined;
  // Beside its input when the form is shown; otherwise (or about no input) in the summary.
  const fileError = opts.renewable && opts.message && opts.field === field ? opts.message : undefined;
  const dateError = opts.renewable && opts.message && dateField && opts.field === dateField ? opts.message : undefined;
  return {
    ...renewalWords(t, type),
    reference: caseDoc.reference,
    doc: view(doc, caseDoc, ctx.now, false),
    renewable: opts.renewable,
    action: `/documents/${String(doc._id)}/renew`,
    field,
    dateRule: rule,
    dateField,
    dateValue: dateField ? values[dateField] : undefined,
    accept: ACCEPT_ATTRIBUTE,
    fileHint: t('documents.fileHint', { mb: Math.round(maxBytesFor(item, opts.defaultMaxBytes) / (1024 * 1024)), types: ALLOWED_TYPES_TEXT }),
    errors: opts.message ? { upload: opts.message } : undefined,
    formErrorsText: opts.message && !fileError && !dateError ? opts.message : undefined,
    fileError,
    dateError,
    // Staff upload on the applicant's behalf: the page says for whom, and leads back to the case.
    onBehalf: staff ? t(opts.applicantEmailable === false ? 'documents.renewal.onBehalfUntold' : 'documents.renewal.onBehalf', { name: caseDoc.profile?.fullName || caseDoc.reference }) : undefined,
    backUrl: staff ? `/cases/${String(caseDoc._id)}#documents` : `/applications/${String(caseDoc._id)}`,
  };
}
