/** Padding to size buckets (PROTOCOL.md §21). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError } from '../test/helpers.js';
import { CryptoError, MAX_BODY_BYTES, pad, paddedLength, toHex, unpad } from './index.js';

describe('padding', () => {
  it('buckets: 256, powers of two to 4096, then multiples of 4096', () => {
    const table: [number, number][] = [
      [0, 256],
      [255, 256],
      [256, 512],
      [511, 512],
      [512, 1024],
      [4095, 4096],
      [4096, 8192],
      [8191, 8192],
      [8192, 12288],
      [MAX_BODY_BYTES, 61440],
    ];
    for (const [n, bucket] of table) expect(paddedLength(n), `length ${n}`).toBe(bucket);
  });

  it('pads with 0x80 then zeros, and unpads', () => {
    const p = pad(Uint8Array.of(1, 2, 3));
    expect(p.length).toBe(256);
    expect(toHex(p.subarray(0, 5))).toBe('0102038000');
    expect(toHex(unpad(p))).toBe('010203');
    expect(unpad(pad(new Uint8Array(0)))).toHaveLength(0);
  });

  it('refuses a missing marker, a wrong size and non-canonical padding (PADDING_INVALID)', () => {
    expectCryptoError(() => unpad(new Uint8Array(256)), 'PADDING_INVALID'); // all zero
    const p = pad(Uint8Array.of(1));
    p[1] = 0x81;
    expectCryptoError(() => unpad(p), 'PADDING_INVALID'); // last non-zero byte is not 0x80
    expectCryptoError(() => unpad(pad(Uint8Array.of(1)).subarray(0, 255)), 'PADDING_INVALID'); // not a bucket
    const long = new Uint8Array(512);
    long[3] = 0x80; // a 3-byte plaintext belongs in 256, not 512
    expectCryptoError(() => unpad(long), 'PADDING_INVALID');
  });

  it('round trips any plaintext, and random bytes only ever give PADDING_INVALID', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), (b) => {
        const p = pad(b);
        expect(p.length).toBe(paddedLength(b.length));
        expect(toHex(unpad(p))).toBe(toHex(b));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        try {
          unpad(b);
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoError);
          expect((e as CryptoError).code).toBe('PADDING_INVALID');
        }
      }),
      { numRuns: 500 },
    );
  });
});
