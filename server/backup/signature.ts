// A backup's signature: manifest.sig, an HMAC-SHA256 of manifest.json's exact bytes under a key
// derived (HKDF-SHA256, SIGNATURE_INFO) from the installation's current data-encryption key. The
// hashes of the manifest find damage; only the signature finds a deliberate change, since whoever
// can write to the backup store can recompute every hash (add an administrator to the users dump,
// change a decision) but cannot sign without the key, which is never in a backup. manifest.sig
// names the key by its id (server/crypto/keyring.ts keyId), holds nothing secret, and is written
// last, durably, after manifest.sha256: a backup cut short has none.
//
// The restore checks it before anything is written, with the keys the app would have: DATA_ENCRYPTION_KEY
// and DATA_ENCRYPTION_PREVIOUS_KEYS (a key rotated since the backup still verifies it), or when that is
// unset the key file of the target data folder (and DATA_DIR's), read, never generated. Refused (exit 4): a signature
// that does not match, a key id none of those keys has, a manifest.sig that is not a signature. A
// backup without manifest.sig (taken before backups were signed), or with no key at all on the
// restoring machine (a disaster restore before the key is put back), is refused too unless the
// operator passes --unsigned; it is then restored unchecked, and said so loudly.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { deriveSubkey, keyringFromKeys, KeyringError, readKeyFile, type DataKey } from '../crypto/keyring.ts';
import { writeFileDurably } from '../support/durable-write.ts';
import { shownText } from '../support/shown-text.ts';
import { BackupError } from './connect.ts';
import { MANIFEST, readBackupFile } from './manifest.ts';

export const SIGNATURE = 'manifest.sig';
/** Names what the derived key is for: a key derived for anything else never signs a backup. */
export const SIGNATURE_INFO = 'talent backup manifest v1';
/** A signature is about 250 bytes: anything much larger is not one. */
export const MAX_SIGNATURE_BYTES = 4096;
/** The restore's exit code for a backup whose signature is missing, wrong or cannot be checked (3: damaged). */
export const EXIT_NOT_SIGNED = 4;
const KEY_FILE = 'data-encryption.key';

const signatureSchema = z
  .object({
    format: z.literal('talent-backup-signature'),
    version: z.literal(1),
    algorithm: z.literal('HMAC-SHA256'),
    kdf: z.literal('HKDF-SHA256'),
    info: z.literal(SIGNATURE_INFO),
    keyId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    mac: z.string().regex(/^[a-f0-9]{64}$/),
  })
  .strict();

export type Signature = z.infer<typeof signatureSchema>;

function macOf(manifest: Buffer, key: DataKey): Buffer {
  return createHmac('sha256', deriveSubkey(key.key, SIGNATURE_INFO)).update(manifest).digest();
}

export function signManifest(manifest: Buffer, key: DataKey): Signature {
  return { format: 'talent-backup-signature', version: 1, algorithm: 'HMAC-SHA256', kdf: 'HKDF-SHA256', info: SIGNATURE_INFO, keyId: key.id, mac: macOf(manifest, key).toString('hex') };
}

/** Writes manifest.sig for the manifest bytes just written: the backup's last file, mode 0600, durably. */
export async function writeSignature(dir: string, manifest: Buffer, key: DataKey): Promise<Signature> {
  const sig = signManifest(manifest, key);
  const file = path.join(dir, SIGNATURE);
  await writeFileDurably(file, `${JSON.stringify(sig)}\n`, { mode: 0o600, temp: `${file}.writing`, exclusive: true });
  return sig;
}

