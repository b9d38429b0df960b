// Two records of what happened: AuditEvent documents (every state change, never updated) and
// security log lines (sign-in, lockout, refused access, CSRF) with time, user, IP and request id.
import { Types } from 'mongoose';
import type { Logger } from '../logger.ts';
import type { Context } from '../context.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { redactPath } from '../http/redact.ts';
import { isIdText } from '../support/object-id.js';

export interface AuditInput {
  action: string;
  targetType?: string;
  targetId?: string;
  summary?: Record<string, unknown>;
  actorId?: unknown;
  actorRole?: string;
  /** When it happened, if not now (a write that stamps its own time, e.g. the case's history). */
  at?: Date;
}

/**
 * Who did it, from where: a service passes its Context; a route may pass the request, which carries
 * one (req.ctx). Nothing here knows Express: a request is only something with a `ctx`.
 */
export type AuditSource = Context | { ctx?: Context } | undefined;

function contextOf(source: AuditSource): Partial<Context> {
  if (!source) return {};
  if ('ctx' in source) return source.ctx ?? {};
  return source as Context;
}

export function requestContext(source: AuditSource) {
  const ctx = contextOf(source);
  return {
    actor: ctx.actor?._id,
    actorRole: ctx.actor?.role,
    ip: ctx.ip,
    requestId: ctx.requestId,
    now: ctx.now,
  };
}


/**
 * The case an event is about: the case itself when it is the subject ('Case' in a few older
 * writers), else the case its summary names (every document event records `summary.case`).
 * Stored on the event as `case` so the audit log's case filter is one index walk; the backfill of
 * older events (server/audit/backfill-case.ts) reads the same rule.
 */
export function caseOfEvent(e: { targetType?: string | null; targetId?: string | null; summary?: unknown }): Types.ObjectId | undefined {
  if ((e.targetType === 'case' || e.targetType === 'Case') && e.targetId && isIdText(e.targetId)) return new Types.ObjectId(e.targetId);
  const named = (e.summary as { case?: unknown } | undefined)?.case;
  return isIdText(named) ? new Types.ObjectId(named) : undefined;
}

export async function recordAudit(source: AuditSource, input: AuditInput): Promise<void> {
  const ctx = requestContext(source);
  await AuditEvent.create({
    case: caseOfEvent(input),
    at: input.at ?? new Date(), // the real time of the write, even under a test clock (audit order is the order of writes)
    actor: (input.actorId ?? ctx.actor) as never,
    actorRole: input.actorRole ?? ctx.actorRole,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId,
    summary: input.summary,
    ip: ctx.ip,
    requestId: ctx.requestId,
  });
}

/**
 * An audit event captured now (who, from where, when) to be recorded later: written into the
 * document a change writes, in the same update, so that a process dying before the event is
 * recorded leaves it to be recorded by a repair (server/accounts/pending-audit.ts). `eventId` is the
 * event's _id: recording it twice stores it once.
 */
export interface PendingAudit {
  eventId: Types.ObjectId;
  action: string;
  actor?: unknown;
  actorRole?: string;
  ip?: string;
  requestId?: string;
  at: Date;
  /**
   * When the decision was taken by the app's clock (the context's `now`): what the repair's grace is
   * measured from, on the same clock as the repair's own `now` (a test's clock, when it is set).
   */
  decidedAt?: Date;
  /** The event's target when it is not the document carrying the event (a bulk assignment's cases), and its type when not the default ('case' on a case). */
  targetId?: string;
  targetType?: string;
  summary?: Record<string, unknown>;
}

export function pendingAudit(source: AuditSource, input: { action: string; summary?: Record<string, unknown>; at?: Date; targetId?: string; targetType?: string }): PendingAudit {
  const ctx = requestContext(source);
  return {
    eventId: new Types.ObjectId(),
    action: input.action,
    actor: ctx.actor,
    actorRole: ctx.actorRole,
    ip: ctx.ip,
    requestId: ctx.requestId,
    at: input.at ?? new Date(), // the real time of the write unless the write stamps its own, as recordAudit's
    decidedAt: ctx.now ?? new Date(),
    ...(input.targetId ? { targetId: input.targetId } : {}),
    ...(input.targetType ? { targetType: input.targetType } : {}),
    summary: input.summary,
  };
}

/**
 * Records a pending event about this target, with `more` added to its summary (what was known only
 * after the write). False when it was recorded already (the repair, or a request that died after
 * recording it and before clearing it): the first one stands.
 */
export async function recordPendingAudit(event: PendingAudit, target: { targetType: string; targetId: string }, more: Record<string, unknown> = {}): Promise<boolean> {
  try {
    await AuditEvent.create({
      _id: event.eventId,
      at: event.at,
      actor: event.actor as never,
      actorRole: event.actorRole,
      action: event.action,
      ...target,
      case: caseOfEvent({ ...target, summary: event.summary }),
      summary: { ...event.summary, ...more },
      ip: event.ip,
      requestId: event.requestId,
    });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

export type SecurityEventName =
  | 'sign_in.success'
  | 'sign_in.failure'
  | 'sign_in.locked'
  | 'sign_in.second_factor_failure'
  | 'sign_out'
  | 'authz.refused'
  | 'authn.required'
  | 'csrf.failed'
  | 'input.refused'
  | 'password.reset_requested'
  | 'password.changed'
  | 'rate_limited';

/** What a security line needs of a request (an Express request fits; so does a test's object). */
export interface SecuritySource {
  ctx?: Context;
  method: string;
  path: string;
  ip?: string;
  id?: unknown;
  user?: { _id: unknown };
}

export function securityEvent(logger: Logger, req: SecuritySource, event: SecurityEventName, details: Record<string, unknown> = {}): void {
  // Refusals early in the pipeline (input guard, CSRF) come before the Context is built.
  const ctx = req.ctx ? requestContext(req) : { actor: req.user?._id, ip: req.ip, requestId: req.id !== undefined ? String(req.id) : undefined };
  logger.warn(
    {
      security: event,
      time: new Date().toISOString(),
      userId: ctx.actor ? String(ctx.actor) : undefined,
      ip: ctx.ip,
      reqId: ctx.requestId,
      method: req.method,
      path: redactPath(req.path),
      ...details,
    },
    `security: ${event}`,
  );
}
