// Names of the people on a case page (history, notes, messages, assignee), in one query.
import { Types } from 'mongoose';
import { User } from '../../models/user.ts';

export type PeopleNames = Map<string, { name: string; role: string }>;

export async function peopleNames(ids: unknown[]): Promise<PeopleNames> {
  const unique = [...new Set(ids.filter(Boolean).map(String))].filter((id) => Types.ObjectId.isValid(id));
  if (unique.length === 0) return new Map();
  const users = await User.find({ _id: { $in: unique } }, { name: 1, role: 1 }).lean();
  return new Map(users.map((u) => [String(u._id), { name: u.name, role: u.role }]));
}
