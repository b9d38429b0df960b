// Lists paged newest first by a cursor, never by skipping rows: the cursor is the time and id of
// the last row shown (`<ms>_<id>`), the next page the rows older than it. The query's index must end
// in (at, _id) for a page to stay one index walk (the audit log and the mail log).
import mongoose from 'mongoose';

/** A cursor as a page's link carries it; anything else is no cursor (the first page). */
export const PAGE_CURSOR = /^(\d{1,15})_([0-9a-f]{24})$/;

/** The sort every such page reads by. */
export const NEWEST_FIRST = { at: -1, _id: -1 } as const;

function parseCursor(before: string | undefined): { at: Date; id: mongoose.Types.ObjectId } | undefined {
  const m = PAGE_CURSOR.exec(before ?? '');
  return m ? { at: new Date(Number(m[1])), id: new mongoose.Types.ObjectId(m[2]) } : undefined;
}

/**
 * One page: `read` gets the condition "older than the cursor" (none on the first page) to add to
 * its own filters, and the number of rows to read (one more than a page, to know there is a next).
 * `next` is the cursor of the page after, `first` whether this is the first page.
 */
export async function cursorPage<Row extends { at: Date; _id: unknown }>(opts: {
  before?: string;
  size: number;
  read: (olderThan: Record<string, unknown> | undefined, limit: number) => Promise<Row[]>;
}): Promise<{ rows: Row[]; next: string | undefined; first: boolean }> {
  const cursor = parseCursor(opts.before);
  const olderThan = cursor ? { $or: [{ at: { $lt: cursor.at } }, { at: cursor.at, _id: { $lt: cursor.id } }] } : undefined;
  const found = await opts.read(olderThan, opts.size + 1);
  const rows = found.slice(0, opts.size);
  const last = rows[rows.length - 1];
  const next = found.length > opts.size && last ? `${last.at.getTime()}_${String(last._id)}` : undefined;
  return { rows, next, first: !cursor };
}
