/**
 * Padding of v2 payloads to size buckets (PROTOCOL.md §21), so the relay learns a size class rather than a length.
 * The plaintext is followed by one 0x80 byte and zeros (ISO/IEC 7816-4) up to the bucket; padding happens inside the
 * ratchet's AEAD, so the receiver's checks are no oracle.
 */
import { bytesArg } from './bytes.js';
import { CryptoError } from './errors.js';
import { PAD_MARKER, PAD_MIN_BYTES, PAD_STEP_BYTES } from './v2-constants.js';

/**
 * The bucket for a plaintext of `length` bytes: `m = length + 1` (the marker) rounded up to 256 if `m ≤ 256`, to
 * the next power of two if `m ≤ 4096`, else to the next multiple of 4096.
 * @throws {RangeError} if `length` is not a safe integer ≥ 0.
 * @example paddedLength(0) // 256; paddedLength(300) // 512; paddedLength(5000) // 8192
 */
export function paddedLength(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`paddedLength: expected a length ≥ 0`);
  const m = length + 1;
  if (m <= PAD_MIN_BYTES) return PAD_MIN_BYTES;
  if (m <= PAD_STEP_BYTES) return 2 ** Math.ceil(Math.log2(m));
  return Math.ceil(m / PAD_STEP_BYTES) * PAD_STEP_BYTES;
}

/**
 * `plaintext ‖ 0x80 ‖ 0x00…` of {@link paddedLength} bytes.
 * @throws {TypeError} if `plaintext` is not a Uint8Array.
 * @example const padded = pad(utf8('hi')) // 256 bytes
 */
export function pad(plaintext: Uint8Array): Uint8Array {
  bytesArg('pad', 'plaintext', plaintext);
  const out = new Uint8Array(paddedLength(plaintext.length));
  out.set(plaintext);
  out[plaintext.length] = PAD_MARKER;
  return out;
}

/**
 * The plaintext of a padded payload. The payload must be exactly a bucket size, and the bytes after the plaintext
 * one 0x80 then zeros, with the plaintext's length giving that same bucket (one canonical padding per plaintext).
 * @throws {CryptoError} `PADDING_INVALID` otherwise.
 * @example const body = unpad(plaintext)
 */
export function unpad(padded: Uint8Array): Uint8Array {
  bytesArg('unpad', 'padded', padded);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== PAD_MARKER) {
    throw new CryptoError('PADDING_INVALID', 'padding has no 0x80 marker after its zeros');
  }
  if (paddedLength(end) !== padded.length) {
    throw new CryptoError('PADDING_INVALID', `a ${end}-byte plaintext is not padded to ${padded.length} bytes`);
  }
  return padded.slice(0, end);
}
