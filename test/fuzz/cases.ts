/**
 * Generators for the relay fuzz test: hostile byte streams for a fresh connection, and hostile-but-valid frame
 * sequences for an authenticated one. Seeded by fast-check, so a failure names a reproducible seed and path.
 */
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { encodeFrame, MAX_FRAME_BYTES, type ClientFrame } from '@chat/protocol';

const TYPES = ['hello', 'auth', 'lookup', 'send', 'ack', 'ping', 'admin', 'err', 'msg', 'keepalive', '', 'constructor'];
const FIELDS = ['t', 'v', 'agent', 'rid', 'user', 'to', 'id', 'env', 'ids', 'op', 'invite', 'mode', 'sig', '__proto__'];

function prefixed(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/** Any msgpack-able value, including the kinds the spec forbids (nil, floats, nested containers). */
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 80 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const validHello = fc.record({ t: fc.constant('hello' as const), v: fc.nat(3), agent: fc.string({ maxLength: 64 }) });

/** Bytes for one fresh connection. */
export const hostileStream: fc.Arbitrary<Uint8Array> = fc.oneof(
  // random bytes
  fc.uint8Array({ minLength: 1, maxLength: 400 }),
  // a random body behind a correct prefix
  fc.uint8Array({ minLength: 1, maxLength: 400 }).map(prefixed),
  // wrong types: maps with known and unknown types and fields of any value
  fc
    .record({
      t: fc.oneof(fc.constantFrom(...TYPES), anyValue),
      rest: fc.dictionary(fc.constantFrom(...FIELDS), anyValue, { maxKeys: 6 }),
    })
    .map(({ t, rest }) => prefixed(pack({ ...rest, t }))),
  // any msgpack value as a body
  anyValue.map((v) => prefixed(pack(v))),
  // a valid frame cut short (the connection then closes mid-frame)
  fc.tuple(validHello, fc.nat()).map(([f, cut]) => {
    const b = encodeFrame(f);
    return b.subarray(0, 1 + (cut % (b.length - 1)));
  }),
  // huge or zero length prefixes, with or without a tail
  fc
    .tuple(fc.integer({ min: MAX_FRAME_BYTES + 1, max: 0xffff_ffff }), fc.uint8Array({ maxLength: 64 }))
    .map(([n, tail]) => {
      const out = new Uint8Array(4 + tail.length);
      new DataView(out.buffer).setUint32(0, n);
      out.set(tail, 4);
      return out;
    }),
  fc.constant(new Uint8Array([0, 0, 0, 0])),
  // deep nesting: arrays or maps nested 3..100,000 deep inside a frame-sized body
  fc.tuple(fc.integer({ min: 3, max: 100_000 }), fc.constantFrom(0x91, 0x81)).map(([depth, token]) => {
    const body = new Uint8Array(Math.min(depth, MAX_FRAME_BYTES - 1) + 1).fill(token);
    if (token === 0x81) for (let i = 0; i < body.length - 1; i += 2) body[i] = 0xa1; // fixstr(1) key, then a map
    body[body.length - 1] = 0xc0;
    return prefixed(body);
  }),
  // a valid hello followed by garbage or a frame that is not allowed yet
  fc.tuple(validHello, fc.uint8Array({ maxLength: 100 })).map(([h, g]) => {
    const a = encodeFrame(h);
    const out = new Uint8Array(a.length + g.length);
    out.set(a);
    out.set(g, a.length);
    return out;
  }),
);

const names = fc.oneof(
  fc.constantFrom('bystander', 'fuzzer', 'fuzzadmin', 'nobody', 'a', 'ZZZ'),
  fc.string({ minLength: 1, maxLength: 64 }).filter((s) => Buffer.byteLength(s) <= 64 && Buffer.byteLength(s) >= 1),
);
const id16 = fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constant(new Uint8Array(16)));
const rid = fc.nat(0xffff_ffff);

/** Valid frames an authenticated client may send, chosen to be hostile: unknown users, duplicate ids, admin ops… */
export const hostileFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  fc.record({ t: fc.constant('lookup' as const), rid, user: names }),
  fc.record({
    t: fc.constant('send' as const),
    rid,
    to: names,
    id: id16,
    env: fc.oneof(fc.uint8Array({ minLength: 49, maxLength: 200 }), fc.constant(new Uint8Array(65_536))),
  }),
  fc.record({ t: fc.constant('ack' as const), ids: fc.array(id16, { minLength: 1, maxLength: 256 }) }),
  fc.record({ t: fc.constant('ping' as const), rid }),
  fc.record({ t: fc.constant('hello' as const), v: fc.constant(1), agent: fc.constant('again') }),
  fc.record(
    {
      t: fc.constant('admin' as const),
      rid,
      // No shutdown: the fuzzing admin would stop the relay under test (its own test covers it).
      op: fc.constantFrom(
        'users' as const,
        'kick' as const,
        'ban' as const,
        'unban' as const,
        'invite' as const,
        'stats' as const,
      ),
      user: names.filter((n) => n !== 'bystander'),
      after: names,
      reason: fc.string({ maxLength: 100 }).filter((s) => Buffer.byteLength(s) <= 192),
    },
    { requiredKeys: ['t', 'rid', 'op'] },
  ),
);
