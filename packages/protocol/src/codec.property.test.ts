/** Property tests (fast-check): random valid frames round trip; random or damaged input only ever yields ProtocolError. */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { Packr, pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { VALID, plain } from '../test/fixtures.js';
import {
  ERROR_CODES,
  FrameDecoder,
  ProtocolError,
  decodeClientFrame,
  decodeRelayFrame,
  encodeFrame,
  type ClientFrame,
  type ErrorCode,
  type Frame,
  type RelayFrame,
} from './index.js';

/** Strings of min..max UTF-8 bytes drawn from all of Unicode (no lone surrogates: those are not strings on the wire). */
function utf8String(min: number, max: number): fc.Arbitrary<string> {
  return fc
    .string({ unit: 'binary', maxLength: max })
    .map((s) => {
      let out = '';
      let n = 0;
      for (const ch of s) {
        n += Buffer.byteLength(ch);
        if (n > max) break;
        out += ch;
      }
      return out;
    })
    .filter((s) => Buffer.byteLength(s) >= min);
}

const bin = (min: number, max = min) => fc.uint8Array({ minLength: min, maxLength: max });
const rid = fc.integer({ min: 0, max: 0xffff_ffff });
const int = fc.oneof(fc.nat({ max: 0xffff_ffff }), fc.maxSafeNat());
const mode = fc.constantFrom('recv' as const, 'send' as const);
/** Envelope sizes: both ends of 49..65536 often, anything between sometimes. */
const env = fc.oneof(
  bin(49, 300),
  bin(65_000, 65_536),
  fc.constantFrom(49, 65_536).chain((n) => bin(n)),
);

const u32 = fc.nat({ max: 0xffff_ffff });
/** One `prekey_put` entry: a type and a key of that type's length (§23.2). */
const prekeyEntry = fc
  .constantFrom(1 as const, 2 as const, 3 as const, 4 as const)
  .chain((type) => fc.tuple(fc.constant(type), u32, bin(type <= 2 ? 32 : 1184), bin(64)));
const prekeyPut = fc
  .record(
    { rid, entries: fc.array(prekeyEntry, { maxLength: 6 }), reset: fc.boolean() },
    { requiredKeys: ['rid', 'entries'] },
  )
  .map(({ rid, entries, reset }) => ({
    t: 'prekey_put' as const,
    rid,
    types: entries.map((e) => e[0]),
    ids: entries.map((e) => e[1]),
    keys: entries.map((e) => e[2]),
    sigs: entries.map((e) => e[3]),
    ...(reset === undefined ? {} : { reset }),
  }));
const opkFields = fc.option(fc.record({ opkId: u32, opk: bin(32), opkSig: bin(64) }), { nil: undefined });
const prekeyBundle = fc
  .tuple(
    fc.record({
      t: fc.constant('prekey_bundle' as const),
      rid,
      user: utf8String(3, 32),
      idpk: bin(32),
      encpk: bin(32),
      bsig: bin(64),
      spkId: u32,
      spk: bin(32),
      spkSig: bin(64),
      pqType: fc.constantFrom(3 as const, 4 as const),
      pqId: u32,
      pq: bin(1184),
      pqSig: bin(64),
    }),
    opkFields,
  )
  .map(([f, opk]) => ({ ...f, ...opk }));

const clientFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  prekeyPut,
  fc.record({ t: fc.constant('prekey_get' as const), rid, user: utf8String(1, 64) }),
  fc.record({ t: fc.constant('hello' as const), v: int, agent: utf8String(0, 64) }),
  fc.record({
    t: fc.constant('auth' as const),
    user: utf8String(3, 32),
    idpk: bin(32),
    encpk: bin(32),
    bsig: bin(64),
    mode,
    sig: bin(64),
  }),
  fc.record({ t: fc.constant('lookup' as const), rid, user: utf8String(1, 64) }),
  fc.record({ t: fc.constant('send' as const), rid, to: utf8String(1, 64), id: bin(16), env }),
  fc.record({ t: fc.constant('ack' as const), ids: fc.array(bin(16), { minLength: 1, maxLength: 256 }) }),
  fc.record({ t: fc.constant('ping' as const), rid }),
  fc.record(
    {
      t: fc.constant('admin' as const),
      rid,
      op: fc.constantFrom(
        'users' as const,
        'kick' as const,
        'ban' as const,
        'unban' as const,
        'invite' as const,
        'shutdown' as const,
        'stats' as const,
      ),
      user: utf8String(1, 64),
      after: utf8String(1, 64),
      reason: utf8String(0, 192),
    },
    { requiredKeys: ['t', 'rid', 'op'] },
  ),
);

