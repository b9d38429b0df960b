// Keeps a case's `searchTerms` (models/case-search.ts) in step with what they are made of, on every
// path that writes those fields through Mongoose: documents saved through the model (pre-validate),
// and findOneAndUpdate / updateOne whose update touches the reference, the applicant, the profile,
// its full name or its nationality (the upsert that creates a draft, each saved application step).
// The applicant's e-mail lives on the user: it is read once per such write. Writes around the
// model (insertMany with lean, scripts) are caught up by the start-up backfill
// (server/cases/search-backfill.ts). updateMany is not used on these fields anywhere; should it be,
// the hook refuses rather than leaving stale words.
import type { Connection, Query, Schema, Types } from 'mongoose';
import { caseSearchTerms, SEARCH_TERMS_VERSION, type SearchSource } from './case-search.ts';

const SOURCE_PATHS = ['reference', 'applicant', 'profile', 'profile.fullName', 'profile.nationality'] as const;

type Doc = Record<string, unknown>;

function isObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The applicant's e-mail (lower case as stored), or undefined when the user model or the user is missing. */
export async function applicantEmail(db: Connection, applicant: unknown): Promise<string | undefined> {
  if (!applicant || !db.models.User) return undefined;
  const u = (await db.models.User!.findById(applicant, { email: 1 }).lean()) as { email?: string } | null;
  return u?.email;
}

interface Sourced {
  reference?: unknown;
  applicant?: unknown;
  fullName?: unknown;
  nationality?: unknown;
}

/** What a set of `path → value` assignments says about the sources (undefined: not mentioned). */
function readAssignments(into: Sourced, set: Doc | undefined, unset = false): boolean {
  if (!isObject(set)) return false;
  let touched = false;
  for (const [path, value] of Object.entries(set)) {
    if (!(SOURCE_PATHS as readonly string[]).includes(path)) continue;
    touched = true;
    const v = unset ? null : value;
    if (path === 'reference') into.reference = v;
    else if (path === 'applicant') into.applicant = v;
    else if (path === 'profile.fullName') into.fullName = v;
    else if (path === 'profile.nationality') into.nationality = v;
    else {
      const p = isObject(v) ? v : {};
      into.fullName = p.fullName ?? null;
      into.nationality = p.nationality ?? null;
    }
  }
  return touched;
}

function mentions(update: Doc): boolean {
  const keys = (o: unknown) => (isObject(o) ? Object.keys(o) : []);
  const all = [...keys(update.$set), ...keys(update.$setOnInsert), ...keys(update.$unset), ...Object.keys(update).filter((k) => !k.startsWith('$'))];
  return all.some((k) => (SOURCE_PATHS as readonly string[]).includes(k));
}

function source(base: Sourced, email: string | undefined): SearchSource {
  const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { reference: s(base.reference), fullName: s(base.fullName), nationality: s(base.nationality), email };
}

export function keepSearchTerms(schema: Schema): void {
  schema.pre('validate', async function () {
    const doc = this as unknown as {
      isNew: boolean;
      isModified(p: string): boolean;
      get(p: string): unknown;
      set(p: string, v: unknown): void;
      db: Connection;
    };
    const stale = doc.isNew || doc.get('searchTerms') === undefined || doc.get('searchTermsVersion') !== SEARCH_TERMS_VERSION || SOURCE_PATHS.some((p) => doc.isModified(p));
    if (!stale) return;
    const email = await applicantEmail(doc.db, doc.get('applicant'));
    doc.set('searchTermsVersion', SEARCH_TERMS_VERSION);
    doc.set(
      'searchTerms',
      caseSearchTerms({
        reference: doc.get('reference') as string | undefined,
        fullName: doc.get('profile.fullName') as string | undefined,
        nationality: doc.get('profile.nationality') as string | undefined,
        email,
      }),
    );
  });

  async function beforeUpdate(this: Query<unknown, unknown>): Promise<void> {
    const update = this.getUpdate() as Doc | null;
    if (!update || Array.isArray(update) || !mentions(update)) return;
    const model = this.model;
    const current = (await model.findOne(this.getFilter(), { reference: 1, applicant: 1, 'profile.fullName': 1, 'profile.nationality': 1 }).lean()) as
      | { reference?: string; applicant?: Types.ObjectId; profile?: { fullName?: string; nationality?: string } }
      | null;
    const base: Sourced = {};
    if (current) {
      base.reference = current.reference;
      base.applicant = current.applicant;
      base.fullName = current.profile?.fullName;
      base.nationality = current.profile?.nationality;
    } else {
      // An upsert that inserts: the filter's equalities and $setOnInsert make the new document.
      const filter = this.getFilter() as Doc;
      if (filter.applicant && !isObject(filter.applicant)) base.applicant = filter.applicant;
      readAssignments(base, update.$setOnInsert as Doc);
    }
    const plain: Doc = Object.fromEntries(Object.entries(update).filter(([k]) => !k.startsWith('$')));
    readAssignments(base, plain);
    readAssignments(base, update.$set as Doc);
    readAssignments(base, update.$unset as Doc, true);
    const email = await applicantEmail(model.db, base.applicant);
    const terms = caseSearchTerms(source(base, email));
    if (Object.keys(plain).length && !Object.keys(update).some((k) => k.startsWith('$'))) {
      this.setUpdate({ ...update, searchTerms: terms, searchTermsVersion: SEARCH_TERMS_VERSION });
    } else {
      this.setUpdate({ ...update, $set: { ...((update.$set as Doc | undefined) ?? {}), searchTerms: terms, searchTermsVersion: SEARCH_TERMS_VERSION } });
    }
  }

  schema.pre('findOneAndUpdate', beforeUpdate);
  schema.pre('updateOne', { document: false, query: true }, beforeUpdate);
  schema.pre('updateMany', { document: false, query: true }, function () {
    const update = this.getUpdate() as Doc | null;
    if (update && !Array.isArray(update) && mentions(update)) {
      throw new Error('Case.updateMany cannot change the reference, applicant or profile: write each case with findOneAndUpdate (its search words follow)');
    }
  });
}
