// Chooses the page language: the signed-in user's choice, else the visitor's (the switcher's
// cookie, see visitor-state.ts), else the browser's Accept-Language, else Vietnamese.
import type { RequestHandler } from 'express';
import { DEFAULT_LOCALE, isLocale, localeFromAcceptLanguage, translator, type Locale } from '../i18n/index.ts';
import { localeFromCookie } from './visitor-state.ts';

export function resolveLocale(req: Parameters<RequestHandler>[0]): Locale {
  const fromUser = req.user?.locale;
  if (isLocale(fromUser)) return fromUser;
  const fromCookie = localeFromCookie(req);
  if (fromCookie) return fromCookie;
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
