/** Anonymous sealed boxes, libsodium's `crypto_box_seal` (PROTOCOL.md §2), with X25519 on node:crypto. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { bytesArg, exactBytes } from './bytes.js';
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './constants.js';
import { checkSealedLength, openWithShared, sealWithShared } from './box.js';
import { publicKeyObject, secretKeyObject, X25519_BASE_POINT } from './keys.js';
import { derive } from './x25519.js';

/**
 * Encrypts `message` to `recipientPublicKey` so that only the holder of its secret key can read it and nobody can
 * tell who sent it: `epk ‖ XSalsa20-Poly1305(m, BLAKE2b-192(epk ‖ pk), HSalsa20(X25519(esk, pk)))`. The output is
 * `message.length + 48` bytes. The ephemeral secret key is generated inside OpenSSL and never copied into
 * JavaScript memory (so there is nothing to wipe here); OpenSSL clears it when the KeyObject is freed. The shared
 * secret and the box key are wiped.
 *
 * @throws {CryptoError} `LOW_ORDER_POINT` if `recipientPublicKey` has low order (all-zero X25519, RFC 7748 §6.1).
 * @throws {TypeError} if an argument is not a Uint8Array.
 * @throws {RangeError} if `recipientPublicKey` is not 32 bytes.
 * @example const sealed = seal(utf8('hi'), bob.encryptionPublicKey)
 */
export function seal(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  bytesArg('seal', 'message', message);
  exactBytes('seal', 'recipientPublicKey', recipientPublicKey, PUBLIC_KEY_BYTES);
  const recipient = publicKeyObject('x25519', recipientPublicKey);
  // Only ever pass keys from generateKeyPairSync to diffieHellman. Node 20 locks a generated key's mutex when the
  // finished key-generation job is garbage-collected; exporting the key (e.g. as JWK) allocates while holding that
  // same mutex, so a GC at that moment deadlocks the process (seen on 20.20). diffieHellman holds no lock while it
  // allocates. Hence epk = X25519(esk, 9) (RFC 7748 §6.1) instead of exporting the public key.
  const esk = generateKeyPairSync('x25519').privateKey;
  const epk = derive(esk, X25519_BASE_POINT());
  return sealWithShared(message, epk, recipientPublicKey, derive(esk, recipient));
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
  return openWithKey(sealed, recipientPublicKey, secretKeyObject('x25519', recipientSecretKey));
}

/**
 * {@link openSealed} for many boxes to one key pair (a receive batch): the secret key is imported once, here, instead
 * of being looked up in the KeyObject cache by a hash of it for every box. The KeyObject is not cached; it lives as
 * long as the returned function.
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
  const publicKey = new Uint8Array(recipientPublicKey);
  const secretKey = secretKeyObject('x25519', recipientSecretKey, false);
  return (sealed) => {
    bytesArg('openSealed', 'sealed', sealed);
    return openWithKey(sealed, publicKey, secretKey);
  };
}

function openWithKey(sealed: Uint8Array, recipientPublicKey: Uint8Array, secretKey: KeyObject): Uint8Array {
  checkSealedLength(sealed);
  // The ephemeral key is new for every box: import it without caching so it does not evict contacts' keys.
  const epk = publicKeyObject('x25519', sealed.subarray(0, 32), false);
  return openWithShared(sealed, recipientPublicKey, derive(secretKey, epk));
}
