// Drill s39: `npm run backup` SIGKILLed between its manifest and its signature
// (./support/backup-kill-hook.mjs). The backup is written in place, not in a temporary folder renamed
// at the end: manifest.json and manifest.sha256 are each written durably (temporary file, fsync,
// rename, folder fsync), then manifest.sig the same way, last. So a kill there leaves the whole
// backup, its hashes consistent, and no manifest.sig:
//   - sig-open: killed just before manifest.sig.writing is created (nothing of the signature);
//   - sig-rename: killed with manifest.sig.writing written and synced, before its rename.
// Either way the restore refuses it without --unsigned (exit 4), saying it looks cut short and to take
// a new backup, and writes nothing; a backup into that folder is refused as one that did not finish;
// --unsigned restores it, saying what it trusts (its administrators among it).
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { verifyBackup } from '../../server/backup/manifest.ts';
import { parseSignature } from '../../server/backup/signature.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../support/keys.ts';
import { key, sha256, storeFile, withRecords } from '../backup/support.ts';
import { runScriptToEnd } from './support/app-process.ts';

const HOOK = pathToFileURL(path.join(import.meta.dirname, 'support', 'backup-kill-hook.mjs')).href;
const killEnv = (env: Record<string, string>, point: string) => ({ ...env, NODE_OPTIONS: `--import ${HOOK}`, DRILL_BACKUP_KILL: point });

describe('drill s39: a backup SIGKILLed between manifest.sha256 and manifest.sig', function () {
  this.timeout(180_000);
  let root: string;
  let env: Record<string, string>;
  const target = (name: string) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: path.join(root, name), UPLOAD_DIR: path.join(root, name, 'uploads'), DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY });

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'talent-drill-sign-kill-'));
    const data = path.join(root, 'data');
    const pdf = Buffer.from('%PDF-1.4 signed or not\n%%EOF\n');
    storeFile(data, key('b'), pdf);
    await withRecords(data, [{ storage: 'disk', storageKey: key('b'), sha256: sha256(pdf) }], { users: [{ email: 'admin@example.org', role: 'admin' }, { email: 'hr@example.org', role: 'hr_officer' }] });
    env = target('data');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const point of ['sig-open', 'sig-rename']) {
    it(`killed at ${point}: the whole backup without manifest.sig; the restore refuses it (exit 4, cut short, take a new backup), nothing written`, async () => {
      const out = path.join(root, `backup-${point}`);
      const killed = await runScriptToEnd('scripts/backup.ts', ['--out', out], killEnv(env, point));
      expect(killed.signal, killed.err).to.equal('SIGKILL');
      expect(killed.err).to.include(`killed at ${point}`);

      // What the kill leaves: the backup whole and hash-consistent, but no manifest.sig.
      const left = readdirSync(out).sort();
      expect(left).to.deep.equal(['db', 'files', 'manifest.json', 'manifest.sha256', ...(point === 'sig-rename' ? ['manifest.sig.writing'] : [])]);
      expect((await verifyBackup(out)).ok, 'every hash agrees: only the signature is missing').to.equal(true);
      if (point === 'sig-rename') expect(parseSignature(readFileSync(path.join(out, 'manifest.sig.writing')))).to.have.property('keyId');

      const into = target(`into-${point}`);
      const refused = await runScriptToEnd('scripts/restore.ts', ['--from', out], into);
      expect(refused.code, refused.err).to.equal(4);
      expect(refused.err).to.match(/restore failed: refusing to restore .*: the backup is not signed \(no manifest\.sig\): it looks cut short/);
      if (point === 'sig-rename') expect(refused.err).to.include('manifest.sig.writing is there, not trusted');
      else expect(refused.err).to.include('written by an app version that signs every backup');
      expect(refused.err).to.include('Take a new backup').and.to.include('add --unsigned').and.to.include('nothing was restored');
      expect(existsSync(into.DATA_DIR), 'nothing written into the target').to.equal(false);

      // The same folder as a backup's destination: refused as a backup that did not finish.
      const again = await runScriptToEnd('scripts/backup.ts', ['--out', out], env);
      expect(again.code, again.err).to.equal(1);
      expect(again.err).to.match(/holds a backup that did not finish \(no manifest\.sig: it was stopped before signing it\)/);
      expect(readdirSync(out).sort(), 'left as it was').to.deep.equal(left);

      // The operator who must restore it anyway: --unsigned, told what is trusted.
      const anyway = await runScriptToEnd('scripts/restore.ts', ['--from', out, '--unsigned'], into);
      expect(anyway.code, anyway.err).to.equal(0);
      expect(anyway.out).to.match(/WARNING: trusted unchecked: a backup created \d{4}-\d\d-\d\dT.* by app version \d+\.\d+\.\d+, holding \d+ collections/);
      expect(anyway.out).to.include('WARNING:   administrator: admin@example.org\n').and.to.not.include('hr@example.org');
      process.stdout.write(`      killed at ${point}: left ${left.join(', ')}; refused: ${refused.err.trim().split('\n').slice(-1)[0]!.slice(0, 140)}…\n`);
    });
  }
});
