// Sign-in throttling with counters in MongoDB (rate-limiter-flexible's RateLimiterMongo), so a
// lockout holds for every app instance on the same database. Two counters:
// - consecutive failures per e-mail + IP address: at config.login.maxFailures the pair is locked
//   for config.login.lockoutMs (a success clears it);
// - failures per IP address over an hour (many accounts tried from one place): at least 100, or
//   20 × maxFailures, so an office behind one address is not locked out by a few mistyped passwords.
// The e-mail is counted whether or not an account exists, so locking reveals nothing.
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { mongoRateLimiter } from '../http/rate-limiter.ts';
import type { Config } from '../config.ts';

export interface LockState {
  locked: boolean;
  retryAfterSeconds: number;
}

export interface LoginLimiter {
  /** Is this e-mail+IP (or this IP) locked right now? */
  check(email: string, ip: string): Promise<LockState>;
  /** Records a failed attempt; tells whether it has just caused a lockout. */
  fail(email: string, ip: string): Promise<LockState>;
  succeed(email: string, ip: string): Promise<void>;
}

const IP_FAILURES_PER_HOUR_FACTOR = 20;


function secondsLeft(res: RateLimiterRes | null): number {
  return Math.max(1, Math.ceil((res?.msBeforeNext ?? 0) / 1000));
}

export function createLoginLimiter(connection: Connection, login: Config['login']): LoginLimiter {
  const lockSeconds = Math.max(1, Math.ceil(login.lockoutMs / 1000));
  const pair = mongoRateLimiter({
    storeClient: connection,
    tableName: 'login_limits',
    keyPrefix: 'fail_email_ip',
    points: login.maxFailures,
    duration: lockSeconds,
  });
  const ipPoints = Math.max(100, login.maxFailures * IP_FAILURES_PER_HOUR_FACTOR);
  const perIp = mongoRateLimiter({
    storeClient: connection,
    tableName: 'login_limits',
    keyPrefix: 'fail_ip',
    points: ipPoints,
    duration: 3600,
  });
  const pairKey = (email: string, ip: string) => `${email.trim().toLowerCase()}|${ip}`;

  return {
    async check(email, ip) {
      const [p, i] = await Promise.all([pair.get(pairKey(email, ip)), perIp.get(ip)]);
      if (p && p.consumedPoints >= login.maxFailures) return { locked: true, retryAfterSeconds: secondsLeft(p) };
      if (i && i.consumedPoints >= ipPoints) return { locked: true, retryAfterSeconds: secondsLeft(i) };
      return { locked: false, retryAfterSeconds: 0 };
    },
    async fail(email, ip) {
      const key = pairKey(email, ip);
      const consume = async (limiter: RateLimiterMongo, k: string): Promise<RateLimiterRes> => {
        try {
          return await limiter.consume(k);
        } catch (rej) {
          if (rej instanceof RateLimiterRes) return rej;
          throw rej;
        }
      };
      const [p, i] = await Promise.all([consume(pair, key), consume(perIp, ip)]);
      if (p.consumedPoints >= login.maxFailures) {
        // The lock runs for the full lockout period from the failure that caused it.
        await pair.block(key, lockSeconds);
        return { locked: true, retryAfterSeconds: lockSeconds };
      }
      if (i.consumedPoints >= ipPoints) return { locked: true, retryAfterSeconds: secondsLeft(i) };
      return { locked: false, retryAfterSeconds: 0 };
    },
    async succeed(email, ip) {
      await pair.delete(pairKey(email, ip));
    },
  };
}

/** A softer limiter for e-mails sent on request (verification resend, password reset): per address. */
export function createMailLimiter(connection: Connection, opts: { keyPrefix?: string; points?: number } = {}): { allow(key: string): Promise<boolean> } {
  const limiter = mongoRateLimiter({ storeClient: connection, tableName: 'mail_limits', keyPrefix: opts.keyPrefix ?? 'account_mail', points: opts.points ?? 5, duration: 3600 });
  return {
    async allow(key) {
      try {
        await limiter.consume(key.trim().toLowerCase());
        return true;
      } catch (rej) {
        if (rej instanceof RateLimiterRes) return false;
        throw rej;
      }
    },
  };
}
