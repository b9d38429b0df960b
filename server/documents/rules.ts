// Upload limits shared by the upload route, the storage engine and the checklist view.
export const ALLOWED_MIME = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export type AllowedMime = (typeof ALLOWED_MIME)[number];

/** Files per request, text fields per request, and the size of one text field. */
export const MAX_FILES = 10;
export const MAX_FIELDS = 60;
export const MAX_FIELD_BYTES = 2_000;
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

/** The per-item limit (checklist maxMb) else the configured default. */
export function maxBytesFor(item: { maxMb?: number | null } | undefined, defaultMaxBytes = DEFAULT_MAX_BYTES): number {
  return item?.maxMb ? Math.round(item.maxMb * 1024 * 1024) : defaultMaxBytes;
}

/** Stages in which the applicant may upload a phase's items. */
export function phaseOpen(phase: string, stage: string, resumeStage?: string | null): boolean {
  const s = stage === 'on_hold' && resumeStage ? resumeStage : stage;
  if (phase === 'application') return !['closed', 'rejected', 'withdrawn'].includes(s);
  return ['offer', 'onboarding', 'arrived'].includes(s);
}

/** A file field is `<type>` (a new file) or `<type>--<slot>` (a new version of one file of a multi-file item). */
export function parseFileField(field: string): { type: string; slot?: number } | undefined {
  const m = /^([a-z_]{1,40})(?:--(\d{1,3}))?$/.exec(field);
  if (!m) return undefined;
  return m[2] === undefined ? { type: m[1]! } : { type: m[1]!, slot: Number(m[2]) };
}
