// What the app remembers about a browser, and where: nothing is stored in MongoDB for a visitor who
// has not signed in (a crawler must not be able to grow the session store). A session is stored
// only once it holds something (sign-in, or the password step of a staff sign-in); until then:
//  - the CSRF secret of the visitor's forms lives in a signed, HttpOnly, SameSite=Lax cookie
//    (`__Host-csrf` over TLS, so a sibling subdomain cannot plant one), checked like the session's;
//  - a flash message for the next page lives in a signed, HttpOnly cookie;
//  - the chosen language lives in a plain cookie (it is no secret; its value is validated on read).
import type { Request, Response } from 'express';
import type { Config } from '../config.ts';
import { isLocale, type Locale } from '../i18n/index.ts';

type CookieConfig = Pick<Config, 'secureCookies' | 'sessionAbsoluteMs'>;

/** A warning is saved yet needs a look (a date outside the legal window): polite like info, coloured like the page's warnings. */
export const FLASH_KINDS = ['success', 'error', 'info', 'warning'] as const;
/** `link`: a page of this site the message points to (a path), with its text as an i18n key. */
export type Flash = { kind: (typeof FLASH_KINDS)[number]; key: string; params?: Record<string, unknown>; link?: FlashLink };
export type FlashLink = { href: string; key: string };

const FLASH_KEY = /^[A-Za-z0-9_.]{1,120}$/;
// Only a path of this site: a flash link never leads elsewhere.
const FLASH_HREF = /^\/[A-Za-z0-9/_-]{0,300}(#[A-Za-z0-9_-]{1,60})?$/;

function flashLink(v: unknown): FlashLink | undefined {
  const l = v as Partial<FlashLink> | undefined;
  return l && typeof l.href === 'string' && typeof l.key === 'string' && FLASH_HREF.test(l.href) && FLASH_KEY.test(l.key) ? { href: l.href, key: l.key } : undefined;
}

const FLASH_COOKIE = 'flash';
const LANG_COOKIE = 'lang';
const FLASH_MAX_AGE_MS = 5 * 60_000;
const LANG_MAX_AGE_MS = 365 * 86_400_000;

const CONFIG = Symbol('visitorCookieConfig');

/** Remembers the cookie settings for this request (set once by the pipeline). */
export function attachCookieConfig(req: Request, config: CookieConfig): void {
  (req as unknown as Record<symbol, CookieConfig>)[CONFIG] = config;
}

function cookieConfig(req: Request): CookieConfig {
  const c = (req as unknown as Record<symbol, CookieConfig | undefined>)[CONFIG];
  if (!c) throw new Error('visitor cookies used before the pipeline attached their settings');
  return c;
}

export function csrfCookieName(config: Pick<Config, 'secureCookies'>): string {
  return config.secureCookies ? '__Host-csrf' : 'csrf';
}

/** A session is stored (in MongoDB) once it holds something; the pipeline stamps createdAt then. */
export function hasStoredSession(req: Request): boolean {
  return req.session?.createdAt !== undefined;
}

/** Does the session hold anything worth storing (anything but its cookie settings)? */
export function sessionHasContent(req: Request): boolean {
  return !!req.session && Object.keys(req.session).some((k) => k !== 'cookie');
}

/**
 * Keeps the cookies as the text they arrived as. cookie-parser turns a value written `j:<JSON>` into
 * whatever that JSON is; this app sets no such cookie, and express-session reads its own as text (a
 * `sid=j:1` from anyone was a 500 on every page). A bad signature stays `false`: it is how `carries`
 * knows to clear the cookie.
 */
export function keepTextCookies(req: Request): void {
  const plain = req.cookies as Record<string, unknown> | undefined;
  const signed = req.signedCookies as Record<string, unknown> | undefined;
  for (const name of Object.keys(plain ?? {})) if (typeof plain![name] !== 'string') delete plain![name];
  for (const name of Object.keys(signed ?? {})) if (typeof signed![name] !== 'string' && signed![name] !== false) delete signed![name];
}

/** Did the request carry this cookie at all (signed, badly signed, or plain)? */
function carries(req: Request, name: string): boolean {
  const signed = (req.signedCookies ?? {}) as Record<string, unknown>;
  const plain = (req.cookies ?? {}) as Record<string, unknown>;
  return Object.prototype.hasOwnProperty.call(signed, name) || Object.prototype.hasOwnProperty.call(plain, name);
}

function signedCookie(req: Request, name: string): string | undefined {
  const v = (req.signedCookies as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : undefined;
}

function baseOptions(req: Request) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: cookieConfig(req).secureCookies, path: '/' };
}

