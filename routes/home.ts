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
import { chooseLanguage } from '../server/home/service.ts';

const langBody = z.object({ lang: z.enum(LOCALES).optional().catch(undefined), next: z.unknown().optional() });

export function homeRoutes(_app: AppContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.render('home/index', { title: tOf(req.ctx)('common.appName'), mentions: presentHomeMentions(req.ctx, await mentionsOfActor({ ctx: req.ctx })) });
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
