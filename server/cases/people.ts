// Names of the people on a case page (history, notes, messages, assignee) and its applicant, in one
// query; and the HR officers a case may be given to.
import { Types } from 'mongoose';
import { User, onUserWrite } from '../../models/user.ts';
import { KeptReads } from '../support/kept-reads.ts';
import { isId } from '../support/object-id.js';

export type PeopleNames = Map<string, { name: string; role: string }>;

const validIds = (ids: unknown[]) => [...new Set(ids.filter(Boolean).map(String))].filter(isId);

export async function peopleNames(ids: unknown[]): Promise<PeopleNames> {
  const unique = validIds(ids);
  if (unique.length === 0) return new Map();
  const users = await User.find({ _id: { $in: unique } }, { name: 1, role: 1 }).lean();
  return new Map(users.map((u) => [String(u._id), { name: u.name, role: u.role }]));
}

export interface CaseApplicant {
  _id: Types.ObjectId;
  name: string;
  email: string;
  locale?: string | null;
}

/** The names of the people on a case and its applicant (name, e-mail, language), in one query. */
export async function caseNamesAndApplicant(ids: unknown[], applicantId: unknown): Promise<{ names: PeopleNames; applicant: CaseApplicant | null }> {
  const unique = validIds([...ids, applicantId]);
  // Through the driver (server/support/lean-read.ts): every case page reads it; the ids cast as Mongoose casts them.
  const users = unique.length ? await User.collection.find<{ _id: Types.ObjectId; name: string; role: string; email: string; locale?: string | null }>({ _id: { $in: unique.map((id) => new Types.ObjectId(id)) } }, { projection: { name: 1, role: 1, email: 1, locale: 1 } }).toArray() : [];
  const names: PeopleNames = new Map();
  let applicant: CaseApplicant | null = null;
  for (const u of users) {
    names.set(String(u._id), { name: u.name, role: u.role });
    if (String(u._id) === String(applicantId)) applicant = { _id: u._id, name: u.name, email: u.email, locale: u.locale };
  }
  return { names, applicant };
}

export interface Officer {
  _id: Types.ObjectId;
  name: string;
}

/**
 * Kept 5 s per institute and forgotten on any write through the User model here: the list is read
 * by every queue page and every case page an officer may work on (one database round trip each).
 * A case is only ever given to an officer the assignment re-reads (server/cases/commands.ts).
 */
const keptOfficers = new KeptReads<readonly Officer[]>(5_000, { forgetOn: onUserWrite });

/** The HR officers (not disabled) of an institute, or of every institute for `'all'`, by name; at most 500. Shared: do not change. */
export function hrOfficers(institute: unknown): Promise<readonly Officer[]> {
  const key = institute === 'all' ? 'all' : String(institute ?? null);
  return keptOfficers.get(key, () =>
    User.find({ role: 'hr_officer', ...(institute === 'all' ? {} : { institute: institute ?? null }), disabledAt: null }, { name: 1 })
      .sort({ name: 1 })
      .limit(500)
      .lean<Officer[]>(),
  );
}
