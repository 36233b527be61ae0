/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) from node:crypto for v2 ratchet messages (PROTOCOL.md §20.4). Chosen over
 * AES-256-GCM because it is constant-time in software on every CPU (no reliance on AES-NI), is the AEAD the file
 * STREAM (§16.2) already uses, and its 12-byte nonce comes from a per-message key, so nonce reuse cannot happen.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { exactBytes } from './bytes.js';
import { CryptoError } from './errors.js';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from './v2-constants.js';

const ALGORITHM = 'chacha20-poly1305';

/**
 * `ciphertext ‖ tag` of `plaintext` under `key` and `nonce`, authenticating `ad`.
 * @throws {RangeError} if the key is not 32 bytes or the nonce not 12.
 * @example const sealed = aeadSeal(pt, key, nonce, ad)
 */
export function aeadSeal(plaintext: Uint8Array, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array): Uint8Array {
  exactBytes('aeadSeal', 'key', key, 32);
  exactBytes('aeadSeal', 'nonce', nonce, AEAD_NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: AEAD_TAG_BYTES });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(body.length + AEAD_TAG_BYTES);
  out.set(body);
  out.set(tag, body.length);
  return out;
}

/**
 * The plaintext of `sealed` (`ciphertext ‖ tag`) under `key` and `nonce` with `ad`.
 * @throws {CryptoError} `RATCHET_DECRYPT_FAILED` if it is shorter than a tag or does not authenticate.
 * @throws {RangeError} if the key is not 32 bytes or the nonce not 12.
 * @example const pt = aeadOpen(sealed, key, nonce, ad)
 */
export function aeadOpen(sealed: Uint8Array, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array): Uint8Array {
  exactBytes('aeadOpen', 'key', key, 32);
  exactBytes('aeadOpen', 'nonce', nonce, AEAD_NONCE_BYTES);
  const n = sealed.length - AEAD_TAG_BYTES;
  if (n < 0) throw new CryptoError('RATCHET_DECRYPT_FAILED', 'ciphertext is shorter than its tag');
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: AEAD_TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(n));
  decipher.setAAD(ad, { plaintextLength: n });
  const body = decipher.update(sealed.subarray(0, n));
  try {
    decipher.final();
  } catch (e) {
    body.fill(0);
    throw new CryptoError('RATCHET_DECRYPT_FAILED', 'message does not authenticate', { cause: e });
  }
  const out = new Uint8Array(body);
  body.fill(0);
  return out;
}
