// Private calendar feeds: each HR officer and leader may hold one secret URL
// (/calendar/<token>.ics) that calendar apps fetch without a session. The token is 256 random bits,
// shown once when it is made; only its SHA-256 is stored, and the feed is found by looking that
// hash up, so a wrong token costs the same as any other and nothing is compared byte by byte.
// Regenerating replaces the hash (the old URL stops at once); revoking removes it. So does whatever
// voids the trust the URL was given on (END_FEED): a new password, a disabling, a new role or institute.
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { Case } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { OPEN_STAGES } from '../../models/constants.ts';
import { recordAudit } from '../audit/index.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { caseScopeFor } from '../cases/access.ts';
import { isLocale, translator, DEFAULT_LOCALE } from '../i18n/index.ts';
import { feedEvents, type FeedCase, type FeedEvent } from './events.ts';

/** Who has a feed: the people with a caseload and deadlines (administrators see every case, and have none). */
export const FEED_ROLES = ['hr_officer', 'leader'] as const;
/** 32 random bytes in base64url. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** A feed lists at most this many cases (the nearest deadlines first would need all of them: a cap keeps a fetch bounded). */
const MAX_CASES = 5000;
/** Stages a feed covers: open, and past the draft (staff never see drafts). */
const FEED_STAGES = OPEN_STAGES.filter((s) => s !== 'draft');

export function hashFeedToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function feedPath(token: string): string {
  return `/calendar/${token}.ics`;
}

/**
 * The `$unset` that ends an account's feed, written in the same update as the change that voids it
 * (server/accounts: a password changed or reset, an account disabled, a role or institute changed):
 * whoever may have had the account may have copied its URL, which works without a session, so a new
 * password must end it as it ends sessions; and the owner makes a new one knowingly after a move.
 */
export const END_FEED = { calendarFeed: 1 } as const;

/** Whether the account, as read, has a feed (for what the change that ends it says). */
export function hasFeed(user: { calendarFeed?: { tokenHash?: string | null } | null }): boolean {
  return !!user.calendarFeed?.tokenHash;
}

function mayHaveFeed(user: { role: string }): boolean {
  return (FEED_ROLES as readonly string[]).includes(user.role);
}

export interface FeedStatus {
  active: boolean;
  createdAt?: Date;
  allowed: boolean;
}

export function feedStatus(ctx: Context): FeedStatus {
  const user = actorOf(ctx);
  const createdAt = hasFeed(user) ? (user.calendarFeed?.createdAt ?? undefined) : undefined;
  return { active: hasFeed(user), createdAt, allowed: mayHaveFeed(user) };
}

/** Makes (or remakes) the actor's feed token. The plain token is returned once and never stored. */
export async function createFeedToken(opts: { ctx: Context }): Promise<{ token: string; path: string; regenerated: boolean }> {
  const { ctx } = opts;
  const user = actorOf(ctx);
  if (!mayHaveFeed(user)) throw new ForbiddenError('calendarFeed.errors.role');
  const token = randomBytes(32).toString('base64url');
  const regenerated = hasFeed(user);
  await User.updateOne({ _id: user._id }, { $set: { calendarFeed: { tokenHash: hashFeedToken(token), createdAt: ctx.now } } });
  await recordAudit(ctx, { action: regenerated ? 'calendar_feed.regenerate' : 'calendar_feed.create', targetType: 'user', targetId: String(user._id) });
  return { token, path: feedPath(token), regenerated };
}

/** Ends the actor's feed: its URL answers 404 from now on. */
export async function revokeFeedToken(opts: { ctx: Context }): Promise<{ revoked: boolean }> {
  const { ctx } = opts;
  const user = actorOf(ctx);
  const res = await User.updateOne({ _id: user._id, 'calendarFeed.tokenHash': { $exists: true } }, { $unset: { calendarFeed: 1 } });
  if (res.modifiedCount === 1) await recordAudit(ctx, { action: 'calendar_feed.revoke', targetType: 'user', targetId: String(user._id) });
  return { revoked: res.modifiedCount === 1 };
}

/**
 * The owner of a feed token, if it is live: an enabled officer or leader holding that token now.
 * Disabling also removes the token (END_FEED); the check of `disabledAt` and the role stays, so a
 * feed is refused on what the account is now, whatever wrote it (and whenever that write lands).
 */
async function feedOwner(token: string): Promise<UserDoc | null> {
  // Hash whatever came, so a malformed token costs what a well-formed one does.
  const hash = hashFeedToken(token);
  if (!TOKEN_SHAPE.test(token)) return null;
  return (await User.findOne({ 'calendarFeed.tokenHash': hash, disabledAt: null, role: { $in: [...FEED_ROLES] } })) as UserDoc | null;
}

export interface RenderedFeed {
  body: string;
  etag: string;
  events: FeedEvent[];
}

/** The feed of a token: every deadline of the cases its owner may see now. NotFoundError for anything but a live token. */
export async function renderFeed(opts: { app: Pick<AppContext, 'config'>; ctx: Context; token: string }): Promise<RenderedFeed> {
  const { app, ctx, token } = opts;
  const owner = await feedOwner(token);
  if (!owner) throw new NotFoundError();
  const scope = await caseScopeFor(owner);
  const cases = (await Case.find(
    { $and: [scope, { stage: { $in: FEED_STAGES } }] },
    { reference: 1, stage: 1, stageDueAt: 1, updatedAt: 1, infoRequest: 1, supportTracks: 1, 'profile.plannedArrival': 1, arrivedAt: 1 },
  )
    .sort({ _id: 1 })
    .limit(MAX_CASES)
    .lean()) as unknown as FeedCase[];
  const locale = isLocale(owner.locale) ? owner.locale : DEFAULT_LOCALE;
  const t = translator(locale);
  const events = cases.flatMap((c) => feedEvents(c, t, app.config.appUrl, ctx.now));
  const { default: ical } = await import('ical-generator'); // on first feed request, not at start
  const cal = ical({
    name: t('calendarFeed.calendarName', { name: owner.name }),
    prodId: { company: 'talent-cases', product: 'calendar-feed', language: locale.toUpperCase() },
  });
  for (const e of events) {
    const start = new Date(`${e.day}T00:00:00.000Z`);
    cal.createEvent({ id: e.uid, start, end: new Date(start.getTime() + 86_400_000), allDay: true, summary: e.summary, url: e.url, stamp: e.stamp });
  }
  const body = cal.toString();
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"`, events };
}