const relayFrame: fc.Arbitrary<RelayFrame> = fc.oneof(
  prekeyBundle,
  fc.record(
    { t: fc.constant('prekey_count' as const), rid, opk: int, pqopk: int, spkId: u32, pqspkId: u32 },
    { requiredKeys: ['t', 'opk', 'pqopk'] },
  ),
  fc.record({
    t: fc.constant('challenge' as const),
    v: int,
    relay: bin(32),
    nonce: bin(32),
    maxFrame: int,
    maxEnvelope: int,
  }),
  fc.record({ t: fc.constant('welcome' as const), user: utf8String(3, 32), mode, registered: fc.boolean() }),
  fc.record({
    t: fc.constant('bundle' as const),
    rid,
    user: utf8String(3, 32),
    idpk: bin(32),
    encpk: bin(32),
    bsig: bin(64),
  }),
  fc.record({ t: fc.constant('sent' as const), rid, id: bin(16) }),
  fc.record({ t: fc.constant('msg' as const), id: bin(16), env, ts: int }),
  fc.constant({ t: 'synced' as const }),
  fc.record({ t: fc.constant('pong' as const), rid }),
  fc.constant({ t: 'keepalive' as const }),
  fc.integer({ min: 0, max: 5 }).chain((n) =>
    fc.record({
      t: fc.constant('admin_users' as const),
      rid,
      names: fc.array(fc.stringMatching(/^[a-z][a-z0-9_-]{2,31}$/), { minLength: n, maxLength: n }),
      created: fc.array(int, { minLength: n, maxLength: n }),
      online: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      banned: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      depth: fc.array(int, { minLength: n, maxLength: n }),
      bytes: fc.array(int, { minLength: n, maxLength: n }),
      more: fc.boolean(),
    }),
  ),
  fc.record(
    {
      t: fc.constant('admin_stats' as const),
      rid,
      connections: int,
      online: int,
      users: int,
      queued: int,
      queuedBytes: int,
      uptimeMs: int,
      relays: int,
      receiving: int,
    },
    { requiredKeys: ['t', 'rid', 'connections', 'online', 'users', 'queued', 'queuedBytes', 'uptimeMs'] },
  ),
  fc.record(
    {
      t: fc.constant('admin_done' as const),
      rid,
      op: fc.constantFrom('kick' as const, 'invite' as const, 'shutdown' as const),
      invite: utf8String(1, 64),
    },
    { requiredKeys: ['t', 'rid', 'op'] },
  ),
  fc.record(
    {
      t: fc.constant('err' as const),
      rid,
      code: fc.constantFrom(...(Object.keys(ERROR_CODES) as ErrorCode[])),
      msg: utf8String(0, 256),
      fatal: fc.boolean(),
    },
    { requiredKeys: ['t', 'code', 'msg', 'fatal'] },
  ),
);

/** Calls `f`; anything thrown must be a ProtocolError with the given code. Returns the result, or undefined. */
function onlyProtocolError<T>(code: ErrorCode, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ProtocolError))
      throw new Error(`a ${String((e as Error)?.name)} escaped: ${String(e)}`, { cause: e });
    expect(e.code).toBe(code);
    return undefined;
  }
}

/** A decoded frame must be valid in every way: it re-encodes, and decodes again to the same thing. */
function consistent(frame: Frame, decode: (b: Uint8Array) => Frame): void {
  const again = decode(encodeFrame(frame).subarray(4));
  expect(plain(again)).toStrictEqual(plain(frame));
}