/** manifest.sig's bytes as a signature, or what is wrong with them (never a crash, never a polluted object). */
export function parseSignature(bytes: Buffer): Signature | string {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'), (k, v: unknown) => {
      // An own "__proto__" or "constructor" key is no field of a signature: refused, not merged anywhere.
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') throw new Error(`it holds a key named ${k}`);
      return v;
    });
  } catch (err) {
    return `it is not JSON a signature is written in (${shownText((err as Error).message, 120)})`;
  }
  const parsed = signatureSchema.safeParse(raw);
  if (!parsed.success) return `it is not a signature this version writes (${shownText(parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'the file'}: ${i.message}`).join('; '), 300)})`;
  return parsed.data;
}

/** The keys a restore may check a signature with, and where it looked (for the messages). */
export interface RestoreKeys {
  keys: DataKey[];
  /** DATA_ENCRYPTION_KEY's, the key files read: what the messages name. */
  looked: string[];
  /** Where the operator may put the key file: the target data folder's, else DATA_DIR's. */
  keyFile: string;
}

/**
 * The keys on this machine, found as the app finds them (server/crypto/keyring.ts keyringFor):
 * DATA_ENCRYPTION_KEY with its previous keys when set (a key file is then not the app's and is not
 * read); else the key file of the target data folder, and DATA_DIR's when that is another. Read,
 * never generated (the app's keyring makes one when none is there: a new key only fails the check).
 */
export function restoreKeys(config: Config, dataDir: string | undefined): RestoreKeys {
  const keys: DataKey[] = [];
  const looked: string[] = [];
  const d = config.dataEncryption;
  const files = [...new Set([...(dataDir ? [path.join(dataDir, KEY_FILE)] : []), d.keyFile])];
  if (d.key) {
    keys.push(...keyringFromKeys(d.key, d.previousKeys).all());
    looked.push(d.previousKeys.length ? 'DATA_ENCRYPTION_KEY and DATA_ENCRYPTION_PREVIOUS_KEYS' : 'DATA_ENCRYPTION_KEY');
    return { keys, looked, keyFile: files[0]! };
  }
  for (const file of files) {
    if (!existsSync(file)) continue;
    let fromFile: Buffer[];
    try {
      fromFile = readKeyFile(file);
    } catch (err) {
      throw new BackupError(`${file} cannot be read as a key file: ${err instanceof KeyringError ? err.message : (err as Error).message}`, 2);
    }
    keys.push(...keyringFromKeys(fromFile[0]!, fromFile.slice(1), 'file').all());
    looked.push(file);
  }
  return { keys: keys.filter((k, i) => keys.findIndex((x) => x.id === k.id) === i), looked, keyFile: files[0]! };
}

export type SignatureCheck = { verified: true; keyId: string } | { verified: false; why: 'unsigned' | 'no key'; keyId?: string };

/**
 * Why a backup has no manifest.sig, as far as its folder tells, and what to do. manifest.sig is
 * written last (server/backup/backup.ts): a backup killed after manifest.sha256 leaves a whole,
 * hash-consistent backup without it, and manifest.sig.writing if it was killed while writing it.
 * A manifest that records the app version (s39 on) was written by a version that signs every
 * backup: cut short or its signature removed, not an old backup.
 */
async function whyUnsigned(from: string, manifest: Buffer): Promise<string> {
  const writing = Boolean(await lstat(path.join(from, `${SIGNATURE}.writing`)).catch(() => undefined));
  let recorded = false;
  try {
    recorded = typeof (JSON.parse(manifest.toString('utf8')) as { app?: { version?: unknown } }).app?.version === 'string';
  } catch {
    // Not JSON: verifyBackup says so after this check.
  }
  const how = writing
    ? `it looks cut short: the backup was stopped while writing its signature, its last file (${SIGNATURE}.writing is there, not trusted), so it never finished`
    : recorded
      ? `it looks cut short: its manifest was written by an app version that signs every backup, so it was stopped before writing ${SIGNATURE}, its last file, or its signature was removed`
      : `it was stopped before writing ${SIGNATURE} (its last file), or taken before backups were signed, or its signature was removed`;
  return (
    `the backup is not signed (no ${SIGNATURE}): ${how}; anyone who can write to the backup store could have changed it. ` +
    `Take a new backup if the installation still runs, and restore that. If this is the copy you must restore (an older backup, the only one) and you trust everyone who can write where it is kept, add --unsigned to restore it unchecked`
  );
}

/**
 * manifest.sig against the manifest bytes `manifest` (those verifyBackup then parses). Throws a
 * BackupError (exit 4) to refuse; with `unsigned` a backup without a signature, or with no key on
 * this machine to check it, is let through as not verified (the caller says so loudly).
 */
export async function checkSignature(from: string, manifest: Buffer, keys: RestoreKeys, unsigned: boolean): Promise<SignatureCheck> {
  const refuse = (why: string) => new BackupError(`refusing to restore ${from}: ${why}: nothing was restored`, EXIT_NOT_SIGNED);
  const provide = (id: string) =>
    `set DATA_ENCRYPTION_KEY to key ${id} from your secret store (after a rotation: the current key in DATA_ENCRYPTION_KEY, ${id} in DATA_ENCRYPTION_PREVIOUS_KEYS), ` +
    `or put the key file holding it at ${keys.keyFile}, and run the restore again`;
  const read = await readBackupFile(from, SIGNATURE, MAX_SIGNATURE_BYTES);
  if ('problem' in read) throw refuse(`its signature cannot be checked: ${read.problem}`);
  if ('missing' in read) {
    if (unsigned) return { verified: false, why: 'unsigned' };
    throw refuse(await whyUnsigned(from, manifest));
  }
  const sig = parseSignature(read.bytes);
  if (typeof sig === 'string') throw refuse(`${SIGNATURE} is not a backup signature: ${sig}`);
  if (!keys.keys.length) {
    if (unsigned) return { verified: false, why: 'no key', keyId: sig.keyId };
    throw refuse(
      `the backup is signed with data-encryption key ${sig.keyId} and this machine has no data-encryption key to check it (DATA_ENCRYPTION_KEY is unset and there is no key file at ${keys.keyFile}): ` +
        `${provide(sig.keyId)} (the app needs that key anyway to read the secrets sealed in the backup); --unsigned restores it unchecked, only if you trust everyone who can write where it is kept`,
    );
  }
  const key = keys.keys.find((k) => k.id === sig.keyId);
  if (!key) {
    throw refuse(
      `the backup is signed with data-encryption key ${sig.keyId}, which is not among the keys here (${keys.keys.map((k) => k.id).join(', ')}, from ${keys.looked.join(' and ')}): ` +
        `a backup of another installation, or one taken before a rotation whose old key is not kept; ${provide(sig.keyId)}`,
    );
  }
  const expected = macOf(manifest, key);
  const given = Buffer.from(sig.mac, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw refuse(`${SIGNATURE} does not match ${MANIFEST} under key ${sig.keyId}: the backup was changed after it was taken, or taken by another installation`);
  }
  return { verified: true, keyId: key.id };
}
