import type { RequestHandler } from 'express';
import { AuthenticationRequiredError } from '../errors.ts';
import { isPublic } from './public-routes.ts';

/** Every request is refused unless it is public or comes from a signed-in user. */
export const authGate: RequestHandler = (req, _res, next) => {
  if (req.user || isPublic(req.method, req.path)) {
    next();
    return;
  }
  next(new AuthenticationRequiredError());
};