describe('fast-check: valid frames', () => {
  it('random client frames round trip', () => {
    fc.assert(
      fc.property(clientFrame, (f) => {
        expect(plain(decodeClientFrame(encodeFrame(f).subarray(4)))).toStrictEqual(plain(f));
      }),
      { numRuns: 300 },
    );
  });

  it('random relay frames round trip', () => {
    fc.assert(
      fc.property(relayFrame, (f) => {
        expect(plain(decodeRelayFrame(encodeFrame(f).subarray(4)))).toStrictEqual(plain(f));
      }),
      { numRuns: 300 },
    );
  });

  it('random frame sequences survive random chunking through FrameDecoder', () => {
    fc.assert(
      fc.property(
        fc.array(clientFrame, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (frames, cuts) => {
          const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));
          const points = [0, ...cuts.map((c) => c % (stream.length + 1)).sort((a, b) => a - b), stream.length];
          const d = new FrameDecoder();
          const got = points.slice(1).flatMap((end, i) => d.push(stream.subarray(points[i], end)));
          expect(got.map((b) => plain(decodeClientFrame(b)))).toStrictEqual(frames.map(plain));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('fast-check: hostile input only ever yields ProtocolError', () => {
  it('random bytes into both decoders', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        const c = onlyProtocolError('BAD_FRAME', () => decodeClientFrame(body));
        if (c) consistent(c, decodeClientFrame);
        const r = onlyProtocolError('BAD_FRAME', () => decodeRelayFrame(body));
        if (r) consistent(r, decodeRelayFrame);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a map header and a known t', () => {
    const heads = ['t', 'ping', 'ack', 'send', 'err', 'msg'].map((t) => pack({ t })); // map 16 (de 00 01), then t
    fc.assert(
      fc.property(
        fc.constantFrom(...heads),
        fc.nat({ max: 6 }),
        fc.uint8Array({ maxLength: 120 }),
        (head, count, rest) => {
          const body = Buffer.concat([head, rest]);
          body[2] = count; // claim `count` entries
          for (const decode of [decodeClientFrame, decodeRelayFrame]) {
            const f = onlyProtocolError('BAD_FRAME', () => decode(body));
            if (f) consistent(f, decode);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('arbitrary JS values written by msgpackr in every configuration (records, exts, bundled strings)', () => {
    const packrs = [
      new Packr({ useRecords: false }),
      new Packr({ useRecords: true }),
      new Packr({ structuredClone: true }),
      new Packr({ moreTypes: true, useRecords: false }),
      new Packr({ bundleStrings: true, useRecords: false }),
    ];
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withNullPrototype: true,
        }),
        fc.nat({ max: packrs.length - 1 }),
        (value, i) => {
          let body: Buffer;
          try {
            body = packrs[i]!.pack(value);
          } catch {
            return; // msgpackr cannot write everything fast-check makes (e.g. some bigints)
          }
          onlyProtocolError('BAD_FRAME', () => decodeClientFrame(body));
          onlyProtocolError('BAD_FRAME', () => decodeRelayFrame(body));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('valid bodies with bytes flipped, inserted or removed', () => {
    const small = VALID.filter((f) => encodeFrame(f.frame).length < 2000);
    fc.assert(
      fc.property(
        fc.constantFrom(...small),
        fc.array(
          fc.record({
            at: fc.nat(),
            op: fc.constantFrom('flip', 'insert', 'delete'),
            byte: fc.integer({ min: 0, max: 255 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (fixture, edits) => {
          let body = Buffer.from(encodeFrame(fixture.frame).subarray(4));
          for (const { at, op, byte } of edits) {
            const i = at % (body.length + 1);
            if (op === 'flip' && i < body.length) body[i] = byte;
            if (op === 'insert') body = Buffer.concat([body.subarray(0, i), Buffer.of(byte), body.subarray(i)]);
            if (op === 'delete') body = Buffer.concat([body.subarray(0, i), body.subarray(i + 1)]);
          }
          const decode = fixture.dir === 'client' ? decodeClientFrame : decodeRelayFrame;
          const f = onlyProtocolError('BAD_FRAME', () => decode(body));
          if (f) consistent(f, decode);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random bytes into FrameDecoder, then into the decoders', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 10 }), (chunks) => {
        const d = new FrameDecoder(64);
        for (const c of chunks) {
          const bodies = onlyProtocolError('FRAME_TOO_LARGE', () => d.push(c));
          if (!bodies) return;
          for (const b of bodies) onlyProtocolError('BAD_FRAME', () => decodeClientFrame(b));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
