// Page model of "delete my account": the form, or why the account cannot delete itself.
import { tOf, type Context } from '../context.ts';
import { translateErrors, type FieldErrorKeys } from '../http/forms.ts';
import type { SelfDeleteBlock } from './account.ts';

export function presentDeletePage(ctx: Context, input: { block?: SelfDeleteBlock; errors?: FieldErrorKeys } = {}) {
  const t = tOf(ctx);
  return {
    title: t('privacy.delete.title'),
    blocked: input.block ? t(`privacy.delete.blocked_${input.block}`) : undefined,
    errors: translateErrors(t, input.errors),
  };
}
