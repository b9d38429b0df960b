// The planner on stored cases: the forecast kept on the case (`forecast`, for the queue and the
// dashboard), recomputed after each change and by a periodic refresh (today moves, holidays are
// edited); the full plan (forecast with its explanation, certificate windows) computed on view.
import { Call } from '../../models/call.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { FORECAST_STAGES, PLANNING_STAGES, inStages } from '../../models/constants.ts';
import { loadCalendar, type WorkingCalendar } from '../calendar/index.ts';
import { currentDocuments } from '../documents/index.ts';
import { planCertificates, type CertificateWindow, type PlannerDocument } from './certificates.ts';
import { forecastArrival, type Forecast } from './forecast.ts';
import type { PlannerCase } from './schedule.ts';
import { stageTimesFor } from './stage-times.ts';
import { residenceCardConflict } from '../procedures/rules.ts';
import { papersForFamily, type FamilyCase } from '../applications/family-support.ts';

export interface CasePlan {
  forecast?: Forecast;
  windows: CertificateWindow[];
  /**
   * The residence card recorded earlier runs later than the passport now on file allows (rules.ts
   * residenceCardConflict): whatever the stage, since the passport may change after the card is
   * granted and the windows above only look at filings still ahead.
   */
  cardConflict?: NonNullable<ReturnType<typeof residenceCardConflict>>;
  /** The offer is not accepted yet: the windows hold only if it is (nothing is e-mailed before: CERTIFICATE_MAIL_STAGES). */
  ifAccepted?: boolean;
  /** Certificates are planned at this stage (an offer made, until arrival): before it, `windows` is empty for that reason. */
  planning?: boolean;
  /** Past the planning (arrived, closed): no window is planned because the person is here, not because no offer came yet. */
  arrived?: boolean;
  /** The visa procedure is a Vietnamese citizen's foreign family's TT visas (family-support.ts papersForFamily): the applicant is told the papers are for them. */
  familyVisa?: boolean;
  /** The case is on hold: the windows hold only once it resumes (the applicant is told not to spend on papers meanwhile). */
  onHold?: boolean;
}

type StoredCase = PlannerCase & { _id: unknown; institute?: unknown; call?: unknown };

interface ChecklistItem {
  type?: string | null;
  phase?: string | null;
  required?: boolean | null;
}

/** The document types a call's checklist requires before arrival (at the offer or before arrival). */
export function requiredBeforeArrival(checklist: readonly ChecklistItem[] | null | undefined): string[] {
  return (checklist ?? []).filter((i) => i.required !== false && (i.phase === 'offer' || i.phase === 'onboarding') && i.type).map((i) => String(i.type));
}

async function checklistOf(call: unknown): Promise<string[]> {
  const id = call && typeof call === 'object' && '_id' in call ? (call as { _id: unknown })._id : call;
  if (!id) return [];
  const found = await Call.findById(id, { checklist: 1 }).lean<{ checklist?: ChecklistItem[] | null }>();
  return requiredBeforeArrival(found?.checklist);
}

const PLANNER_FIELDS = { stage: 1, resumeStage: 1, stageEnteredAt: 1, arrivedAt: 1, profile: 1, supportRequested: 1, supportTracks: 1, institute: 1, dependants: 1 } as const;

/** The forecast and the certificate windows of one case, as of `now`. */
export async function casePlan({ caseDoc, now, calendar, documents: current, checklist }: { caseDoc: CaseDoc | StoredCase; now: Date; calendar?: WorkingCalendar; documents?: PlannerDocument[]; checklist?: string[] }): Promise<CasePlan> {
  const c = ('toObject' in caseDoc && typeof caseDoc.toObject === 'function' ? caseDoc.toObject() : caseDoc) as StoredCase;
  const [cal, stageTimes, documents] = await Promise.all([calendar ?? loadCalendar(), stageTimesFor({ institute: c.institute }), current ?? currentDocuments([c._id])]);
  const forecast = forecastArrival({ case: c, calendar: cal, today: now, stageTimes });
  const stage = c.stage === 'on_hold' ? c.resumeStage : c.stage;
  // Certificates are planned once an offer is made, until arrival (issue 14).
  const planning = !!forecast && inStages(stage, PLANNING_STAGES);
  const windows = planning ? planCertificates({ case: c, documents, calendar: cal, today: now, checklist: checklist ?? (await checklistOf(c.call)) }) : [];
  const cardConflict = residenceCardConflict(c.supportTracks, documents);
  return { forecast, windows, ifAccepted: stage === 'offer', planning, ...(stage === 'arrived' || stage === 'closed' ? { arrived: true } : {}), ...(c.stage === 'on_hold' ? { onHold: true } : {}), ...(papersForFamily(c as FamilyCase) ? { familyVisa: true } : {}), ...(cardConflict ? { cardConflict } : {}) };
}

