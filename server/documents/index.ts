// The documents module's public face for other features: the workflow guard
// (requiredDocumentsAccepted) and the queue's expiry flags (documentFlags).
import { Types } from 'mongoose';
import { CaseDocument, onDocumentWrite, type DocumentDoc } from '../../models/document.ts';
import { KeptReads } from '../support/kept-reads.ts';
import type { ChecklistPhase } from '../../models/constants.ts';
import { isExpiredLike, validityOf, type ValidityCase, type ValidityDoc } from './validity.ts';

export { validityOf, validUntil, passportRequiredUntil, DATE_RULES, type Validity } from './validity.ts';

interface CaseLike extends ValidityCase {
  _id: unknown;
}

interface ChecklistLike {
  type: string;
  phase?: string | null;
  required?: boolean | null;
  multiple?: boolean | null;
}

interface CallLike {
  checklist?: ChecklistLike[] | null;
}

function toObjectId(id: unknown): Types.ObjectId {
  if (id instanceof Types.ObjectId) return id;
  if (id && typeof id === 'object' && '_id' in id) return toObjectId((id as { _id: unknown })._id);
  return new Types.ObjectId(String(id));
}

/**
 * The current version of every slot of every type for some cases. Versions are written as
 * "insert new current, then clear older", so for a moment two may be flagged current: the
 * highest version wins.
 */
export async function currentDocuments(caseIds: unknown[]): Promise<DocumentDoc[]> {
  if (caseIds.length === 0) return [];
  return currentOf(await CaseDocument.find({ case: { $in: caseIds.map(toObjectId) }, current: true }));
}

