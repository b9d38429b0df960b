// Page model of "delete my account": the form, or why the account cannot delete itself.
import { tOf, type Context } from '../context.ts';
import { translateErrors, type FieldErrorKeys } from '../http/forms.ts';
import type { SelfDeleteBlock } from './account.ts';

export function presentDeletePage(ctx: Context, input: { block?: SelfDeleteBlock; errors?: FieldErrorKeys } = {}) {
  const t = tOf(ctx);
  return {
    title: t('privacy.delete.title'),
    blocked: input.block ? t(`privacy.delete.blocked_${input.block}`) : undefined,
    // Where to ask for an erasure the page cannot do: the HR office, from the applications (privacy notice, "Your rights").
    blockedSubmitted: input.block === 'submitted',
    errors: translateErrors(t, input.errors),
  };
}

/**
 * The privacy notice (/privacy) in the page's language. Its statements of the data subject's rights
 * follow Law No. 91/2025/QH15 on Personal Data Protection (in force 1 January 2026), Art. 4(1)
 * (rights of the data subject) and Art. 9 (consent: voluntary, informed, may be withdrawn); verified
 * against the published text of the Law (thuviennhadat.vn, luatvietnam.vn). What the app does with
 * the data (retention, export, deletion) is what server/privacy implements.
 */
export function presentPrivacyNotice(ctx: Context, input: { retentionDays: number }) {
  const t = tOf(ctx);
  const sections = ['controller', 'data', 'purposes', 'sharing', 'retention', 'rights', 'security', 'contact'] as const;
  return {
    title: t('privacy.notice.title'),
    intro: t('privacy.notice.intro'),
    sections: sections.map((key) => ({ id: `notice-${key}`, heading: t(`privacy.notice.${key}.heading`), text: t(`privacy.notice.${key}.text`, { count: input.retentionDays }) })),
    lawNote: t('privacy.notice.law'),
  };
}
