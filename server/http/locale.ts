// Chooses the page language: for a signed-in user, the switcher's choice in this session, else
// their account's language (the one their e-mails are written in); else the language of the e-mail whose
// link was opened (its `lang` parameter: server/mail/render.ts adds it to every link in an e-mail),
// else the visitor's (the switcher's cookie, see visitor-state.ts), else the browser's
// Accept-Language, else Vietnamese. An e-mail's language is remembered as the switcher's choice
// would be: the sign-in page it leads to (signed out), the form sent from it and the page after
// stay in it, whatever the browser's language (a Vietnamese applicant on an English work laptop).
import type { RequestHandler } from 'express';
import { DEFAULT_LOCALE, isLocale, localeFromAcceptLanguage, translator, type Locale } from '../i18n/index.ts';
import { localeFromCookie, rememberLocale } from './visitor-state.ts';

/** The `lang` of the address, when it is one of ours (anything else, or given twice, is ignored). */
function localeFromLink(req: Parameters<RequestHandler>[0]): Locale | undefined {
  const v = (req.query as Record<string, unknown> | undefined)?.lang;
  return isLocale(v) ? v : undefined;
}

export function resolveLocale(req: Parameters<RequestHandler>[0]): Locale {
  const fromSession = req.user ? req.session?.pageLocale : undefined;
  if (isLocale(fromSession)) return fromSession;
  const fromUser = req.user?.locale;
  if (isLocale(fromUser)) return fromUser;
  const fromLink = localeFromLink(req);
  if (fromLink) return fromLink;
  const fromCookie = localeFromCookie(req);
  if (fromCookie) return fromCookie;
  return localeFromAcceptLanguage(req.get('accept-language')) ?? DEFAULT_LOCALE;
}

export const localeMiddleware: RequestHandler = (req, res, next) => {
  const locale = resolveLocale(req);
  // Only where the link chose it (never over a signed-in person's own choice), and only once.
  if (!isLocale(req.user?.locale) && localeFromLink(req) === locale && localeFromCookie(req) !== locale) rememberLocale(req, locale);
  req.locale = locale;
  res.locals.locale = locale;
  res.locals.otherLocale = locale === 'vi' ? 'en' : 'vi';
  res.locals.t = translator(locale);
  res.setHeader('Content-Language', locale);
  next();
};

/**
 * The language switcher: the pages' language, and only that. Signed in, it is kept for this session
 * (a new sign-in starts in the account's language again); the account's language, the one its
 * e-mails are written in, changes only on the account page, where it is said so. A staff member
 * looking at the English pages once, or an applicant on a borrowed computer, kept getting every
 * later e-mail in that language without being told. Answers whether the pages now differ from the
 * account's language (the caller then says the e-mails stay in it). The visitor's cookie is set too,
 * so the pages stay in that language after signing out.
 */
export function choosePageLanguage(req: Parameters<RequestHandler>[0], locale: Locale): { differsFromAccount?: Locale } {
  rememberLocale(req, locale);
  const account = req.user?.locale;
  if (!req.user || !req.session) return {};
  if (!isLocale(account) || account === locale) {
    delete req.session.pageLocale;
    return {};
  }
  req.session.pageLocale = locale;
  return { differsFromAccount: account };
}

/** The account's language was saved (the account page): the pages follow it again in this session. */
export function followAccountLanguage(req: Parameters<RequestHandler>[0]): void {
  if (req.session) delete req.session.pageLocale;
}
