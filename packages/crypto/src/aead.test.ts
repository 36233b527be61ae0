/**
 * The ratchet's AEAD (aead.ts, on libsodium) against node:crypto's ChaCha20-Poly1305, which it replaced: the same
 * bytes for any input, and the same failures. Wycheproof's vectors run in wycheproof-v2.test.ts.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError, flip } from '../test/helpers.js';
import { aeadOpen, aeadSeal, toHex } from './index.js';

function nodeSeal(m: Uint8Array, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array): string {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: m.length });
  const body = Buffer.concat([c.update(m), c.final()]);
  return toHex(Buffer.concat([body, c.getAuthTag()]));
}

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nonce = fc.uint8Array({ minLength: 12, maxLength: 12 });
const bytes = fc.uint8Array({ maxLength: 700 });

describe('aeadSeal / aeadOpen (ChaCha20-Poly1305 on libsodium)', () => {
  it('seals what node:crypto seals and opens it (fast-check)', () => {
    fc.assert(
      fc.property(bytes, key, nonce, bytes, (m, k, n, ad) => {
        const sealed = aeadSeal(m, k, n, ad);
        expect(toHex(sealed)).toBe(nodeSeal(m, k, n, ad));
        expect(toHex(aeadOpen(sealed, k, n, ad))).toBe(toHex(m));
      }),
      { numRuns: 300 },
    );
  });

  it('fails with RATCHET_DECRYPT_FAILED for any changed byte, other data, or fewer bytes than a tag', () => {
    const [k, n, ad] = [randomBytes(32), randomBytes(12), randomBytes(40)];
    const sealed = aeadSeal(Uint8Array.of(1, 2, 3), k, n, ad);
    for (let i = 0; i < sealed.length; i++) {
      expectCryptoError(() => aeadOpen(flip(sealed, i), k, n, ad), 'RATCHET_DECRYPT_FAILED');
    }
    expectCryptoError(() => aeadOpen(sealed, k, n, flip(ad, 0)), 'RATCHET_DECRYPT_FAILED');
    expectCryptoError(() => aeadOpen(sealed, k, flip(n, 11), ad), 'RATCHET_DECRYPT_FAILED');
    for (let len = 0; len < 16; len++) {
      expectCryptoError(() => aeadOpen(sealed.subarray(0, len), k, n, ad), 'RATCHET_DECRYPT_FAILED');
    }
    expect(toHex(aeadOpen(aeadSeal(new Uint8Array(0), k, n, ad), k, n, ad))).toBe('');
  });

  it('reads every argument at any byte offset of a larger buffer', () => {
    const at = (b: Uint8Array, offset: number) => {
      const bigger = new Uint8Array(offset + b.length + 3).fill(0x55);
      bigger.set(b, offset);
      return bigger.subarray(offset, offset + b.length);
    };
    const [m, k, n, ad] = [randomBytes(50), randomBytes(32), randomBytes(12), randomBytes(20)];
    const sealed = aeadSeal(at(m, 1), at(k, 2), at(n, 3), at(ad, 4));
    expect(toHex(sealed)).toBe(nodeSeal(m, k, n, ad));
    expect(toHex(aeadOpen(at(sealed, 5), at(k, 6), at(n, 7), at(ad, 8)))).toBe(toHex(m));
  });

  it('rejects bad arguments with TypeError / RangeError before libsodium sees them', () => {
    const [k, n] = [randomBytes(32), randomBytes(12)];
    expect(() => aeadSeal(Uint8Array.of(1), k.subarray(1), n, new Uint8Array(0))).toThrow(RangeError);
    expect(() => aeadSeal(Uint8Array.of(1), k, n.subarray(1), new Uint8Array(0))).toThrow(RangeError);
    expect(() => aeadOpen(new Uint8Array(20), k, randomBytes(24), new Uint8Array(0))).toThrow(RangeError);
    expect(() => aeadSeal('x' as unknown as Uint8Array, k, n, new Uint8Array(0))).toThrow(TypeError);
    expect(() => aeadOpen(new Uint8Array(20), k, n, null as unknown as Uint8Array)).toThrow(TypeError);
  });
});
