import { AppError } from '../errors.ts';

/** A refused upload: a status, a stable code and a message key with params (e.g. the file name). */
export class UploadError extends AppError {
  override readonly status: number;
  override readonly code: string;
  /** The form input the refusal is about (a file's or its date's name), so the page can mark it. */
  field?: string;
  /** The request's other files, which were fine but are not saved either (an upload is kept whole or not at all). */
  notSaved?: string[];
  constructor(status: number, code: string, messageKey: string, params: Record<string, unknown> = {}) {
    super(messageKey, params);
    this.status = status;
    this.code = code;
  }

  /** Ties the refusal to an input, unless a closer one (the date beside the file) was named first. */
  about(field: string): this {
    this.field ??= field;
    return this;
  }
}

/** `err` tied to `field` when it is an upload refusal; anything else as it is. */
export function aboutField(err: unknown, field: string): unknown {
  return err instanceof UploadError ? err.about(field) : err;
}

export const refused = {
  noExtension: (name: string, allowed: string) => new UploadError(415, 'no_extension', 'documents.errors.noExtension', { name, allowed }),
  badExtension: (name: string, allowed: string) => new UploadError(415, 'extension_not_allowed', 'documents.errors.badExtension', { name, allowed }),
  extensionMismatch: (name: string, named: string, actual: string, allowed: string) =>
    new UploadError(415, 'extension_mismatch', 'documents.errors.extensionMismatch', { name, named, actual, allowed }),
  badType: (name: string) => new UploadError(415, 'unsupported_type', 'documents.errors.badType', { name }),
  disguised: (name: string) => new UploadError(415, 'disguised_file', 'documents.errors.disguised', { name }),
  empty: (name: string) => new UploadError(422, 'empty_file', 'documents.errors.empty', { name }),
  tooLarge: (name: string, mb: number) => new UploadError(413, 'file_too_large', 'documents.errors.tooLarge', { name, mb }),
  pathInName: (name: string) => new UploadError(422, 'path_in_name', 'documents.errors.pathInName', { name }),
  unknownField: (field: string) => new UploadError(422, 'unknown_item', 'documents.errors.unknownField', { field }),
  tooMany: (max: number) => new UploadError(413, 'too_many_files', 'documents.errors.tooMany', { max }),
  noFiles: () => new UploadError(422, 'no_files', 'documents.errors.noFiles'),
  badUpload: () => new UploadError(400, 'bad_upload', 'documents.errors.badUpload'),
  infected: (name: string) => new UploadError(422, 'infected', 'documents.errors.infected', { name }),
  scanFailed: (name: string) => new UploadError(503, 'scan_failed', 'documents.errors.scanFailed', { name }),
  /** 507 Insufficient Storage: the server's disk, not the file, is the fault; nothing was kept, sending it later will work. */
  /** A stored upload found short of its bytes (a sweep took chunks of one that outlived its grace): nothing kept, sending again works. */
  notStoredWhole: (name: string) => new UploadError(503, 'not_stored_whole', 'documents.errors.notStoredWhole', { name }),
  storageFull: (name: string) => (name ? new UploadError(507, 'storage_full', 'documents.errors.storageFull', { name }) : new UploadError(507, 'storage_full', 'documents.errors.storageFullUnnamed')),
};

/** The file system refused a write for want of room (ENOSPC) or of the user's quota (EDQUOT). */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** `err` as the refusal of `name` when the store is at fault (no room on the uploads disk, the upload stored short); else as it is. */
export function storageRefusal(err: unknown, name: string): unknown {
  if (err instanceof StoredShortError) return refused.notStoredWhole(name);
  return isNoSpace(err) ? refused.storageFull(name) : err;
}

/** The store found an upload short of the bytes it received (storage.ts GridFS `put`): nothing was kept. */
export class StoredShortError extends Error {
  override readonly name = 'StoredShortError';
}
