// What a crash drill's test sets up around its steps: a data folder of its own (made before the
// test, removed after, with the app killed and the connection closed), the seed step, and the app
// started (again; each start on a port of its own) with a driver connection to its database.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Db, MongoClient } from 'mongodb';
import { connectToAppDatabase, drillEnv, runScript, startApp, waitReady, type AppProcess } from './app-process.ts';
import type { Seeded, SeedSpec } from './seed.ts';

export interface Drill {
  readonly dir: string;
  /** The environment of every run on the drill's folder (drillEnv). */
  env(extra: Record<string, string>): Record<string, string>;
  /** The seed step (./seed.ts), its accounts. */
  seed(env: Record<string, string>, spec: SeedSpec): Promise<Seeded>;
  /** Starts the app (after a stop: again, on a new port: read app().url again) and connects to its database. */
  boot(env: Record<string, string>): Promise<void>;
  app(): AppProcess;
  db(): Db;
  /** Stops the app, starts it again and waits for `firstRun`: `said` was not logged and `count` has not moved. */
  restartChangesNothing(env: Record<string, string>, opts: { firstRun: RegExp; said: RegExp; count: () => Promise<number> }): Promise<void>;
}

export function useDrill(label: string): Drill {
  let dir = '';
  let app: AppProcess | undefined;
  let client: MongoClient | undefined;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), `talent-drill-${label}-`));
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await app?.kill9();
    rmSync(dir, { recursive: true, force: true });
  });
  const drill: Drill = {
    get dir() {
      return dir;
    },
    env: (extra) => drillEnv(dir, extra),
    seed: async (env, spec) => JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify(spec)], env)).trim().split('\n').pop()!) as Seeded,
    async boot(env) {
      await client?.close().catch(() => undefined);
      app = startApp(env);
      await waitReady(app);
      client = await connectToAppDatabase(app, dir);
    },
    app: () => app!,
    db: () => client!.db(),
    async restartChangesNothing(env, { firstRun, said, count }) {
      const before = await count();
      expect(await app!.stop()).to.equal(0);
      await drill.boot(env);
      await app!.waitForLog(firstRun, 90_000);
      expect(app!.output()).not.to.match(said);
      expect(await count()).to.equal(before);
      expect(await app!.stop()).to.equal(0);
    },
  };
  return drill;
}
