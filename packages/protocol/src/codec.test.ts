import { Buffer } from 'node:buffer';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { VALID, bytes, byteFields, fixstr, hex, mapBytes, plain, protocolError } from '../test/fixtures.js';
import {
  CLIENT_FRAME_TYPES,
  RELAY_FRAME_TYPES,
  decodeClientFrame,
  decodeRelayFrame,
  encodeFrame,
  type Frame,
} from './index.js';

const decoderFor = (dir: 'client' | 'relay') => (dir === 'client' ? decodeClientFrame : decodeRelayFrame);
const bodyOf = (frame: Frame) => encodeFrame(frame).subarray(4);

describe('the fixture table', () => {
  it('covers every frame type of both directions', () => {
    const types = new Set(VALID.map((f) => f.frame.t));
    expect([...types].sort()).toEqual([...CLIENT_FRAME_TYPES, ...RELAY_FRAME_TYPES].sort());
    for (const f of VALID) expect(f.dir === 'client' ? CLIENT_FRAME_TYPES : RELAY_FRAME_TYPES).toContain(f.frame.t);
  });
});

describe.each(VALID)('valid frame: $name', ({ frame, dir, hex: expectedHex }) => {
  const decode = decoderFor(dir);
  const wrongDecode = decoderFor(dir === 'client' ? 'relay' : 'client');

  it('encodes to u32be(length) ‖ msgpack body', () => {
    const encoded = encodeFrame(frame);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    expect(encoded.readUInt32BE(0)).toBe(encoded.length - 4);
    if (expectedHex !== undefined) expect(encoded.subarray(4).toString('hex')).toBe(expectedHex);
  });

  it('decodes the expected bytes (or, without them, a body written by plain msgpackr) to the frame', () => {
    // Plain msgpackr writes integers over 32 bits as float 64, which §5 refuses; as BigInt it writes int 64.
    const big = Object.fromEntries(
      Object.entries(frame).map(([k, v]) => [k, typeof v === 'number' && v > 2 ** 32 ? BigInt(v) : v]),
    );
    const body = expectedHex !== undefined ? hex(expectedHex) : pack(big);
    expect(plain(decode(body))).toStrictEqual(plain(frame));
  });

  it('round trips, and re-encoding the decoded frame gives the same bytes', () => {
    const body = bodyOf(frame);
    const decoded = decode(body);
    expect(plain(decoded)).toStrictEqual(plain(frame));
    expect(bodyOf(decoded).equals(body)).toBe(true);
  });

  it('is refused by the decoder of the other direction', () => {
    expect(protocolError(() => wrongDecode(bodyOf(frame))).code).toBe('BAD_FRAME');
  });

  it('decodes byte fields to Buffers that do not alias the body', () => {
    const body = Buffer.from(bodyOf(frame));
    const decoded = decode(body);
    const before = plain(decoded);
    for (const b of byteFields(decoded)) expect(Buffer.isBuffer(b)).toBe(true);
    body.fill(0xee);
    expect(plain(decoded)).toStrictEqual(before);
  });

  it('encodes Buffers, plain Uint8Arrays and offset views identically (always as msgpack bin)', () => {
    const expected = encodeFrame(frame);
    const asUint8 = mapBytes(frame, (b) => new Uint8Array(b));
    const asView = mapBytes(frame, (b) => {
      const big = new Uint8Array(b.length + 10);
      big.set(b, 5);
      return big.subarray(5, 5 + b.length);
    });
    expect(encodeFrame(asUint8).equals(expected)).toBe(true);
    expect(encodeFrame(asView).equals(expected)).toBe(true);
  });
});

describe('decoding accepts any msgpack encoding of the same values (other encoders)', () => {
  const cases: [string, string][] = [
    ['fixmap instead of map 16', `82${fixstr('t')}${fixstr('ping')}${fixstr('rid')}05`],
    ['map 32', `df00000002${fixstr('t')}${fixstr('ping')}${fixstr('rid')}05`],
    ['rid as uint 8', `82${fixstr('t')}${fixstr('ping')}${fixstr('rid')}cc05`],
    ['rid as uint 64', `82${fixstr('t')}${fixstr('ping')}${fixstr('rid')}cf0000000000000005`],
    ['rid as a non-negative int 8', `82${fixstr('t')}${fixstr('ping')}${fixstr('rid')}d005`],
    ['rid as a non-negative int 64', `82${fixstr('t')}${fixstr('ping')}${fixstr('rid')}d30000000000000005`],
    ['keys in another order, as str 8', '82' + 'd903726964' + '05' + 'd90174' + 'd90470696e67'],
  ];
  it.each(cases)('%s', (_, body) => {
    expect(decodeClientFrame(hex(body))).toStrictEqual({ t: 'ping', rid: 5 });
  });
});

