import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VALID, plain } from '../test/fixtures.js';
import {
  FrameDecoder,
  MAX_FRAME_BYTES,
  ProtocolError,
  decodeClientFrame,
  decodeRelayFrame,
  encodeFrame,
} from './index.js';

const encoded = VALID.map((f) => encodeFrame(f.frame));
const bodies = encoded.map((e) => e.subarray(4));
const stream = Buffer.concat(encoded);
const SMALL = 8192;
const smallStream = Buffer.concat(encoded.filter((e) => e.length <= SMALL));
const smallBodies = bodies.filter((b) => b.length + 4 <= SMALL);

/** Pushes `chunks` through a fresh decoder; returns the bodies as hex and the bytes left buffered. */
function run(chunks: Uint8Array[], decoder = new FrameDecoder()): { out: string[]; buffered: number } {
  const out: string[] = [];
  for (const c of chunks) for (const b of decoder.push(c)) out.push(Buffer.from(b).toString('hex'));
  return { out, buffered: decoder.buffered };
}
const hexes = (bs: Uint8Array[]) => bs.map((b) => Buffer.from(b).toString('hex'));
/**
 * For the split-at-every-boundary loops: whether pushing `chunks` gives exactly `expected` with nothing left buffered,
 * compared byte for byte (hex strings of every body at every split point made these loops quadratic in time).
 */
function gives(chunks: Uint8Array[], expected: readonly Uint8Array[]): boolean {
  const decoder = new FrameDecoder();
  const out = chunks.flatMap((c) => decoder.push(c));
  return (
    decoder.buffered === 0 && out.length === expected.length && out.every((b, i) => Buffer.from(b).equals(expected[i]!))
  );
}

