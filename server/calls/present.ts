// Page models for the public calls: the list with its filters, a call's page, and the confirmation
// before starting an application.
import { tOf, type Context } from '../context.ts';
import { TRACKS, type Track } from '../../models/constants.ts';
import type { CallDoc } from '../../models/call.ts';
import type { listOpenCalls, OwnApplication, publishedCall } from './service.ts';
import { withFields } from '../support/with-fields.ts';

/** Where an application is continued: a draft at its first step, anything else on its page. */
export function applicationPath(application: OwnApplication): string {
  return application.draft ? `/applications/${application.id}/edit/profile` : `/applications/${application.id}`;
}

export function presentCallList(ctx: Context, input: { listing: Awaited<ReturnType<typeof listOpenCalls>>; track?: Track; field?: string }) {
  const t = tOf(ctx);
  const { listing, track, field } = input;
  return {
    title: t('calls.title'),
    calls: listing.calls.map((c) => withFields(c, { trackLabel: t(`calls.tracks.${c.track}`) })),
    tracks: TRACKS.map((k) => ({ value: k, label: t(`calls.tracks.${k}`), selected: track === k })),
    fields: listing.fields.map((f) => ({ value: f, selected: field === f })),
    filtered: Boolean(track || field),
  };
}

export function presentCall(ctx: Context, page: Awaited<ReturnType<typeof publishedCall>>) {
  const t = tOf(ctx);
  // A plain object for the view (Handlebars refuses a Mongoose document's getters).
  const call = page.call.toObject();
  return {
    title: call.title?.[ctx.locale] || call.title?.en,
    call,
    id: String(call._id),
    instituteName: page.instituteName,
    trackLabel: t(`calls.tracks.${call.track}`),
    open: page.open,
    checklist: (call.checklist ?? []).map((i) => ({
      label: t(`documents.types.${i.type}`, { defaultValue: i.type }),
      phase: t(`documents.phases.${i.phase ?? 'application'}`),
      required: i.required !== false,
      multiple: !!i.multiple,
      note: i.note,
    })),
    mine: page.mine,
    canApply: !ctx.actor || ctx.actor.role === 'applicant',
  };
}

export function presentApply(ctx: Context, call: CallDoc) {
  return { title: tOf(ctx)('calls.apply.title'), call: call.toObject(), id: String(call._id) };
}
