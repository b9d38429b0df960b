// Page model of the calendar feed settings (/account/calendar): whether a feed exists, since when,
// and, once, right after it was made, its URL.
import { tOf, type Context } from '../context.ts';
import { feedStatus } from './service.ts';

export function presentFeedSettings(ctx: Context, input: { appUrl: string; created?: { path: string; regenerated: boolean } }) {
  const t = tOf(ctx);
  const status = feedStatus(ctx);
  const created = input.created;
  return {
    title: t('calendarFeed.title'),
    allowed: status.allowed,
    // The actor was loaded before this request made the feed.
    active: status.active || !!created,
    createdAt: created ? ctx.now : status.createdAt,
    feedUrl: created ? `${input.appUrl}${created.path}` : undefined,
    regenerated: created?.regenerated === true,
    scripts: created ? ['/static/js/calendar-feed.js'] : [],
  };
}