function frameTooLarge(f: () => unknown): ProtocolError {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError && e.code === 'FRAME_TOO_LARGE') return e;
    throw new Error(`expected FRAME_TOO_LARGE, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected FRAME_TOO_LARGE, but nothing was thrown');
}

describe('FrameDecoder: the fixture stream split in every way', () => {
  it('one chunk holding every frame (coalesced)', () => {
    expect(run([stream])).toEqual({ out: hexes(bodies), buffered: 0 });
  });

  it('two chunks, split at every boundary (frames up to 8 KiB)', () => {
    for (let i = 0; i <= smallStream.length; i++) {
      if (!gives([smallStream.subarray(0, i), smallStream.subarray(i)], smallBodies)) throw new Error(`split at ${i}`);
    }
  });

  it('each frame split at every boundary, in frames of every size, with the next frame coalesced behind it', () => {
    for (let k = 0; k < encoded.length; k++) {
      const e = encoded[k]!;
      const next = encoded[(k + 1) % encoded.length]!;
      const tail = Buffer.concat([e, next]);
      // All boundaries of frames up to 8 KiB; for the two 64 KiB frames, the first and last 300 and every 499th.
      for (let i = 0; i <= e.length; i++) {
        if (e.length > SMALL && i > 300 && i < e.length - 300 && i % 499 !== 0) continue;
        const pair = [bodies[k]!, bodies[(k + 1) % encoded.length]!];
        if (!gives([tail.subarray(0, i), tail.subarray(i)], pair)) throw new Error(`frame ${k} split at ${i}`);
      }
    }
  });

  it('one byte per chunk: every boundary of the whole stream, big frames included', () => {
    const decoder = new FrameDecoder();
    const out: Uint8Array[] = [];
    let pending = 0;
    for (let i = 0; i < stream.length; i++) {
      const got = decoder.push(stream.subarray(i, i + 1));
      out.push(...got);
      pending = got.length > 0 ? 0 : pending + 1;
      if (decoder.buffered !== pending) throw new Error(`buffered ${decoder.buffered} ≠ ${pending} at byte ${i}`);
    }
    expect(hexes(out)).toEqual(hexes(bodies));
    expect(decoder.buffered).toBe(0);
  });

  it('fast-check: random chunkings of the whole stream give the same frames', () => {
    const expected = hexes(bodies);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((end, i) => stream.subarray(points[i], end));
        expect(run(chunks)).toEqual({ out: expected, buffered: 0 });
      }),
      { numRuns: 100 },
    );
  });

  it('the bodies decode back to the fixture frames', () => {
    const got = new FrameDecoder().push(stream);
    got.forEach((body, i) => {
      const f = VALID[i]!;
      const decoded = f.dir === 'client' ? decodeClientFrame(body) : decodeRelayFrame(body);
      expect(plain(decoded)).toStrictEqual(plain(f.frame));
    });
  });
});

describe('FrameDecoder: the length check comes before the body', () => {
  const prefix = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };

  it.each([
    ['0', 0],
    ['MAX_FRAME_BYTES + 1', MAX_FRAME_BYTES + 1],
    ['2 GiB', 0x8000_0000],
    ['4 GiB - 1 (the largest u32)', 0xffff_ffff],
  ])('a prefix of %s throws FRAME_TOO_LARGE with only its 4 bytes pushed', (_, n) => {
    const d = new FrameDecoder();
    const e = frameTooLarge(() => d.push(prefix(n)));
    expect(e.fatal).toBe(true);
    expect(e.message).toContain(String(n));
  });

  it('a prefix of exactly the maximum is accepted and nothing is allocated for it up front', () => {
    const d = new FrameDecoder();
    expect(d.push(prefix(MAX_FRAME_BYTES))).toEqual([]);
    expect(d.buffered).toBe(4);
    expect(d.push(Buffer.alloc(1000))).toEqual([]);
    expect(d.buffered).toBe(1004);
    const [body] = d.push(Buffer.alloc(MAX_FRAME_BYTES - 1000, 1));
    expect(body?.length).toBe(MAX_FRAME_BYTES);
    expect(d.buffered).toBe(0);
  });

  it('a prefix split across chunks is checked once complete', () => {
    const d = new FrameDecoder();
    expect(d.push(Buffer.from([0x00]))).toEqual([]);
    expect(d.push(Buffer.from([0x02, 0x00]))).toEqual([]);
    expect(d.buffered).toBe(3);
    frameTooLarge(() => d.push(Buffer.from([0x01]))); // 0x00020001 = MAX_FRAME_BYTES + 1
  });

  it('a valid prefix split across chunks, then its body', () => {
    const e = encodeFrame({ t: 'ping', rid: 5 });
    const d = new FrameDecoder();
    expect(d.push(e.subarray(0, 2))).toEqual([]);
    expect(d.push(e.subarray(2, 3))).toEqual([]);
    expect(d.push(e.subarray(3, 6))).toEqual([]);
    expect(hexes(d.push(e.subarray(6)))).toEqual([e.subarray(4).toString('hex')]);
  });

  it('a bad prefix after a good frame in the same chunk throws', () => {
    const d = new FrameDecoder();
    frameTooLarge(() => d.push(Buffer.concat([encodeFrame({ t: 'ping', rid: 1 }), prefix(0)])));
  });

  it('after a throw the decoder is dead: every later push throws', () => {
    const d = new FrameDecoder();
    frameTooLarge(() => d.push(prefix(0)));
    frameTooLarge(() => d.push(encodeFrame({ t: 'ping', rid: 1 })));
    frameTooLarge(() => d.push(Buffer.alloc(0)));
    expect(d.buffered).toBe(0);
  });

  it('honours a smaller limit given to the constructor', () => {
    const d = new FrameDecoder(100);
    expect(d.maxFrameBytes).toBe(100);
    expect(d.push(prefix(100))).toEqual([]);
    frameTooLarge(() => new FrameDecoder(100).push(prefix(101)));
  });

  it('throws RangeError for a limit outside 1..MAX_FRAME_BYTES', () => {
    for (const bad of [0, -1, 1.5, NaN, MAX_FRAME_BYTES + 1]) expect(() => new FrameDecoder(bad)).toThrow(RangeError);
  });
});

describe('FrameDecoder: ownership of bytes', () => {
  it('returned bodies and buffered bytes do not alias the pushed chunks', () => {
    const e = Buffer.concat([encodeFrame({ t: 'ping', rid: 1 }), encodeFrame({ t: 'ping', rid: 2 })]);
    const d = new FrameDecoder();
    const first = Buffer.from(e.subarray(0, 20)); // one whole frame and 1 byte of the next
    const [body] = d.push(first);
    const expected = Buffer.from(body!);
    first.fill(0xff); // a caller reusing its read buffer
    expect(Buffer.from(body!).equals(expected)).toBe(true);
    const [second] = d.push(e.subarray(20));
    expect(decodeClientFrame(second!)).toStrictEqual({ t: 'ping', rid: 2 });
  });

  it('an empty chunk is fine', () => {
    expect(new FrameDecoder().push(new Uint8Array(0))).toEqual([]);
  });

  it('throws TypeError for a chunk that is not a Uint8Array', () => {
    expect(() => new FrameDecoder().push('abcd' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('FrameDecoder: random input', () => {
  it('fast-check: random chunks only ever produce bodies within bounds or FRAME_TOO_LARGE', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 300 }),
        (chunks, max) => {
          const d = new FrameDecoder(max);
          let pushed = 0;
          let consumed = 0;
          for (const c of chunks) {
            let got: Uint8Array[];
            try {
              got = d.push(c);
            } catch (e) {
              expect(e).toBeInstanceOf(ProtocolError);
              expect((e as ProtocolError).code).toBe('FRAME_TOO_LARGE');
              expect(() => d.push(new Uint8Array(1))).toThrow(ProtocolError);
              return;
            }
            pushed += c.length;
            for (const b of got) {
              expect(b.length).toBeGreaterThanOrEqual(1);
              expect(b.length).toBeLessThanOrEqual(max);
              consumed += 4 + b.length;
            }
            expect(consumed + d.buffered).toBe(pushed);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
