/** UTF-8 helpers. Every string bound in the protocol is in UTF-8 bytes, not UTF-16 code units (§6). */
import { Buffer } from 'node:buffer';

/** A lone (unpaired) UTF-16 surrogate: it has no UTF-8 encoding, and Buffer/msgpackr would silently write U+FFFD. */
const LONE_SURROGATE = /\p{Cs}/u;

export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** Length of `s` in UTF-8 bytes. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** `s` with lone surrogates replaced by U+FFFD and cut to at most `maxBytes` UTF-8 bytes on a code point boundary. */
export function truncateUtf8(s: string, maxBytes: number): string {
  const wellFormed = s.replace(/\p{Cs}/gu, '\ufffd');
  if (wellFormed.length <= maxBytes / 3 || utf8Length(wellFormed) <= maxBytes) return wellFormed;
  const bytes = Buffer.from(wellFormed, 'utf8');
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // never split a multi-byte sequence
  return bytes.subarray(0, end).toString('utf8');
}
