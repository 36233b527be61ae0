/**
 * A structural pass over a frame body that runs BEFORE msgpackr sees it (PROTOCOL.md §5: "Anything else is
 * BAD_FRAME").
 *
 * Why not rely on Unpackr options: whatever it is configured with, msgpackr's unpacker still honours inline record
 * definitions (ext 0x72), bundled strings (ext 0x62), typed arrays (ext 0x74, which decode to a Uint8Array that would
 * pass for a `bin`), sets, errors, regexps and timestamps, and it recurses once per nesting level, so a deep enough
 * array throws RangeError from stack exhaustion. This pass accepts only the msgpack that frames are made of and
 * leaves msgpackr nothing to interpret:
 *
 * - exactly one value, spanning the whole body (no trailing bytes, nothing truncated);
 * - made only of int (any int format; the validator checks the value), str (valid UTF-8), bin, bool, array, map;
 * - no nil, no float, no ext of any type, no reserved byte 0xc1 (no frame field has those types);
 * - map keys are str, unique within their map (duplicates would let two decoders disagree about a frame) and never
 *   `__proto__` (msgpackr renames it; an unpacker that assigned it would set the object's prototype instead);
 * - containers nest at most two deep (a frame is a map; its arrays, `ack.ids`, `online.users`, those of
 *   `admin_users` and §15's `fanout`, `fanout_sent`, `rooms` and `room_members`, hold scalars).
 *
 * It allocates nothing but key strings, reads each byte once and recurses at most three levels.
 */
import { ProtocolError } from './errors.js';

/** Containers may sit at depth 0 (the frame's map) and 1 (`ack.ids`, `online.users`); a deeper one is refused. */
const MAX_CONTAINER_DEPTH = 2;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** @throws {ProtocolError} `BAD_FRAME` if `body` is not exactly one value of the accepted msgpack subset. */
export function assertWellFormed(body: Uint8Array): void {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const end = body.length;
  let pos = 0;

  const fail = (why: string): never => {
    throw new ProtocolError('BAD_FRAME', `body is not an acceptable msgpack value: ${why} at byte ${pos}`);
  };
  const need = (n: number): void => {
    if (n > end - pos) fail('truncated');
  };
  const length = (size: 1 | 2 | 4): number => {
    need(size);
    const n = size === 1 ? view.getUint8(pos) : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
    pos += size;
    return n;
  };
  const skip = (n: number): void => {
    need(n);
    pos += n;
  };
  const str = (n: number): string => {
    need(n);
    let s: string;
    try {
      s = utf8.decode(body.subarray(pos, pos + n));
    } catch {
      return fail('invalid UTF-8 in a str');
    }
    pos += n;
    return s;
  };
  const key = (): string => {
    need(1);
    const token = body[pos++]!;
    if (token >= 0xa0 && token <= 0xbf) return str(token & 0x1f);
    if (token === 0xd9) return str(length(1));
    if (token === 0xda) return str(length(2));
    if (token === 0xdb) return str(length(4));
    pos--;
    return fail('a map key that is not a str');
  };
  const map = (count: number, depth: number): void => {
    if (depth >= MAX_CONTAINER_DEPTH) fail('containers nested too deeply');
    if (count > (end - pos) / 2) fail('truncated'); // every entry takes at least two bytes
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const k = key();
      if (k === '__proto__') fail('a __proto__ key'); // no frame has one; never let an unpacker decide what it means
      if (seen.has(k)) fail('a duplicate map key');
      seen.add(k);
      value(depth + 1);
    }
  };
  const array = (count: number, depth: number): void => {
    if (depth >= MAX_CONTAINER_DEPTH) fail('containers nested too deeply');
    if (count > end - pos) fail('truncated'); // every element takes at least one byte
    for (let i = 0; i < count; i++) value(depth + 1);
  };

  function value(depth: number): void {
    need(1);
    const token = body[pos++]!;
    if (token <= 0x7f || token >= 0xe0) return; // positive and negative fixint
    if (token <= 0x8f) return map(token & 0x0f, depth);
    if (token <= 0x9f) return array(token & 0x0f, depth);
    if (token <= 0xbf) {
      str(token & 0x1f);
      return;
    }
    pos--; // so that a failure points at the token
    switch (token) {
      case 0xc2:
      case 0xc3:
        pos += 1;
        return; // bool
      case 0xc4:
        pos += 1;
        return skip(length(1)); // bin 8
      case 0xc5:
        pos += 1;
        return skip(length(2)); // bin 16
      case 0xc6:
        pos += 1;
        return skip(length(4)); // bin 32
      case 0xcc:
      case 0xd0:
        pos += 1;
        return skip(1); // uint 8, int 8
      case 0xcd:
      case 0xd1:
        pos += 1;
        return skip(2); // uint 16, int 16
      case 0xce:
      case 0xd2:
        pos += 1;
        return skip(4); // uint 32, int 32
      case 0xcf:
      case 0xd3:
        pos += 1;
        return skip(8); // uint 64, int 64
      case 0xd9:
        pos += 1;
        str(length(1));
        return; // str 8
      case 0xda:
        pos += 1;
        str(length(2));
        return; // str 16
      case 0xdb:
        pos += 1;
        str(length(4));
        return; // str 32
      case 0xdc:
        pos += 1;
        return array(length(2), depth); // array 16
      case 0xdd:
        pos += 1;
        return array(length(4), depth); // array 32
      case 0xde:
        pos += 1;
        return map(length(2), depth); // map 16
      case 0xdf:
        pos += 1;
        return map(length(4), depth); // map 32
      case 0xc0:
        return fail('nil');
      case 0xc1:
        return fail('the reserved byte 0xc1');
      case 0xca:
      case 0xcb:
        return fail('a float');
      default:
        return fail('an ext'); // 0xc7..0xc9, 0xd4..0xd8
    }
  }

  value(0);
  if (pos !== end) fail('trailing bytes');
}
