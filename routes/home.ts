import { Router } from 'express';
import type { AppContext } from '../server/deps.ts';
import { isLocale } from '../server/i18n/index.ts';
import { safeNextPath } from '../server/http/safe-next.ts';
import { User } from '../models/user.ts';
import { rememberLocale } from '../server/http/visitor-state.ts';
import { mentionsOfActor } from '../server/mentions/service.ts';
import { presentHomeMentions } from '../server/mentions/present.ts';

export function homeRoutes(_ctx: AppContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.render('home/index', { title: res.locals.t('common.appName'), mentions: presentHomeMentions(req.ctx, await mentionsOfActor({ ctx: req.ctx })) });
  });

  // The language switcher is a plain form, so it works without JavaScript.
  router.post('/lang', async (req, res) => {
    const lang = (req.body as Record<string, unknown>).lang;
    if (isLocale(lang)) {
      rememberLocale(req, lang);
      if (req.user) await User.updateOne({ _id: req.user._id }, { $set: { locale: lang } });
    }
    res.redirect(303, safeNextPath((req.body as Record<string, unknown>).next, '/'));
  });

  return router;
}
