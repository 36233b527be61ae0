/**
 * The codec: one encoder and one decoder per direction, pure functions over bytes (PROTOCOL.md §5, §6).
 *
 *   frame = length (u32, big-endian) ‖ body (length bytes),   body = a msgpack map
 *
 * `encodeFrame` returns a whole frame (prefix included); the decoders take a body without its prefix, as produced by
 * `FrameDecoder`. Decoding never trusts msgpackr: the body must first pass `assertWellFormed` (no ext, no records,
 * no deep nesting, no trailing bytes), and what msgpackr then produces must pass `validateFrame`.
 */
import { Buffer } from 'node:buffer';
import { isUint8Array } from 'node:util/types';
import { Packr, Unpackr, type Options } from 'msgpackr';
import { FRAME_PREFIX_BYTES, MAX_FRAME_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';
import type { ClientFrame, Frame, RelayFrame } from './frames.js';
import { DECODE, ENCODE, validateFrame } from './validate.js';
import { assertWellFormed } from './wellformed.js';

/** Plain msgpack only: maps from plain objects, `bin` from bytes, no records, no extensions of msgpackr's own. */
const OPTIONS: Options = {
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false, // with moreTypes, a plain Uint8Array would be written as ext 0x74 rather than bin
  structuredClone: false,
  bundleStrings: false,
  useToJSON: false,
  encodeUndefinedAsNil: false,
  sequential: false,
  maxSharedStructures: 0,
  int64AsType: 'bigint', // exact; validateFrame accepts a bigint only if it is a safe integer
};

const packr = new Packr(OPTIONS);
const unpackr = new Unpackr({ ...OPTIONS, copyBuffers: false });

/**
 * Encodes a frame of either direction: checks its shape with the decoders' validator, then writes
 * `u32be(length) ‖ msgpack body` into a new Buffer. Byte fields may be any Uint8Array.
 *
 * @param maxFrameBytes the largest body allowed, `MAX_FRAME_BYTES` unless a smaller limit applies.
 * @throws {ProtocolError} `BAD_FRAME` if `frame` is not a valid frame (§6); `FRAME_TOO_LARGE` if its body would exceed
 *   `maxFrameBytes` (a valid frame never exceeds MAX_FRAME_BYTES).
 * @throws {RangeError} if `maxFrameBytes` is not an integer 1..MAX_FRAME_BYTES.
 * @example socket.write(encodeFrame({ t: 'ping', rid: 7 }))
 */
export function encodeFrame(frame: Frame, maxFrameBytes: number = MAX_FRAME_BYTES): Buffer {
  checkMaxFrameBytes(maxFrameBytes);
  const wire = validateFrame(frame, 'any', ENCODE);
  const body = packr.pack(wire); // a view into msgpackr's scratch buffer: copied below
  if (body.length > maxFrameBytes) {
    throw new ProtocolError(
      'FRAME_TOO_LARGE',
      `a '${String(wire.t)}' body of ${body.length} bytes exceeds the ${maxFrameBytes}-byte limit`,
    );
  }
  const out = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, FRAME_PREFIX_BYTES);
  return out;
}

/**
 * Decodes a frame body (without its length prefix) that a relay received from a client.
 * @throws {ProtocolError} `BAD_FRAME` for anything that is not exactly one valid client frame (§5, §6.1).
 * @throws {TypeError} if `body` is not a Uint8Array.
 */
export function decodeClientFrame(body: Uint8Array): ClientFrame {
  return decode(body, 'client') as unknown as ClientFrame;
}

/**
 * Decodes a frame body (without its length prefix) that a client received from a relay.
 * @throws {ProtocolError} `BAD_FRAME` for anything that is not exactly one valid relay frame (§5, §6.2).
 * @throws {TypeError} if `body` is not a Uint8Array.
 */
export function decodeRelayFrame(body: Uint8Array): RelayFrame {
  return decode(body, 'relay') as unknown as RelayFrame;
}

function decode(body: Uint8Array, dir: 'client' | 'relay'): Record<string, unknown> {
  if (!isUint8Array(body)) throw new TypeError(`expected the frame body as a Uint8Array, got ${typeof body}`);
  if (body.length > MAX_FRAME_BYTES) {
    throw new ProtocolError('BAD_FRAME', `a body of ${body.length} bytes exceeds MAX_FRAME_BYTES (${MAX_FRAME_BYTES})`);
  }
  let value: unknown;
  try {
    assertWellFormed(body);
    // A fresh view: msgpackr caches a DataView as a property of its source, and the caller's array stays untouched.
    value = unpackr.unpack(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  } catch (cause) {
    if (cause instanceof ProtocolError) throw cause;
    // Unreachable for bodies that passed assertWellFormed; kept so that no error (a msgpackr Error, a RangeError from
    // the stack) can ever escape as anything but BAD_FRAME.
    throw new ProtocolError('BAD_FRAME', 'body is not valid msgpack', { cause });
  }
  return validateFrame(value, dir, DECODE);
}

/** @internal */
export function checkMaxFrameBytes(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_FRAME_BYTES) {
    throw new RangeError(`maxFrameBytes must be an integer 1..${MAX_FRAME_BYTES}, got ${String(n)}`);
  }
}
