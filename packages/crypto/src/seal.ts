/**
 * Anonymous sealed boxes, libsodium's `crypto_box_seal` (PROTOCOL.md §2), computed by libsodium itself (sodium.ts).
 * reference.ts keeps an independent implementation (tweetnacl, noble's BLAKE2b) that the tests hold this one to.
 */
import { bytesArg, exactBytes } from './bytes.js';
import { PUBLIC_KEY_BYTES, SEAL_OVERHEAD_BYTES, SECRET_KEY_BYTES } from './constants.js';
import { CryptoError } from './errors.js';
import { boxSeal, boxSealOpen, memzero, scalarmult } from './sodium.js';

/**
 * Encrypts `message` to `recipientPublicKey` so that only the holder of its secret key can read it and nobody can
 * tell who sent it: `epk ‖ XSalsa20-Poly1305(m, BLAKE2b-192(epk ‖ pk), HSalsa20(X25519(esk, pk)))`. The output is
 * `message.length + 48` bytes. The ephemeral secret key, the shared secret and the box key live only inside
 * libsodium's `crypto_box_seal`, which wipes them before it returns.
 *
 * @throws {CryptoError} `LOW_ORDER_POINT` if `recipientPublicKey` has low order (all-zero X25519, RFC 7748 §6.1).
 * @throws {TypeError} if an argument is not a Uint8Array.
 * @throws {RangeError} if `recipientPublicKey` is not 32 bytes.
 * @example const sealed = seal(utf8('hi'), bob.encryptionPublicKey)
 */
export function seal(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  bytesArg('seal', 'message', message);
  exactBytes('seal', 'recipientPublicKey', recipientPublicKey, PUBLIC_KEY_BYTES);
  // crypto_box_seal fails only when X25519(esk, pk) is all zero (crypto_box_beforenm refuses a low-order pk).
  const sealed = boxSeal(message, recipientPublicKey);
  if (sealed === undefined) throw lowOrder();
  return sealed;
}

/**
 * Opens a sealed box made by {@link seal} or libsodium's `crypto_box_seal` (libsodium `crypto_box_seal_open`).
 *
 * @throws {CryptoError} `OPEN_FAILED` if `sealed` is shorter than 48 bytes or does not verify (wrong key, altered);
 *   `LOW_ORDER_POINT` if its ephemeral key has low order.
 * @throws {TypeError} if an argument is not a Uint8Array.
 * @throws {RangeError} if a key is not 32 bytes.
 * @example const message = openSealed(sealed, me.encryption.publicKey, me.encryption.secretKey)
 */
export function openSealed(
  sealed: Uint8Array,
  recipientPublicKey: Uint8Array,
  recipientSecretKey: Uint8Array,
): Uint8Array {
  bytesArg('openSealed', 'sealed', sealed);
  exactBytes('openSealed', 'recipientPublicKey', recipientPublicKey, PUBLIC_KEY_BYTES);
  exactBytes('openSealed', 'recipientSecretKey', recipientSecretKey, SECRET_KEY_BYTES);
  return openWithKeys(sealed, recipientPublicKey, 0, recipientSecretKey, 0);
}

/** Wipes an opener's copy of the key pair once the opener is garbage: the copy lives exactly as long as it. */
const wipeWhenCollected = new FinalizationRegistry<Uint8Array>((keys) => memzero(keys));

/**
 * {@link openSealed} for many boxes to one key pair (a receive batch): the arguments are checked once, here, and the
 * opener keeps its own copy of the key pair (wiped with sodium_memzero when the opener is garbage-collected), so a
 * caller may wipe its keys while the opener lives.
 *
 * @throws {TypeError} if an argument is not a Uint8Array; {RangeError} if a key is not 32 bytes (here, not per box).
 * @example const open = sealedBoxOpener(me.encryption.publicKey, me.encryption.secretKey); const m = open(sealed)
 */
export function sealedBoxOpener(
  recipientPublicKey: Uint8Array,
  recipientSecretKey: Uint8Array,
): (sealed: Uint8Array) => Uint8Array {
  exactBytes('sealedBoxOpener', 'recipientPublicKey', recipientPublicKey, PUBLIC_KEY_BYTES);
  exactBytes('sealedBoxOpener', 'recipientSecretKey', recipientSecretKey, SECRET_KEY_BYTES);
  // pk ‖ sk, one allocation to wipe; its own ArrayBuffer, outside V8's heap (a typed array of ≤ 64 bytes made
  // without one lives in the heap, and is copied out, unwiped, when its buffer is first asked for).
  const keys = new Uint8Array(new ArrayBuffer(PUBLIC_KEY_BYTES + SECRET_KEY_BYTES));
  keys.set(recipientPublicKey);
  keys.set(recipientSecretKey, PUBLIC_KEY_BYTES);
  const open = (sealed: Uint8Array): Uint8Array => {
    bytesArg('openSealed', 'sealed', sealed);
    return openWithKeys(sealed, keys, 0, keys, PUBLIC_KEY_BYTES);
  };
  wipeWhenCollected.register(open, keys);
  return open;
}

/** `pk` and `sk` are the 32 bytes at those offsets of each array. */
function openWithKeys(sealed: Uint8Array, pk: Uint8Array, pkAt: number, sk: Uint8Array, skAt: number): Uint8Array {
  checkSealedLength(sealed);
  const message = boxSealOpen(sealed, pk, pkAt, sk, skAt);
  if (message !== undefined) return message;
  throw whyNotOpened(sealed, sk.subarray(skAt, skAt + SECRET_KEY_BYTES));
}

/**
 * libsodium answers -1 both for a box that does not verify and for a low-order ephemeral key; the two keep their own
 * codes (PROTOCOL.md §2, §10). Only a refused box pays for this second X25519, never the good path.
 */
function whyNotOpened(sealed: Uint8Array, secretKey: Uint8Array): CryptoError {
  const shared = new Uint8Array(32);
  const lowOrderKey = !scalarmult(shared, secretKey, sealed.subarray(0, PUBLIC_KEY_BYTES));
  memzero(shared);
  return lowOrderKey ? lowOrder() : new CryptoError('OPEN_FAILED', 'openSealed: the sealed box does not verify');
}

const lowOrder = (): CryptoError =>
  new CryptoError('LOW_ORDER_POINT', 'x25519: the public key has low order (all-zero shared secret)');

/** @throws {CryptoError} `OPEN_FAILED` if `sealed` is shorter than the 48 bytes of overhead. */
export function checkSealedLength(sealed: Uint8Array): void {
  if (sealed.length < SEAL_OVERHEAD_BYTES) {
    throw new CryptoError(
      'OPEN_FAILED',
      `openSealed: a sealed box is at least ${SEAL_OVERHEAD_BYTES} bytes, got ${sealed.length}`,
    );
  }
}
