/** HKDF-SHA-256 (RFC 5869) written over HMAC: the RFC's SHA-256 test vectors, and agreement with node's hkdfSync. */
import { hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from '../test/helpers.js';
import { hkdfSha256, toHex } from './index.js';

const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

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
