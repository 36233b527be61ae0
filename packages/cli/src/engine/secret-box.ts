/**
 * Passphrase encryption for secrets at rest (PROTOCOL.md §13): scrypt (RFC 7914) from node:crypto derives a 32-byte
 * key, AES-256-GCM (NIST SP 800-38D) seals. Used for identity.json and for `chat key export` backups.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt, scryptSync } from 'node:crypto';
import { ChatError } from './errors.js';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  r: number;
  p: number;
}

/**
 * identity.json: N = 2^17, r = 8, p = 1 (128 MiB), OWASP's scrypt minimum. Affordable since the daemon unlocks the
 * keys once for every command (docs/BENCHMARKS.md); files written with less are re-wrapped at the next unlock.
 */
export const IDENTITY_SCRYPT: ScryptParams = { logN: 17, r: 8, p: 1 };
/** Backups leave the machine and are opened rarely: N = 2^18 (256 MiB), as age uses for passphrases. */
export const BACKUP_SCRYPT: ScryptParams = { logN: 18, r: 8, p: 1 };
export const SALT_BYTES = 16;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** Bounds a reader enforces, so a crafted file cannot ask for gigabytes or hours (2^20 · 8 · 128 B = 1 GiB). */
export function checkScryptParams(p: ScryptParams): boolean {
  return (
    Number.isInteger(p.logN) &&
    p.logN >= 10 &&
    p.logN <= 20 &&
    Number.isInteger(p.r) &&
    p.r >= 1 &&
    p.r <= 32 &&
    Number.isInteger(p.p) &&
    p.p >= 1 &&
    p.p <= 4 &&
    scryptMemory(p) <= 2 ** 30
  );
}

/** Memory scrypt needs for these parameters: 128 · N · r · p bytes. */
export function scryptMemory(p: ScryptParams): number {
  return 128 * 2 ** p.logN * p.r * p.p;
}

/** True when `p` costs less memory (and so less work per guess) than `target`: such a key file gets re-wrapped. */
export function weakerThan(p: ScryptParams, target: ScryptParams): boolean {
  return scryptMemory(p) < scryptMemory(target);
}

/** Node refuses scrypt above `maxmem` (default 32 MiB, less than N = 2^17 needs), so it is always given. */
export function scryptOptions(p: ScryptParams) {
  return { N: 2 ** p.logN, r: p.r, p: p.p, maxmem: scryptMemory(p) + 1024 * 1024 };
}

/** Passphrases are compared as NFC UTF-8, so the same characters typed on two systems give the same key. */
function passphraseBytes(passphrase: string): Buffer {
  return Buffer.from(passphrase.normalize('NFC'), 'utf8');
}

export function deriveKeySync(passphrase: string, salt: Uint8Array, params: ScryptParams): Buffer {
  return scryptSync(passphraseBytes(passphrase), salt, 32, scryptOptions(params));
}

/** Runs on libuv's thread pool: the caller can do other start-up work meanwhile. */
export function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const w = warm;
  if (
    w &&
    w.passphrase === passphrase &&
    Buffer.from(salt).equals(w.salt) &&
    w.params.logN === params.logN &&
    w.params.r === params.r &&
    w.params.p === params.p
  ) {
    warm = undefined;
    return w.key;
  }
  return derive(passphrase, salt, params);
}

function derive(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphraseBytes(passphrase), salt, 32, scryptOptions(params), (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

let warm: { passphrase: string; salt: Buffer; params: ScryptParams; key: Promise<Buffer> } | undefined;

/**
 * Starts deriving a key now, before the code that will ask for it has even loaded (the binary's start-up); the next
 * `deriveKey` with exactly these inputs takes that derivation instead of starting its own, any other call derives
 * as usual. Out-of-bounds parameters (checkScryptParams) and a salt that is not SALT_BYTES long derive nothing.
 */
export function prederiveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): void {
  if (!checkScryptParams(params) || salt.length !== SALT_BYTES) return;
  const key = derive(passphrase, salt, params);
  key.catch(() => {}); // whoever takes it sees the error
  warm = { passphrase, salt: Buffer.from(salt), params: { logN: params.logN, r: params.r, p: params.p }, key };
}

/**
 * The associated data of a box sealed under the passphrase's key (PROTOCOL.md §13.1, §13.3): `label ‖ identity_pk ‖
 * encryption_pk ‖ logN ‖ r ‖ p ‖ salt`. Each box has its own label, so none can stand in for another.
 */
export function keyfileAad(
  label: string,
  identityPk: Uint8Array,
  encryptionPk: Uint8Array,
  params: ScryptParams,
  salt: Uint8Array,
): Uint8Array {
  return Buffer.concat([
    Buffer.from(label, 'latin1'),
    identityPk,
    encryptionPk,
    Uint8Array.of(params.logN, params.r, params.p),
    salt,
  ]);
}

/**
 * AES-256-GCM under a fresh random nonce (or `nonce`, when the caller must put it in `aad` first); `aad` binds the
 * context (labels, public keys, parameters).
 */
export function sealWithKey(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  nonce: Uint8Array = randomBytes(NONCE_BYTES),
): { nonce: Uint8Array; sealed: Uint8Array } {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, sealed };
}

/**
 * @throws {ChatError} `BAD_PASSPHRASE` when the tag does not verify: a wrong passphrase (or a damaged file; the two
 *   cannot be told apart, by design of an AEAD).
 */
export function openWithKey(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
  what: string,
): Buffer {
  if (nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES)
    throw new ChatError('PROFILE_CORRUPT', `${what}: damaged ciphertext`);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new ChatError('BAD_PASSPHRASE', `wrong passphrase for ${what}`, {
      hint: 'nothing was changed; try again (CHAT_PASSPHRASE, --passphrase-file, or type it)',
    });
  }
}
