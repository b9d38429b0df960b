// What the writer of a note is told about its mentions (a flash message on the case page), and the
// "mentions of you" list of the home page.
import { tOf, type Context } from '../context.ts';
import type { HomeMention, MentionOutcome, MentionRefusal } from './service.ts';

export interface MentionFlash {
  kind: 'success' | 'info';
  key: string;
  params: Record<string, unknown>;
}

/** The note's flash when it mentioned someone: who was notified, and who was not and why. Undefined when it mentioned nobody. */
export function mentionFlash(ctx: Context, outcome: MentionOutcome | undefined | void): MentionFlash | undefined {
  if (!outcome || (outcome.notified.length === 0 && outcome.refused.length === 0)) return undefined;
  const t = tOf(ctx);
  const names = outcome.notified.map((n) => (n.outside ? t('mentions.flash.outside', { name: n.name }) : n.name)).join(', ');
  if (outcome.refused.length === 0) return { kind: 'success', key: 'mentions.flash.notified', params: { names } };
  const reason = (r: MentionRefusal) => {
    if (r.reason === 'no_access') return t('mentions.reasons.noAccess', { name: r.names[0] });
    if (r.reason === 'ambiguous') return t('mentions.reasons.ambiguous', { label: r.label, names: r.names.join(', ') });
    return t('mentions.reasons.unknown', { label: r.label });
  };
  const list = outcome.refused.map(reason).join('; ');
  return { kind: 'info', key: 'mentions.flash.notNotified', params: { notified: names ? t('mentions.flash.notifiedPart', { names }) : '', list } };
}

export function presentHomeMentions(ctx: Context, items: HomeMention[]) {
  if (!ctx.actor || ctx.actor.role === 'applicant') return undefined;
  return { title: tOf(ctx)('mentions.home.title'), items, empty: items.length === 0 };
}
