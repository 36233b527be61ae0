/** HKDF-SHA-256 (RFC 5869) and HMAC-SHA-256 (RFC 2104) on node:crypto, returning plain Uint8Arrays. */
import { createHmac, hkdfSync } from 'node:crypto';
import { utf8 } from './bytes.js';

/**
 * HKDF-SHA-256 (RFC 5869 §2) of `ikm` with `salt` and the ASCII `info`, `length` bytes.
 * @example const okm = hkdfSha256(dh, salt, 'chat/v2/ratchet/root', 64)
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, utf8(info), length));
}

/**
 * HMAC-SHA-256 (RFC 2104) of `data` under `key`; node's Buffer is wiped after the copy.
 * @example const mk = hmacSha256(chainKey, Uint8Array.of(0x01))
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const digest = createHmac('sha256', key).update(data).digest();
  const out = new Uint8Array(digest);
  digest.fill(0);
  return out;
}
