// Saved queue filters (models/saved-filter.ts): an officer names the queue's current filter, sees
// their filters above the queue, applies one by following its link, and deletes it. Each write is
// audited. The stored query is rebuilt from the parsed filter (server/cases/queue.ts), so whatever
// was posted, only the queue's own parameters in their canonical form are kept.
import { Types } from 'mongoose';
import { z } from 'zod';
import { MAX_FILTER_NAME, MAX_SAVED_FILTERS, SavedFilter, onSavedFilterWrite } from '../../models/saved-filter.ts';
import { KeptReads } from '../support/kept-reads.ts';
import { normalizeSearch } from '../../models/case-search.ts';
import { actorOf, type Context } from '../context.ts';
import { authorize } from '../policies/index.ts';
import { recordAudit } from '../audit/index.ts';
import { NotFoundError } from '../errors.ts';
import { parseForm, type FieldErrorKeys } from '../http/forms.ts';
import { parseQueueQuery, queueHref } from './queue.ts';
import { isId } from '../support/object-id.js';

export interface SavedFilterView {
  id: string;
  name: string;
  href: string;
}

/** The form: a name (1–60 characters, no control characters) and the queue's query string. */
export const savedFilterBody = z.object({
  name: z
    .string('queue.savedFilters.errors.name')
    .trim()
    .min(1, 'queue.savedFilters.errors.name')
    .max(MAX_FILTER_NAME, 'queue.savedFilters.errors.nameLength')
    .refine((s) => !/[\p{Cc}\p{Cf}]/u.test(s), 'queue.savedFilters.errors.name'),
  query: z.string().max(2000).default(''),
});

/** The queue's canonical href for a posted query string (unknown parameters and the page dropped). */
export function canonicalQuery(query: string): string {
  const raw = query.startsWith('/cases?') ? query.slice('/cases?'.length) : query.startsWith('?') ? query.slice(1) : '';
  const params = Object.fromEntries(new URLSearchParams(raw).entries());
  return queueHref(parseQueueQuery(params), { page: undefined });
}

/**
 * Each officer's list, kept a minute and forgotten on any write through SavedFilter (in this
 * process or, announced, another web process): read by every queue page, it changes only when its
 * owner saves or deletes a filter. One database round trip of the queue's six.
 */
const keptLists = new KeptReads<readonly SavedFilterView[]>(60_000, { maxKeys: 5_000, forgetOn: onSavedFilterWrite });

/** The officer's saved filters by name. Shared between requests: do not change. */
export function listSavedFilters(opts: { ctx: Context }): Promise<readonly SavedFilterView[]> {
  const user = actorOf(opts.ctx);
  return keptLists.get(String(user._id), async () => {
    const list = await SavedFilter.find({ user: user._id }, { name: 1, query: 1 }).sort({ name: 1, _id: 1 }).limit(MAX_SAVED_FILTERS * 2).lean();
    return list.map((f) => ({ id: String(f._id), name: f.name, href: f.query }));
  });
}

export type SaveFilterResult = { ok: true; id: string; href: string } | { ok: false; errors: FieldErrorKeys };

export async function saveFilter(opts: { ctx: Context; body: unknown }): Promise<SaveFilterResult> {
  const { ctx } = opts;
  const user = actorOf(ctx);
  authorize(user, 'savedFilter.create');
  const form = parseForm(savedFilterBody, opts.body, 'queue.savedFilters.errors.name');
  if (!form.ok) return form;
  const name = form.data.name;
  const query = canonicalQuery(form.data.query);
  if ((await SavedFilter.countDocuments({ user: user._id })) >= MAX_SAVED_FILTERS) return { ok: false, errors: { name: 'queue.savedFilters.errors.tooMany' } };
  let id: Types.ObjectId;
  try {
    ({ _id: id } = await SavedFilter.create({ user: user._id, name, nameKey: normalizeSearch(name), query }));
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return { ok: false, errors: { name: 'queue.savedFilters.errors.duplicate' } };
    throw err;
  }
  // Two saves at once may both have passed the count: the one beyond the limit is taken back.
  const mine = await SavedFilter.find({ user: user._id }, { _id: 1 }).sort({ _id: 1 }).lean();
  if (mine.length > MAX_SAVED_FILTERS && mine.slice(MAX_SAVED_FILTERS).some((f) => String(f._id) === String(id))) {
    await SavedFilter.deleteOne({ _id: id });
    return { ok: false, errors: { name: 'queue.savedFilters.errors.tooMany' } };
  }
  await recordAudit(ctx, { action: 'queue.filter_saved', targetType: 'SavedFilter', targetId: String(id), summary: { name, query } });
  return { ok: true, id: String(id), href: query };
}

export async function deleteSavedFilter(opts: { ctx: Context; id: string }): Promise<void> {
  const user = actorOf(opts.ctx);
  if (!isId(opts.id)) throw new NotFoundError();
  const f = await SavedFilter.findById(opts.id, { user: 1, name: 1 }).lean();
  if (!f) throw new NotFoundError();
  authorize(user, 'savedFilter.delete', { user: f.user });
  const del = await SavedFilter.deleteOne({ _id: f._id, user: user._id });
  if (del.deletedCount !== 1) throw new NotFoundError();
  await recordAudit(opts.ctx, { action: 'queue.filter_deleted', targetType: 'SavedFilter', targetId: String(f._id), summary: { name: f.name } });
}
