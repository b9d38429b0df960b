// `npm run rotate-key`: re-encrypts every secret kept in the database (server/crypto/sealed-fields.ts)
// under a new data-encryption key. Prints key ids, never keys.
//
// - With DATA_ENCRYPTION_KEY set (production): that is the key to rotate TO; the key(s) to rotate
//   FROM are in DATA_ENCRYPTION_PREVIOUS_KEYS. Run the app with both set while this runs, then drop
//   DATA_ENCRYPTION_PREVIOUS_KEYS and restart it.
// - Without it (the key file in the data folder): a new key is generated and written first in the
//   file (the old one kept below it, so a running app reads both), every secret is re-encrypted, and
//   then the old key is removed from the file. An interrupted run is finished by running it again.
// Uses the same database as `npm start` (stop the app first when it uses the embedded database).
import { loadConfigOrExit } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { openDatabase } from '../server/db/index.ts';
import { keyringFor, keyringFromKeys, newDataKey, readKeyFile, writeKeyFile, keyId, type Keyring } from '../server/crypto/keyring.ts';
import { countNotUnderCurrentKey, reencryptSecrets, type PassResult } from '../server/crypto/sealed-fields.ts';

function summary(results: PassResult[][]): { changed: number; unreadable: number } {
  const last = results[results.length - 1] ?? [];
  return {
    changed: results.flat().reduce((n, r) => n + r.changed, 0),
    unreadable: last.reduce((n, r) => n + r.unreadable, 0),
  };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const file = config.dataEncryption.keyFile;
  const out: string[] = [];
  let keyring: Keyring;
  let oldKeys: Buffer[] = [];
  if (config.dataEncryption.key) {
    keyring = keyringFor(config);
    if (config.dataEncryption.previousKeys.length === 0) out.push('DATA_ENCRYPTION_PREVIOUS_KEYS is empty: secrets under other keys cannot be read and will be reported.');
  } else {
    let existing: Buffer[];
    try {
      existing = readKeyFile(file);
    } catch (err) {
      process.stderr.write(`No key to rotate: ${err instanceof Error ? err.message : String(err)}\n(the app creates ${file} at its first start, or set DATA_ENCRYPTION_KEY)\n`);
      process.exit(2);
    }
    if (existing.length > 1) {
      out.push(`Finishing an unfinished rotation to key ${keyId(existing[0]!)}.`);
    } else {
      existing = [newDataKey(), ...existing];
      await writeKeyFile(file, existing); // new key first: from now on every writer encrypts with it
      out.push(`New key ${keyId(existing[0]!)} written to ${file} (old key ${keyId(existing[1]!)} kept until the secrets are re-encrypted).`);
    }
    oldKeys = existing.slice(1);
    keyring = keyringFromKeys(existing[0]!, oldKeys, 'file');
  }

  const db = await openDatabase(config, logger);
  try {
    const raw = db.connection.db!;
    const passes: PassResult[][] = [await reencryptSecrets(raw, keyring)];
    if (oldKeys.length) {
      // Only the new key stays on disk; one more pass with the old keys still in memory catches a
      // secret an app instance wrote with the old key while the first pass ran.
      await writeKeyFile(file, [keyring.current().key]);
      passes.push(await reencryptSecrets(raw, keyring));
      out.push(`Old key(s) ${oldKeys.map(keyId).join(', ')} removed from ${file}.`);
    }
    const { changed, unreadable } = summary(passes);
    const left = await countNotUnderCurrentKey(raw, keyring);
    out.unshift(`Re-encrypted ${changed} secret(s) under key ${keyring.current().id}.`);
    if (config.dataEncryption.key) out.push('Now remove DATA_ENCRYPTION_PREVIOUS_KEYS from the app\'s environment and restart it.');
    process.stdout.write(out.join('\n') + '\n');
    if (unreadable || left) {
      process.stderr.write(
        `${Math.max(unreadable, left)} secret(s) could not be decrypted with any key given (altered, or under a key not supplied): ` +
          'they were left as they are; an administrator can reset those accounts\' second factor.\n',
      );
      process.exitCode = 1;
    }
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`rotate-key failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
