/**
 * Ed25519 (RFC 8032 §5.1, pure, no context) with PROTOCOL.md §2's strict verification: signing on node:crypto (the
 * identity's KeyObject cached), verifying on libsodium, which takes ~75 µs where Node 20's OpenSSL takes ~135 µs (a
 * relay checks 125 prekey signatures per upload; a group message carries one).
 */
import { sign as nodeSign } from 'node:crypto';
import { bytesArg, exactBytes } from './bytes.js';
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './constants.js';
import { secretKeyObject } from './keys.js';
import { signVerifyDetached } from './sodium.js';
import { passesEd25519Prechecks } from './strict.js';

/**
 * Signs `message` with an Ed25519 secret key (the 32-byte seed of RFC 8032 §5.1.5). Deterministic: the same
 * message and key always give the same 64 bytes (§5.1.6).
 *
 * @throws {TypeError} if an argument is not a Uint8Array.
 * @throws {RangeError} if `secretKey` is not 32 bytes.
 * @example const sig = sign(utf8('hello'), identity.identity.secretKey)
 */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  bytesArg('sign', 'message', message);
  exactBytes('sign', 'secretKey (the Ed25519 seed)', secretKey, SECRET_KEY_BYTES);
  return new Uint8Array(nodeSign(null, message, secretKeyObject('ed25519', secretKey)));
}

/**
 * Verifies an Ed25519 signature (RFC 8032 §5.1.7) strictly: false, never an exception, for a signature that is not
 * 64 bytes, whose `S ≥ ℓ`, whose `R` or public key is not a canonical encoding or is a point of small order, or
 * that simply does not verify.
 *
 * @throws {TypeError} if an argument is not a Uint8Array.
 * @throws {RangeError} if `publicKey` is not 32 bytes.
 * @example if (!verify(sig, message, contact.identityPublicKey)) reject()
 */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  bytesArg('verify', 'signature', signature);
  bytesArg('verify', 'message', message);
  exactBytes('verify', 'publicKey', publicKey, PUBLIC_KEY_BYTES);
  if (!passesEd25519Prechecks(signature, publicKey)) return false;
  return signVerifyDetached(signature, message, publicKey); // false too for a key that is not a point on the curve
}
