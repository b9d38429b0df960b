// View models shared by the case page (staff) and the application page (applicant): timeline,
// conflict description, support tracks and e-mail log. Names are looked up in one query per page.
import type { TFunction } from 'i18next';
import type { UserDoc } from '../../models/user.ts';
import { checklistForCase } from '../documents/presenter.ts';
import type { CaseAccessFacts } from '../policies/case.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { sameId } from '../policies/index.ts';
import { isSupportOverdue } from './support.ts';

interface HistoryLike {
  _id?: unknown;
  at: Date;
  actor?: unknown;
  actorRole?: string | null;
  action: string;
  from?: string | null;
  to?: string | null;
  note?: string | null;
}

/** Events that are bookkeeping only, not a change of the case's state. */
const QUIET = new Set(['assign', 'unassign']);

export function actionLabel(t: TFunction, action: string): string {
  return t(`cases.events.${action}`, { defaultValue: action });
}

export function stageLabel(t: TFunction, stage: string | null | undefined): string {
  return stage ? t(`cases.stages.${stage}`, { defaultValue: stage }) : '';
}

export interface TimelineEntry {
  at: Date;
  label: string;
  who: string;
  from?: string;
  to?: string;
  note?: string;
}

/**
 * The case's history, newest first. The applicant sees stage changes only, without staff notes or
 * staff names (their own steps are shown as theirs); staff see every event.
 */
export function timeline(
  history: HistoryLike[],
  names: Map<string, { name: string; role: string }>,
  t: TFunction,
  view: { applicantId: unknown; forApplicant: boolean },
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const h of history) {
    if (view.forApplicant && (!h.to || QUIET.has(h.action))) continue;
    const own = sameId(h.actor, view.applicantId);
    const who = view.forApplicant
      ? own
        ? t('cases.people.you')
        : t(`cases.people.role_${h.actorRole ?? 'staff'}`, { defaultValue: t('cases.people.role_staff') })
      : (names.get(String(h.actor))?.name ?? t('cases.people.system'));
    // A leader's decision reason after the panel is internal; HR's screening rejection reason is told (as in the e-mail).
    const showNote = !view.forApplicant || own || h.action === 'request_info' || (h.action === 'reject' && h.from === 'screening');
    out.push({
      at: h.at,
      label: actionLabel(t, h.action),
      who,
      from: h.from ? stageLabel(t, h.from) : undefined,
      to: h.to ? stageLabel(t, h.to) : undefined,
      note: showNote && h.note ? h.note : undefined,
    });
  }
  return out.reverse();
}

export interface ConflictView {
  reference: string;
  stage: string;
  who?: string;
  action?: string;
  when?: Date;
}

/** What happened to the case since the form was loaded: the latest change, by whom and when. */
export async function describeConflict(caseId: unknown, viewer: { _id: unknown }, t: TFunction): Promise<ConflictView | undefined> {
  const c = await Case.findById(caseId, { reference: 1, stage: 1, history: 1 }).lean();
  if (!c) return undefined;
  const last = [...(c.history ?? [])].reverse().find((h) => !QUIET.has(h.action));
  let who: string | undefined;
  if (last?.actor) {
    who = sameId(last.actor, viewer._id) ? t('cases.people.youEarlier') : ((await User.findById(last.actor, { name: 1 }).lean())?.name ?? t('cases.people.someone'));
  }
  return {
    reference: c.reference,
    stage: stageLabel(t, c.stage),
    who,
    action: last ? actionLabel(t, last.action) : undefined,
    when: last?.at,
  };
}

export interface SupportTrackView {
  kind: string;
  label: string;
  status: string;
  statusLabel: string;
  dueAt?: Date | null;
  overdue: boolean;
  note?: string | null;
  updatedAt?: Date | null;
}

export function supportTracksView(tracks: Array<{ kind: string; status: string; dueAt?: Date | null; note?: string | null; updatedAt?: Date | null }>, t: TFunction, now: Date): SupportTrackView[] {
  return tracks.map((s) => ({
    kind: s.kind,
    label: t(`cases.supportKinds.${s.kind}`),
    status: s.status,
    statusLabel: t(`cases.supportStatuses.${s.status}`),
    dueAt: s.dueAt,
    overdue: isSupportOverdue(s, now),
    note: s.note,
    updatedAt: s.updatedAt,
  }));
}

export interface EmailView {
  template: string;
  label: string;
  to: string;
  status: string;
  statusLabel: string;
  attempts: number;
  createdAt: Date;
  sentAt?: Date | null;
  lastError?: string | null;
}

/** Every e-mail written on the case (the outbox keeps sent and dead items with their status). */
export function emailsView(outbox: Array<Record<string, unknown>>, t: TFunction): EmailView[] {
  return outbox
    .map((o) => {
      const status = String(o.status ?? 'pending');
      const template = String(o.template);
      return {
        template,
        label: t(`cases.emailTemplates.${template}`, { defaultValue: template }),
        to: String(o.to),
        status,
        statusLabel: t(`cases.emailStatuses.${status}`, { defaultValue: status }),
        attempts: Number(o.attempts ?? 0),
        createdAt: o.createdAt as Date,
        sentAt: (o.sentAt as Date | undefined) ?? null,
        lastError: (o.lastError as string | undefined) ?? null,
      };
    })
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

export interface MessageView {
  at: Date;
  who: string;
  fromApplicant: boolean;
  text: string;
}

export function messagesView(messages: Array<{ at: Date; author: unknown; fromApplicant: boolean; text: string }>, names: Map<string, { name: string; role: string }>, t: TFunction, forApplicant: boolean): MessageView[] {
  return messages.map((m) => ({
    at: m.at,
    fromApplicant: m.fromApplicant,
    text: m.text,
    who: m.fromApplicant
      ? forApplicant
        ? t('cases.people.you')
        : (names.get(String(m.author))?.name ?? t('cases.people.applicant'))
      : forApplicant
        ? t('cases.people.hr')
        : (names.get(String(m.author))?.name ?? t('cases.people.hr')),
  }));
}

/** The documents checklist view (documents feature), rendered by its partial on both case pages. */
export async function documentsChecklist(caseDoc: unknown, call: unknown, viewer: UserDoc, facts: CaseAccessFacts = {}): Promise<unknown> {
  if (!call) return undefined;
  return checklistForCase(caseDoc as never, call as never, viewer, { facts });
}
