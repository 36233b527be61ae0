/** Byte helpers: encodings, constant-time comparison, argument checks and wiping. */
import { Buffer } from 'node:buffer';
import { timingSafeEqual } from 'node:crypto';
import { isUint8Array } from 'node:util/types';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const encoder = new TextEncoder();
// fatal: invalid UTF-8 throws instead of turning into U+FFFD; ignoreBOM: a leading BOM is content, kept as is.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Lower-case hex of `b`.
 * @throws {TypeError} if `b` is not a Uint8Array.
 * @example toHex(Uint8Array.of(0xca, 0xfe)) // 'cafe'
 */
export function toHex(b: Uint8Array): string {
  return view(bytesArg('toHex', 'b', b)).toString('hex');
}

/**
 * Bytes of a hex string (either case, even length, nothing else).
 * @throws {TypeError} if `s` is not a string of hex digit pairs.
 * @example fromHex('cafe') // Uint8Array [0xca, 0xfe]
 */
export function fromHex(s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`fromHex: expected a string, got ${typeof s}`);
  if (!HEX.test(s)) throw new TypeError(`fromHex: expected an even number of hex digits, got ${describe(s)}`);
  return copy(Buffer.from(s, 'hex'));
}

/**
 * Standard, padded base64 (RFC 4648 §4) of `b`.
 * @throws {TypeError} if `b` is not a Uint8Array.
 * @example toBase64(Uint8Array.of(1, 2, 3)) // 'AQID'
 */
export function toBase64(b: Uint8Array): string {
  return view(bytesArg('toBase64', 'b', b)).toString('base64');
}

/**
 * Bytes of canonical, padded base64 (RFC 4648 §4): no whitespace, no URL alphabet, zero padding bits, so each
 * byte string has exactly one accepted encoding.
 * @throws {TypeError} on anything else.
 * @example fromBase64('AQID') // Uint8Array [1, 2, 3]
 */
export function fromBase64(s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`fromBase64: expected a string, got ${typeof s}`);
  const b = Buffer.from(s, 'base64');
  if (!BASE64.test(s) || b.toString('base64') !== s) {
    throw new TypeError(`fromBase64: expected canonical padded base64, got ${describe(s)}`);
  }
  return copy(b);
}

/**
 * UTF-8 bytes of `s` (lone surrogates become U+FFFD, as TextEncoder does).
 * @throws {TypeError} if `s` is not a string.
 * @example utf8('hé') // Uint8Array [0x68, 0xc3, 0xa9]
 */
export function utf8(s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`utf8: expected a string, got ${typeof s}`);
  return encoder.encode(s);
}

/**
 * The string whose UTF-8 encoding is `b`; a leading BOM is kept.
 * @throws {TypeError} if `b` is not a Uint8Array or is not valid UTF-8.
 * @example fromUtf8(Uint8Array.of(0x68, 0x69)) // 'hi'
 */
export function fromUtf8(b: Uint8Array): string {
  bytesArg('fromUtf8', 'b', b);
  try {
    return decoder.decode(b);
  } catch {
    throw new TypeError('fromUtf8: expected valid UTF-8');
  }
}

/**
 * True if `a` and `b` have the same length and bytes. Takes time independent of *where* they differ (the length
 * is not secret).
 * @throws {TypeError} if either is not a Uint8Array.
 * @example constantTimeEqual(mac, expected)
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  bytesArg('constantTimeEqual', 'a', a);
  bytesArg('constantTimeEqual', 'b', b);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** @internal Throws TypeError unless `b` is a Uint8Array; returns it. */
export function bytesArg(fn: string, name: string, b: unknown): Uint8Array {
  if (!isUint8Array(b)) throw new TypeError(`${fn}: expected ${name} to be a Uint8Array, got ${typeName(b)}`);
  return b;
}

/** @internal Throws TypeError / RangeError unless `b` is a Uint8Array of exactly `n` bytes; returns it. */
export function exactBytes(fn: string, name: string, b: unknown, n: number): Uint8Array {
  bytesArg(fn, name, b);
  if ((b as Uint8Array).length !== n) {
    throw new RangeError(`${fn}: expected ${name} to be ${n} bytes, got ${(b as Uint8Array).length}`);
  }
  return b as Uint8Array;
}

/** @internal A Buffer sharing memory with `b` (no copy). */
export function view(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** @internal A plain Uint8Array copy of `b` (never a pooled Buffer). */
export function copy(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/** @internal Concatenation into a fresh plain Uint8Array. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** @internal Overwrites secrets with zeros (best effort: JavaScript may have copied them). */
export function wipe(...bs: readonly Uint8Array[]): void {
  for (const b of bs) b.fill(0);
}

/** @internal True if every byte of `b` is zero, in time independent of the contents. */
export function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i] as number;
  return acc === 0;
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

function describe(s: string): string {
  return s.length > 40 ? `a ${s.length}-character string` : JSON.stringify(s);
}
