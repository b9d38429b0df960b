// The database a backup reads or a restore writes, reached with the app's own configuration:
// MONGODB_URI when set; else the embedded server under DATA_DIR/db, signed in with the credentials
// file it generated. While the app runs it holds that directory, so the backup talks to the app's
// server on EMBEDDED_DB_PORT or where its port.json says; when the app is stopped, the backup opens
// the directory itself (even with EMBEDDED_DB_PORT set: nothing of the app listens there then).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { Config } from '../config.ts';
import { databaseOptions } from '../db/index.ts';

export interface BackupConnection {
  client: MongoClient;
  /** The app's database name (the URI's, or `talent` on the embedded server). */
  appDatabase: string;
  /** The user signed in as (the embedded server's generated user), when known. */
  user?: string;
  close(): Promise<void>;
}

export class BackupError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

export const EMBEDDED_APP_DATABASE = 'talent';

/** The database name a mongodb:// URI names (the driver's default, `test`, when it names none). */
export function databaseOfUri(uri: string): string {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/.exec(uri);
  return m?.[1] ? decodeURIComponent(m[1]) : 'test';
}

/** The user a mongodb:// URI signs in as, if it names one. */
export function userOfUri(uri: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/([^:@/]+)(?::[^@/]*)?@/.exec(uri);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

export async function connectForBackup(config: Config): Promise<BackupConnection> {
  if (config.mongodbUri) {
    const client = await MongoClient.connect(config.mongodbUri, databaseOptions(config.db));
    const user = userOfUri(config.mongodbUri);
    return { client, appDatabase: databaseOfUri(config.mongodbUri), ...(user ? { user } : {}), close: () => client.close() };
  }
  const dbPath = path.join(config.dataDir, 'db');
  if (!existsSync(dbPath)) throw new BackupError(`no database at ${dbPath} (DATA_DIR=${config.dataDir}): nothing to back up`);
  const { readCredentialsFile, credentialsPath } = await import('../../embedded-mongo/src/auth/credentials-file.ts');
  const credentials = await readCredentialsFile(credentialsPath(dbPath));
  if (!credentials) throw new BackupError(`${credentialsPath(dbPath)} is missing: the embedded database requires its credentials (or set MONGODB_URI)`);
  const { uriWithCredentials } = await import('../../embedded-mongo/src/auth/credentials-file.ts');
  const viaPort = async (host: string, port: number) => {
    const client = await MongoClient.connect(uriWithCredentials(host, port, EMBEDDED_APP_DATABASE, credentials), databaseOptions(config.db));
    return { client, appDatabase: EMBEDDED_APP_DATABASE, user: credentials.username, close: () => client.close() };
  };
  const { startEmbeddedMongo } = await import('../../embedded-mongo/src/index.ts');
  let server;
  try {
    server = await startEmbeddedMongo({ dbPath, port: 0 });
  } catch (err) {
    if ((err as { code?: string }).code === 'DBPATH_LOCKED') {
      // The app holds the folder, so the port it was told to listen on is its own. Not tried first
      // (security review s37): with the app stopped, whoever on the host listens there would be sent
      // the backup's sign-in (a SCRAM relay to the database signs them in) and could feed it any data.
      if (config.embeddedDbPort) return viaPort('127.0.0.1', config.embeddedDbPort);
      // Its database says where it listens (port.json, written at its start).
      const { readPortFile } = await import('../../embedded-mongo/src/storage/port-file.ts');
      const at = await readPortFile(dbPath);
      if (at) return viaPort(at.host === '0.0.0.0' || at.host === '::' ? '127.0.0.1' : at.host, at.port);
      throw new BackupError(
        `the app is running on ${dbPath} and its port.json is missing: set EMBEDDED_DB_PORT to the port of its database ` +
          '(the app\'s log line "embedded database started" names it), or set MONGODB_URI to it',
      );
    }
    throw err;
  }
  try {
    const client = await MongoClient.connect(server.uri(EMBEDDED_APP_DATABASE, credentials), databaseOptions(config.db));
    return {
      client,
      appDatabase: EMBEDDED_APP_DATABASE,
      user: credentials.username,
      close: async () => {
        await client.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
