/**
 * Incremental decoder for a TCP stream of frames (PROTOCOL.md §5): bytes may arrive split or coalesced in any way.
 *
 * The length prefix is checked as soon as its four bytes are in, before any body byte is held, and the body is
 * never pre-allocated from the announced length: memory held is what the peer actually sent, at most one prefix
 * plus `maxFrameBytes`. Bodies are returned as fresh Buffers that alias neither the pushed chunks nor each other.
 */
import { Buffer } from 'node:buffer';
import { isUint8Array } from 'node:util/types';
import { checkMaxFrameBytes } from './codec.js';
import { FRAME_PREFIX_BYTES, MAX_FRAME_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';

export class FrameDecoder {
  /** The largest body accepted; a larger (or zero) length prefix is `FRAME_TOO_LARGE`. */
  readonly maxFrameBytes: number;
  readonly #prefix = Buffer.alloc(FRAME_PREFIX_BYTES);
  #prefixBytes = 0;
  /** Length of the body being collected, or -1 while reading a prefix. */
  #bodyLength = -1;
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #failure: ProtocolError | undefined;

  /** @throws {RangeError} if `maxFrameBytes` is not an integer 1..MAX_FRAME_BYTES. */
  constructor(maxFrameBytes: number = MAX_FRAME_BYTES) {
    checkMaxFrameBytes(maxFrameBytes);
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Feeds bytes from the stream; returns the bodies (without prefix) of the frames they complete, in order.
   *
   * @throws {ProtocolError} `FRAME_TOO_LARGE` as soon as a length prefix of 0 or over `maxFrameBytes` is complete.
   *   The decoder is then dead: every later `push` throws the same error, and frames completed earlier in the failing
   *   chunk are dropped (the connection is about to close anyway, §5).
   * @throws {TypeError} if `chunk` is not a Uint8Array.
   * @example for (const body of decoder.push(chunk)) handle(decodeClientFrame(body))
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure) throw this.#failure;
    if (!isUint8Array(chunk)) throw new TypeError(`FrameDecoder.push: expected a Uint8Array, got ${typeof chunk}`);
    const bodies: Uint8Array[] = [];
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.#bodyLength < 0) {
        const take = Math.min(FRAME_PREFIX_BYTES - this.#prefixBytes, end - pos);
        this.#prefix.set(chunk.subarray(pos, pos + take), this.#prefixBytes);
        this.#prefixBytes += take;
        pos += take;
        if (this.#prefixBytes < FRAME_PREFIX_BYTES) break;
        this.#prefixBytes = 0;
        const length = this.#prefix.readUInt32BE(0);
        if (length === 0 || length > this.maxFrameBytes) this.#fail(length);
        this.#bodyLength = length;
      }
      const wanted = this.#bodyLength - this.#partsBytes;
      const take = Math.min(wanted, end - pos);
      // Buffer.from(Uint8Array) copies: nothing we hold or return aliases the caller's chunk.
      const piece = Buffer.from(chunk.subarray(pos, pos + take));
      pos += take;
      if (take < wanted) {
        this.#parts.push(piece);
        this.#partsBytes += take;
        break;
      }
      bodies.push(this.#parts.length === 0 ? piece : Buffer.concat([...this.#parts, piece], this.#bodyLength));
      this.#parts = [];
      this.#partsBytes = 0;
      this.#bodyLength = -1;
    }
    return bodies;
  }

  /** Bytes of the incomplete frame received so far, its length prefix included (0 between frames). */
  get buffered(): number {
    return this.#bodyLength < 0 ? this.#prefixBytes : FRAME_PREFIX_BYTES + this.#partsBytes;
  }

  #fail(length: number): never {
    this.#parts = [];
    this.#partsBytes = 0;
    this.#failure = new ProtocolError(
      'FRAME_TOO_LARGE',
      length === 0 ? 'a frame length of 0' : `a frame length of ${length} exceeds the ${this.maxFrameBytes}-byte limit`,
    );
    throw this.#failure;
  }
}
