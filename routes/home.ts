// The home page and the language switcher (both public).
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { LOCALES } from '../server/i18n/index.ts';
import { safeNextPath, withoutLinkLanguage } from '../server/http/safe-next.ts';
import { rememberLocale } from '../server/http/visitor-state.ts';
import { mentionsOfActor } from '../server/mentions/service.ts';
import { presentHomeMentions } from '../server/mentions/present.ts';
import { tOf } from '../server/context.ts';
import { answersToCheck, chooseLanguage } from '../server/home/service.ts';
import { formatDateTime } from '../server/views/time.ts';

const langBody = z.object({ lang: z.enum(LOCALES).optional().catch(undefined), next: z.unknown().optional() });

export function homeRoutes(_app: AppContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const t = tOf(req.ctx);
    const answers = (await answersToCheck({ ctx: req.ctx })).map((a) => ({
      ...a,
      text: t('home.answered.item', { kind: t(`procedures.kinds.${a.kind}`), when: formatDateTime(a.repliedAt, req.ctx.locale) }),
      link: `/cases/${a.caseId}/procedures/${a.kind}#asks`,
    }));
    res.render('home/index', { title: t('common.appName'), mentions: presentHomeMentions(req.ctx, await mentionsOfActor({ ctx: req.ctx })), answers });
  });

  // The language switcher is a plain form, so it works without JavaScript.
  router.post('/lang', async (req, res) => {
    const { lang, next } = langBody.parse(req.body ?? {});
    if (lang) {
      rememberLocale(req, lang);
      await chooseLanguage({ ctx: req.ctx, locale: lang });
    }
    res.redirect(303, withoutLinkLanguage(safeNextPath(next, '/')));
  });

  return router;
}
