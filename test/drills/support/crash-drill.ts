// What the crash drills around a case update check after a restart (offer-letter-crash,
// procedure-step-crash, answer-files-crash): the log lines of the repair and the sweep, the stored
// files, and a test SMTP server for the whole file.
import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { WebClient } from '../../../scripts/support/web-client.ts';
import type { Drill } from './drill.ts';
import type { SeededAccount } from './seed.ts';
import { startTestSmtp, type TestSmtp } from '../../support/smtp.ts';

/** The pending-audit repair's first run recorded what a killed process left on a case. */
export const AUDITED = /\{[^\n]*"msg":"case changes left unaudited by a stopped process recorded"\}/;
/** The start-up sweep's report (server/documents/sweep.ts). */
export const SWEPT = /\{[^\n]*"msg":"upload storage swept"\}/;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every stored file under a disk store's folder (its key-prefixed folders), not the temporary ones. */
export function storedFiles(uploadDir: string): string[] {
  return readdirSync(uploadDir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.part') && !e.parentPath.includes('.tmp'))
    .map((e) => e.name);
}

/** A test SMTP server started before the describe's tests and stopped after them; call inside it. */
export function useDrillSmtp(): () => TestSmtp {
  let smtp: TestSmtp | undefined;
  before(async () => {
    smtp = await startTestSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });
  return () => smtp!;
}

/**
 * The officer's pages across the drill's restarts, read with one sign-in (a TOTP code is taken
 * once: a second sign-in within its 30 s would be refused); the session lives in the database, so
 * the officer is still signed in after each restart. Each page must answer 200; its text is returned.
 */
export function officerPages(drill: Drill, officer: SeededAccount, password: string): { page: (path: string) => Promise<string>; client: WebClient } {
  const client = new WebClient(() => drill.app().url, 20_000);
  let signedIn = false;
  return {
    client,
    async page(path) {
      if (!signedIn) await client.signIn(officer.email, password, officer.totpSecret);
      signedIn = true;
      const page = await client.get(path);
      expect(page.status, path).to.equal(200);
      return page.text;
    },
  };
}
