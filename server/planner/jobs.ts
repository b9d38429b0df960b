// Background work of the planner: e-mail the applicant the certificate windows that opened (one
// e-mail per case and run listing them all, through the case outbox; each window once), and keep
// stored forecasts current as "today" moves and holidays are edited (every open case once a day).
// Changes made over HTTP refresh their case at once (refreshForecast in the workflow's transition()
// and in updateProcedure); the pages recompute the full plan on view.
import { Call } from '../../models/call.ts';
import { Case } from '../../models/case.ts';
import { CERTIFICATE_MAIL_STAGES } from '../../models/constants.ts';
import { User } from '../../models/user.ts';
import { loadCalendar, vnDateKey } from '../calendar/index.ts';
import type { AppContext } from '../deps.ts';
import { DEFAULT_LOCALE, isLocale, translator } from '../i18n/index.ts';
import { caseEmail, outboxKey, type OutboxItem } from '../outbox/item.ts';
import { hrContactFor, sendToLine } from '../institutes/contact.ts';
import { periodicService, type BackgroundService } from '../services.ts';
import { casePlan, refreshAllForecasts, requiredBeforeArrival } from './service.ts';
import { documentLabel, documentTitle, neededForText } from './present.ts';
import { formatDay } from '../views/time.ts';

async function pushOnce(caseId: unknown, item: OutboxItem): Promise<boolean> {
  const res = await Case.updateOne({ _id: caseId, 'outbox.key': { $ne: item.key } }, { $push: { outbox: item } }, { timestamps: false });
  return res.modifiedCount === 1;
}

/** The line for a dated document the case holds that falls short (certificates.ts onFile), in the applicant's language. */
function onFileLine(t: ReturnType<typeof translator>, locale: 'vi' | 'en', type: string, onFile: { expiresAt?: Date; validUntil: Date }, to: Date): string {
  const params = { document: documentLabel(locale, type), title: documentTitle(locale, type), required: formatDay(onFile.validUntil, locale), to: formatDay(to, locale) };
  return onFile.expiresAt ? t('planner.checklist.renew', { ...params, expires: formatDay(onFile.expiresAt, locale) }) : t('planner.checklist.checkValid', params);
}

/** The template of the window e-mail: one window per e-mail before the digest, a `windows` list since. */
const TEMPLATE = 'certificate_window';

/** What the case's outbox keeps of a window e-mail already queued or sent. */
interface SentItem {
  key: string;
  template: string;
  createdAt: Date;
  data?: { from?: Date; to?: Date; windows?: Array<{ key?: string; from?: Date; to?: Date }> | null } | null;
}

/** A window the applicant was told of: its own key, its dates and the day the e-mail was queued. */
interface Announced {
  key: string;
  from?: Date;
  to?: Date;
  sentOn: Date;
}

/** Every window announced on the case, from digests (a row each) and from the older one-window e-mails (keyed by the window). */
function announcedWindows(outbox: readonly SentItem[]): Announced[] {
  return outbox
    .filter((o) => o.template === TEMPLATE)
    .flatMap((o) =>
      Array.isArray(o.data?.windows)
        ? o.data.windows.filter((w) => typeof w?.key === 'string').map((w) => ({ key: w.key!, from: w.from, to: w.to, sentOn: o.createdAt }))
        : [{ key: o.key, from: o.data?.from, to: o.data?.to, sentOn: o.createdAt }],
    );
}

const sameDay = (a: Date | string | undefined, b: Date) => !!a && vnDateKey(new Date(a)) === vnDateKey(b);

/** "a, b and c" in the e-mail's language (the subject names every certificate of the digest). */
const listOf = (locale: string, items: string[]) => new Intl.ListFormat(locale, { type: 'conjunction' }).format(items);

/**
 * One e-mail per case and run listing every open window not announced yet (each with its dates, the
 * working days left and the filings it serves), only once the offer is accepted (CERTIFICATE_MAIL_STAGES).
 * A window is announced once (key: case, document type, first filing it serves); one whose filing
 * moved is announced again, saying which dates it replaces. The digest's key is the case and the
 * Vietnamese day: a rerun, or a second process running the same day, queues nothing more.
 */
