/**
 * Chunked authenticated encryption of files (PROTOCOL.md §16.2), the STREAM construction of age (C2SP age.md,
 * "Payload") on ChaCha20-Poly1305 (RFC 8439) from node:crypto.
 *
 * A file is cut into chunks of {@link STREAM_CHUNK_BYTES} plaintext bytes; chunk i is sealed under the file key with
 *
 *   nonce = 0x000000 (3-byte prefix) ‖ u64be(i) ‖ last (0x01 for the final chunk, else 0x00)
 *
 * which is age's 11-byte big-endian counter ‖ flag for every i < 2^64. Because each nonce names the chunk's position
 * and whether it ends the file, a chunk moved, dropped, duplicated or cut short fails authentication, and a stream
 * that stops before a chunk flagged last is truncated. Only the final chunk may be shorter than a full chunk, and it
 * is empty only when the whole file is.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from './errors.js';

/** Plaintext bytes per chunk: 64 KiB. */
export const STREAM_CHUNK_BYTES = 65536;
/** Poly1305 tag bytes appended to every chunk. */
export const STREAM_TAG_BYTES = 16;
/** Ciphertext bytes of a full chunk. */
export const STREAM_SEALED_CHUNK_BYTES = STREAM_CHUNK_BYTES + STREAM_TAG_BYTES;
/** File key bytes (a fresh random ChaCha20-Poly1305 key per file). */
export const STREAM_KEY_BYTES = 32;

const ALGORITHM = 'chacha20-poly1305';

/** A fresh random file key. */
export function generateFileKey(): Uint8Array {
  return new Uint8Array(randomBytes(STREAM_KEY_BYTES));
}

/** Number of chunks a file of `size` bytes is cut into: at least one (an empty file is one empty final chunk). */
export function streamChunkCount(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new RangeError(`streamChunkCount: expected a size ≥ 0, got ${size}`);
  return Math.max(1, Math.ceil(size / STREAM_CHUNK_BYTES));
}

/** Total ciphertext bytes for a file of `size` plaintext bytes. */
export function streamSealedSize(size: number): number {
  return size + streamChunkCount(size) * STREAM_TAG_BYTES;
}

/** The 12-byte nonce of chunk `index`, flagged `last` or not. */
export function streamNonce(index: number, last: boolean): Buffer {
  if (!Number.isSafeInteger(index) || index < 0)
    throw new RangeError(`streamNonce: expected an index ≥ 0, got ${index}`);
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 3);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== STREAM_KEY_BYTES)
    throw new RangeError(`file key: expected ${STREAM_KEY_BYTES} bytes, got ${key.length}`);
}

/**
 * Seals one chunk.
 * @throws {RangeError} a wrong key length, a chunk over 64 KiB, or a non-final chunk that is not exactly 64 KiB.
 * @example const ct = sealChunk(bytes, key, 0, true);
 */
export function sealChunk(plaintext: Uint8Array, key: Uint8Array, index: number, last: boolean): Uint8Array {
  checkKey(key);
  if (plaintext.length > STREAM_CHUNK_BYTES || (!last && plaintext.length !== STREAM_CHUNK_BYTES)) {
    throw new RangeError(`sealChunk: a ${last ? 'final' : 'non-final'} chunk cannot be ${plaintext.length} bytes`);
  }
  if (last && plaintext.length === 0 && index !== 0)
    throw new RangeError('sealChunk: only an empty file has an empty chunk');
  const cipher = createCipheriv(ALGORITHM, key, streamNonce(index, last), { authTagLength: STREAM_TAG_BYTES });
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([body, cipher.getAuthTag()]);
}

/**
 * Opens one chunk whose position and final flag the caller knows.
 * @throws {CryptoError} `STREAM_CHUNK_INVALID` when the chunk does not authenticate at that position and flag, or has
 *   an impossible length.
 */
export function openChunk(sealed: Uint8Array, key: Uint8Array, index: number, last: boolean): Uint8Array {
  checkKey(key);
  const n = sealed.length - STREAM_TAG_BYTES;
  if (n < 0 || n > STREAM_CHUNK_BYTES || (!last && n !== STREAM_CHUNK_BYTES) || (last && n === 0 && index !== 0)) {
    throw new CryptoError('STREAM_CHUNK_INVALID', `chunk ${index}: impossible length ${sealed.length}`);
  }
  const decipher = createDecipheriv(ALGORITHM, key, streamNonce(index, last), { authTagLength: STREAM_TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(n));
  const out = decipher.update(sealed.subarray(0, n));
  try {
    decipher.final();
  } catch {
    out.fill(0);
    throw new CryptoError('STREAM_CHUNK_INVALID', `chunk ${index} does not authenticate (tampered, moved or cut)`);
  }
  return out;
}

/**
 * Opens a stream chunk by chunk, in order, without knowing its length in advance (as age does): a full-size chunk is
 * tried as non-final, then as final; a shorter one can only be final. After the final chunk nothing may follow.
 *
 * @example
 * const o = new StreamOpener(key); for (const c of chunks) out.write(o.next(c)); o.finish();
 */
export class StreamOpener {
  private index = 0;
  private done = false;

  constructor(private readonly key: Uint8Array) {
    checkKey(key);
  }

  /** Chunks opened so far. */
  get chunks(): number {
    return this.index;
  }

  /** True once the final chunk has been opened. */
  get finished(): boolean {
    return this.done;
  }

  /**
   * Opens the next chunk.
   * @throws {CryptoError} `STREAM_TRAILING_DATA` after the final chunk; `STREAM_CHUNK_INVALID` if it does not open.
   */
  next(sealed: Uint8Array): Uint8Array {
    if (this.done) throw new CryptoError('STREAM_TRAILING_DATA', 'data after the final chunk');
    const i = this.index;
    let out: Uint8Array;
    if (sealed.length === STREAM_SEALED_CHUNK_BYTES) {
      try {
        out = openChunk(sealed, this.key, i, false);
      } catch {
        out = openChunk(sealed, this.key, i, true);
        this.done = true;
      }
    } else {
      out = openChunk(sealed, this.key, i, true);
      this.done = true;
    }
    this.index++;
    return out;
  }

  /** @throws {CryptoError} `STREAM_TRUNCATED` when the stream ended before its final chunk. */
  finish(): void {
    if (!this.done)
      throw new CryptoError('STREAM_TRUNCATED', `the stream ended after ${this.index} chunks without its final chunk`);
  }
}