function responseOf(req: Request): Response {
  if (!req.res) throw new Error('no response for this request');
  return req.res;
}

// ---------------------------------------------------------------- CSRF secret

export function csrfTokenFromState(req: Request): string | undefined {
  if (hasStoredSession(req)) return req.session.csrfToken ?? undefined;
  return signedCookie(req, csrfCookieName(cookieConfig(req)));
}

export function storeCsrfToken(req: Request, token: string | null | undefined): void {
  if (hasStoredSession(req)) {
    req.session.csrfToken = token;
    return;
  }
  const res = responseOf(req);
  const name = csrfCookieName(cookieConfig(req));
  if (token) res.cookie(name, token, { ...baseOptions(req), signed: true, maxAge: cookieConfig(req).sessionAbsoluteMs });
  else res.clearCookie(name, baseOptions(req));
}

/** At sign-in: the anonymous CSRF secret is dropped (the session gets its own), so the next anonymous one is new. */
export function dropAnonymousCsrf(req: Request): void {
  const name = csrfCookieName(cookieConfig(req));
  if (carries(req, name)) responseOf(req).clearCookie(name, baseOptions(req));
}

// ---------------------------------------------------------------- flash messages

export function setFlash(req: Request, flash: Flash): void {
  if (flash.link && !flashLink(flash.link)) throw new Error(`flash link refused: ${flash.link.href}`);
  if (hasStoredSession(req)) {
    req.session.flash = flash;
    return;
  }
  responseOf(req).cookie(FLASH_COOKIE, JSON.stringify(flash), { ...baseOptions(req), signed: true, maxAge: FLASH_MAX_AGE_MS });
}

export function takeFlash(req: Request): Flash | undefined {
  let found: Flash | undefined;
  if (req.session?.flash) {
    found = req.session.flash;
    delete req.session.flash;
  }
  const raw = signedCookie(req, FLASH_COOKIE);
  if (carries(req, FLASH_COOKIE)) responseOf(req).clearCookie(FLASH_COOKIE, baseOptions(req));
  if (!found && raw) found = parseFlash(raw);
  return found;
}

function parseFlash(raw: string): Flash | undefined {
  try {
    const v = JSON.parse(raw) as Partial<Flash>;
    if ((FLASH_KINDS as readonly unknown[]).includes(v.kind) && v.kind && typeof v.key === 'string' && FLASH_KEY.test(v.key)) {
      const params = v.params && typeof v.params === 'object' && !Array.isArray(v.params) ? v.params : undefined;
      const link = flashLink(v.link);
      return { kind: v.kind, key: v.key, params, ...(link ? { link } : {}) };
    }
  } catch {
    // signed by us, so only a bug gets here: no message
  }
  return undefined;
}

// ---------------------------------------------------------------- language

export function localeFromCookie(req: Request): Locale | undefined {
  const v = (req.cookies as Record<string, unknown> | undefined)?.[LANG_COOKIE];
  return isLocale(v) ? v : undefined;
}

export function rememberLocale(req: Request, locale: Locale): void {
  responseOf(req).cookie(LANG_COOKIE, locale, { ...baseOptions(req), maxAge: LANG_MAX_AGE_MS });
}
