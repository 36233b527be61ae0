/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) for v2 ratchet messages (PROTOCOL.md §20.4) and group messages (§25), computed
 * by libsodium's `crypto_aead_chacha20poly1305_ietf_*` (sodium.ts): for a ~300-byte message it is a quarter of the
 * cost of node:crypto's createCipheriv / createDecipheriv, whose per-call object set-up dominated (BENCHMARKS.md,
 * "The sealed box on libsodium"). The bytes are the same (aead.test.ts holds them to node:crypto). Chosen over
 * AES-256-GCM because it is constant-time in software on every CPU (no reliance on AES-NI), is the AEAD the file
 * STREAM (§16.2) already uses, and its 12-byte nonce comes from a per-message key, so nonce reuse cannot happen.
 */
import { bytesArg, exactBytes } from './bytes.js';
import { CryptoError } from './errors.js';
import { aeadDecrypt, aeadEncrypt } from './sodium.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from './v2-constants.js';

/** libsodium's bound on an IETF ChaCha20-Poly1305 message, and the addon's (a 32-bit length). */
const MAX_MESSAGE_BYTES = 0xffffffff - AEAD_TAG_BYTES;

/**
 * `ciphertext ‖ tag` of `plaintext` under `key` and `nonce`, authenticating `ad`.
 * @throws {RangeError} if the key is not 32 bytes or the nonce not 12.
 * @example const sealed = aeadSeal(pt, key, nonce, ad)
 */
export function aeadSeal(plaintext: Uint8Array, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array): Uint8Array {
  checkArgs('aeadSeal', plaintext, key, nonce, ad);
  if (plaintext.length > MAX_MESSAGE_BYTES) throw new RangeError(`aeadSeal: at most ${MAX_MESSAGE_BYTES} bytes`);
  return aeadEncrypt(plaintext, ad, nonce, key);
}

/**
 * The plaintext of `sealed` (`ciphertext ‖ tag`) under `key` and `nonce` with `ad`.
 * @throws {CryptoError} `RATCHET_DECRYPT_FAILED` if it is shorter than a tag or does not authenticate.
 * @throws {RangeError} if the key is not 32 bytes or the nonce not 12.
 * @example const pt = aeadOpen(sealed, key, nonce, ad)
 */
export function aeadOpen(sealed: Uint8Array, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array): Uint8Array {
  checkArgs('aeadOpen', sealed, key, nonce, ad);
  const n = sealed.length - AEAD_TAG_BYTES;
  if (n < 0) throw new CryptoError('RATCHET_DECRYPT_FAILED', 'ciphertext is shorter than its tag');
  if (n > MAX_MESSAGE_BYTES) throw new CryptoError('RATCHET_DECRYPT_FAILED', 'ciphertext is too long');
  const out = aeadDecrypt(sealed, ad, nonce, key);
  if (out === undefined) throw new CryptoError('RATCHET_DECRYPT_FAILED', 'message does not authenticate');
  return out;
}

/** The arguments' types and lengths, with this function's name in the error (sodium.ts checks them again). */
function checkArgs(fn: string, data: Uint8Array, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array): void {
  bytesArg(fn, 'data', data);
  bytesArg(fn, 'ad', ad);
  exactBytes(fn, 'key', key, 32);
  exactBytes(fn, 'nonce', nonce, AEAD_NONCE_BYTES);
}
