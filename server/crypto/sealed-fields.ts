// Every secret the product keeps in the database, encrypted (secrets.ts), and the two whole-database
// passes over them: sealing values still stored in plain text (at start), and re-encrypting under
// the current key (`npm run rotate-key`). Both work on the raw collections and change a document only
// if the value is still the one read (a concurrent change wins, and is picked up on the next pass).
import type { Db } from 'mongodb';
import type { Keyring } from './keyring.ts';
import { isSealed, openSecret, sealSecret, sealedKeyId, type SecretOwner } from './secrets.ts';

export interface SealedField {
  collection: string;
  /** Dotted path of the value in the document. */
  path: string;
  /** Name bound into the ciphertext (with the document's _id as the owner). */
  field: string;
}

/** Second-factor secrets of staff (and of applicants who enabled one). Recovery codes and e-mailed tokens are stored as hashes. */
export const TOTP_SECRET: SealedField = { collection: 'users', path: 'totp.secret', field: 'user.totp.secret' };

/**
 * Only secrets are sealed (DESIGN.md §8, README "Security": personal data in applications is "not
 * encrypted by the app", the database being protected by disk encryption and access control).
 * Reviewed and left in plain text on that rule: the offer's terms (cases.offerTerms, the salary
 * included), an offer's decline reason (a history note), information-request answers
 * (cases.infoRequest.answer) and the institute's HR office contact (institutes.hrContact, an
 * office's public address, not a person's). None is a credential, and the applicant's export, HR's
 * pages and the retention erasure read them as they read the rest of the case. Sealing one is
 * adding it here (its `field` binds it to its document) and opening it where it is read.
 */
export const SEALED_FIELDS: readonly SealedField[] = [TOTP_SECRET];

export function ownerOf(field: SealedField, id: unknown): SecretOwner {
  return { owner: String(id), field: field.field };
}

function valueAt(doc: Record<string, unknown>, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), doc);
}

export interface PassResult {
  field: string;
  changed: number;
  /** Values that could not be read (unknown key, altered): left as they are, and counted. */
  unreadable: number;
}

/** Seals every value still stored in plain text. Run at start; idempotent. */
export async function sealPlainSecrets(db: Db, keyring: Keyring): Promise<PassResult[]> {
  const out: PassResult[] = [];
  for (const f of SEALED_FIELDS) {
    const coll = db.collection(f.collection);
    let changed = 0;
    // Only documents holding the field are read; sealed values are told apart here, not by a query
    // operator, so the pass behaves the same on every MongoDB-compatible server.
    const cursor = coll.find({ [f.path]: { $type: 'string' } }, { projection: { [f.path]: 1 } });
    for await (const doc of cursor) {
      const plain = valueAt(doc, f.path);
      if (typeof plain !== 'string' || plain === '' || isSealed(plain)) continue;
      const sealed = sealSecret(keyring, plain, ownerOf(f, doc._id));
      const r = await coll.updateOne({ _id: doc._id, [f.path]: plain }, { $set: { [f.path]: sealed } });
      changed += r.modifiedCount;
    }
    out.push({ field: f.field, changed, unreadable: 0 });
  }
  return out;
}

/** Re-encrypts every sealed value not under the keyring's current key (and seals plain ones). */
export async function reencryptSecrets(db: Db, keyring: Keyring): Promise<PassResult[]> {
  const current = keyring.current().id;
  const sealedPlain = await sealPlainSecrets(db, keyring);
  const out: PassResult[] = [];
  for (const f of SEALED_FIELDS) {
    const coll = db.collection(f.collection);
    let changed = sealedPlain.find((r) => r.field === f.field)?.changed ?? 0;
    let unreadable = 0;
    const cursor = coll.find({ [f.path]: { $type: 'string' } }, { projection: { [f.path]: 1 } });
    for await (const doc of cursor) {
      const value = valueAt(doc, f.path);
      if (!isSealed(value) || sealedKeyId(value) === current) continue;
      let plain: string;
      try {
        plain = openSecret(keyring, value, ownerOf(f, doc._id));
      } catch {
        unreadable += 1;
        continue;
      }
      const r = await coll.updateOne({ _id: doc._id, [f.path]: value }, { $set: { [f.path]: sealSecret(keyring, plain, ownerOf(f, doc._id)) } });
      changed += r.modifiedCount;
    }
    out.push({ field: f.field, changed, unreadable });
  }
  return out;
}

/** How many values of each field are under a key other than the current one (0 after a complete rotation). */
export async function countNotUnderCurrentKey(db: Db, keyring: Keyring): Promise<number> {
  const current = keyring.current().id;
  let n = 0;
  for (const f of SEALED_FIELDS) {
    for await (const doc of db.collection(f.collection).find({ [f.path]: { $type: 'string' } }, { projection: { [f.path]: 1 } })) {
      const v = valueAt(doc, f.path);
      if (typeof v === 'string' && v !== '' && (!isSealed(v) || sealedKeyId(v) !== current)) n += 1;
    }
  }
  return n;
}
