// Support tracks (work permit, visa, residence card, housing, citizenship) run in parallel during
// offer and onboarding. HR moves each track's status; the deadline restarts in working days on the
// holiday calendar when a step starts a legal clock (a request, or a complete file lodged).
import type { Request } from 'express';
import { z } from 'zod';
import { Case, type CaseDoc } from '../../models/case.ts';
import { SUPPORT_KINDS, SUPPORT_STATUSES, type SupportKind, type SupportStatus } from '../../models/constants.ts';
import type { UserDoc } from '../../models/user.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { workingDayDeadline } from '../calendar/index.ts';
import { SUPPORT_TRACK_DEADLINES } from '../workflow/index.ts';
import { translator, type Locale } from '../i18n/index.ts';

/** Statuses in which a track is still running (and can be overdue). */
export const ACTIVE_SUPPORT: readonly SupportStatus[] = ['requested', 'preparing', 'filed'];

/** Working days a status gives the institute; 'preparing' keeps the clock started by the request. */
export const SUPPORT_STATUS_DEADLINES: Partial<Record<SupportStatus, Record<SupportKind, number>>> = {
  requested: SUPPORT_TRACK_DEADLINES,
  // A complete file lodged: the authority's decision deadline (Decree 219/2025 for work permits:
  // 10 working days; residence card: 5).
  filed: SUPPORT_TRACK_DEADLINES,
};

interface TrackLike {
  kind: string;
  status: string;
  dueAt?: Date | null;
}

export function isSupportOverdue(t: TrackLike, now: Date): boolean {
  return ACTIVE_SUPPORT.includes(t.status as SupportStatus) && !!t.dueAt && t.dueAt.getTime() < now.getTime();
}

/** The kinds of the tracks that are past their deadline. */
export function supportOverdue(tracks: TrackLike[], now: Date): string[] {
  return tracks.filter((t) => isSupportOverdue(t, now)).map((t) => t.kind);
}

/** Stages in which support tracks are worked. */
export const SUPPORT_STAGES = ['offer', 'onboarding', 'arrived', 'on_hold'] as const;

export const supportUpdateSchema = z.object({
  status: z.enum(SUPPORT_STATUSES),
  note: z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), z.string().max(2000).optional()),
  version: z.coerce.number().int().min(0),
});

export function isSupportKind(v: unknown): v is SupportKind {
  return typeof v === 'string' && (SUPPORT_KINDS as readonly string[]).includes(v);
}

/**
 * Sets one track's status, matching the version the officer saw (a stale form changes nothing),
 * and appends a history event so the timeline and the conflict page can say what happened.
 */
export async function updateSupportTrack(
  req: Request,
  actor: UserDoc,
  caseDoc: CaseDoc,
  kind: SupportKind,
  input: { status: SupportStatus; note?: string; version: number },
  now: Date,
  locale: Locale,
): Promise<CaseDoc> {
  if (!(SUPPORT_STAGES as readonly string[]).includes(caseDoc.stage)) {
    throw new ValidationError({ status: translator(locale)('cases.support.notNow') });
  }
  const existing = (caseDoc.supportTracks ?? []).find((t) => t.kind === kind);
  const days = SUPPORT_STATUS_DEADLINES[input.status]?.[kind];
  let dueAt: Date | undefined;
  if (days !== undefined && existing?.status !== input.status) dueAt = await workingDayDeadline(now, days);
  else if (ACTIVE_SUPPORT.includes(input.status)) dueAt = existing?.dueAt ?? undefined;

  const track = { kind, status: input.status, updatedAt: now, ...(dueAt ? { dueAt } : {}), ...(input.note ? { note: input.note } : {}) };
  const history = { at: now, actor: actor._id, actorRole: actor.role, action: 'support_update', note: `${kind}: ${existing?.status ?? 'not_needed'} → ${input.status}${input.note ? ` (${input.note})` : ''}`.slice(0, 5000) };
  // The whole list is rewritten (no positional update): the version match already guarantees it
  // is the list the officer saw, and it behaves the same on every MongoDB-compatible server.
  const tracks = (caseDoc.supportTracks ?? []).map((t) => (t.kind === kind ? track : (t as { toObject?: () => unknown }).toObject?.() ?? t));
  if (!existing) tracks.push(track);
  const updated = await Case.findOneAndUpdate(
    { _id: caseDoc._id, version: input.version, stage: { $in: SUPPORT_STAGES } },
    { $set: { supportTracks: tracks }, $inc: { version: 1 }, $push: { history } },
    { returnDocument: 'after' },
  );
  if (!updated) throw new ConflictError('cases.conflict.generic');
  await recordAudit(req, {
    action: 'case.support_update',
    targetType: 'case',
    targetId: String(caseDoc._id),
    summary: { kind, from: existing?.status ?? 'not_needed', to: input.status, version: updated.version },
  });
  return updated;
}
