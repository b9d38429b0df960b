// Upload limits shared by the upload route, the storage engine and the checklist view.
import path from 'node:path';
import { TERMINAL_STAGES, inStages } from '../../models/constants.ts';
import { refused } from './errors.ts';

/**
 * The file types a checklist takes: the type sniffed from the first bytes, and the file-name
 * extensions that may go with it. A file is taken only when both agree (name AND content).
 */
export const ALLOWED_TYPES = [
  { mime: 'application/pdf', label: 'PDF', extensions: ['.pdf'] },
  { mime: 'image/jpeg', label: 'JPEG', extensions: ['.jpg', '.jpeg'] },
  { mime: 'image/png', label: 'PNG', extensions: ['.png'] },
] as const;
export const ALLOWED_MIME = ALLOWED_TYPES.map((t) => t.mime);
export type AllowedMime = (typeof ALLOWED_TYPES)[number]['mime'];

/** The file input's accept attribute (types and extensions). */
export const ACCEPT_ATTRIBUTE = [...ALLOWED_TYPES.map((t) => t.mime), ...ALLOWED_TYPES.flatMap((t) => t.extensions)].join(',');

/** "PDF (.pdf), JPEG (.jpg, .jpeg), PNG (.png)": named in refusals so the person knows what to send. */
export const ALLOWED_TYPES_TEXT = ALLOWED_TYPES.map((t) => `${t.label} (${t.extensions.join(', ')})`).join(', ');

/** The lower-cased extension of a file name ('' when there is none, as in "passport" or ".pdf"). */
export function extensionOf(name: string): string {
  return path.extname(name).toLowerCase();
}

export function typeForExtension(ext: string): (typeof ALLOWED_TYPES)[number] | undefined {
  return ALLOWED_TYPES.find((t) => (t.extensions as readonly string[]).includes(ext));
}

export function typeForMime(mime: string): (typeof ALLOWED_TYPES)[number] | undefined {
  return ALLOWED_TYPES.find((t) => t.mime === mime);
}

/** Files per request, text fields per request, and the size of one text field. */
export const MAX_FILES = 10;
export const MAX_FIELDS = 60;
export const MAX_FIELD_BYTES = 2_000;
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

/** The per-item limit (checklist maxMb) else the configured default. */
export function maxBytesFor(item: { maxMb?: number | null } | undefined, defaultMaxBytes = DEFAULT_MAX_BYTES): number {
  return item?.maxMb ? Math.round(item.maxMb * 1024 * 1024) : defaultMaxBytes;
}

/**
 * The stages in which a later phase's items are asked for: once the applicant has accepted the
 * offer (onboarding) until arrival. Not while the offer waits for an answer: the signed offer is
 * the letter signed after accepting it (before that there may be no letter at all, and HR once
 * accepted a "signed offer" sent before any offer existed), and the health certificate and criminal
 * record cost money and run out (Decree 219/2025/ND-CP Art. 18(2) and 18(4): 12 and 6 months,
 * server/planner/validity.ts): the applicant's page advises not to obtain them before deciding
 * (planner.checklist.ifAccepted).
 */
const AFTER_ACCEPTANCE = ['onboarding', 'arrived'] as const;

/** The stage a case counts as (on hold: the stage it returns to). */
function effectiveStage(stage: string, resumeStage?: string | null): string {
  return stage === 'on_hold' && resumeStage ? resumeStage : stage;
}

/**
 * Whether a phase's items are due on a case at this stage: the application's always, the offer's
 * and onboarding's once the offer is accepted (AFTER_ACCEPTANCE, where their uploads open). Before
 * that they come later; on a rejected, withdrawn or closed case they never will.
 */
export function phaseDue(phase: string, stage: string, resumeStage?: string | null): boolean {
  if (phase === 'application') return true;
  return inStages(effectiveStage(stage, resumeStage), AFTER_ACCEPTANCE);
}

/** Stages in which the applicant may upload a phase's items. */
export function phaseOpen(phase: string, stage: string, resumeStage?: string | null): boolean {
  const s = effectiveStage(stage, resumeStage);
  if (phase === 'application') return !inStages(s, TERMINAL_STAGES);
  return inStages(s, AFTER_ACCEPTANCE);
}

/** A file field is `<type>` (a new file) or `<type>--<slot>` (a new version of one file of a multi-file item). */
export function parseFileField(field: string): { type: string; slot?: number } | undefined {
  const m = /^([a-z_]{1,40})(?:--(\d{1,3}))?$/.exec(field);
  if (!m) return undefined;
  return m[2] === undefined ? { type: m[1]! } : { type: m[1]!, slot: Number(m[2]) };
}

/**
 * The byte limits of one upload to a call's checklist: per file field (its item's limit; a field
 * that names no item is refused before any byte is kept), and the largest (multer's ceiling).
 */
export function uploadLimits(checklist: ReadonlyArray<{ type: string; maxMb?: number | null }>, defaultMaxBytes: number): { limitFor: (field: string) => number; largest: number } {
  const itemFor = (field: string) => {
    const f = parseFileField(field);
    return f ? checklist.find((i) => i.type === f.type) : undefined;
  };
  return {
    limitFor: (field) => {
      const item = itemFor(field);
      if (!item) throw refused.unknownField(field);
      return maxBytesFor(item, defaultMaxBytes);
    },
    largest: Math.max(defaultMaxBytes, ...checklist.map((i) => maxBytesFor(i, defaultMaxBytes))),
  };
}
