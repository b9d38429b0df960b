// Request-wide account rules, run right after the auth gate:
// - staff without an enrolled second factor may only enrol it (or sign out / switch language);
// - unverified applicants see a "verify your e-mail" notice (res.locals.emailUnverified).
// requireVerifiedEmail is for routes that submit something (applications) to use.
import type { RequestHandler } from 'express';
import { ForbiddenError } from '../errors.ts';
import { needsTotpEnrolment } from '../accounts/totp.ts';

const ALLOWED_DURING_ENROLMENT = [/^\/account\/second-factor(\/.*)?$/, /^\/signout$/, /^\/lang$/, /^\/static\//];

export const accountGate: RequestHandler = (req, res, next) => {
  const user = req.user;
  if (!user) {
    next();
    return;
  }
  // The menu hides the pages that would only send them back here (views/partials/nav.hbs).
  res.locals.enrolling = needsTotpEnrolment(user);
  if (res.locals.enrolling && !ALLOWED_DURING_ENROLMENT.some((p) => p.test(req.path))) {
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.redirect(303, '/account/second-factor');
      return;
    }
    next(new ForbiddenError('accounts.errors.enrolFirst'));
    return;
  }
  res.locals.emailUnverified = user.role === 'applicant' && !user.emailVerifiedAt;
  next();
};

/** Refuses (403) until the signed-in user has confirmed their e-mail address. */
export const requireVerifiedEmail: RequestHandler = (req, _res, next) => {
  if (req.user && req.user.emailVerifiedAt) next();
  else next(new ForbiddenError('accounts.errors.verifyFirst'));
};
