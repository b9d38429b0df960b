// Route middleware for actions with no subject (role areas): allow('role.admin'). Routes with a
// subject call authorize(req.ctx.actor, 'case.work', caseSubject) in the handler once it is loaded.
import type { RequestHandler } from 'express';
import { authorize, type Action, type SubjectOf } from '../policies/index.ts';

type SubjectlessAction = { [A in Action]: SubjectOf<A> extends undefined ? A : never }[Action];

export function allow(action: SubjectlessAction): RequestHandler {
  return (req, _res, next) => {
    try {
      (authorize as unknown as (actor: unknown, action: string) => void)(req.user ?? undefined, action);
      next();
    } catch (err) {
      next(err);
    }
  };
}
