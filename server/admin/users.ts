// The administrators' list of accounts: filtered by role, institute and a search over e-mail and
// name, newest first, a page at a time.
import { User } from '../../models/user.ts';

export const USERS_PAGE_SIZE = 50;

export interface UserFilter {
  role?: string;
  institute?: string;
  q?: string;
  page?: number;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function listUsers(opts: UserFilter) {
  const filter: Record<string, unknown> = {};
  if (opts.role) filter.role = opts.role;
  if (opts.institute) filter.institute = opts.institute;
  if (opts.q) filter.$or = [{ email: { $regex: escapeRegex(opts.q.toLowerCase()) } }, { name: { $regex: escapeRegex(opts.q), $options: 'i' } }];
  const page = opts.page ?? 1;
  const [users, total] = await Promise.all([
    User.find(filter).sort({ createdAt: -1 }).skip((page - 1) * USERS_PAGE_SIZE).limit(USERS_PAGE_SIZE).lean(),
    User.countDocuments(filter),
  ]);
  return { users, total, page, pages: Math.max(1, Math.ceil(total / USERS_PAGE_SIZE)) };
}
