// "Export my data" (Law 91/2025/QH15 Art. 4(1)(c), (d): the data subject may access their data and
// ask for it to be provided; dblegal.vn quoting the article. Art. 25 is recruitment's own rules,
// server/privacy/index.ts). Everything the product
// holds about the signed-in person, as the person may see it: no password hash, second-factor
// secret or recovery hashes; for an applicant's cases no internal notes, staff-only fields
// (assignee, priority, score), panel evaluations or outbox internals, and history notes only
// where the applicant's own page shows them. Files are listed (metadata), not included. The case
// e-mails sent to the applicant are theirs (what was said to them): the copy the dispatcher kept as
// sent, never those about the same case to staff (a mention quotes an internal note), nor the
// outbox's keys, errors or other recipients.
import { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { CaseDocument } from '../../models/document.ts';
import { MailLog } from '../../models/mail-log.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import type { UserRecord } from '../../models/user.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { sameId } from '../policies/index.ts';
import { recordAudit } from '../audit/index.ts';
import { applicantDecisionReason, applicantSeesEvent, applicantSeesNote } from '../cases/applicant-view.ts';
import { OFFER_LETTER_TYPE } from '../../models/constants.ts';

export const EXPORT_FORMAT = 'talent-programme/personal-data-export';
export const EXPORT_VERSION = 1;


type Lean = Record<string, unknown>;

function stripIds<T>(rows: T[] | undefined | null): T[] {
  return (rows ?? []).map((r) => {
    const { _id, ...rest } = r as Lean;
    void _id;
    return rest as T;
  });
}

function accountPart(user: UserRecord) {
  const u = user as Lean & { totp?: { enabledAt?: Date } };
  return {
    id: String(user._id),
    email: user.email,
    name: user.name,
    role: user.role,
    locale: user.locale,
    institute: user.institute ? String(user.institute) : undefined,
    emailVerifiedAt: user.emailVerifiedAt ?? undefined,
    disabledAt: user.disabledAt ?? undefined,
    secondFactorEnabled: Boolean(u.totp?.enabledAt),
    consents: stripIds((u.consents as Lean[] | undefined) ?? []),
    lastSignInAt: user.lastSignInAt ?? undefined,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}

/**
 * The case e-mails sent (or tried) to the applicant, per case, oldest first: the text as the
 * dispatcher sent it (models/mail-log.ts sentText), or a note where the row predates that copy.
 * Only those to the applicant's own address (an e-mail address never changes: models/user.ts);
 * the HR office's fallback to an administrator is never to it.
 */
async function emailsToApplicant(ctx: Context, user: UserRecord, caseIds: Types.ObjectId[]) {
  const rows = await MailLog.find(
    { source: 'case', case: { $in: caseIds }, to: user.email.toLowerCase(), toAdmins: { $ne: true } },
    { case: 1, subject: 1, status: 1, queuedAt: 1, sentAt: 1, at: 1, sentText: 1, sentCut: 1 },
  )
    .sort({ at: 1, _id: 1 })
    .lean();
  const notKept = tOf(ctx)('privacy.export.mailNotKept');
  const byCase = new Map<string, unknown[]>();
  for (const r of rows) {
    const kept = typeof r.sentText === 'string';
    const email = {
      queuedAt: r.queuedAt ?? undefined,
      sentAt: r.sentAt ?? undefined,
      lastAttemptAt: r.at,
      status: r.status,
      subject: r.subject ?? undefined,
      ...(kept ? { text: r.sentText, ...(r.sentCut ? { cut: true } : {}) } : { note: notKept }),
    };
    const list = byCase.get(String(r.case)) ?? [];
    list.push(email);
    byCase.set(String(r.case), list);
  }
  return byCase;
}

async function applicantCases(ctx: Context, user: UserRecord) {
  const cases = await Case.find({ applicant: user._id }).sort({ createdAt: 1 }).lean();
  if (cases.length === 0) return [];
  const ids = cases.map((c) => c._id);
  const emails = await emailsToApplicant(ctx, user, ids);
  const calls = await Call.find({ _id: { $in: [...new Set(cases.map((c) => String(c.call)))].map((id) => new Types.ObjectId(id)) } }, { code: 1, title: 1 }).lean();
  const callById = new Map(calls.map((c) => [String(c._id), { id: String(c._id), code: c.code, title: c.title }]));
  const docs = await CaseDocument.find({ case: { $in: ids } }).sort({ type: 1, slot: 1, version: 1 }).lean();
  return cases.map((c) => {
    const own = (actor: unknown) => sameId(actor, user._id);
    // The offer's terms and letter are the applicant's once the offer is made, as on their page and
    // at the download (server/policies/document.ts): one HR prepared while the leader decides is not.
    const offerMade = (c.reached ?? []).includes('offer');
    const o = c.offerTerms;
    return {
      reference: c.reference,
      call: callById.get(String(c.call)) ?? { id: String(c.call) },
      track: c.track,
      stage: c.stage,
      stageEnteredAt: c.stageEnteredAt,
      createdAt: c.createdAt,
      submittedAt: c.submittedAt,
      arrivedAt: c.arrivedAt,
      keepDataConsent: c.keepDataConsent === true,
      profile: c.profile ?? {},
      eligibility: c.eligibility ?? [],
      achievements: c.achievements ?? {},
      dependants: stripIds(c.dependants),
      supportRequested: c.supportRequested ?? {},
      // The kind, status and deadline are shown to the applicant; the officer's working note is not.
      // What HR asked of them within a procedure and their reply are theirs too (server/procedures/asks.ts).
      supportTracks: (c.supportTracks ?? []).map((s) => ({
        kind: s.kind,
        status: s.status,
        dueAt: s.dueAt,
        updatedAt: s.updatedAt,
        ...(s.asks?.length ? { asks: s.asks.map((a) => ({ text: a.text, askedAt: a.askedAt, dueAt: a.dueAt, documentType: a.documentType, repliedAt: a.repliedAt, reply: a.reply, receivedAt: a.receivedAt, closedAt: a.closedAt })) } : {}),
      })),
      infoRequest: c.infoRequest?.requestedAt
        ? { items: c.infoRequest.items, requestedAt: c.infoRequest.requestedAt, dueAt: c.infoRequest.dueAt, answer: c.infoRequest.answer, answeredAt: c.infoRequest.answeredAt }
        : undefined,
      // What the applicant's own page tells (server/cases/applicant-view.ts): a leader's reason after
      // the panel, staff bookkeeping and procedure steps kept from the applicant stay out.
      decision: c.stage === 'rejected' && c.decision ? { reason: applicantDecisionReason(c), decidedAt: c.decision.decidedAt } : undefined,
      history: (c.history ?? [])
        .filter((h) => applicantSeesEvent(h))
        .map((h) => ({
          at: h.at,
          action: h.action,
          from: h.from ?? undefined,
          to: h.to ?? undefined,
          procedure: h.procedure?.kind ? { kind: h.procedure.kind, from: h.procedure.from ?? undefined, to: h.procedure.to ?? undefined } : undefined,
          extension: h.extension?.to ? { from: h.extension.from ?? undefined, to: h.extension.to } : undefined,
          // HR's decision on a version of their document (its reason is the note: what they were told).
          document: h.document?.decision ? { type: h.document.type, version: h.document.version, decision: h.document.decision, changedFrom: h.document.changedFrom ?? undefined } : undefined,
          by: own(h.actor) ? 'you' : h.actor ? 'staff' : 'system',
          note: h.note && applicantSeesNote(h, user._id) ? h.note : (h.told ?? undefined),
          // An answer to the offer HR recorded from their e-mail or letter: how and the day it came (HR's note of it stays internal).
          received: h.received?.via && h.received.on ? { via: h.received.via, on: h.received.on } : undefined,
        })),
      offerTerms: offerMade && o && (o.position || o.letter) ? { position: o.position, start: o.start, startOn: o.startOn, salary: o.salary, contractLength: o.contractLength, updatedAt: o.updatedAt } : undefined,
      messages: (c.messages ?? []).map((m) => ({ at: m.at, from: m.fromApplicant ? 'you' : 'staff', text: m.text })),
      emails: emails.get(String(c._id)) ?? [],
      documents: docs
        .filter((d) => String(d.case) === String(c._id) && (offerMade || d.type !== OFFER_LETTER_TYPE))
        .map((d) => ({
          type: d.type,
          slot: d.slot,
          version: d.version,
          current: d.current,
          status: d.status,
          reason: d.reason,
          originalName: d.originalName,
          mimeType: d.mimeType,
          size: d.size,
          sha256: d.sha256,
          uploadedAt: d.createdAt,
          reviewedAt: d.reviewedAt,
          issuedAt: d.issuedAt,
          expiresAt: d.expiresAt,
        })),
    };
  });
}

/** A panel member's own scorecards: their personal contribution, never anyone else's. */
async function ownEvaluations(user: UserRecord) {
  const evals = await Evaluation.find({ member: user._id }).sort({ submittedAt: 1 }).lean();
  if (evals.length === 0) return [];
  const refs = new Map((await Case.find({ _id: { $in: evals.map((e) => e.case) } }, { reference: 1 }).lean()).map((c) => [String(c._id), c.reference]));
  return evals.map((e) => ({
    case: refs.get(String(e.case)),
    call: String(e.call),
    scores: e.scores instanceof Map ? Object.fromEntries(e.scores) : (e.scores ?? {}),
    recommendation: e.recommendation,
    comment: e.comment,
    submittedAt: e.submittedAt,
  }));
}

/**
 * The conflicts of interest the member declared (models/panel-conflict.ts): what they wrote about
 * themselves, and why they no longer score the case. Never anyone else's; the applicant's export
 * has none (the reason is the panel's and the leaders' only).
 */
async function ownPanelConflicts(user: UserRecord) {
  const rows = await PanelConflict.find({ member: user._id }, { case: 1, call: 1, reason: 1, declaredAt: 1 }).sort({ declaredAt: 1, _id: 1 }).lean();
  if (rows.length === 0) return [];
  const refs = new Map((await Case.find({ _id: { $in: rows.map((r) => r.case) } }, { reference: 1 }).lean()).map((c) => [String(c._id), c.reference]));
  return rows.map((r) => ({ case: refs.get(String(r.case)), call: String(r.call), reason: r.reason, declaredAt: r.declaredAt }));
}

/** Everything held about the actor, as a JSON document to download, and the file name to give it. */
export async function exportMyData(opts: { ctx: Context }): Promise<{ filename: string; json: string }> {
  const { ctx } = opts;
  const user = actorOf(ctx);
  const data = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: ctx.now,
    account: accountPart(user),
    ...(user.role === 'applicant' ? { cases: await applicantCases(ctx, user) } : { evaluations: await ownEvaluations(user), panelConflicts: await ownPanelConflicts(user) }),
  };
  await recordAudit(ctx, { action: 'privacy.exported', targetType: 'user', targetId: String(user._id) });
  return { filename: `my-data-${ctx.now.toISOString().slice(0, 10)}.json`, json: JSON.stringify(data, null, 2) };
}
