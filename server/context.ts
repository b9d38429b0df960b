// The request as services see it: who acts, from where, in which language, at what time. Built
// once per request by server/http/context.ts, or by a background job with systemContext(); services
// take it inside their one options object and never see Express.
import type { Locale } from './i18n/index.ts';
import { DEFAULT_LOCALE, translator } from './i18n/index.ts';
import type { UserRecord } from '../models/user.ts';
import { AuthenticationRequiredError } from './errors.ts';

export interface Context {
  /** The signed-in user, or undefined for an anonymous visitor or a background job. */
  readonly actor: UserRecord | undefined;
  readonly ip: string | undefined;
  readonly requestId: string | undefined;
  /** The language of the page being answered (not necessarily the actor's account locale). */
  readonly locale: Locale;
  /** The app clock (injectable in tests): deadlines, expiry and audit times all read this. */
  readonly now: Date;
}

/** A context for work nobody requested over HTTP (periodic jobs, scripts). */
export function systemContext(opts: { now: Date; locale?: Locale; actor?: UserRecord }): Context {
  return { actor: opts.actor, ip: undefined, requestId: undefined, locale: opts.locale ?? DEFAULT_LOCALE, now: opts.now };
}

/** The same request acting as someone else (sign-in: the user is known only after the password). */
export function withActor(ctx: Context, actor: UserRecord | undefined): Context {
  return { ...ctx, actor };
}

/** The actor, who must be signed in (the auth gate has already made sure of it on non-public routes). */
export function actorOf(ctx: Context): UserRecord {
  if (!ctx.actor) throw new AuthenticationRequiredError();
  return ctx.actor;
}

/** Translate in the context's language (for messages a service must word itself). */
export function tOf(ctx: Context) {
  return translator(ctx.locale);
}
