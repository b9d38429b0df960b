// Calls for applications as administrators keep them: the list with each call's institute and
// number of cases, and saving the call form (server/admin/call-form.ts) as a new or an edited call.
import type { Context } from '../context.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { Case } from '../../models/case.ts';
import { Institute } from '../../models/institute.ts';
import { NotFoundError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { CALL_CODE, validateCall, type CallFormValues } from './call-form.ts';
import { panelSizes } from '../evaluations/panel.ts';
import { bothLanguages } from '../support/localized.ts';
import type { SaveResult } from './institutes.ts';
import { withFields } from '../support/with-fields.ts';

export async function listCalls() {
  const [calls, institutes, counts] = await Promise.all([
    Call.find().sort({ status: 1, closesAt: -1 }).lean(),
    Institute.find({}, { code: 1 }).lean(),
    Case.aggregate<{ _id: unknown; n: number }>([{ $group: { _id: '$call', n: { $sum: 1 } } }]),
  ]);
  const code = new Map(institutes.map((i) => [String(i._id), i.code]));
  const cases = new Map(counts.map((c) => [String(c._id), c.n]));
  const panels = await panelSizes(calls);
  return calls.map((c) => {
    const panelSize = panels.get(String(c._id)) ?? 0;
    const minScorecards = c.minScorecards ?? 1;
    return withFields(c, { id: String(c._id), instituteCode: code.get(String(c.institute)) ?? '', cases: cases.get(String(c._id)) ?? 0, panelSize, minScorecards, panelShort: panelSize < minScorecards });
  });
}

/** The panel of one call against the complete scorecards it asks for (the form warns when short). */
export async function callPanel(call: CallDoc): Promise<{ size: number; min: number }> {
  const sizes = await panelSizes([{ _id: call._id, institute: call.institute }]);
  return { size: sizes.get(String(call._id)) ?? 0, min: call.minScorecards ?? 1 };
}

/** The research fields calls already use, per language, for the form to offer (near-duplicates split the public filter). */
export async function fieldOptions(): Promise<{ vi: string[]; en: string[] }> {
  const calls = await Call.find({}, { field: 1 }).lean();
  const vi = new Set<string>();
  const en = new Set<string>();
  for (const c of calls) {
    const f = bothLanguages(c.field as unknown);
    if (f.vi) vi.add(f.vi);
    if (f.en) en.add(f.en);
  }
  return { vi: [...vi].sort((a, b) => a.localeCompare(b, 'vi')), en: [...en].sort((a, b) => a.localeCompare(b, 'en')) };
}

export interface CallCodeProblems {
  /** Codes held by several calls (stored before codes were unique). */
  duplicates: Array<{ code: string; calls: Array<{ id: string; title: { vi?: string; en?: string } }> }>;
  /** Calls whose code does not follow CALL_CODE (stored before the rule); saving their form asks for a new one. */
  malformed: Array<{ id: string; code: string }>;
}

/**
 * Codes the rules refuse, in calls stored before them. While duplicates remain the unique index
 * cannot be built (start-up logs it and goes on, server/db/index.ts); the save that renames the last
 * one builds it (saveCall), so the administrator's renaming is enough, with no restart.
 */
export async function callCodeProblems(): Promise<CallCodeProblems> {
  // One read of the coded calls (an institute has tens to hundreds), grouped here.
  const coded = await Call.find({ code: { $gt: '' } }, { code: 1, title: 1 }).sort({ code: 1, _id: 1 }).lean();
  const byCode = new Map<string, typeof coded>();
  for (const c of coded) byCode.set(c.code!, [...(byCode.get(c.code!) ?? []), c]);
  const duplicates = [...byCode].filter(([, calls]) => calls.length > 1).map(([code, calls]) => ({ code, calls: calls.map((c) => ({ id: String(c._id), title: c.title ?? {} })) }));
  const malformed = coded.filter((c) => !CALL_CODE.test(c.code ?? '')).map((c) => ({ id: String(c._id), code: c.code ?? '' }));
  return { duplicates, malformed };
}

/**
 * The unique code index, built by the save that renames the last duplicate (start-up skips it while
 * duplicates stored before it remain): a no-op once it exists; while duplicates remain it fails and
 * a later save tries again.
 */
async function buildCodeIndexIfMissing(): Promise<void> {
  if (await Call.collection.indexExists('code_unique').catch(() => true)) return;
  await Call.createIndexes().catch(() => undefined);
}

/** The field message for a code already taken (found first, or by the unique index in a race). */
const CODE_TAKEN: SaveResult = { ok: false, errors: { code: 'admin.calls.errors.codeTaken' } };
const isDuplicateCode = (err: unknown) => (err as { code?: number })?.code === 11000;

/**
 * Validates the form's values and stores them: a new call, or `call` changed. On errors, the
 * values' rows carry their own message keys too (the form shows each beside its row).
 */
export async function saveCall(opts: { ctx: Context; call?: CallDoc; values: CallFormValues }): Promise<SaveResult> {
  const { ctx, call } = opts;
  const instituteIds = (await Institute.find({}, { _id: 1 }).lean()).map((i) => String(i._id));
  const { data, errors } = validateCall(opts.values, instituteIds);
  if (!data) return { ok: false, errors };
  // Asked first for the usual case; the unique index answers a race (and a database without the index yet).
  if (data.code && (await Call.exists({ code: data.code, ...(call ? { _id: { $ne: call._id } } : {}) }))) return CODE_TAKEN;
  if (call) {
    const id = String(call._id);
    let res;
    try {
      res = await Call.updateOne({ _id: call._id }, { $set: data, ...(data.code ? {} : { $unset: { code: '' } }) }, { runValidators: true });
    } catch (err) {
      if (isDuplicateCode(err)) return CODE_TAKEN;
      throw err;
    }
    if (res.matchedCount === 0) throw new NotFoundError();
    await buildCodeIndexIfMissing();
    await recordAudit(ctx, { action: 'call.update', targetType: 'call', targetId: id, summary: { status: data.status, checklist: data.checklist.length, scorecard: data.scorecard.length } });
    return { ok: true, id };
  }
  let created;
  try {
    created = await Call.create(data);
  } catch (err) {
    if (isDuplicateCode(err)) return CODE_TAKEN;
    throw err;
  }
  const id = String(created._id);
  await recordAudit(ctx, { action: 'call.create', targetType: 'call', targetId: id, summary: { status: data.status, institute: data.institute } });
  return { ok: true, id };
}
