// Restores a backup made by `npm run backup` into an empty data folder:
//   npm run restore -- --from /backups/talent-2026-12-07 [--data DIR] [--uploads DIR] [--force] [--unsigned]
// --data defaults to DATA_DIR (with MONGODB_URI set and no --data: into that database, which must be
// empty), --uploads to UPLOAD_DIR. Every file is checked against the manifest first; a damaged or
// partial backup is refused and nothing is written. The folders must be new or empty (the data folder
// may already hold data-encryption.key); --force moves what is there aside (never deletes it) and
// still refuses a data folder the app is running on. A restore cut short leaves restore-in-progress.json
// in the data and upload folders: the app does not start on them; the same command run again
// finishes the restore (another backup is refused there unless --force).
// The backup's signature (manifest.sig) is checked first with the data-encryption keys this machine has
// (DATA_ENCRYPTION_KEY and DATA_ENCRYPTION_PREVIOUS_KEYS; when unset, the key file in the target data
// folder or in DATA_DIR, read, never generated): a backup changed since it was taken, or signed by another
// installation, is refused. So is one without manifest.sig (taken before backups were signed) and,
// on a machine with no key at all (a new machine: put the key back first), one that cannot be
// checked: --unsigned restores those unchecked, with a warning naming what it trusts (the backup's dates,
// app version, counts and administrators). A signature that is there and does
// not match, or names a key not here, is refused even with --unsigned.
// Exit codes: 0 done, 1 failed, 2 bad arguments or configuration, 3 the backup is damaged or incomplete,
// 4 its signature is missing, does not match, or names a key this machine does not have (nothing restored).
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../server/config.ts';
import { describeTrusted, restoreBackup } from '../server/backup/restore.ts';
import { BackupError } from '../server/backup/connect.ts';
import { shownError, shownLines, shownText } from '../server/support/shown-text.ts';

// Whatever is printed may quote the backup (its manifest, its file names, its signature's key id) or the
// database: shown, never acted on by the terminal (no ESC sequence, CR or bidi override gets through).
const say = (stream: NodeJS.WriteStream, text: string) => stream.write(shownLines(text));

const usage = 'usage: npm run restore -- --from DIR [--data DIR] [--uploads DIR] [--force] [--unsigned]';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { from: { type: 'string' }, data: { type: 'string' }, uploads: { type: 'string' }, force: { type: 'boolean', default: false }, unsigned: { type: 'boolean', default: false } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`${shownText((err as Error).message, 300)}\n${usage}\n`);
    process.exit(2);
  }
  if (!args.from) {
    process.stderr.write(`--from is required\n${usage}\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const r = await restoreBackup({ config, from: args.from, dataDir: args.data, uploadDir: args.uploads, force: args.force, unsigned: args.unsigned, log: (line) => say(process.stderr, `${line}\n`) });
  const keys = r.manifest.encryption.keyIds.map((k) => shownText(k, 64));
  say(
    process.stdout,
    (r.resumed ? 'an unfinished restore of this backup was there: cleared and done again\n' : '') +
      `restored ${r.collections} collections, ${r.documents} documents and ${r.files} files into ${r.target === 'embedded' ? `${r.dataDir} (a new database user and credentials file: ${r.dataDir}/db/credentials.json)` : 'the database of MONGODB_URI'}, files in ${r.uploadDir}\n` +
      (r.signature.verified ? `signature verified (data-encryption key ${r.signature.keyId})\n` : `WARNING: restored with --unsigned: the backup's signature was NOT checked\n${(r.trusted ? describeTrusted(r.trusted) : []).map((l) => `WARNING: ${l}\n`).join('')}`) +
      (r.setAside.length ? `moved aside (not deleted): ${r.setAside.join(', ')}\n` : '') +
      (keys.length ? `start the app with the data-encryption key ${keys.join(', ')} (DATA_ENCRYPTION_KEY, or its key file in the data folder): without it staff must enrol their authenticator again\n` : ''),
  );
}

main().catch((err: unknown) => {
  say(process.stderr, `restore failed: ${err instanceof BackupError ? err.message : shownError(err)}\n`);
  process.exit(err instanceof BackupError ? err.code : 1);
});
