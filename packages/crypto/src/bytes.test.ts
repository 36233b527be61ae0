/** Encodings and comparisons. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, CryptoError, fromBase64, fromHex, fromUtf8, toBase64, toHex, utf8 } from './index.js';

const bytes = fc.uint8Array({ maxLength: 100 });

describe('hex', () => {
  it('round-trips, lower case out, either case in', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
    expect(toHex(Uint8Array.of(0xca, 0xfe, 0x01))).toBe('cafe01');
    expect(fromHex('CAFE')).toEqual(Uint8Array.of(0xca, 0xfe));
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  it('throws TypeError on anything but pairs of hex digits', () => {
    for (const bad of ['a', 'abc', 'zz', '0x00', 'ab ', ' ab', 'ab\n', 'g0']) {
      expect(() => fromHex(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
    expect(() => fromHex(12 as unknown as string)).toThrow(TypeError);
  });

  it('returns plain Uint8Arrays, not pooled Buffers', () => {
    expect(Object.getPrototypeOf(fromHex('00'))).toBe(Uint8Array.prototype);
  });
});

describe('base64', () => {
  it('round-trips standard padded base64', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        expect(fromBase64(toBase64(b))).toEqual(b);
      }),
    );
    expect(toBase64(Uint8Array.of(0xfb, 0xff))).toBe('+/8=');
  });

  it('throws TypeError on URL-safe, unpadded, whitespace or non-canonical input', () => {
    for (const bad of ['-_8=', '+/8', ' +/8=', '+/8=\n', 'A', 'AB=', '+/9=', 'AQ==AQ==', '====']) {
      expect(() => fromBase64(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
  });
});

describe('utf8', () => {
  it('round-trips strings, BOM included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(fromUtf8(utf8(s))).toBe(s);
      }),
    );
    expect(fromUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe('\ufeffa');
  });

  it('fromUtf8 throws TypeError on invalid UTF-8 instead of substituting', () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      expect(() => fromUtf8(Uint8Array.from(bad))).toThrow(TypeError);
    }
  });
});

describe('constantTimeEqual', () => {
  it('is byte equality', () => {
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(toHex(a) === toHex(b));
        expect(constantTimeEqual(a, a.slice())).toBe(true);
      }),
    );
    expect(constantTimeEqual(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
    expect(() => constantTimeEqual('a' as unknown as Uint8Array, Uint8Array.of(1))).toThrow(TypeError);
  });
});

describe('CryptoError', () => {
  it('carries its code and refuses unknown codes', () => {
    const e = new CryptoError('OPEN_FAILED', 'nope');
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('OPEN_FAILED');
    expect(e.name).toBe('CryptoError');
    expect(() => new CryptoError('NOPE' as 'OPEN_FAILED', 'x')).toThrow(TypeError);
  });
});
