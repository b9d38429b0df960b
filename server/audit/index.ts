// Two records of what happened: AuditEvent documents (every state change, never updated) and
// security log lines (sign-in, lockout, refused access, CSRF) with time, user, IP and request id.
import type { Request } from 'express';
import type { Logger } from '../logger.ts';
import { AuditEvent } from '../../models/audit-event.ts';

export interface AuditInput {
  action: string;
  targetType?: string;
  targetId?: string;
  summary?: Record<string, unknown>;
  actorId?: unknown;
  actorRole?: string;
}

export function requestContext(req: Request | undefined) {
  return {
    actor: req?.user?._id,
    actorRole: req?.user?.role,
    ip: req?.ip,
    requestId: req?.id !== undefined ? String(req.id) : undefined,
  };
}

export async function recordAudit(req: Request | undefined, input: AuditInput): Promise<void> {
  const ctx = requestContext(req);
  await AuditEvent.create({
    at: new Date(),
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

export function securityEvent(logger: Logger, req: Request, event: SecurityEventName, details: Record<string, unknown> = {}): void {
  const ctx = requestContext(req);
  logger.warn(
    {
      security: event,
      time: new Date().toISOString(),
      userId: ctx.actor ? String(ctx.actor) : undefined,
      ip: ctx.ip,
      reqId: ctx.requestId,
      method: req.method,
      path: req.path,
      ...details,
    },
    `security: ${event}`,
  );
}
