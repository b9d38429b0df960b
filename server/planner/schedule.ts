// The procedures still ahead of a case laid out on the holiday calendar: when each can be filed and
// when its authority must decide, from the legal rules (server/procedures/rules.ts). Pure: the same
// inputs give the same dates, so the forecast, the certificate windows and the tests agree.
import { vnDateKey, vnStartOfDay, vnStartOfDayOf, type WorkingCalendar } from '../calendar/index.ts';
import { PROCEDURE_KINDS, PROCEDURE_RULES, countedLodgingDue, type ProcedureKind } from '../procedures/rules.ts';
import { SUPPORT_TRACK_DEADLINES } from '../workflow/transitions.ts';
import { reasonsDueOf } from '../../models/case-deadline.ts';

const DAY = 86_400_000;

/** One line of explanation, translated by the presenter (`planner.explain.<key>`); Date params are formatted as dates. */
export interface Explanation {
  key: string;
  params: Record<string, string | number | Date>;
}

export interface PlannerTrack {
  kind: string;
  status: string;
  dueAt?: Date | null;
  updatedAt?: Date | null;
  /** The residence card's end, when the procedures feature records it. */
  cardEndsAt?: Date | null;
  endsAt?: Date | null;
  /** A refusal whose written reasons the authority still owes, and the day they were due by (models/case-deadline.ts reasonsDueOf). */
  reasonsMissing?: boolean | null;
  reasonsDueAt?: Date | null;
  reasonsReceivedAt?: Date | null;
}

export interface PlannerCase {
  stage: string;
  resumeStage?: string | null;
  stageEnteredAt?: Date | null;
  arrivedAt?: Date | null;
  profile?: { plannedArrival?: Date | null } | null;
  supportRequested?: Partial<Record<'workPermit' | 'visa' | 'residenceCard' | 'housing' | 'citizenship', boolean | null>> | null;
  supportTracks?: readonly PlannerTrack[] | null;
  dependants?: readonly unknown[] | null;
}

export interface ProcedureStep {
  kind: ProcedureKind;
  status: string;
  /** The day the file is (or was) lodged; undefined for a procedure approved before we know. */
  fileOn?: Date;
  /** The day the authority must decide (or decided). */
  decisionBy?: Date;
  /** Filed already: its documents are lodged. */
  filed: boolean;
  decided: boolean;
  explain: Explanation;
}

/** Procedures that must be through before the person may start work (entry and the right to work). */
export const BLOCKS_START: readonly ProcedureKind[] = ['work_permit', 'work_permit_exemption', 'visa'];

/** 00:00 in Vietnam of the day containing `d`. */
export function dayOf(d: Date): Date {
  return vnStartOfDayOf(d);
}

export function plusDays(d: Date, n: number): Date {
  return new Date(dayOf(d).getTime() + n * DAY);
}

/** Calendar months on the Vietnamese date (31 March − 1 month = 28/29 February). */
export function plusMonths(d: Date, months: number): Date {
  const [y, m, dd] = vnDateKey(d).split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12;
  const last = new Date(Date.UTC(ny, nm + 1, 0)).getUTCDate();
  return vnStartOfDay(`${ny}-${String(nm + 1).padStart(2, '0')}-${String(Math.min(dd, last)).padStart(2, '0')}`);
}

export function maxDate(...ds: Array<Date | undefined>): Date | undefined {
  let out: Date | undefined;
  for (const d of ds) if (d && (!out || d.getTime() > out.getTime())) out = d;
  return out;
}

/** The day itself if it is a working day, else the working day before it (a file due by a Sunday goes in on the Friday). */
export function onOrBeforeWorkingDay(cal: WorkingCalendar, d: Date): Date {
  let x = dayOf(d);
  for (let i = 0; i < 400 && !cal.isWorkingDay(x); i++) x = new Date(x.getTime() - DAY);
  return x;
}

/**
 * The day the institute aims to lodge a procedure with a legal filing window by (the work permit and
 * its exemption, Decree 219/2025/ND-CP: rules.ts filingWindow), as the case shows it: the target
 * stored on the procedure before filing (counted, or typed by HR), else the default it gets when
 * requested today (rules.ts countedLodgingDue: the window's last day less the institute's margin,
 * SUPPORT_TRACK_DEADLINES being the working days a request counts). Undefined without a window or a
 * planned start.
 */
export function filingTarget(kind: ProcedureKind, track: Pick<PlannerTrack, 'status' | 'dueAt'>, cal: WorkingCalendar, today: Date, plannedStart: Date | null | undefined): Date | undefined {
  if (!PROCEDURE_RULES[kind].fileBeforeStartDays || !plannedStart) return undefined;
  if ((track.status === 'requested' || track.status === 'preparing') && track.dueAt) return track.dueAt;
  return countedLodgingDue(kind, cal, today, SUPPORT_TRACK_DEADLINES[kind], plannedStart).dueAt;
}

