// A backup of the database and the uploaded files, taken while the app runs:
//   npm run backup -- --out /backups/talent-2026-12-07
// Reads the app's own configuration (MONGODB_URI, else the embedded database under DATA_DIR, reached
// on EMBEDDED_DB_PORT while the app runs; UPLOAD_DIR). The folder must be new or empty; it is made
// 0700, its files 0600. The data-encryption key is not in it: keep that in your secret store. Its
// manifest is signed (manifest.sig, the last file) with a key derived from the current
// data-encryption key: `npm run restore` refuses the backup if anything in it changes afterwards.
// Exit codes: 0 done, 1 failed (nothing usable written), 2 bad arguments or configuration.
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../server/config.ts';
import { takeBackup } from '../server/backup/backup.ts';
import { BackupError } from '../server/backup/connect.ts';
import { shownError, shownLines, shownText } from '../server/support/shown-text.ts';

// Whatever is printed may quote the backup (its manifest, its file names, its signature's key id) or the
// database: shown, never acted on by the terminal (no ESC sequence, CR or bidi override gets through).
const say = (stream: NodeJS.WriteStream, text: string) => stream.write(shownLines(text));

const usage = 'usage: npm run backup -- --out DIR';

async function main(): Promise<void> {
  let out: string | undefined;
  try {
    out = parseArgs({ options: { out: { type: 'string' } }, strict: true }).values.out;
  } catch (err) {
    process.stderr.write(`${shownText((err as Error).message, 300)}\n${usage}\n`);
    process.exit(2);
  }
  if (!out) {
    process.stderr.write(`--out is required\n${usage}\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const started = Date.now();
  const result = await takeBackup({ config, out, log: (line) => say(process.stderr, `${line}\n`) });
  const c = result.manifest.counts;
  const d = result.manifest.database;
  say(
    process.stdout,
    `backup written to ${result.dir}: ${c.collections} collections, ${c.documents} documents, ${c.files} files, ${c.bytes} bytes ` +
      `(${d.source} database, ${d.consistency} at ${d.takenAt}; ${result.snapshots} snapshot(s); ${Date.now() - started} ms)\n` +
      `signed with data-encryption key ${result.signedWith}: a restore needs that key (or a keyring holding it as a previous key)\n` +
      (result.manifest.encryption.keyIds.length ? `sealed fields need the data-encryption key(s) ${result.manifest.encryption.keyIds.map((k) => shownText(k, 64)).join(', ')}: not in this backup, keep them in your secret store\n` : ''),
  );
}

main().catch((err: unknown) => {
  say(process.stderr, `backup failed: ${err instanceof BackupError ? err.message : shownError(err)}\n`);
  process.exit(err instanceof BackupError ? err.code : 1);
});
