// Calls for applications as administrators keep them: the list with each call's institute and
// number of cases, and saving the call form (server/admin/call-form.ts) as a new or an edited call.
import type { Context } from '../context.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { OPEN_STAGES, type DocumentType } from '../../models/constants.ts';
import type { Types } from 'mongoose';
import { Institute } from '../../models/institute.ts';
import { NotFoundError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { CALL_CODE, validateCall, type CallFormValues } from './call-form.ts';
import { panelSizes } from '../evaluations/panel.ts';
import { bothLanguages } from '../support/localized.ts';
import { vnDateKey } from '../calendar/index.ts';
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

/** A checklist row the save made required, and how many of the call's open cases have no current file of it. */
export interface RequiredRowLacking {
  type: string;
  phase: string;
  cases: number;
}

export type CallSaveResult = SaveResult | { ok: true; id: string; lacking: RequiredRowLacking[] };

type ChecklistRow = { type: string; phase?: string | null; required?: boolean | null };
const rowKey = (r: ChecklistRow) => `${r.type}|${r.phase ?? 'application'}`;

/**
 * The rows required after the save that were not before (new, or optional until now), each with the
 * number of the call's open cases (any stage not ended: a draft included, its submit now refused)
 * with no current file of that type. Nobody is e-mailed of the change: the administrator is told.
 */
async function newlyRequiredLacking(callId: Types.ObjectId, before: readonly ChecklistRow[], after: readonly ChecklistRow[]): Promise<RequiredRowLacking[]> {
  const wasRequired = new Set(before.filter((r) => r.required !== false).map(rowKey));
  const added = after.filter((r) => r.required !== false && !wasRequired.has(rowKey(r)));
  if (!added.length) return [];
  const open = (await Case.find({ call: callId, stage: { $in: OPEN_STAGES } }, { _id: 1 }).lean()).map((c) => c._id);
  if (!open.length) return [];
  const out: RequiredRowLacking[] = [];
  for (const r of added) {
    const having = await CaseDocument.distinct('case', { case: { $in: open }, type: r.type as DocumentType, current: true });
    const cases = open.length - having.length;
    if (cases > 0) out.push({ type: r.type, phase: r.phase ?? 'application', cases });
  }
  return out;
}

/**
 * Validates the form's values and stores them: a new call, or `call` changed. On errors, the
 * values' rows carry their own message keys too (the form shows each beside its row). A change that
 * makes a checklist row required answers with the open cases that lack it (newlyRequiredLacking).
 */
export async function saveCall(opts: { ctx: Context; call?: CallDoc; values: CallFormValues }): Promise<CallSaveResult> {
  const { ctx, call } = opts;
  const instituteIds = (await Institute.find({}, { _id: 1 }).lean()).map((i) => String(i._id));
  const { data, errors } = validateCall(opts.values, instituteIds, { today: vnDateKey(ctx.now), ...(call ? { storedClosesAt: vnDateKey(call.closesAt) } : {}) });
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
    const lacking = await newlyRequiredLacking(call._id, call.checklist ?? [], data.checklist);
    await recordAudit(ctx, { action: 'call.update', targetType: 'call', targetId: id, summary: { status: data.status, checklist: data.checklist.length, scorecard: data.scorecard.length, ...(lacking.length ? { requiredAddedLacking: lacking } : {}) } });
    return lacking.length ? { ok: true, id, lacking } : { ok: true, id };
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
