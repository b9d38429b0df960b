// What the procedure tests over HTTP share: the app on a test clock with the holiday calendar, an
// institute with an English- and a Vietnamese-speaking HR officer (the latter its HR lead if asked) and a call,
// and the helpers that save a procedure's form and take a case's snapshot.
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { page, post, versionIn } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
export const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

export interface ProcedureWorld {
  t: TestApp;
  institute: InstituteDoc;
  hrEn: UserDoc;
  hrVi: UserDoc;
  call: CallDoc;
}

export interface ProcedureWorldOptions {
  /** The app's environment (an upload directory, say). */
  env?: Record<string, string>;
  /** The call's document checklist; none by default. */
  checklist?: Parameters<typeof createCall>[0]['checklist'];
  /** Makes the Vietnamese-speaking officer the institute's HR lead (escalations go to the lead). */
  viLead?: boolean;
}

/** The app on `now` with the holidays seeded, an institute, its HR officers (en, vi) and a call (without a checklist unless given one). */
export async function procedureWorld(now: () => Date, opts: ProcedureWorldOptions = {}): Promise<ProcedureWorld> {
  const t = await startTestApp({ now, env: opts.env });
  await seedHolidays();
  const institute = await createInstitute();
  const hrEn = await createUser({ role: 'hr_officer', institute, name: 'Officer English', locale: 'en' });
  const hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Việt', locale: 'vi', isHrLead: opts.viLead });
  const call = await createCall({ institute, checklist: opts.checklist ?? [] });
  return { t, institute, hrEn, hrVi, call };
}

/** Loads a procedure's page and sends its form with the version it shows (a fresh form, not a stale one). */
export async function save(a: Parameters<typeof page>[0], url: string, fields: Record<string, string>) {
  const form = await page(a, url);
  return post(a, form.text, url, { version: versionIn(form.text, url), ...fields });
}

/** What a refused or repeated request must leave as it was. */
export async function snapshot(c: { _id: unknown }) {
  const s = (await Case.findById(c._id).lean())!;
  return { version: s.version, tracks: JSON.stringify(s.supportTracks), history: s.history.length, outbox: s.outbox.length };
}

/** A tracked procedure as a test stores it (its kind, status, a target and when it changed). */
export type TrackSeed = { kind: string; status: string; dueAt?: Date; updatedAt?: Date; [k: string]: unknown };

/**
 * A case in onboarding, assigned to `assignee`, whose applicant plans to start on `start`
 * ('YYYY-MM-DD'), with the procedures given: the shape the planned-start and filing-window tests share.
 */
export function onboardingCase(opts: { applicant: UserDoc; call: CallDoc; assignee: UserDoc; fullName: string; nationality: string; start: string; entered: string; due: string; tracks: TrackSeed[] }) {
  return createCase({
    applicant: opts.applicant,
    call: opts.call,
    stage: 'onboarding',
    assignee: opts.assignee._id,
    stageEnteredAt: vn(opts.entered),
    stageDueAt: vn(opts.due),
    profile: { fullName: opts.fullName, nationality: opts.nationality, plannedArrival: new Date(`${opts.start}T00:00:00.000Z`) } as never,
    supportTracks: opts.tracks as never,
  });
}
