// Certificate planner: for each dated document the procedures still ahead need, the window in which
// the applicant should obtain it so that it is valid on the day each of those procedures is lodged
// (validity rules: server/planner/validity.ts; filing days: server/planner/schedule.ts, the work
// permit's on its target inside the legal window, the date the case shows, not the window's first day).
import type { DocumentType } from '../../models/constants.ts';
import type { WorkingCalendar } from '../calendar/index.ts';
import { PROCEDURE_RULES, procedureDocuments, type ProcedureKind } from '../procedures/rules.ts';
import type { FamilyCase } from '../applications/family-support.ts';
import { dayOf, maxDate, onOrAfterWorkingDay, plusDays, plusMonths, scheduleProcedures, workingDaysAfter, type Explanation, type PlannerCase } from './schedule.ts';
import { ACT_WORKING_DAYS, PREPARATION_WORKING_DAYS, VALIDITY_RULES, WORK_CARD_MAX_MONTHS } from './validity.ts';

export interface PlannerDocument {
  type: string;
  status?: string | null;
  current?: boolean | null;
  issuedAt?: Date | null;
  expiresAt?: Date | null;
}

/** `checking`: a file that would do is uploaded and waits for HR's check (not valid until HR accepts it). */
export type WindowStatus = 'ok' | 'checking' | 'upcoming' | 'open' | 'late';

/** What a window serves: a procedure's filing, or (`arrival`) the call's checklist before arrival. */
export type NeededFor = ProcedureKind | 'arrival';

export interface CertificateWindow {
  type: DocumentType;
  /** First day on which a newly obtained document is early enough to still count (never before today). */
  from: Date;
  /** Last day to obtain it, leaving time for legalisation and translation before the first filing (before today: late). */
  to: Date;
  status: WindowStatus;
  /** `whenReady`: nothing holds the filing back; it is planned for when the papers are ready (a day that moves with today). */
  neededBy: Array<{ kind: NeededFor; fileOn: Date; whenReady?: boolean }>;
  reasons: Explanation[];
  /** Working days from today to `to`, both counted when working days (open windows only). */
  daysLeft?: number;
  /** Open with fewer than ACT_WORKING_DAYS left: said plainly as nearly closed. */
  closing?: boolean;
  /**
   * A document that expires (the passport) the case already holds, accepted or waiting for HR, that
   * falls short: its latest expiry (absent when none was given) and the day it must still be valid.
   * The applicant is told that, not to "get" a passport they have (walk s34 #3).
   */
  onFile?: { expiresAt?: Date; validUntil: Date };
}

export interface CertificatePlanOptions {
  case: PlannerCase;
  documents: readonly PlannerDocument[];
  calendar: WorkingCalendar;
  today: Date;
  /**
   * The dated documents the call's checklist requires before arrival (phases offer and onboarding).
   * One no procedure ahead asks for still gets a window, valid on the day of entry: the page must not
   * say "no dated certificate is needed" above a checklist that requires one.
   */
  checklist?: readonly string[];
}

/** The current files of a type that count: accepted by HR, or (`withPending`) also those still waiting for HR's check. */
function usable(docs: readonly PlannerDocument[], type: string, withPending = false): PlannerDocument[] {
  return docs.filter((d) => d.type === type && d.current !== false && (d.status === 'accepted' || (withPending && d.status !== 'rejected')));
}

/** A window never starts after it ends: one whose end has passed (late, or already held) reads as that one day. */
function startOf(from: Date, to: Date): Date {
  return from.getTime() > to.getTime() ? to : from;
}

function filingReason(g: { kind: NeededFor; fileOn: Date; whenReady?: boolean }): Explanation {
  if (g.kind === 'arrival') return { key: 'checklist', params: { date: g.fileOn } };
  // Its planned day moves with the papers: no date of its own is given for it.
  return g.whenReady ? { key: 'filingWhenReady', params: { kind: g.kind } } : { key: 'filing', params: { kind: g.kind, date: g.fileOn } };
}

