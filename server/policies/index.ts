// Authorization fails closed: a policy answers true only for the cases it names; anything it
// does not recognise is refused. Routes call these before any service.
import type { RequestHandler } from 'express';
import { ForbiddenError, AuthenticationRequiredError } from '../errors.ts';
import type { Role } from '../../models/user.ts';

export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.user) next(new AuthenticationRequiredError());
    else if (!roles.includes(req.user.role as Role)) next(new ForbiddenError());
    else next();
  };
}

export function authorize(allowed: boolean, messageKey = 'errors.forbidden'): asserts allowed {
  if (allowed !== true) throw new ForbiddenError(messageKey);
}

export function sameId(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return false;
  const ida = typeof a === 'object' && a !== null && '_id' in a ? (a as { _id: unknown })._id : a;
  const idb = typeof b === 'object' && b !== null && '_id' in b ? (b as { _id: unknown })._id : b;
  return String(ida) === String(idb);
}
