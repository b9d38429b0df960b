// How many messages an applicant may write per hour. Each one is e-mailed to HR (the case's officer,
// else the HR office: server/institutes/hr-staff.ts hrOfficeToTell) and kept in the case document:
// without a limit, one self-registered account could fill the HR office's inboxes by repeating a
// form. The case document (16 MB at most) has its own total cap (server/cases/commands.ts
// APPLICANT_MESSAGES_PER_CASE): this hourly one alone would let it fill up in about a week.
// Counted in MongoDB like the upload limit (uploads.ts), so every instance shares it.
import type { Request } from 'express';
import { RateLimiterRes, type RateLimiterMongo } from 'rate-limiter-flexible';
import type { AppContext } from '../deps.ts';
import { securityEvent } from '../audit/index.ts';
import { mongoRateLimiter } from './rate-limiter.ts';

/** Far above a conversation's pace (a few a day), far below a flood. */
export const APPLICANT_MESSAGES_PER_HOUR = 20;

/** Counts a message of the signed-in applicant: undefined when it may be sent, else the minutes to wait. */
export function applicantMessageLimit(app: Pick<AppContext, 'db' | 'logger'>): (req: Request) => Promise<number | undefined> {
  let limiter: RateLimiterMongo | undefined;
  return async (req) => {
    limiter ??= mongoRateLimiter({ storeClient: app.db.connection, tableName: 'message_limits', keyPrefix: 'message', points: APPLICANT_MESSAGES_PER_HOUR, duration: 3600 });
    try {
      await limiter.consume(String(req.ctx.actor?._id));
      return undefined;
    } catch (r) {
      if (r instanceof RateLimiterRes) {
        securityEvent(app.logger, req, 'rate_limited', { limiter: 'message' });
        return Math.max(1, Math.ceil(r.msBeforeNext / 60_000));
      }
      throw r;
    }
  };
}
