/** HKDF-SHA-256 (RFC 5869) and HMAC-SHA-256 (RFC 2104) on node:crypto, returning plain Uint8Arrays. */
import { createHmac } from 'node:crypto';
import { utf8 } from './bytes.js';

const HASH_BYTES = 32;
const EMPTY = new Uint8Array(0);

/**
 * HKDF-SHA-256 (RFC 5869 §2) of `ikm` with `salt` and `info` (ASCII text, or bytes), `length` bytes (at most
 * 255 × 32). Extract and expand are written over createHmac rather than hkdfSync: on the receive path (one call per
 * ratchet message) hkdfSync cost ~38 µs against ~22 µs here, most of it importing the key as a KeyObject. An empty
 * salt is HMAC's zero-padded key, i.e. RFC 5869's default of 32 zero bytes. Intermediate blocks and the PRK are wiped.
 *
 * @throws {RangeError} if `length` is not an integer from 0 to 8160.
 * @example const okm = hkdfSha256(dh, salt, 'chat/v2/ratchet/root', 64)
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_BYTES) {
    throw new RangeError(`hkdfSha256: length must be an integer from 0 to ${255 * HASH_BYTES}, got ${length}`);
  }
  const infoBytes = typeof info === 'string' ? utf8(info) : info;
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const okm = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let t: Buffer | undefined;
  for (let at = 0; at < length; at += HASH_BYTES) {
    counter[0] = at / HASH_BYTES + 1;
    const next = createHmac('sha256', prk)
      .update(t ?? EMPTY)
      .update(infoBytes)
      .update(counter)
      .digest();
    t?.fill(0);
    t = next;
    okm.set(length - at < HASH_BYTES ? t.subarray(0, length - at) : t, at);
  }
  t?.fill(0);
  prk.fill(0);
  return okm;
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
