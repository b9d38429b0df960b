// SCRAM (RFC 5802; SHA-256 variant RFC 7677) as MongoDB does it: the server keeps only a salt,
// an iteration count, StoredKey and ServerKey per mechanism, never the password.
// MongoDB's particulars: SCRAM-SHA-1 salts the hex MD5 of "user:mongo:password" (not the password),
// SCRAM-SHA-256 salts the SASLprep'd password; no channel binding.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { saslprep } from '@mongodb-js/saslprep';

const pbkdf2Async = promisify(pbkdf2);

export const MECHANISMS = ['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

export function isMechanism(v: unknown): v is Mechanism {
  return v === 'SCRAM-SHA-1' || v === 'SCRAM-SHA-256';
}

/** What admin.system.users keeps per mechanism (base64 strings, as MongoDB stores them). */
export interface ScramCredential {
  iterationCount: number;
  salt: string;
  storedKey: string;
  serverKey: string;
}

const PARAMS: Record<Mechanism, { hash: 'sha1' | 'sha256'; keyLength: number; saltLength: number; iterations: number }> = {
  // MongoDB's defaults (scramIterationCount, scramSHA256IterationCount) and salt lengths
  'SCRAM-SHA-1': { hash: 'sha1', keyLength: 20, saltLength: 16, iterations: 10_000 },
  'SCRAM-SHA-256': { hash: 'sha256', keyLength: 32, saltLength: 28, iterations: 15_000 },
};

/** The secret SCRAM-SHA-1 salts: MongoDB's legacy digest of user name and password. */
export function mongoPasswordDigest(user: string, password: string): string {
  return createHash('md5').update(`${user}:mongo:${password}`, 'utf8').digest('hex');
}

/**
 * Salted keys for `mechanism`. `secret` is the password; for SCRAM-SHA-1 it may instead be the
 * digest already (`digested`, MongoDB's `digestPassword: false`).
 */
export async function makeCredential(mechanism: Mechanism, user: string, secret: string, digested = false): Promise<ScramCredential> {
  const p = PARAMS[mechanism];
  const input = mechanism === 'SCRAM-SHA-1' ? (digested ? secret : mongoPasswordDigest(user, secret)) : saslprep(secret);
  const salt = randomBytes(p.saltLength);
  const salted = await pbkdf2Async(Buffer.from(input, 'utf8'), salt, p.iterations, p.keyLength, p.hash);
  const clientKey = hmac(p.hash, salted, 'Client Key');
  return {
    iterationCount: p.iterations,
    salt: salt.toString('base64'),
    storedKey: createHash(p.hash).update(clientKey).digest('base64'),
    serverKey: hmac(p.hash, salted, 'Server Key').toString('base64'),
  };
}

function hmac(hash: string, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

/** A malformed message or a proof that does not match: the client sees "Authentication failed." either way (as from mongod); the reason goes to the log. */
export class ScramError extends Error {}

/** Parses "a=1,b=2" attribute lists; values may contain '=' (base64), never ','. */
function attributes(text: string): Array<[string, string]> {
  return text.split(',').map((part) => {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new ScramError(`malformed SCRAM attribute '${part.slice(0, 20)}'`);
    return [part[0]!, part.slice(2)];
  });
}

/** RFC 5802 saslname: ',' is sent as =2C and '=' as =3D; any other '=' is malformed. */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramError('malformed user name');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** The server's side of one conversation: start() answers client-first, finish() client-final. */
export class ScramConversation {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2Header = '';
  private credential: ScramCredential | undefined;
  /** The verified user, once finish() succeeded. */
  user: string | undefined;

  constructor(readonly mechanism: Mechanism) {}

  /** Parses client-first; returns the user name so the caller can look up its credential. */
  parseClientFirst(payload: string): string {
    // gs2-header: "n" or "y" (no channel binding), then an optional authzid, then the bare message
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(payload);
    if (!m) {
      throw new ScramError(payload.startsWith('p=') ? 'channel binding is not supported' : 'malformed SCRAM client-first message');
    }
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare);
    if (attrs[0]?.[0] === 'm') throw new ScramError('SCRAM extensions are not supported');
    const [nameAttr, nonceAttr] = attrs;
    if (nameAttr?.[0] !== 'n' || nonceAttr?.[0] !== 'r') throw new ScramError('malformed SCRAM client-first message');
    const user = decodeSaslName(nameAttr[1]);
    if (m[2] && decodeSaslName(m[2].slice(2)) !== user) throw new ScramError('authorization identity must match the user name');
    const clientNonce = nonceAttr[1];
    if (clientNonce.length < 8 || clientNonce.length > 512 || !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) {
      throw new ScramError('malformed SCRAM nonce');
    }
    this.nonce = clientNonce + randomBytes(24).toString('base64');
    this.user = undefined;
    return user;
  }

  /** server-first, for the credential found (or a decoy for an unknown user, so it fails only at the proof). */
  serverFirstMessage(credential: ScramCredential): string {
    this.credential = credential;
    this.serverFirst = `r=${this.nonce},s=${credential.salt},i=${credential.iterationCount}`;
    return this.serverFirst;
  }

  /** Checks client-final's proof; returns server-final (the server's signature). */
  finish(payload: string, user: string): string {
    if (!this.credential) throw new ScramError('SCRAM conversation not started');
    const proofAt = payload.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('SCRAM client-final message without a proof');
    const withoutProof = payload.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    const binding = attrs.find(([k]) => k === 'c')?.[1];
    const nonce = attrs.find(([k]) => k === 'r')?.[1];
    if (binding !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) throw new ScramError('SCRAM channel binding mismatch');
    if (nonce !== this.nonce) throw new ScramError('SCRAM nonce mismatch');
    const proof = Buffer.from(payload.slice(proofAt + 3), 'base64');

    const { hash } = PARAMS[this.mechanism];
    const storedKey = Buffer.from(this.credential.storedKey, 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(hash, storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new ScramError('wrong proof');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const computed = createHash(hash).update(clientKey).digest();
    if (computed.length !== storedKey.length || !timingSafeEqual(computed, storedKey)) throw new ScramError('wrong proof');
    this.user = user;
    const serverSignature = hmac(hash, Buffer.from(this.credential.serverKey, 'base64'), authMessage);
    return `v=${serverSignature.toString('base64')}`;
  }
}

/**
 * A credential for a user that does not exist: the conversation goes on and fails at the proof,
 * as for a wrong password, so the replies do not tell which user names exist. Its salt is fixed
 * per name (a random one each time would tell them apart too).
 */
export function decoyCredential(mechanism: Mechanism, user: string, secret: Buffer): ScramCredential {
  const p = PARAMS[mechanism];
  const salt = hmac('sha256', secret, `salt:${mechanism}:${user}`).subarray(0, p.saltLength);
  const key = randomBytes(p.keyLength).toString('base64');
  return { iterationCount: p.iterations, salt: salt.toString('base64'), storedKey: key, serverKey: key };
}