export async function runCertificateWindowReminders({ app, now, caseIds }: { app: Pick<AppContext, 'config' | 'logger'>; now: Date; caseIds?: unknown[] }): Promise<{ sent: number }> {
  const calendar = await loadCalendar();
  const cases = await Case.find(
    { stage: { $in: [...CERTIFICATE_MAIL_STAGES] }, ...(caseIds ? { _id: { $in: caseIds } } : {}) },
    { reference: 1, applicant: 1, call: 1, stage: 1, resumeStage: 1, stageEnteredAt: 1, arrivedAt: 1, profile: 1, supportRequested: 1, supportTracks: 1, institute: 1, dependants: 1, 'outbox.key': 1, 'outbox.template': 1, 'outbox.createdAt': 1, 'outbox.data.from': 1, 'outbox.data.to': 1, 'outbox.data.windows': 1 },
  ).lean();
  let sent = 0;
  // What each call's checklist lets the applicant upload: a document off the list is handed to HR.
  const calls = await Call.find({ _id: { $in: [...new Set(cases.map((c) => String(c.call)))] } }, { 'checklist.type': 1, 'checklist.phase': 1, 'checklist.required': 1 }).lean<Array<{ _id: unknown; checklist?: Array<{ type?: string | null; phase?: string | null; required?: boolean | null }> | null }>>();
  const uploadable = new Map(calls.map((call) => [String(call._id), new Set((call.checklist ?? []).map((i) => String(i.type)))]));
  const beforeArrival = new Map(calls.map((call) => [String(call._id), requiredBeforeArrival(call.checklist)]));
  // Each institute's HR contact read once per run, not once per e-mail.
  const contacts = new Map<string, ReturnType<typeof hrContactFor>>();
  const contactOf = (institute: unknown) => {
    const id = String(institute);
    if (!contacts.has(id)) contacts.set(id, hrContactFor(institute));
    return contacts.get(id)!;
  };
  for (const c of cases) {
    const { windows, familyVisa } = await casePlan({ caseDoc: c as never, now, calendar, checklist: beforeArrival.get(String(c.call)) ?? [] });
    const open = windows.filter((w) => w.status === 'open');
    if (open.length === 0) continue;
    const applicant = await User.findById(c.applicant, { email: 1, name: 1, locale: 1, disabledAt: 1 }).lean();
    if (!applicant || applicant.disabledAt) continue;
    const locale = isLocale(applicant.locale) ? applicant.locale : DEFAULT_LOCALE;
    const t = translator(locale);
    const caseId = String(c._id);
    const announced = announcedWindows((c as { outbox?: SentItem[] }).outbox ?? []);
    const rows = [];
    for (const w of open) {
      // A window is known by its document and the first filing it serves: a window whose start is
      // "today" (already open when planned) is the same window tomorrow, and so is one whose filing
      // waits only for the papers (its day moves with today).
      const first = w.neededBy[0]!;
      const prefix = outboxKey(caseId, 'certificate-window', w.type);
      const key = outboxKey(prefix, first.whenReady ? `${first.kind}-when-ready` : vnDateKey(first.fileOn));
      if (announced.some((a) => a.key === key)) continue;
      // The window we sent before for this document, if its filing has moved since: the new row
      // says it replaces that one (two e-mails with different dates and no word of which holds
      // left the applicant to guess). The same dates again are not sent again.
      const earlier = announced.filter((a) => a.key.startsWith(`${prefix}.`)).sort((a, b) => new Date(b.sentOn).getTime() - new Date(a.sentOn).getTime())[0];
      if (earlier && sameDay(earlier.from, w.from) && sameDay(earlier.to, w.to)) continue;
      rows.push({
        key,
        type: w.type,
        document: documentLabel(locale, w.type),
        label: documentTitle(locale, w.type),
        from: w.from,
        to: w.to,
        procedures: neededForText(t, w, familyVisa === true),
        uploadable: uploadable.get(String(c.call))?.has(w.type) ?? false,
        // Working days from today to the last day, both counted; nearly closed said plainly.
        daysLeft: w.daysLeft ?? 0,
        closing: w.closing ?? false,
        ...(earlier ? { replaces: { sentOn: earlier.sentOn, from: earlier.from, to: earlier.to } } : {}),
        // A passport on file that falls short: said as the planner page says it, not "obtain" one they have (walk s34 #3).
        ...(w.onFile ? { onFile: onFileLine(t, locale, w.type, w.onFile, w.to) } : {}),
      });
    }
    if (rows.length === 0) continue;
    const data = {
      name: applicant.name,
      reference: c.reference,
      documents: listOf(locale, rows.map((r) => r.document)),
      windows: rows,
      closing: rows.some((r) => r.closing),
      replaced: rows.some((r) => 'replaces' in r),
      link: `${app.config.appUrl}/applications/${caseId}#planner`,
      // A paper handed to the HR office (not on the upload list) says where it goes, when the institute has a contact.
      sendTo: rows.some((r) => !r.uploadable) ? sendToLine(t, await contactOf(c.institute), locale) : '',
    };
    const key = outboxKey(caseId, 'certificate-windows', vnDateKey(now));
    if (await pushOnce(c._id, caseEmail({ email: applicant.email, locale }, TEMPLATE, data, key, now))) sent += 1;
  }
  if (sent) app.logger.info({ sent }, 'certificate window e-mails queued');
  return { sent };
}

/** Checks every hour; runs once per Vietnamese day (both steps are safe to repeat). */
export function plannerService(app: AppContext, intervalMs = 3_600_000): BackgroundService {
  let lastDay: string | undefined;
  return periodicService(app, {
    name: 'planner',
    intervalMs,
    firstDelayMs: 30_000,
    run: async (isStopping) => {
      const now = app.now();
      const day = vnDateKey(now);
      if (day === lastDay) return;
      await refreshAllForecasts({ now, isStopping });
      if (!isStopping()) await runCertificateWindowReminders({ app, now });
      lastDay = day;
    },
  });
}
