// The home page and the language switcher (both public).
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { LOCALES, translator } from '../server/i18n/index.ts';
import { safeNextPath, withoutLinkLanguage } from '../server/http/safe-next.ts';
import { choosePageLanguage } from '../server/http/locale.ts';
import { flash } from '../server/http/flash.ts';
import { mentionsOfActor } from '../server/mentions/service.ts';
import { presentHomeMentions } from '../server/mentions/present.ts';
import { tOf, type Context } from '../server/context.ts';
import { isStaff, type UserDoc } from '../models/user.ts';
import { leaderDecisions, officerWork } from '../server/home/work.ts';
import { DUE_SOON_DAYS } from '../server/cases/queue.ts';
import { answersToCheck } from '../server/home/service.ts';
import { formatDateTime } from '../server/views/time.ts';
import { loadCalendar } from '../server/calendar/index.ts';
import { dueSentence } from '../server/procedures/service.ts';

/** The staff home's counts (server/home/work.ts), worded: an officer's queue, a leader's decisions. */
async function staffWork(ctx: Context, actor: UserDoc) {
  const t = tOf(ctx);
  const officer = actor.role === 'hr_officer' || actor.role === 'admin';
  const [counts, decisions, calendar] = await Promise.all([officer ? officerWork(actor, ctx.now) : [], leaderDecisions(actor), actor.role === 'leader' ? loadCalendar() : undefined]);
  return {
    counts: counts.map((c) => ({ ...c, label: t(`home.work.${c.key}`, { count: c.n, days: DUE_SOON_DAYS }), figure: c.capped ? t('home.work.more', { count: c.n }) : String(c.n) })),
    decisions: decisions.map((d) => ({ ...d, label: t(`home.work.${d.stage === 'evaluation' ? 'inEvaluation' : 'shortlisted'}`, { count: d.n }), due: d.nextDueAt ? dueSentence(t, ctx.locale, calendar!, ctx.now, d.nextDueAt, 'home.work.nextDecisionDue') : undefined })),
    officer,
    leader: actor.role === 'leader',
  };
}

const langBody = z.object({ lang: z.enum(LOCALES).optional().catch(undefined), next: z.unknown().optional() });

export function homeRoutes(_app: AppContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const t = tOf(req.ctx);
    const actor = req.ctx.actor as UserDoc | undefined;
    // The page's three reads at once: answers waiting, mentions, and (staff) the day's work;
    // applicants and visitors get the landing page.
    const [answered, mentioned, work] = await Promise.all([answersToCheck({ ctx: req.ctx }), mentionsOfActor({ ctx: req.ctx }), actor && isStaff(actor) ? staffWork(req.ctx, actor) : undefined]);
    const answers = answered.map((a) => ({
      ...a,
      text: t('home.answered.item', { kind: t(`procedures.kinds.${a.kind}`), when: formatDateTime(a.repliedAt, req.ctx.locale) }),
      link: `/cases/${a.caseId}/procedures/${a.kind}#asks`,
    }));
    const mentions = presentHomeMentions(req.ctx, mentioned);
    res.render('home/index', { title: t('common.appName'), mentions, answers, work });
  });

  // The language switcher is a plain form, so it works without JavaScript.
  router.post('/lang', async (req, res) => {
    const { lang, next } = langBody.parse(req.body ?? {});
    if (lang) {
      // The pages only; the account's (e-mail) language stays, and the signed-in user is told so.
      const { differsFromAccount } = choosePageLanguage(req, lang);
      if (differsFromAccount) flash(req, 'info', 'home.lang.pagesOnly', { emailLanguage: translator(lang)(`home.lang.names.${differsFromAccount}`) }, { href: '/account', key: 'home.lang.changeOnAccount' });
    }
    res.redirect(303, withoutLinkLanguage(safeNextPath(next, '/')));
  });

  return router;
}
