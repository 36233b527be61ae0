/**
 * HMAC-SHA-256 (RFC 2104) over libsodium's SHA-256 and HKDF-SHA-256 (RFC 5869) over it: the RFCs' SHA-256 test
 * vectors, and agreement with node:crypto's createHmac and hkdfSync for random inputs.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from '../test/helpers.js';
import { hkdfSha256, hmacSha256, toHex, utf8 } from './index.js';
import { kdfScratch } from './kdf.js';

const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('hmacSha256', () => {
  // RFC 4231 §4: test cases 1, 2, 6 and 7 (a key longer than a block is hashed first; a message longer than a block).
  const longKey = new Uint8Array(131).fill(0xaa);
  it.each([
    ['1', hex('0b'.repeat(20)), utf8('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [
      '2',
      utf8('Jefe'),
      utf8('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    [
      '6',
      longKey,
      utf8('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      '7',
      longKey,
      utf8(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be ' +
          'hashed before being used by the HMAC algorithm.',
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ])('matches RFC 4231 test case %s', (_, key, data, expected) => {
    expect(toHex(hmacSha256(key, data))).toBe(expected);
  });

  it('agrees with node:crypto createHmac for any key and message, call after call', () => {
    // Keys around the 64-byte block (hashed when longer), messages past the 256 bytes the reused buffer starts with.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 700 })), { maxLength: 4 }),
        (calls) => {
          for (const [key, data] of calls) {
            const expected = createHmac('sha256', key).update(data).digest('hex');
            expect(toHex(hmacSha256(key, data))).toBe(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hashes a key longer than its buffers have grown to (copied in first), and wipes it', () => {
    for (const [keyBytes, dataBytes] of [
      [5000, 10],
      [9000, 12000],
    ] as const) {
      const key = Uint8Array.from({ length: keyBytes }, (_, i) => (i * 7) & 0xff);
      const data = new Uint8Array(dataBytes).fill(0x5a);
      expect(toHex(hmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'));
      expect(kdfScratch().every((b) => b.every((x) => x === 0))).toBe(true);
    }
  });

  it('leaves no key or message byte in its buffers, after a call and after one that throws midway', () => {
    const allZero = () => kdfScratch().every((b) => b.every((x) => x === 0));
    hmacSha256(new Uint8Array(100).fill(0xaa), new Uint8Array(300).fill(0xbb));
    expect(allZero()).toBe(true);
    // A detached part throws while it is copied in, after the key's pads were written (review rev6, L1).
    const detached = new Uint8Array(16);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => hmacSha256(new Uint8Array(100).fill(0xaa), detached)).toThrow(TypeError);
    expect(allZero()).toBe(true);
    expect(() => hkdfSha256(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), detached, 44)).toThrow(TypeError);
    expect(allZero()).toBe(true);
  });

  it('leaves its arguments as they were', () => {
    const key = hex('0b'.repeat(20));
    const data = utf8('Hi There');
    hmacSha256(key, data);
    expect(toHex(key)).toBe('0b'.repeat(20));
    expect(new TextDecoder().decode(data)).toBe('Hi There');
  });
});

describe('hkdfSha256', () => {
  it('matches RFC 5869 appendix A.1 (basic test case with SHA-256)', () => {
    const okm = hkdfSha256(hex('0b'.repeat(22)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(toHex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('matches RFC 5869 appendix A.2 (longer inputs and outputs)', () => {
    const okm = hkdfSha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
    expect(toHex(okm)).toBe(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
        '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
        'cc30c58179ec3e87c14c01d5c1f3434f1d87',
    );
  });

  it('matches RFC 5869 appendix A.3 (zero-length salt and info)', () => {
    const okm = hkdfSha256(hex('0b'.repeat(22)), new Uint8Array(0), '', 42);
    expect(toHex(okm)).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  it('agrees with node:crypto hkdfSync for any input and length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 300 }),
        (ikm, salt, info, length) => {
          const expected = new Uint8Array(hkdfSync('sha256', ikm, salt, new TextEncoder().encode(info), length));
          expect(toHex(hkdfSha256(ikm, salt, info, length))).toBe(toHex(expected));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a length RFC 5869 does not allow (more than 255 blocks)', () => {
    expect(hkdfSha256(new Uint8Array(32), new Uint8Array(32), 'x', 255 * 32)).toHaveLength(8160);
    expect(() => hkdfSha256(new Uint8Array(32), new Uint8Array(32), 'x', 255 * 32 + 1)).toThrow(RangeError);
    expect(() => hkdfSha256(new Uint8Array(32), new Uint8Array(32), 'x', 1.5)).toThrow(RangeError);
  });
});
