/**
 * X25519 (RFC 7748 §5): long-term keys on node:crypto (their KeyObjects cached), short-lived ones on libsodium.
 */
import { diffieHellman, type KeyObject, randomFillSync } from 'node:crypto';
import { bytesArg, exactBytes, wipe } from './bytes.js';
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './constants.js';
import { CryptoError } from './errors.js';
import type { KeyPair } from './identity.js';
import { publicKeyObject, secretKeyObject } from './keys.js';
import { scalarmult, scalarmultBase } from './sodium.js';
import { canonicalX25519 } from './strict.js';

/**
 * X25519(secretKey, publicKey) per RFC 7748 §5: the scalar is clamped, the public key's high bit is ignored and a
 * non-canonical u (≥ 2^255 − 19) is reduced, as the RFC says. An all-zero result is refused (§6.1).
 *
 * @throws {CryptoError} `LOW_ORDER_POINT` if the result is 32 zero bytes (`publicKey` has low order).
 * @throws {TypeError} if an argument is not a Uint8Array.
 * @throws {RangeError} if a key is not 32 bytes.
 * @example const shared = x25519(me.encryption.secretKey, peerEncryptionPublicKey)
 */
export function x25519(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  exactBytes('x25519', 'secretKey', secretKey, SECRET_KEY_BYTES);
  exactBytes('x25519', 'publicKey', publicKey, PUBLIC_KEY_BYTES);
  return derive(secretKeyObject('x25519', secretKey), publicKeyObject('x25519', publicKey));
}

/** The refusal of an all-zero X25519 result (RFC 7748 §6.1), the same on both paths. */
const lowOrder = (cause?: unknown): CryptoError =>
  new CryptoError(
    'LOW_ORDER_POINT',
    'x25519: the public key has low order (all-zero shared secret)',
    cause === undefined ? undefined : { cause },
  );

/** X25519 of two KeyObjects into a fresh Uint8Array; node's Buffer is wiped. */
function derive(privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch (e) {
    // OpenSSL refuses an all-zero X25519 output (RFC 7748 §6.1) with this code.
    if ((e as { code?: unknown }).code === 'ERR_OSSL_FAILED_DURING_DERIVATION') throw lowOrder(e);
    throw e;
  }
  const out = new Uint8Array(shared);
  wipe(shared);
  return out;
}

/**
 * True if `publicKey` is a canonical X25519 public key (PROTOCOL.md §2): 32 bytes, the high bit of the last byte
 * clear, and the little-endian value below 2^255 − 19 (RFC 7748 §5). Keys in bundles must be canonical.
 *
 * @throws {TypeError} if `publicKey` is not a Uint8Array.
 * @example isCanonicalX25519PublicKey(bundle.encryptionPublicKey)
 */
export function isCanonicalX25519PublicKey(publicKey: Uint8Array): boolean {
  bytesArg('isCanonicalX25519PublicKey', 'publicKey', publicKey);
  return canonicalX25519(publicKey);
}

/**
 * @internal X25519 for short-lived keys (ephemerals, prekeys, ratchet keys), computed by libsodium's
 * `crypto_scalarmult` on the bytes themselves: no KeyObject is made that could outlive the caller's wipe of
 * `secretKey` (read in place when it has an ArrayBuffer of its own, as x25519KeyPair's secrets do), and none is
 * imported (node:crypto takes ~400 µs to import a PKCS#8 X25519 key on Node 20, libsodium ~35 µs for the whole
 * function). Same checks, results and errors as {@link x25519}: libsodium clamps the scalar,
 * ignores the public key's high bit, reduces a non-canonical u, and refuses a low-order key (the Wycheproof vectors
 * run through both).
 */
export function x25519Uncached(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  exactBytes('x25519', 'secretKey', secretKey, SECRET_KEY_BYTES);
  exactBytes('x25519', 'publicKey', publicKey, PUBLIC_KEY_BYTES);
  const shared = new Uint8Array(32);
  if (!scalarmult(shared, secretKey, publicKey)) {
    wipe(shared);
    throw lowOrder();
  }
  return shared;
}

/**
 * The X25519 key pair of `secretKey` (RFC 7748 §6.1: the public key is X25519(secretKey, 9)), holding a copy of it;
 * from the CSPRNG when no secret is given. For prekeys and ratchet keys: computed by libsodium's
 * `crypto_scalarmult_base` on the bytes, so nothing of it is cached or imported into node:crypto.
 *
 * @throws {RangeError} if `secretKey` is given and is not 32 bytes.
 * @example const spk = x25519KeyPair(); publish(spk.publicKey)
 */
export function x25519KeyPair(secretKey?: Uint8Array): KeyPair {
  if (secretKey !== undefined) exactBytes('x25519KeyPair', 'secretKey', secretKey, SECRET_KEY_BYTES);
  // An ArrayBuffer of its own: libsodium reads it in place, so no copy is left behind for the caller's wipe to miss.
  const sk = new Uint8Array(new ArrayBuffer(SECRET_KEY_BYTES));
  if (secretKey === undefined) randomFillSync(sk);
  else sk.set(secretKey);
  const publicKey = new Uint8Array(PUBLIC_KEY_BYTES);
  try {
    scalarmultBase(publicKey, sk);
  } catch (e) {
    wipe(sk);
    throw e;
  }
  return { secretKey: sk, publicKey };
}
