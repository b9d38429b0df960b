// One authorize(actor, action, subject) over one ability table per model (server/policies/<model>.ts),
// in the manner of Outline's server/policies. Fails closed: an unknown model or action, a missing
// actor or a rule that does not answer `true` is a refusal. A refusal of a model's `view` rule is
// "not found", so the answer never reveals that something exists; any other refusal is "forbidden".
import { AuthenticationRequiredError, ForbiddenError, NotFoundError } from '../errors.ts';
import type { PolicyUser } from './case.ts';
import { caseAbilities } from './case.ts';
import { documentAbilities } from './document.ts';
import { shortlistAbilities } from './shortlist.ts';
import { dashboardAbilities } from './dashboard.ts';
import { roleAbilities } from './role.ts';
import { userAbilities } from './user.ts';
import { callAbilities } from './call.ts';
import { instituteAbilities } from './institute.ts';
import { holidayAbilities } from './holiday.ts';
import { mailAbilities } from './mail.ts';
import { savedFilterAbilities } from './saved-filter.ts';
import { auditAbilities } from './audit.ts';

export { sameId } from './ids.ts';
export type { PolicyUser } from './case.ts';

/** Every model's table. A new model adds its file and one line here. */
const ABILITIES = {
  case: caseAbilities,
  document: documentAbilities,
  shortlist: shortlistAbilities,
  dashboard: dashboardAbilities,
  role: roleAbilities,
  user: userAbilities,
  call: callAbilities,
  institute: instituteAbilities,
  holiday: holidayAbilities,
  mail: mailAbilities,
  savedFilter: savedFilterAbilities,
  audit: auditAbilities,
} as const;

type Tables = typeof ABILITIES;
type Model = keyof Tables;
type RuleOf<M extends Model, A extends keyof Tables[M]> = Tables[M][A];
/** 'case.view', 'document.upload', 'role.admin', … : exactly the rules the tables define. */
export type Action = { [M in Model]: `${M}.${keyof Tables[M] & string}` }[Model];
type ModelOf<A extends Action> = A extends `${infer M}.${string}` ? (M extends Model ? M : never) : never;
type VerbOf<A extends Action> = A extends `${string}.${infer V}` ? V : never;
/** The subject a rule takes (nothing for rules about the actor alone, such as `role.*`). */
export type SubjectOf<A extends Action> =
  RuleOf<ModelOf<A>, VerbOf<A> & keyof Tables[ModelOf<A>]> extends (...args: infer P) => boolean ? (P extends [PolicyUser, infer S] ? S : undefined) : undefined;

function rule(action: string): ((user: PolicyUser, subject: unknown) => boolean) | undefined {
  const dot = action.indexOf('.');
  const model = action.slice(0, dot);
  const verb = action.slice(dot + 1);
  if (!Object.hasOwn(ABILITIES, model)) return undefined;
  const table = ABILITIES[model as Model] as Record<string, unknown>;
  if (!Object.hasOwn(table, verb)) return undefined;
  const fn = table[verb];
  return typeof fn === 'function' ? (fn as (user: PolicyUser, subject: unknown) => boolean) : undefined;
}

/** May this actor do this? (A boolean for pages deciding what to show; authorize() to enforce.) */
export function can<A extends Action>(actor: PolicyUser | undefined, action: A, ...subject: SubjectOf<A> extends undefined ? [] : [SubjectOf<A>]): boolean {
  if (!actor) return false;
  const fn = rule(action);
  if (!fn) return false;
  try {
    return fn(actor, subject[0]) === true;
  } catch {
    return false;
  }
}

/**
 * Enforces an action: returns quietly, or throws AuthenticationRequiredError (no actor),
 * NotFoundError (the actor may not even see the subject: the model's `view` rule refuses) or
 * ForbiddenError(messageKey) (the actor sees it but may not do this).
 */
export function authorize<A extends Action>(
  actor: PolicyUser | undefined,
  action: A,
  ...rest: SubjectOf<A> extends undefined ? [] | [undefined, string] : [SubjectOf<A>] | [SubjectOf<A>, string]
): void {
  if (!actor) throw new AuthenticationRequiredError();
  const [subject, messageKey] = rest as [unknown, string | undefined];
  const call = can as (a: PolicyUser | undefined, action: string, s?: unknown) => boolean;
  if (call(actor, action, subject)) return;
  const model = action.slice(0, action.indexOf('.'));
  if (subject !== undefined && rule(`${model}.view`) && !call(actor, `${model}.view`, subject)) throw new NotFoundError();
  throw new ForbiddenError(messageKey ?? 'errors.forbidden');
}