/** The windows, soonest first (documents no pending procedure needs are left out). */
export function planCertificates({ case: c, documents, calendar: cal, today, checklist = [] }: CertificatePlanOptions): CertificateWindow[] {
  const today0 = dayOf(today);
  const sched = scheduleProcedures({ case: c, calendar: cal, today, anchorOnPlannedStart: true });
  const needs = new Map<DocumentType, Array<{ kind: NeededFor; fileOn: Date; whenReady?: boolean }>>();
  // A procedure nothing holds back (no window, nothing it waits for) is lodged once its papers are
  // ready, not today: planned for today, the window ended before it began and the applicant was
  // told they were late for a certificate nobody had asked them for yet. A filing day set by the law
  // or another procedure stays, and so does its lateness.
  const atOnce = onOrAfterWorkingDay(cal, today0).getTime();
  const readyBy = workingDaysAfter(cal, today0, PREPARATION_WORKING_DAYS);
  for (const step of sched.steps) {
    if (step.filed || !step.fileOn) continue; // lodged already: its papers are with the authority
    // The institute's own service (housing) is lodged with no authority: it sets no day by which a
    // certificate must be valid ("housing lodged on …", "Needed for: housing" misled HR).
    if (PROCEDURE_RULES[step.kind].internal) continue;
    // Lodged "at once" but with the institute's own target ahead (citizenship: "We aim to file by
    // 9 Mar 2027" on the case and the applicant's page), that target is the day the papers must be
    // valid on, as the work permit's is: planned for when the papers were ready, a criminal record
    // was wanted "by" today beside a filing three months away (walk 33). A target too close to
    // prepare for stays a filing that waits for its papers.
    const track = (c.supportTracks ?? []).find((t) => t.kind === step.kind);
    const target = track && (track.status === 'requested' || track.status === 'preparing') && track.dueAt ? dayOf(track.dueAt) : undefined;
    const dated = target && workingDaysAfter(cal, target, -PREPARATION_WORKING_DAYS) > today0 ? target : undefined;
    const s = step.fileOn.getTime() <= atOnce ? (dated ? { kind: step.kind, fileOn: dated } : { kind: step.kind, fileOn: readyBy, whenReady: true }) : { kind: step.kind, fileOn: step.fileOn };
    // A Vietnamese citizen's visa procedure is their foreign family's TT visas: its papers are the
    // family's passports and proof of relationship, with the citizen's passport as the sponsor's (rules.ts procedureDocuments).
    for (const type of procedureDocuments(s.kind, c as FamilyCase)) {
      if (!VALIDITY_RULES[type]) continue;
      if (type === 'dependant_passport' && !(c.dependants?.length)) continue; // nobody comes with them
      needs.set(type, [...(needs.get(type) ?? []), s]);
    }
  }
  for (const type of checklist as DocumentType[]) {
    if (needs.has(type) || !VALIDITY_RULES[type]) continue;
    if (type === 'dependant_passport' && !(c.dependants?.length)) continue;
    needs.set(type, [{ kind: 'arrival', fileOn: sched.entry }]);
  }
  const card = sched.steps.find((s) => s.kind === 'residence_card');
  const cardTrack = (c.supportTracks ?? []).find((t) => t.kind === 'residence_card');
  const out: CertificateWindow[] = [];
  // Held only once HR accepted the file: one still waiting for HR's check reads as such, not "Valid".
  const status = (held: { ok: boolean; checking: boolean }, from: Date, to: Date): WindowStatus => (held.ok ? 'ok' : held.checking ? 'checking' : today0 < from ? 'upcoming' : today0 <= to ? 'open' : 'late');

  for (const [type, list] of needs) {
    const rule = VALIDITY_RULES[type]!;
    const sorted = [...list].sort((a, b) => a.fileOn.getTime() - b.fileOn.getTime());
    const prep = (d: Date) => workingDaysAfter(cal, d, -PREPARATION_WORKING_DAYS);
    // A filing planned for when the papers are ready moves with today: its last day is never before
    // today (on a Saturday, five working days back from "ready" was Friday, and read as late).
    const prepFor = (n: { fileOn: Date; whenReady?: boolean }) => (n.whenReady ? maxDate(prep(n.fileOn), today0)! : prep(n.fileOn));
    const have = usable(documents, type);
    const sent = usable(documents, type, true);
    // Whether the accepted files do, and whether the files sent (accepted or waiting for HR) would.
    const held = (does: (list: PlannerDocument[]) => boolean) => ({ ok: does(have), checking: does(sent) });
    if (rule.kind === 'issued') {
      // Group filings that one certificate can serve: issued on or after (last filing − months) and
      // ready (prepared) before the first filing. A filing that waits only for its papers sets no day
      // of its own: it goes with the first dated group (lodged once that certificate is in hand), so a
      // work permit's window is not cut to "by today" by citizenship lodged when ready (walk 33).
      const flexible = sorted.filter((n) => n.whenReady);
      const fixed = sorted.filter((n) => !n.whenReady);
      let pending = fixed.length > 0 ? flexible : [];
      let group: typeof sorted = fixed.length > 0 ? [] : flexible;
      const flush = () => {
        if (group.length === 0) return;
        // The dated filings set the window; those waiting for the papers are served by it too.
        const served = [...group, ...pending];
        pending = [];
        const first = group[0]!.fileOn;
        const last = group[group.length - 1]!.fileOn;
        const legalFrom = plusMonths(last, -rule.months);
        const to = prepFor(group[0]!);
        const from = startOf(maxDate(legalFrom, today0)!, to);
        const holds = held((list) => list.some((d) => !!d.issuedAt && dayOf(d.issuedAt) >= legalFrom && dayOf(d.issuedAt) <= first));
        out.push({
          type,
          from,
          to,
          status: status(holds, from, to),
          neededBy: served,
          reasons: [
            ...served.map(filingReason),
            { key: 'issued', params: { months: rule.months, basis: rule.basis, date: legalFrom, last } },
            { key: 'prep', params: { days: PREPARATION_WORKING_DAYS } },
          ],
        });
        group = [];
      };
      for (const n of fixed) {
        const candidate = [...group, n];
        const legalFrom = plusMonths(n.fileOn, -rule.months);
        const to = workingDaysAfter(cal, candidate[0]!.fileOn, -PREPARATION_WORKING_DAYS);
        if (group.length > 0 && legalFrom > to) flush();
        group.push(n);
      }
      flush();
    } else if (rule.kind === 'expires') {
      // Each filing needs the passport valid on its day; the residence card's also needs it to outlast
      // the card's end by the margin (Law 47/2014/QH13 Art. 38(1)). That requirement is the card's:
      // it once fell on whichever procedure came first (housing, lodged when its papers are ready),
      // so a passport too short for the card was "late" for housing, dated the day before today.
      const recordedEnd = cardTrack?.cardEndsAt ?? cardTrack?.endsAt ?? undefined;
      const cardEnd = card ? (recordedEnd ? dayOf(recordedEnd) : plusMonths(card.decisionBy ?? sched.start, WORK_CARD_MAX_MONTHS)) : undefined;
      const requiredFor = (n: (typeof sorted)[number]) => (n.kind === 'residence_card' && cardEnd ? plusDays(cardEnd, rule.marginDays) : dayOf(n.fileOn));
      const shortOf = (list: PlannerDocument[]) => {
        const expiries = list.flatMap((d) => (d.expiresAt ? [dayOf(d.expiresAt).getTime()] : []));
        const longest = expiries.length ? Math.max(...expiries) : undefined;
        return sorted.filter((n) => longest === undefined || longest < requiredFor(n).getTime());
      };
      const short = shortOf(have);
      const ok = short.length === 0;
      const checking = !ok && shortOf(sent).length === 0;
      // Held: every filing it serves; else only the filings it falls short of, the first setting the day.
      const serves = ok ? sorted : short;
      const to = prepFor(serves[0]!);
      const forCard = serves.find((n) => n.kind === 'residence_card');
      const sentExpiries = sent.flatMap((d) => (d.expiresAt ? [dayOf(d.expiresAt).getTime()] : []));
      const validUntil = new Date(Math.max(...serves.map((n) => requiredFor(n).getTime())));
      const onFile = !ok && sent.length > 0 ? { ...(sentExpiries.length ? { expiresAt: new Date(Math.max(...sentExpiries)) } : {}), validUntil } : undefined;
      out.push({
        ...(onFile ? { onFile } : {}),
        type,
        from: startOf(today0, to),
        to,
        status: status({ ok, checking }, today0, to),
        neededBy: serves,
        reasons: [
          ...serves.map(filingReason),
          forCard && cardEnd
            ? { key: 'passportCard', params: { date: requiredFor(forCard), cardEnd, days: rule.marginDays, basis: rule.basis, estimated: recordedEnd ? 0 : 1 } }
            : { key: 'passportFiling', params: { date: requiredFor(serves[serves.length - 1]!) } },
        ],
      });
    } else {
      const to = prepFor(sorted[0]!);
      out.push({
        type,
        from: startOf(today0, to),
        to,
        status: status({ ok: have.length > 0, checking: sent.length > 0 }, today0, to),
        neededBy: sorted,
        reasons: [...sorted.map(filingReason), { key: 'ready', params: { basis: rule.basis, days: PREPARATION_WORKING_DAYS } }],
      });
    }
  }
  for (const w of out) {
    if (w.status !== 'open') continue;
    w.daysLeft = cal.workingDaysBetween(today0, w.to) + (cal.isWorkingDay(today0) ? 1 : 0);
    // A filing that waits only for the papers moves with them: it is never "nearly closed".
    w.closing = w.daysLeft < ACT_WORKING_DAYS && !w.neededBy[0]?.whenReady;
  }
  return out.sort((a, b) => a.to.getTime() - b.to.getTime() || a.type.localeCompare(b.type));
}
