// Institutes, kept by administrators: each has a short code (unique) and a name in both languages.
import type { Context } from '../context.ts';
import { Institute, type InstituteDoc } from '../../models/institute.ts';
import { Call } from '../../models/call.ts';
import { NotFoundError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import type { FieldErrorKeys } from '../http/forms.ts';
import { withFields } from '../support/with-fields.ts';

export interface InstituteInput {
  code: string;
  nameVi: string;
  nameEn: string;
}

/** A form's save: done, or the fields to show again with their message keys. */
export type SaveResult = { ok: true; id: string } | { ok: false; errors: FieldErrorKeys };

export interface InstituteOption {
  id: string;
  code: string;
  name: { vi?: string; en?: string };
}

const isDuplicateKey = (err: unknown) => (err as { code?: number })?.code === 11000;
const CODE_TAKEN: SaveResult = { ok: false, errors: { code: 'admin.institutes.codeTaken' } };

/** Every institute, by code, for the select lists of other forms. */
export async function instituteOptions(): Promise<InstituteOption[]> {
  const rows = await Institute.find({}, { code: 1, name: 1 }).sort({ code: 1 }).lean();
  return rows.map((i) => ({ id: String(i._id), code: i.code, name: { vi: i.name?.vi, en: i.name?.en } }));
}

/** Every institute with the number of its calls. */
export async function listInstitutes(): Promise<Array<InstituteOption & { calls: number }>> {
  const [rows, callCounts] = await Promise.all([instituteOptions(), Call.aggregate<{ _id: unknown; n: number }>([{ $group: { _id: '$institute', n: { $sum: 1 } } }])]);
  const calls = new Map(callCounts.map((c) => [String(c._id), c.n]));
  return rows.map((r) => withFields(r, { calls: calls.get(r.id) ?? 0 }));
}

export async function findInstitute(opts: { instituteId: string }): Promise<InstituteDoc> {
  const institute = /^[a-f0-9]{24}$/.test(opts.instituteId) ? await Institute.findById(opts.instituteId) : null;
  if (!institute) throw new NotFoundError();
  return institute;
}

export async function createInstitute(opts: { ctx: Context } & InstituteInput): Promise<SaveResult> {
  try {
    const institute = await Institute.create({ code: opts.code, name: { vi: opts.nameVi, en: opts.nameEn } });
    await recordAudit(opts.ctx, { action: 'institute.create', targetType: 'institute', targetId: String(institute._id), summary: { code: institute.code } });
    return { ok: true, id: String(institute._id) };
  } catch (err) {
    if (isDuplicateKey(err)) return CODE_TAKEN;
    throw err;
  }
}

export async function updateInstitute(opts: { ctx: Context; institute: InstituteDoc } & InstituteInput): Promise<SaveResult> {
  const { institute } = opts;
  const id = String(institute._id);
  const before = { code: institute.code, name: { vi: institute.name?.vi, en: institute.name?.en } };
  try {
    const res = await Institute.updateOne({ _id: institute._id }, { $set: { code: opts.code, name: { vi: opts.nameVi, en: opts.nameEn } } });
    if (res.matchedCount === 0) throw new NotFoundError();
  } catch (err) {
    if (isDuplicateKey(err)) return CODE_TAKEN;
    throw err;
  }
  await recordAudit(opts.ctx, { action: 'institute.update', targetType: 'institute', targetId: id, summary: { before, after: { code: opts.code } } });
  return { ok: true, id };
}
