// Chooses the page language: the signed-in user's choice, else the language of the e-mail whose
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