/** The day itself if it is a working day, else the next working day. */
export function onOrAfterWorkingDay(cal: WorkingCalendar, d: Date): Date {
  let x = dayOf(d);
  for (let i = 0; i < 400 && !cal.isWorkingDay(x); i++) x = new Date(x.getTime() + DAY);
  return x;
}

/** `n` working days after `d` (or before, when negative), as a Vietnamese day. */
export function workingDaysAfter(cal: WorkingCalendar, d: Date, n: number): Date {
  return dayOf(cal.addWorkingDays(dayOf(d), n));
}

const REQUESTED_FLAGS: Array<[string, ProcedureKind]> = [
  ['workPermit', 'work_permit'],
  ['visa', 'visa'],
  ['residenceCard', 'residence_card'],
  ['housing', 'housing'],
  ['citizenship', 'citizenship'],
];

function isKind(k: string): k is ProcedureKind {
  return (PROCEDURE_KINDS as readonly string[]).includes(k);
}

/**
 * The procedures the case needs: each kind's track (unless 'not_needed'), else what the applicant
 * asked for. Per kind, not "tracks if any": during the offer HR may start one procedure (housing)
 * before the others have tracks, and the work permit the applicant asked for is still ahead.
 */
export function neededProcedures(c: PlannerCase): PlannerTrack[] {
  const tracks = (c.supportTracks ?? []).filter((t) => isKind(t.kind));
  const tracked = new Set(tracks.map((t) => t.kind));
  const asked = c.supportRequested ?? {};
  const requested = REQUESTED_FLAGS.filter(([flag, kind]) => !tracked.has(kind) && (asked as Record<string, unknown>)[flag] === true).map(([, kind]) => ({ kind, status: 'requested' }));
  return [...tracks.filter((t) => t.status !== 'not_needed'), ...requested];
}

export interface ScheduleOptions {
  case: PlannerCase;
  calendar: WorkingCalendar;
  today: Date;
  /**
   * Lodge the work permit (and its exemption) on the procedure's target (filingTarget: inside the
   * legal window before the planned start, the date the case shows as "We aim to file by"), for the
   * certificate planner: that is when the file is planned to go in, so a certificate obtained for it
   * is still valid then. Off for the earliest-date forecast.
   */
  anchorOnPlannedStart?: boolean;
}

export interface Schedule {
  steps: ProcedureStep[];
  /** The first working day the person may start work under these procedures. */
  start: Date;
  startExplain: Explanation[];
  /** The day the person enters Vietnam: the later of the start and the planned arrival (or the arrival). */
  entry: Date;
}

