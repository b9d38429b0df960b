// Sign-in throttling with counters in MongoDB (rate-limiter-flexible's RateLimiterMongo), so a
// lockout holds for every app instance on the same database. Three counters:
// - consecutive failures per e-mail + IP address: at config.login.maxFailures the pair is locked
//   for config.login.lockoutMs (a success clears it);
// - failures per IP address over an hour (many accounts tried from one place): at least 100, or
//   20 × maxFailures, so an office behind one address is not locked out by a few mistyped passwords;
// - failures per e-mail from any address over config.loginAccount.windowMs (one account tried from
//   many places, which the two above never slow): at config.loginAccount.maxFailures sign-in for
//   that e-mail pauses for config.loginAccount.lockoutMs. OWASP's Authentication Cheat Sheet
//   (Protect Against Automated Attacks → Account Lockout) asks for a counter "associated with the
//   account itself, rather than the source IP address", set by a lockout threshold, an observation
//   window and a lockout duration, and warns that a lockout can be used to deny a user their
//   account, suggesting that the forgotten-password route keep working while it holds. So the
//   threshold is more than one address can reach under its own lock (server/config.ts checks it at
//   boot), a success does not clear the count (an attacker's guesses stay counted whoever signs in
//   meanwhile), a password reset does (`forgive`), and the reset e-mail is not throttled by it.
// The e-mail is counted whether or not an account exists, so locking reveals nothing.
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { mongoRateLimiter } from '../http/rate-limiter.ts';
import type { Config } from '../config.ts';

export interface LockState {
  locked: boolean;
  retryAfterSeconds: number;
  /**
   * What is locked: `address`, this e-mail from this address (or this address); `account`, this
   * e-mail from every address (the page then says that a password reset still works).
   */
  scope?: 'address' | 'account';
}

export interface LoginLimiter {
  /** Is this e-mail+IP, this IP, or this e-mail from anywhere, locked right now? */
  check(email: string, ip: string): Promise<LockState>;
  /** Records a failed attempt; tells whether it has just caused a lockout. */
  fail(email: string, ip: string): Promise<LockState>;
  /** A success: the pair's consecutive failures are forgiven (not the account's count). */
  succeed(email: string, ip: string): Promise<void>;
  /** A password reset: the pair's and the account's counts are cleared (the mailbox was proven, the guessed password is gone). */
  forgive(email: string, ip: string): Promise<void>;
}

const IP_FAILURES_PER_HOUR_FACTOR = 20;


function secondsLeft(res: RateLimiterRes | null): number {
  return Math.max(1, Math.ceil((res?.msBeforeNext ?? 0) / 1000));
}

export function createLoginLimiter(connection: Connection, login: Config['login'], account: Config['loginAccount']): LoginLimiter {
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
  const accountLockSeconds = Math.max(1, Math.ceil(account.lockoutMs / 1000));
  const perAccount = mongoRateLimiter({
    storeClient: connection,
    tableName: 'login_limits',
    keyPrefix: 'fail_account',
    points: account.maxFailures,
    duration: Math.max(1, Math.ceil(account.windowMs / 1000)),
  });
  const accountKey = (email: string) => email.trim().toLowerCase();
  const pairKey = (email: string, ip: string) => `${accountKey(email)}|${ip}`;
  const accountLocked = (retryAfterSeconds: number): LockState => ({ locked: true, retryAfterSeconds, scope: 'account' });
  const addressLocked = (retryAfterSeconds: number): LockState => ({ locked: true, retryAfterSeconds, scope: 'address' });

  return {
    async check(email, ip) {
      const [a, p, i] = await Promise.all([perAccount.get(accountKey(email)), pair.get(pairKey(email, ip)), perIp.get(ip)]);
      // The account's pause first: its message names the way out that still works (a reset).
      if (a && a.consumedPoints >= account.maxFailures) return accountLocked(secondsLeft(a));
      if (p && p.consumedPoints >= login.maxFailures) return addressLocked(secondsLeft(p));
      if (i && i.consumedPoints >= ipPoints) return addressLocked(secondsLeft(i));
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
      const [a, p, i] = await Promise.all([consume(perAccount, accountKey(email)), consume(pair, key), consume(perIp, ip)]);
      // Each lock runs for its full period from the failure that caused it.
      if (p.consumedPoints >= login.maxFailures) await pair.block(key, lockSeconds);
      if (a.consumedPoints >= account.maxFailures) {
        await perAccount.block(accountKey(email), accountLockSeconds);
        return accountLocked(accountLockSeconds);
      }
      if (p.consumedPoints >= login.maxFailures) return addressLocked(lockSeconds);
      if (i.consumedPoints >= ipPoints) return addressLocked(secondsLeft(i));
      return { locked: false, retryAfterSeconds: 0 };
    },
    async succeed(email, ip) {
      await pair.delete(pairKey(email, ip));
    },
    async forgive(email, ip) {
      await Promise.all([pair.delete(pairKey(email, ip)), perAccount.delete(accountKey(email))]);
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
