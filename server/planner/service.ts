// The planner on stored cases: the forecast kept on the case (`forecast`, for the queue and the
// dashboard), recomputed after each change and by a periodic refresh (today moves, holidays are
// edited); the full plan (forecast with its explanation, certificate windows) computed on view.
import { Case, type CaseDoc } from '../../models/case.ts';
import { FORECAST_STAGES, PLANNING_STAGES, inStages } from '../../models/constants.ts';
import { loadCalendar, type WorkingCalendar } from '../calendar/index.ts';
import { currentDocuments } from '../documents/index.ts';
import { planCertificates, type CertificateWindow } from './certificates.ts';
import { forecastArrival, type Forecast } from './forecast.ts';
import type { PlannerCase } from './schedule.ts';
import { stageTimesFor } from './stage-times.ts';

export interface CasePlan {
  forecast?: Forecast;
  windows: CertificateWindow[];
}

type StoredCase = PlannerCase & { _id: unknown; institute?: unknown };

const PLANNER_FIELDS = { stage: 1, resumeStage: 1, stageEnteredAt: 1, arrivedAt: 1, profile: 1, supportRequested: 1, supportTracks: 1, institute: 1, dependants: 1 } as const;

/** The forecast and the certificate windows of one case, as of `now`. */
export async function casePlan({ caseDoc, now, calendar }: { caseDoc: CaseDoc | StoredCase; now: Date; calendar?: WorkingCalendar }): Promise<CasePlan> {
  const c = ('toObject' in caseDoc && typeof caseDoc.toObject === 'function' ? caseDoc.toObject() : caseDoc) as StoredCase;
  const [cal, stageTimes, documents] = await Promise.all([calendar ?? loadCalendar(), stageTimesFor({ institute: c.institute }), currentDocuments([c._id])]);
  const forecast = forecastArrival({ case: c, calendar: cal, today: now, stageTimes });
  const stage = c.stage === 'on_hold' ? c.resumeStage : c.stage;
  // Certificates are planned once an offer is made, until arrival (issue 14).
  const windows = forecast && inStages(stage, PLANNING_STAGES) ? planCertificates({ case: c, documents, calendar: cal, today: now }) : [];
  return { forecast, windows };
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

/** Recomputes every open case's forecast (the periodic refresh), in batches by _id. */
export async function refreshAllForecasts({ now, isStopping = () => false }: { now: Date; isStopping?: () => boolean }): Promise<number> {
  const cal = await loadCalendar();
  let last: unknown;
  let n = 0;
  for (;;) {
    const batch = await Case.find({ stage: { $in: [...FORECAST_STAGES] }, ...(last ? { _id: { $gt: last } } : {}) }, { _id: 1 })
      .sort({ _id: 1 })
      .limit(500)
      .lean();
    if (batch.length === 0 || isStopping()) return n;
    for (const c of batch) {
      await refreshForecast({ caseId: c._id, now, calendar: cal });
      n += 1;
    }
    last = batch[batch.length - 1]!._id;
  }
}