/** Of documents already read (any versions, any order), the current version of every slot. */
export function currentOf<D extends { case: unknown; type: string; slot?: number | null; version: number; current?: boolean | null }>(docs: readonly D[]): D[] {
  const newestFirst = docs.filter((d) => d.current).sort((a, b) => b.version - a.version);
  const seen = new Set<string>();
  const out: D[] = [];
  for (const d of newestFirst) {
    const k = `${String(d.case)}|${d.type}|${d.slot ?? 0}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d);
  }
  return out;
}

/**
 * True when every required checklist item of `phase` has at least one current file, every
 * current file of the item is accepted, and none of them is expired (or, for a passport,
 * not valid long enough). The workflow's guard before the case moves on.
 */
export async function requiredDocumentsAccepted(caseDoc: CaseLike, call: CallLike, phase: ChecklistPhase | string, now: Date = new Date()): Promise<boolean> {
  return (await requiredDocumentsNotAccepted(caseDoc, call, phase, now)).length === 0;
}

/** The required items of the phase not yet settled: missing, waiting for HR, refused, or expired. */
/** What the required-documents check reads of each current document. */
export type CurrentDocument = ValidityDoc & { type: string; status: string };

/** `current`: the case's current documents, when the caller has read them already (the case page). */
export async function requiredDocumentsNotAccepted(caseDoc: CaseLike, call: CallLike, phase: ChecklistPhase | string, now: Date = new Date(), current?: readonly CurrentDocument[]): Promise<string[]> {
  const items = (call.checklist ?? []).filter((i) => (i.phase ?? 'application') === phase && i.required !== false);
  if (items.length === 0) return [];
  const docs = current ?? (await currentDocuments([caseDoc._id]));
  return items
    .filter((item) => {
      const mine = docs.filter((d) => d.type === item.type);
      return mine.length === 0 || !mine.every((d) => d.status === 'accepted' && !isExpiredLike(validityOf(d, caseDoc, now)));
    })
    .map((item) => String(item.type));
}

export interface DocumentFlag {
  expired: number;
  expiring: number;
  /** Uploaded and waiting for HR's check. */
  pending: number;
  /** Valid today but not long enough (a passport for the residence card's term). */
  tooShort: number;
}

/** What documentFlags reads of each document: enough for currentOf and validityOf. */
const FLAG_FIELDS = { case: 1, type: 1, slot: 1, version: 1, current: 1, status: 1, issuedAt: 1, expiresAt: 1 } as const;
type FlagDocument = { case: Types.ObjectId; type: string; slot?: number | null; version: number; current?: boolean | null; status: string; issuedAt?: Date | null; expiresAt?: Date | null };

/**
 * The documents documentFlags read for a page of cases (`kept`: the queue's), kept 5 s per list of
 * cases and forgotten on any write through the Document model (an upload, HR's check, a renewal, in
 * this or another web process: models/watch-writes.ts), as the queue's rows are (server/cases/queue.ts
 * keptRows): every officer of an institute opening the queue reads the same first page. Only the
 * stored fields are kept: what they mean today (expired, expiring) is worked out on each page.
 */
const keptFlagDocuments = new KeptReads<FlagDocument[]>(5_000, { maxKeys: 100, forgetOn: onDocumentWrite });

/**
 * Per case (its id as a string): how many current documents are expired / expiring / waiting for
 * HR's check, for the HR queue. `cases` carry what validity depends on (the planned arrival, the residence card's end):
 * the queue's rows do, so no case is read again. The documents are read lean, with only the fields
 * needed: hydrating every current document of 50 cases was most of the queue page's Mongoose time.
 */
export async function documentFlags(cases: ReadonlyArray<ValidityCase & { _id: unknown }>, now: Date = new Date(), opts: { kept?: boolean } = {}): Promise<Map<string, DocumentFlag>> {
  const out = new Map<string, DocumentFlag>();
  if (cases.length === 0) return out;
  const ids = cases.map((c) => toObjectId(c._id));
  const readNow = () => CaseDocument.find({ case: { $in: ids }, current: true }, FLAG_FIELDS).lean<FlagDocument[]>().exec();
  const read = opts.kept ? await keptFlagDocuments.get(ids.join(','), readNow) : await readNow();
  const docs = currentOf(read);
  if (docs.length === 0) return out;
  const byId = new Map(cases.map((c) => [String(c._id), c]));
  const flagOf = (key: string) => {
    let f = out.get(key);
    if (!f) out.set(key, (f = { expired: 0, expiring: 0, pending: 0, tooShort: 0 }));
    return f;
  };
  for (const d of docs) {
    if (d.status === 'pending') flagOf(String(d.case)).pending += 1;
    if (d.status === 'rejected' || !(d.issuedAt || d.expiresAt)) continue;
    const v = validityOf(d, byId.get(String(d.case)), now);
    if (v === 'ok') continue;
    const f = flagOf(String(d.case));
    if (v === 'expired') f.expired += 1;
    else if (isExpiredLike(v)) f.tooShort += 1;
    else f.expiring += 1;
  }
  return out;
}

/**
 * The signed offer or contract (the offer letter the applicant signs and sends back, walk 26 #3):
 * asked for once the offer is accepted when the call's checklist lists it as required. Its state
 * while it is not accepted: 'missing' (the applicant is asked for it), 'uploaded' (HR checks it), or
 * sent back ('rejected', 'expired', 'too_short': a new one is awaited). The checklist gives no date
 * for it (an item has no due date), so none is said; nothing blocks arrival on it (HR chases it).
 */
export type SignedOfferOwed = 'missing' | 'uploaded' | 'rejected' | 'expired' | 'too_short';

/** From a case's checklist as its pages show it (server/documents/present.ts checklistForCase). */
export function signedOfferOwed(items: ReadonlyArray<{ type: string; required: boolean; state: string }> | undefined): SignedOfferOwed | undefined {
  const item = items?.find((i) => i.type === 'signed_offer' && i.required);
  return item && item.state !== 'accepted' ? (item.state as SignedOfferOwed) : undefined;
}

/**
 * Whether the applicant has a place to upload the signed offer: the call's checklist lists it. The
 * offer's page and e-mails say "sign it and upload the signed copy" only then; a call without it
 * told the applicant to upload under a heading their documents did not have (walk 33).
 */
export function signedOfferUploadable(call: { checklist?: ReadonlyArray<{ type: string }> | null } | null | undefined): boolean {
  return !!call?.checklist?.some((i) => i.type === 'signed_offer');
}

/** Whether the call asks for the signed offer and the case has none accepted yet (the offer_accepted e-mail asks for it). */
export async function signedOfferAsked(caseDoc: CaseLike, call: CallLike | null | undefined, now: Date): Promise<boolean> {
  const item = call?.checklist?.find((i) => i.type === 'signed_offer' && i.required !== false);
  if (!item) return false;
  return (await requiredDocumentsNotAccepted(caseDoc, call!, item.phase ?? 'application', now)).includes('signed_offer');
}
