// The language switcher: a signed-in user's choice is kept on their account too (e-mails and the
// next sign-in use it); a visitor's only in a cookie (server/http/visitor-state.ts).
import { User } from '../../models/user.ts';
import type { Context } from '../context.ts';
import type { Locale } from '../i18n/index.ts';

export async function chooseLanguage({ ctx, locale }: { ctx: Context; locale: Locale }): Promise<void> {
  if (ctx.actor) await User.updateOne({ _id: ctx.actor._id }, { $set: { locale } });
}
