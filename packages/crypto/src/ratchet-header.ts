/** The Double Ratchet message header and message layout (PROTOCOL.md §20.3). */
import { isUint8Array } from 'node:util/types';
import { checkEncryptionPublicKey } from './bundle.js';
import { exactBytes } from './bytes.js';
import { PUBLIC_KEY_BYTES } from './constants.js';
import { CryptoError } from './errors.js';
import { AEAD_TAG_BYTES, MAX_CHAIN_INDEX, RATCHET_HEADER_BYTES } from './v2-constants.js';

/** `dh`: the sender's current ratchet public key; `pn`: messages in its previous sending chain; `n`: this one's. */
export interface RatchetHeader {
  dh: Uint8Array;
  pn: number;
  n: number;
}

/**
 * `dh (32) ‖ u32be(pn) ‖ u32be(n)`: 40 bytes.
 * @throws {RangeError} if `dh` is not 32 bytes or a counter is not a u32.
 * @example const h = encodeHeader({ dh: pair.publicKey, pn: 0, n: 3 })
 */
export function encodeHeader(header: RatchetHeader): Uint8Array {
  exactBytes('encodeHeader', 'dh', header.dh, PUBLIC_KEY_BYTES);
  for (const k of ['pn', 'n'] as const) {
    const v = header[k];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`encodeHeader: ${k} is not a u32`);
  }
  const out = new Uint8Array(RATCHET_HEADER_BYTES);
  out.set(header.dh);
  const view = new DataView(out.buffer);
  view.setUint32(32, header.pn);
  view.setUint32(36, header.n);
  return out;
}

/**
 * Splits a ratchet message `header (40) ‖ ciphertext ‖ tag (16)` and decodes its header; `dh` must be a canonical
 * X25519 key not of low order.
 * @throws {CryptoError} `RATCHET_HEADER_INVALID` if the message is shorter than 56 bytes, `dh` is unacceptable, or `n`
 *   is above MAX_CHAIN_INDEX (0xffffffff, which no sender uses).
 * @example const { header, headerBytes, sealed } = splitMessage(message)
 */
export function splitMessage(message: Uint8Array): {
  header: RatchetHeader;
  headerBytes: Uint8Array;
  sealed: Uint8Array;
} {
  if (!isUint8Array(message) || message.length < RATCHET_HEADER_BYTES + AEAD_TAG_BYTES) {
    throw new CryptoError('RATCHET_HEADER_INVALID', 'ratchet message is shorter than a header and a tag');
  }
  const headerBytes = message.slice(0, RATCHET_HEADER_BYTES);
  const dh = headerBytes.slice(0, PUBLIC_KEY_BYTES);
  try {
    checkEncryptionPublicKey(dh);
  } catch (e) {
    throw new CryptoError('RATCHET_HEADER_INVALID', `ratchet key: ${(e as Error).message}`, { cause: e });
  }
  // With its offset: `message` may be a Buffer, whose `slice` is a view into a larger pool (review rev13).
  const view = new DataView(headerBytes.buffer, headerBytes.byteOffset, RATCHET_HEADER_BYTES);
  const n = headerNumber(headerBytes);
  // No sender numbers a message beyond MAX_CHAIN_INDEX (§20.5); accepting it would move Nr to 2^32, which the state's
  // u32 encoding cannot hold.
  if (n > MAX_CHAIN_INDEX) throw new CryptoError('RATCHET_HEADER_INVALID', `message number ${n} is out of range`);
  return {
    header: { dh, pn: view.getUint32(32), n },
    headerBytes,
    sealed: message.subarray(RATCHET_HEADER_BYTES),
  };
}

/** @internal The header's `n` (u32be at bytes 36..39) of a message or header at least 40 bytes long. */
export function headerNumber(message: Uint8Array): number {
  const at = RATCHET_HEADER_BYTES - 4;
  return (
    (message[at] as number) * 0x1000000 +
    (((message[at + 1] as number) << 16) | ((message[at + 2] as number) << 8) | (message[at + 3] as number))
  );
}
