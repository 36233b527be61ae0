/**
 * Bodies of the file-transfer envelope kinds (PROTOCOL.md §16.3): the offer (kind 0x05) carries what the recipient
 * needs to fetch, open and check a file; the answer (kind 0x06) tells the sender it was received or declined.
 *
 *   offer  = blob (16) ‖ size u64 ‖ file_key (32) ‖ sha256 (32) ‖ len8(name) ‖ name ‖ len8(type) ‖ type
 *   answer = blob (16) ‖ outcome u8 (0x01 received, 0x02 declined)
 */
import { CryptoError } from './errors.js';

export interface FileOffer {
  /** 16-byte blob id on the relay. */
  blob: Uint8Array;
  /** Plaintext size in bytes. */
  size: number;
  /** 32-byte STREAM file key (§16.2). */
  key: Uint8Array;
  /** SHA-256 of the whole plaintext. */
  sha256: Uint8Array;
  /** The sender's base name, 1..255 UTF-8 bytes: hostile until sanitised by the recipient. */
  name: string;
  /** Media type, 0..127 ASCII bytes. */
  type: string;
}

export type FileAnswerOutcome = 'received' | 'declined';
export interface FileAnswer {
  blob: Uint8Array;
  outcome: FileAnswerOutcome;
}

const FIXED = 16 + 8 + 32 + 32;

/**
 * @throws {RangeError} a field out of bounds.
 * @example encodeFileOffer({ blob, size, key, sha256, name: 'a.txt', type: 'text/plain' })
 */
export function encodeFileOffer(o: FileOffer): Uint8Array {
  const name = Buffer.from(o.name, 'utf8');
  const type = Buffer.from(o.type, 'ascii');
  if (o.blob.length !== 16 || o.key.length !== 32 || o.sha256.length !== 32)
    throw new RangeError('file offer: bad blob, key or hash length');
  if (name.length < 1 || name.length > 255)
    throw new RangeError(`file offer: name must be 1..255 bytes, got ${name.length}`);
  if (type.length > 127 || !/^[\x20-\x7e]*$/.test(o.type))
    throw new RangeError('file offer: type must be 0..127 printable ASCII bytes');
  if (!Number.isSafeInteger(o.size) || o.size < 0) throw new RangeError(`file offer: bad size ${o.size}`);
  const out = Buffer.alloc(FIXED + 1 + name.length + 1 + type.length);
  out.set(o.blob, 0);
  out.writeBigUInt64BE(BigInt(o.size), 16);
  out.set(o.key, 24);
  out.set(o.sha256, 56);
  out[FIXED] = name.length;
  out.set(name, FIXED + 1);
  out[FIXED + 1 + name.length] = type.length;
  out.set(type, FIXED + 2 + name.length);
  return out;
}

/** The problem with an offer body, or undefined when it is well formed (used by §4 step 3). */
export function fileOfferProblem(body: Uint8Array): string | undefined {
  if (body.length < FIXED + 2) return 'a file offer is too short';
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (b.readBigUInt64BE(16) > BigInt(Number.MAX_SAFE_INTEGER)) return 'a file offer size is over 2^53 - 1';
  const nameLen = b[FIXED]!;
  if (nameLen < 1 || FIXED + 1 + nameLen + 1 > b.length) return 'a file offer name has a bad length';
  const typeLen = b[FIXED + 1 + nameLen]!;
  if (typeLen > 127 || FIXED + 2 + nameLen + typeLen !== b.length) return 'a file offer type has a bad length';
  const name = b.subarray(FIXED + 1, FIXED + 1 + nameLen);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(name);
  } catch {
    return 'a file offer name must be UTF-8';
  }
  for (const c of b.subarray(FIXED + 2 + nameLen))
    if (c < 0x20 || c > 0x7e) return 'a file offer type must be printable ASCII';
  return undefined;
}

/** @throws {CryptoError} `ENVELOPE_MALFORMED` if the body is not a well-formed offer. */
export function decodeFileOffer(body: Uint8Array): FileOffer {
  const problem = fileOfferProblem(body);
  if (problem !== undefined) throw new CryptoError('ENVELOPE_MALFORMED', `malformed envelope: ${problem}`);
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const nameLen = b[FIXED]!;
  return {
    blob: Buffer.from(b.subarray(0, 16)),
    size: Number(b.readBigUInt64BE(16)),
    key: Buffer.from(b.subarray(24, 56)),
    sha256: Buffer.from(b.subarray(56, 88)),
    name: b.subarray(FIXED + 1, FIXED + 1 + nameLen).toString('utf8'),
    type: b.subarray(FIXED + 2 + nameLen).toString('ascii'),
  };
}

export function encodeFileAnswer(a: FileAnswer): Uint8Array {
  if (a.blob.length !== 16) throw new RangeError('file answer: blob must be 16 bytes');
  return Buffer.concat([a.blob, Uint8Array.of(a.outcome === 'received' ? 1 : 2)]);
}

export function fileAnswerProblem(body: Uint8Array): string | undefined {
  return body.length === 17 && (body[16] === 1 || body[16] === 2)
    ? undefined
    : 'a file answer is a blob id and 0x01 or 0x02';
}

/** @throws {CryptoError} `ENVELOPE_MALFORMED`. */
export function decodeFileAnswer(body: Uint8Array): FileAnswer {
  const problem = fileAnswerProblem(body);
  if (problem !== undefined) throw new CryptoError('ENVELOPE_MALFORMED', `malformed envelope: ${problem}`);
  return { blob: Buffer.from(body.subarray(0, 16)), outcome: body[16] === 1 ? 'received' : 'declined' };
}
