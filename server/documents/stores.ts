// The app's document stores, made once per app: the configured one for new files, and both kinds
// for reading, since a file is read from the store it was written to whatever the setting says now.
import type { AppContext } from '../deps.ts';
import { DiskStorage, GridFsStorage, createStorage, type DocumentStorage, type StagedUpload } from './storage.ts';

export interface DocumentStores {
  /** Where new files go (UPLOAD_STORAGE). */
  current: DocumentStorage;
  of(kind: DocumentStorage['kind']): DocumentStorage;
}

type StoreDeps = Pick<AppContext, 'config' | 'db'>;
// Keyed by the config and the connection, not the context object: createApp copies its deps into a
// new context, and the jobs and tests hold the one they were given. Keyed by that object, each had
// its own GridFS store (its own count of live stagings, STAGINGS_MAX), and a test reading the count
// through its context always read 0.
const made = new WeakMap<StoreDeps['config'], WeakMap<StoreDeps['db']['connection'], DocumentStores>>();

export function documentStores(app: StoreDeps): DocumentStores {
  let byConnection = made.get(app.config);
  if (!byConnection) made.set(app.config, (byConnection = new WeakMap()));
  let stores = byConnection.get(app.db.connection);
  if (!stores) {
    const current = createStorage(app.config, app.db.connection);
    const byKind: Record<DocumentStorage['kind'], DocumentStorage> = {
      disk: current.kind === 'disk' ? current : new DiskStorage(app.config.upload.dir),
      gridfs: current.kind === 'gridfs' ? current : createStorage({ upload: { ...app.config.upload, storage: 'gridfs' } }, app.db.connection),
    };
    stores = { current, of: (kind) => byKind[kind] };
    byConnection.set(app.db.connection, stores);
  }
  return stores;
}

/**
 * For receiveUploads (server/http/uploads.ts): on GridFS each file is copied into the store while it
 * is received, so that storing it after the checks only names it (storage.ts, StagedUpload); on disk
 * the temporary file is renamed into place, with nothing to stage.
 */
export function uploadStaging(app: StoreDeps): ((tempPath: string) => StagedUpload | undefined) | undefined {
  const current = documentStores(app).current;
  // Past the store's bound on live stagings (STAGINGS_MAX), a file is received to its temporary file only.
  // With a scanner configured, it reads the temporary file: one is written beside the staging.
  const withoutTempFile = !app.config.upload.clamdscanPath;
  return current instanceof GridFsStorage ? (tempPath) => (current.canStage() ? current.stage(tempPath, { withoutTempFile }) : undefined) : undefined;
}
