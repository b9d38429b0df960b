// The data-encryption keys (secrets at rest, see secrets.ts). One current key encrypts; earlier keys
// only decrypt, so secrets written before a rotation stay readable until `npm run rotate-key` has
// re-encrypted them. The keys come from DATA_ENCRYPTION_KEY (+ DATA_ENCRYPTION_PREVIOUS_KEYS), or,
// when that is unset (development, tests), from a key file generated once in the data folder:
// mode 0600, created atomically, one key per line, the first line the current key.
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileDurably } from '../support/durable-write.ts';

export const KEY_BYTES = 32;

export interface DataKey {
  /** Short, stable, derived from the key (reveals nothing about it): names the key in every ciphertext. */
  id: string;
  key: Buffer;
}

export interface Keyring {
  /** The key new secrets are encrypted with. */
  current(): DataKey;
  /** The key with this id, or undefined (a file keyring re-reads its file once before answering). */
  find(id: string): DataKey | undefined;
  /** Every key, current first. */
  all(): DataKey[];
  readonly source: 'environment' | 'file';
}

export class KeyringError extends Error {}

/**
 * A key written as 64 hex characters, or as base64 / base64url of 32 bytes; null otherwise.
 * Hex is tried first: 64 hex characters are also valid base64, but of 48 bytes.
 */
export function parseDataKey(text: string): Buffer | null {
  const s = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === KEY_BYTES) return b;
  }
  return null;
}

export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('talent-data-key-id').digest('base64url').slice(0, 8);
}

/**
 * A key for one purpose, derived from a data key (HKDF-SHA256, `info` naming the purpose): what
 * signs a backup is then never the key that encrypts, and shows nothing of it.
 */
export function deriveSubkey(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, KEY_BYTES));
}

function dataKey(key: Buffer): DataKey {
  if (key.length !== KEY_BYTES) throw new KeyringError(`a data-encryption key must be ${KEY_BYTES} bytes`);
  return { id: keyId(key), key };
}

/** A fixed keyring: `current` encrypts, `previous` only decrypt. */
export function keyringFromKeys(current: Buffer, previous: readonly Buffer[] = [], source: Keyring['source'] = 'environment'): Keyring {
  const keys = [dataKey(current), ...previous.map(dataKey)].filter((k, i, all) => all.findIndex((x) => x.id === k.id) === i);
  return {
    source,
    current: () => keys[0]!,
    find: (id) => keys.find((k) => k.id === id),
    all: () => [...keys],
  };
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

// ---------------------------------------------------------------- the key file

export function readKeyFile(file: string): Buffer[] {
  const keys = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l, i) => {
      const k = parseDataKey(l);
      if (!k) throw new KeyringError(`${file}: line ${i + 1} is not a 32-byte key`);
      return k;
    });
  if (keys.length === 0) throw new KeyringError(`${file} holds no key`);
  return keys;
}

function keyFileText(keys: readonly Buffer[]): string {
  return [
    '# Data-encryption keys (AES-256-GCM) of this installation. Keep this file secret and back it up',
    '# apart from the database: without it the encrypted secrets cannot be read. First line: current key.',
    ...keys.map((k) => k.toString('hex')),
    '',
  ].join('\n');
}

function writeTemp(file: string, keys: readonly Buffer[]): string {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, keyFileText(keys));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600); // whatever the umask
  return tmp;
}

/**
 * Replaces the key file in one step, durably (writeFileDurably: a temporary file of its own, mode
 * 0600, flushed, renamed over it, the rename flushed too): a rotation's new key, once data is
 * encrypted with it, must not vanish with a power cut.
 */
export async function writeKeyFile(file: string, keys: readonly Buffer[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileDurably(file, keyFileText(keys), { mode: 0o600, exclusive: true });
}

/**
 * The key file's keys, generating the file first when it does not exist. Creation is exclusive
 * (link() fails when another process created it first; that one's key is then used).
 */
export function loadOrCreateKeyFile(file: string): Buffer[] {
  try {
    return readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tmp = writeTemp(file, [newDataKey()]);
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return readKeyFile(file);
}

/**
 * A keyring on the key file. It re-reads the file when the file changed (checked before encrypting,
 * and when a ciphertext names an unknown key), so a running app follows `npm run rotate-key`.
 */
export function fileKeyring(file: string): Keyring {
  let keys = loadOrCreateKeyFile(file).map(dataKey);
  let stamp = statStamp(file);
  const refresh = () => {
    const now = statStamp(file);
    if (now !== stamp) {
      keys = readKeyFile(file).map(dataKey);
      stamp = now;
    }
  };
  return {
    source: 'file',
    current: () => {
      refresh();
      return keys[0]!;
    },
    find: (id) => {
      const hit = keys.find((k) => k.id === id);
      if (hit) return hit;
      refresh();
      return keys.find((k) => k.id === id);
    },
    all: () => {
      refresh();
      return [...keys];
    },
  };
}

function statStamp(file: string): string {
  const s = statSync(file);
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

// ---------------------------------------------------------------- from the configuration

export interface DataEncryptionConfig {
  /** DATA_ENCRYPTION_KEY, when set. */
  key: Buffer | undefined;
  /** DATA_ENCRYPTION_PREVIOUS_KEYS: decrypt only, during a rotation. */
  previousKeys: Buffer[];
  /** Where the generated key lives when no key is configured. */
  keyFile: string;
}

const perConfig = new WeakMap<object, Keyring>();

/** The keyring of a configuration (built once per configuration object). */
export function keyringFor(config: { dataEncryption: DataEncryptionConfig }): Keyring {
  let k = perConfig.get(config);
  if (!k) {
    const d = config.dataEncryption;
    k = d.key ? keyringFromKeys(d.key, d.previousKeys) : fileKeyring(d.keyFile);
    perConfig.set(config, k);
  }
  return k;
}