/** Lays the case's procedures out on the calendar (see the file comment). */
export function scheduleProcedures({ case: c, calendar: cal, today, anchorOnPlannedStart = false }: ScheduleOptions): Schedule {
  const today0 = dayOf(today);
  const plannedStart = c.profile?.plannedArrival ? dayOf(c.profile.plannedArrival) : undefined;
  const tracks = new Map(neededProcedures(c).map((t) => [t.kind as ProcedureKind, t]));
  const steps = new Map<ProcedureKind, ProcedureStep>();

  /** `notBefore`: a day the procedure cannot be lodged before; `entry`: that day is the entry to Vietnam. */
  const place = (kind: ProcedureKind, notBefore: Date | undefined, entry = false): ProcedureStep => {
    const t = tracks.get(kind)!;
    const rule = PROCEDURE_RULES[kind];
    const n = rule.decisionWorkingDays;
    if (t.status === 'approved') {
      const on = dayOf(t.updatedAt ?? today0);
      return { kind, status: t.status, decisionBy: on, filed: true, decided: true, explain: { key: 'approved', params: { kind, date: on } } };
    }
    if (t.status === 'filed') {
      const fileOn = dayOf(t.updatedAt ?? today0);
      const decisionBy = t.dueAt ? dayOf(t.dueAt) : n !== undefined ? workingDaysAfter(cal, fileOn, n) : undefined;
      return {
        kind,
        status: t.status,
        fileOn,
        decisionBy,
        filed: true,
        decided: false,
        explain: decisionBy ? { key: 'filed', params: { kind, filed: fileOn, days: n ?? 0, date: decisionBy } } : { key: 'filedNoDeadline', params: { kind, filed: fileOn } },
      };
    }
    // Not lodged yet (requested, preparing, or refused and to be lodged again).
    let earliest = today0;
    let explain: Explanation | undefined;
    // Each group waits for its soonest member (either proof will do); the step for the latest group.
    const prereqs = (rule.after ?? []).flatMap((group) => {
      const decided = group.map((k) => steps.get(k)).filter((s): s is ProcedureStep => !!s?.decisionBy);
      return decided.sort((a, b) => a.decisionBy!.getTime() - b.decisionBy!.getTime()).slice(0, 1);
    });
    const prereq = prereqs.sort((a, b) => b.decisionBy!.getTime() - a.decisionBy!.getTime())[0];
    if (prereq && prereq.decisionBy! > earliest) earliest = prereq.decisionBy!;
    let afterEntry = false;
    if (notBefore && notBefore > earliest) {
      earliest = notBefore;
      afterEntry = entry;
    }
    let reasons: Date | undefined;
    // Refused: lodged again once the refusal's reasons are known. They come with the refusal
    // (Decree 219/2025/ND-CP, rules.ts refusalWithReasons); where the authority refused without
    // them and the day they were due by (the decision deadline) is still ahead, not before it.
    const reasonsBy = t.status === 'refused' ? reasonsDueOf(t) : undefined;
    if (reasonsBy && reasonsBy > today0) {
      reasons = reasonsBy;
      if (reasons > earliest) earliest = reasons;
    }
    // On the procedure's target, not the window's first day: the certificates' "get it by" dates
    // then line up with the target on the case (a file lodged on the first day needs them weeks
    // earlier, and a criminal record issued for that day may be too old by the target). Never before
    // the day it can be lodged (today, a prerequisite decided, a refusal's reasons received).
    let anchored = false;
    const target = anchorOnPlannedStart ? filingTarget(kind, t, cal, today, c.profile?.plannedArrival) : undefined;
    if (target) {
      const on = onOrBeforeWorkingDay(cal, target);
      if (on > earliest) {
        earliest = on;
        anchored = true;
      }
    }
    const fileOn = onOrAfterWorkingDay(cal, earliest);
    const decisionBy = n !== undefined ? workingDaysAfter(cal, fileOn, n) : undefined;
    if (reasons && decisionBy) {
      explain = { key: 'refiled', params: { kind, reasons, filed: fileOn, days: n!, date: decisionBy } };
    } else if (prereq && !anchored && fileOn.getTime() === onOrAfterWorkingDay(cal, prereq.decisionBy!).getTime() && n !== undefined) {
      explain = { key: 'after', params: { kind, days: n, prev: prereq.kind, date: decisionBy! } };
    } else if (afterEntry && !anchored && n !== undefined) {
      explain = { key: 'afterEntry', params: { kind, filed: fileOn, days: n, date: decisionBy! } };
    } else if (anchored) {
      explain = { key: 'target', params: { kind, filed: fileOn, days: n ?? 0, date: decisionBy ?? fileOn } };
    } else if (decisionBy) {
      explain = { key: 'fileFrom', params: { kind, filed: fileOn, days: n!, date: decisionBy } };
    } else {
      explain = { key: 'noDeadline', params: { kind } };
    }
    return { kind, status: t.status, fileOn, decisionBy, filed: false, decided: false, explain };
  };

  // 1. What stands between the person and their first day: work permit or exemption, then the visa.
  for (const kind of PROCEDURE_KINDS) if (BLOCKS_START.includes(kind) && tracks.has(kind)) steps.set(kind, place(kind, undefined));

  // 2. The first day of work: every blocking decision made, the work permit or its exemption lodged
  // at least the legal minimum before the start (Decree 219/2025/ND-CP, rules.ts), and a working day.
  const startExplain: Explanation[] = [];
  let start = today0;
  let lead: Explanation | undefined;
  for (const s of steps.values()) {
    if (s.decisionBy && s.decisionBy > start) {
      start = s.decisionBy;
      lead = undefined;
    }
    const min = PROCEDURE_RULES[s.kind].fileBeforeStartDays?.min;
    if (min !== undefined && s.fileOn && !s.decided) {
      const earliestStart = plusDays(s.fileOn, min);
      if (earliestStart > start) {
        start = earliestStart;
        lead = { key: 'lead', params: { kind: s.kind, min, filed: s.fileOn, date: earliestStart } };
      }
    }
  }
  // Explained only when it is what sets the day.
  if (lead) startExplain.push(lead);
  const working = onOrAfterWorkingDay(cal, start);
  if (working.getTime() !== start.getTime()) startExplain.push({ key: 'dayOff', params: { date: start, next: working } });
  start = working;

  // 3. The rest: the residence card after entry, housing and citizenship alongside.
  // Entry is the planned arrival when that is later than the first possible day (it was placed right
  // after the visa, months before the person comes, and the dependants' passports were asked for
  // within days). The card is for a foreigner who has entered on an LĐ1, LĐ2 or TT visa: Law
  // 47/2014/QH13 Art. 36(1)(b) as amended by Law 51/2019/QH14 (Art. 1(14); lawnet.vn); on entry the
  // border post certifies a stay (Art. 31, chứng nhận tạm trú) and the card is applied for then. Not
  // verified against the gazette text: the 12 months' stay of Art. 31(1)(a) once cited here.
  const arrived = c.arrivedAt ? dayOf(c.arrivedAt) : undefined;
  const entry = arrived ?? maxDate(start, plannedStart ? onOrAfterWorkingDay(cal, plannedStart) : undefined)!;
  for (const kind of PROCEDURE_KINDS) if (!BLOCKS_START.includes(kind) && tracks.has(kind)) steps.set(kind, kind === 'residence_card' ? place(kind, entry, true) : place(kind, undefined));

  return { steps: PROCEDURE_KINDS.map((k) => steps.get(k)).filter((s): s is ProcedureStep => !!s), start, startExplain, entry };
}
