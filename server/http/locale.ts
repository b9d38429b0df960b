// Chooses the page language: the signed-in user's choice, else the session's (set by the
// switcher), else the browser's Accept-Language, else Vietnamese.
import type { RequestHandler } from 'express';
import { DEFAULT_LOCALE, isLocale, localeFromAcceptLanguage, translator, type Locale } from '../i18n/index.ts';

export function resolveLocale(req: Parameters<RequestHandler>[0]): Locale {
  const fromUser = req.user?.locale;
  if (isLocale(fromUser)) return fromUser;
  const fromSession = req.session?.locale;
  if (isLocale(fromSession)) return fromSession;
  return localeFromAcceptLanguage(req.get('accept-language')) ?? DEFAULT_LOCALE;
}

export const localeMiddleware: RequestHandler = (req, res, next) => {
  const locale = resolveLocale(req);
  req.locale = locale;
  res.locals.locale = locale;
  res.locals.otherLocale = locale === 'vi' ? 'en' : 'vi';
  res.locals.t = translator(locale);
  res.setHeader('Content-Language', locale);
  next();
};