/**
 * Recomputes and stores one case's forecast (no version bump: an officer's open form stays valid).
 * Never throws: a failed refresh is left to the periodic one.
 */
export async function refreshForecast({ caseId, now = new Date(), calendar }: { caseId: unknown; now?: Date; calendar?: WorkingCalendar }): Promise<void> {
  try {
    const c = await Case.findById(caseId, PLANNER_FIELDS).lean();
    if (!c) return;
    const cal = calendar ?? (await loadCalendar());
    const f = forecastArrival({ case: c as StoredCase, calendar: cal, today: now, stageTimes: await stageTimesFor({ institute: c.institute }) });
    const update = f ? { $set: { forecast: { earliest: f.earliest, likely: f.likely, latest: f.latest, computedAt: now } } } : { $unset: { forecast: 1 } };
    await Case.updateOne({ _id: c._id }, update, { timestamps: false });
  } catch {
    // The periodic refresh (server/planner/jobs.ts) catches up.
  }
}

/** Writes per bulk request in the periodic refresh. */
const REFRESH_BATCH = 500;

const sameDate = (a: Date | null | undefined, b: Date | null | undefined) => (a ? a.getTime() : null) === (b ? b.getTime() : null);

/**
 * Recomputes every open case's forecast (the periodic refresh) over one cursor, writing only the
 * forecasts whose dates changed, in bulk. Measured at 53,000 open cases: one findById and one
 * update per case (with `computedAt` always new, so every case was rewritten and journalled, ~80 MB a
 * day) kept the embedded database busy for minutes after each start; batches paged by `_id > last`
 * were each sorted in memory over every open case. `computedAt` is the time the dates were last
 * found different.
 */
export async function refreshAllForecasts({ now, isStopping = () => false }: { now: Date; isStopping?: () => boolean }): Promise<number> {
  const cal = await loadCalendar();
  let n = 0;
  let writes: Parameters<typeof Case.bulkWrite>[0] = [];
  const flush = async () => {
    if (writes.length) await Case.bulkWrite(writes, { ordered: false, timestamps: false });
    writes = [];
  };
  const cursor = Case.find({ stage: { $in: [...FORECAST_STAGES] } }, { ...PLANNER_FIELDS, forecast: 1 })
    .lean()
    .cursor({ batchSize: REFRESH_BATCH });
  try {
    for await (const c of cursor) {
      if (isStopping()) break;
      const stored = (c as { forecast?: { earliest?: Date; likely?: Date; latest?: Date } }).forecast;
      const f = forecastArrival({ case: c as unknown as StoredCase, calendar: cal, today: now, stageTimes: await stageTimesFor({ institute: c.institute }) });
      n += 1;
      if (f && stored && sameDate(f.earliest, stored.earliest) && sameDate(f.likely, stored.likely) && sameDate(f.latest, stored.latest)) continue;
      if (!f && !stored?.likely && !stored?.earliest && !stored?.latest) continue;
      const update = f ? { $set: { forecast: { earliest: f.earliest, likely: f.likely, latest: f.latest, computedAt: now } } } : { $unset: { forecast: 1 } };
      writes.push({ updateOne: { filter: { _id: c._id }, update } });
      if (writes.length >= REFRESH_BATCH) await flush();
    }
    await flush();
  } finally {
    await cursor.close();
  }
  return n;
}
