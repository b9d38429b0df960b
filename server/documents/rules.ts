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
