/**
 * HKDF-SHA-256 (RFC 5869) and HMAC-SHA-256 (RFC 2104) over libsodium's SHA-256, returning plain Uint8Arrays.
 *
 * HMAC is written here over two one-shot SHA-256 calls into buffers this module reuses (and wipes after every call),
 * rather than over node:crypto's createHmac: a ratchet message costs five HMACs (§20.3), and on the receive path a
 * createHmac was ~3.0 µs of wall and ~3.7 µs of CPU (its stream object feeds the garbage collector) against ~1.2 µs
 * here (docs/BENCHMARKS.md, "The drain: HMAC on libsodium, …"). kdf.test.ts holds both functions to RFC 4231 and
 * RFC 5869's vectors and to node:crypto's for random inputs.
 */
import { utf8 } from './bytes.js';
import { sha256OwnInto } from './sodium.js';

const HASH_BYTES = 32;
const BLOCK_BYTES = 64;
const EMPTY = new Uint8Array(0);

/**
 * `K ⊕ ipad ‖ message` (grown when a message needs it), `K ⊕ opad ‖ inner hash` (the inner hash written straight into
 * its tail), a long key's hash: each made once, so libsodium is handed views of the same few ArrayBuffers call after
 * call.
 */
let innerInput = new Uint8Array(BLOCK_BYTES + 256);
const outerInput = new Uint8Array(BLOCK_BYTES + HASH_BYTES);
const innerHash = outerInput.subarray(BLOCK_BYTES);
const longKey = new Uint8Array(HASH_BYTES);
/** hmacSha256's result before it is copied out: a fresh small array handed to libsodium would have its buffer made. */
const digest = new Uint8Array(HASH_BYTES);
/** HKDF's PRK, its block T(i) and counter byte: reused like the HMAC's, wiped after every call. */
const prk = new Uint8Array(HASH_BYTES);
const block = new Uint8Array(HASH_BYTES);
const counter = new Uint8Array(1);

/** The UTF-8 of the `info` strings HKDF was given (the protocol's few labels), so each is encoded once. */
const infoBytes = new Map<string, Uint8Array>();
const MAX_CACHED_INFOS = 64;

function infoOf(info: string | Uint8Array): Uint8Array {
  if (typeof info !== 'string') return info;
  let b = infoBytes.get(info);
  if (b === undefined) {
    b = utf8(info);
    if (infoBytes.size < MAX_CACHED_INFOS) infoBytes.set(info, b);
  }
  return b;
}

/**
 * HMAC-SHA-256 of the concatenation of `parts` under `key` into the 32 bytes of `out`, which must be a plain array of
 * this module's making (the hash is written into it directly: hmacSha256's digest, HKDF's PRK and block). A key
 * longer than a block is hashed first (RFC 2104 §2). Every scratch byte that held key material or message is zeroed
 * before returning.
 */
function hmacInto(out: Uint8Array, key: Uint8Array, parts: readonly Uint8Array[]): void {
  let length = BLOCK_BYTES;
  for (let i = 0; i < parts.length; i++) length += (parts[i] as Uint8Array).length;
  if (length > innerInput.length) {
    innerInput.fill(0);
    innerInput = new Uint8Array(length);
  }
  const long = key.length > BLOCK_BYTES;
  // Everything that writes key or message bytes into the scratch buffers is inside the try: a part that throws while
  // it is copied (a detached buffer) leaves nothing behind (review rev6, L1).
  try {
    let k = key;
    if (long) {
      // The key is copied into our own buffer first: sha256OwnInto takes nothing else.
      if (k.length > innerInput.length) {
        innerInput.fill(0);
        innerInput = new Uint8Array(Math.max(length, k.length));
      }
      innerInput.set(k);
      sha256OwnInto(longKey, innerInput.subarray(0, k.length));
      k = longKey;
    }
    // The pads, then the key's bytes XORed into their first bytes (a shorter key is zero-padded: the pad bytes stay).
    innerInput.fill(0x36, 0, BLOCK_BYTES);
    outerInput.fill(0x5c, 0, BLOCK_BYTES);
    for (let i = 0; i < k.length; i++) {
      const b = k[i] as number;
      innerInput[i] = b ^ 0x36;
      outerInput[i] = b ^ 0x5c;
    }
    let at = BLOCK_BYTES;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as Uint8Array;
      innerInput.set(p, at);
      at += p.length;
    }
    sha256OwnInto(innerHash, innerInput.subarray(0, length));
    sha256OwnInto(out, outerInput);
  } finally {
    innerInput.fill(0, 0, long ? Math.max(length, key.length) : length);
    outerInput.fill(0);
    if (long) longKey.fill(0);
  }
}

/** @internal For tests: the scratch buffers, all zero between calls. */
export function kdfScratch(): Uint8Array[] {
  return [innerInput, outerInput, longKey, digest, prk, block, counter];
}

/**
 * HKDF-SHA-256 (RFC 5869 §2) of `ikm` with `salt` and `info` (ASCII text, or bytes), `length` bytes (at most
 * 255 × 32). Extract and expand are written over the HMAC above rather than node:crypto's hkdfSync: on the receive
 * path (one call per ratchet message) hkdfSync cost ~38 µs, most of it importing the key as a KeyObject. An empty
 * salt is HMAC's zero-padded key, i.e. RFC 5869's default of 32 zero bytes. Intermediate blocks and the PRK are wiped.
 *
 * @throws {RangeError} if `length` is not an integer from 0 to 8160.
 * @example const okm = hkdfSha256(dh, salt, 'chat/v2/ratchet/root', 64)
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string | Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_BYTES) {
    throw new RangeError(`hkdfSha256: length must be an integer from 0 to ${255 * HASH_BYTES}, got ${length}`);
  }
  const infoB = infoOf(info);
  // Its own ArrayBuffer, outside V8's heap: a typed array of ≤ 64 bytes made without one lives in the heap and is
  // copied out, unwiped, the first time its buffer is asked for (a view of it, a call into libsodium), so wiping the
  // result (or views of it, as messageKeyMaterial hands out) would miss that first copy.
  const okm = new Uint8Array(new ArrayBuffer(length));
  try {
    hmacInto(prk, salt, [ikm]);
    for (let at = 0; at < length; at += HASH_BYTES) {
      counter[0] = at / HASH_BYTES + 1;
      hmacInto(block, prk, [at === 0 ? EMPTY : block, infoB, counter]);
      okm.set(length - at < HASH_BYTES ? block.subarray(0, length - at) : block, at);
    }
  } catch (err) {
    okm.fill(0);
    throw err;
  } finally {
    block.fill(0);
    prk.fill(0);
    counter[0] = 0;
  }
  return okm;
}

/**
 * HMAC-SHA-256 (RFC 2104) of `data` under `key` (any length; a key longer than 64 bytes is hashed first).
 * @example const mk = hmacSha256(chainKey, Uint8Array.of(0x01))
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  try {
    hmacInto(digest, key, [data]);
    // Outside V8's heap, like HKDF's output (a chain or message key: wiped by its user, with no stray copy).
    const out = new Uint8Array(new ArrayBuffer(HASH_BYTES));
    out.set(digest);
    return out;
  } finally {
    digest.fill(0);
  }
}