describe('decode arguments', () => {
  it('leaves the body untouched (msgpackr would otherwise cache a dataView property on it)', () => {
    const body = bodyOf({ t: 'ping', rid: 3 });
    const copy = Buffer.from(body);
    decodeClientFrame(body);
    expect(Object.hasOwn(body, 'dataView')).toBe(false);
    expect(body.equals(copy)).toBe(true);
  });
  it('decodes a body that is a view into a larger buffer', () => {
    const body = bodyOf({ t: 'ping', rid: 3 });
    const big = Buffer.concat([hex('c1c1c1'), body, hex('c1c1')]);
    expect(decodeClientFrame(new Uint8Array(big.buffer, big.byteOffset + 3, body.length))).toStrictEqual({
      t: 'ping',
      rid: 3,
    });
  });
  it('throws TypeError for a body that is not a Uint8Array', () => {
    expect(() => decodeClientFrame('ping' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => decodeRelayFrame([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });
});

// ── encode-side validation ───────────────────────────────────────────────────────────────────────────────────────

class PingLike {
  t = 'ping';
  rid = 1;
}

const INVALID_FRAMES: [string, unknown][] = [
  ['null', null],
  ['undefined', undefined],
  ['a string', 'ping'],
  ['an array', ['ping', 1]],
  [
    'a Map',
    new Map<string, unknown>([
      ['t', 'ping'],
      ['rid', 1],
    ]),
  ],
  ['a class instance', new PingLike()],
  ['an object whose fields are inherited', Object.create({ t: 'ping', rid: 1 }) as unknown],
  ['an unknown t', { t: 'launch' }],
  ['a missing field', { t: 'ping' }],
  ['a required field set to undefined', { t: 'ping', rid: undefined }],
  ['an extra field', { t: 'ping', rid: 1, x: 1 }],
  ['an extra field set to undefined', { t: 'ping', rid: 1, x: undefined }],
  ['a symbol key', { t: 'ping', rid: 1, [Symbol('x')]: 1 }],
  ['rid 1.5', { t: 'ping', rid: 1.5 }],
  ['rid NaN', { t: 'ping', rid: NaN }],
  ['rid Infinity', { t: 'ping', rid: Infinity }],
  ['rid -1', { t: 'ping', rid: -1 }],
  ['rid 2^32', { t: 'ping', rid: 2 ** 32 }],
  ['rid as a str', { t: 'ping', rid: '1' }],
  ['rid 2^32 as a bigint', { t: 'ping', rid: 2n ** 32n }],
  ['msg ts 2^53', { t: 'msg', id: bytes(16), env: bytes(49), ts: 2 ** 53 }],
  ['hello agent with a lone surrogate', { t: 'hello', v: 1, agent: 'a\ud800b' }],
  ['hello agent of 65 bytes', { t: 'hello', v: 1, agent: 'a'.repeat(65) }],
  ['send env as a Uint16Array', { t: 'send', rid: 1, to: 'bob', id: bytes(16), env: new Uint16Array(25) }],
  ['send env as a number[]', { t: 'send', rid: 1, to: 'bob', id: bytes(16), env: Array.from(bytes(49)) }],
  ['send env as an ArrayBuffer', { t: 'send', rid: 1, to: 'bob', id: bytes(16), env: new ArrayBuffer(49) }],
  ['send id as a DataView', { t: 'send', rid: 1, to: 'bob', id: new DataView(new ArrayBuffer(16)), env: bytes(49) }],
  ['ack with a sparse array', { t: 'ack', ids: new Array(2) }],
  ['ack with 257 ids', { t: 'ack', ids: Array.from({ length: 257 }, () => bytes(16)) }],
  ['err with an unknown code', { t: 'err', code: 'NOPE', msg: '', fatal: true }],
  ['err msg of 257 bytes', { t: 'err', code: 'INTERNAL', msg: 'x'.repeat(257), fatal: false }],
  ['err rid null', { t: 'err', rid: null, code: 'INTERNAL', msg: '', fatal: false }],
];

describe('encodeFrame validates with the same rules', () => {
  it.each(INVALID_FRAMES)('%s is BAD_FRAME', (_, frame) => {
    expect(protocolError(() => encodeFrame(frame as Frame)).code).toBe('BAD_FRAME');
  });

  it('treats an optional field set to undefined as absent', () => {
    const frame = { t: 'err', rid: undefined, code: 'INTERNAL', msg: '', fatal: false } as const;
    expect(encodeFrame(frame).equals(encodeFrame({ t: 'err', code: 'INTERNAL', msg: '', fatal: false }))).toBe(true);
  });

  it('accepts a null-prototype object', () => {
    const frame = Object.assign(Object.create(null) as object, { t: 'ping', rid: 9 }) as Frame;
    expect(encodeFrame(frame).equals(encodeFrame({ t: 'ping', rid: 9 }))).toBe(true);
  });

  it('writes integers over 32 bits as int 64 and never as float', () => {
    const body = bodyOf({ t: 'msg', id: bytes(16), env: bytes(49), ts: 2 ** 32 });
    expect(body.subarray(-9).toString('hex')).toBe('d30000000100000000');
  });

  it('throws FRAME_TOO_LARGE when the body exceeds the given limit', () => {
    const e = protocolError(() => encodeFrame({ t: 'ping', rid: 0 }, 14));
    expect(e.code).toBe('FRAME_TOO_LARGE');
    expect(encodeFrame({ t: 'ping', rid: 0 }, 15).length).toBe(19);
  });

  it('throws RangeError for a limit outside 1..MAX_FRAME_BYTES', () => {
    for (const bad of [0, -1, 1.5, NaN, 131_073]) expect(() => encodeFrame({ t: 'synced' }, bad)).toThrow(RangeError);
  });

  it('returns a fresh Buffer for each frame', () => {
    const a = encodeFrame({ t: 'ping', rid: 1 });
    const snapshot = Buffer.from(a);
    encodeFrame({ t: 'ping', rid: 2 });
    expect(a.equals(snapshot)).toBe(true);
  });
});
