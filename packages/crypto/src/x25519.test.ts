/** X25519: agreement with the reference and libsodium, low-order refusal, canonical keys (PROTOCOL.md §2). */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError, hex, le32, libsodium, P } from '../test/helpers.js';
import { generateIdentity, isCanonicalX25519PublicKey, reference, toHex, x25519 } from './index.js';
import { lowOrderX25519 } from './strict.js';
import { x25519KeyPair, x25519Uncached } from './x25519.js';

/** What an X25519 implementation answers: the shared secret in hex, or 'refused' if it throws. */
const outcome = (x: () => Uint8Array): string => {
  try {
    return toHex(x());
  } catch {
    return 'refused';
  }
};

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

describe('x25519', () => {
  it('matches RFC 7748 §6.1 (Alice and Bob)', () => {
    const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const b = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const bPub = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const aPub = hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(x25519(a, bPub))).toBe(shared);
    expect(toHex(x25519(b, aPub))).toBe(shared);
    expect(toHex(reference.x25519(a, bPub))).toBe(shared);
  });

  it('agrees with the reference and with libsodium crypto_scalarmult on random keys, canonical or not', async () => {
    const sodium = await libsodium();
    fc.assert(
      fc.property(key, key, (sk, pk) => {
        const ours = outcome(() => x25519(sk, pk));
        expect(outcome(() => reference.x25519(sk, pk))).toBe(ours);
        expect(outcome(() => sodium.crypto_scalarmult(sk, pk))).toBe(ours);
        expect(outcome(() => x25519Uncached(sk, pk))).toBe(ours);
      }),
      { numRuns: 200 },
    );
  });

  it('is a Diffie-Hellman: both sides derive the same secret', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const a = generateIdentity().encryption;
        const b = generateIdentity().encryption;
        expect(toHex(x25519(a.secretKey, b.publicKey))).toBe(toHex(x25519(b.secretKey, a.publicKey)));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses every low-order point, canonical or not, with LOW_ORDER_POINT on both paths', () => {
    const sk = generateIdentity().encryption.secretKey;
    const nonCanonical = [le32(P), le32(P + 1n), le32(2n ** 255n), le32(1n + 2n ** 255n)];
    for (const pk of [...LOW_ORDER.map(hex), ...nonCanonical]) {
      expectCryptoError(() => x25519(sk, pk), 'LOW_ORDER_POINT');
      expectCryptoError(() => reference.x25519(sk, pk), 'LOW_ORDER_POINT');
      expectCryptoError(() => x25519Uncached(sk, pk), 'LOW_ORDER_POINT');
    }
  });

  it("x25519KeyPair's public key is X25519(sk, 9), as the reference and libsodium compute it", async () => {
    const sodium = await libsodium();
    const nine = new Uint8Array(32);
    nine[0] = 9;
    fc.assert(
      fc.property(key, (sk) => {
        const pair = x25519KeyPair(sk);
        expect(toHex(pair.secretKey)).toBe(toHex(sk));
        expect(pair.secretKey).not.toBe(sk); // a copy: the caller's wipe of either leaves the other
        expect(toHex(pair.publicKey)).toBe(toHex(reference.x25519(sk, nine)));
        expect(toHex(pair.publicKey)).toBe(toHex(sodium.crypto_scalarmult_base(sk)));
      }),
      { numRuns: 100 },
    );
    const fresh = [x25519KeyPair(), x25519KeyPair()];
    expect(toHex(fresh[0]!.secretKey)).not.toBe(toHex(fresh[1]!.secretKey));
    expect(toHex(x25519Uncached(fresh[0]!.secretKey, fresh[1]!.publicKey))).toBe(
      toHex(x25519(fresh[1]!.secretKey, fresh[0]!.publicKey)),
    );
  });

  it('lists exactly the canonical low-order points', () => {
    for (const u of LOW_ORDER) expect(lowOrderX25519(hex(u))).toBe(true);
    expect(lowOrderX25519(generateIdentity().encryption.publicKey)).toBe(false);
    expect(lowOrderX25519(le32(P))).toBe(false); // non-canonical: refused as such, not listed
  });

  it('PROTOCOL.md §2 prints both order-8 points in full, and they are the ones refused', () => {
    // An implementer copies these from the spec: a truncated or mistyped value there would let a key of order 8 in.
    const spec = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    const row = spec.split('\n').find((line) => line.startsWith('| `X25519(sk, pk)`'));
    expect(row).toBeDefined();
    const printed = [...row!.matchAll(/`([0-9a-f]{64})`/g)].map((m) => m[1]);
    expect(printed).toEqual(LOW_ORDER.slice(2, 4));
    for (const u of printed) expect(lowOrderX25519(hex(u!))).toBe(true);
  });

  it('rejects bad arguments with TypeError / RangeError', () => {
    expect(() => x25519(new Uint8Array(31), new Uint8Array(32))).toThrow(RangeError);
    expect(() => x25519(new Uint8Array(32), new Uint8Array(33))).toThrow(/expected publicKey to be 32 bytes, got 33/);
    expect(() => x25519([] as unknown as Uint8Array, new Uint8Array(32))).toThrow(TypeError);
    expect(() => reference.x25519(new Uint8Array(32), new Uint8Array(31))).toThrow(RangeError);
    expect(() => x25519Uncached(new Uint8Array(32), new Uint8Array(31))).toThrow(RangeError);
    expect(() => x25519Uncached(new Uint8Array(33), new Uint8Array(32))).toThrow(RangeError);
    expect(() => x25519KeyPair(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('isCanonicalX25519PublicKey', () => {
  it('accepts values below 2^255 − 19 with the high bit clear', () => {
    expect(isCanonicalX25519PublicKey(le32(0n))).toBe(true);
    expect(isCanonicalX25519PublicKey(le32(P - 1n))).toBe(true);
    expect(isCanonicalX25519PublicKey(generateIdentity().encryption.publicKey)).toBe(true);
  });

  it('rejects p ≤ u < 2^255, a set high bit, and wrong lengths', () => {
    for (const n of [P, P + 1n, P + 18n, 2n ** 255n - 1n]) expect(isCanonicalX25519PublicKey(le32(n))).toBe(false);
    expect(isCanonicalX25519PublicKey(le32(9n + 2n ** 255n))).toBe(false);
    expect(isCanonicalX25519PublicKey(new Uint8Array(31))).toBe(false);
    expect(() => isCanonicalX25519PublicKey('00' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('holds for generated keys (fast-check over secrets)', () => {
    fc.assert(
      fc.property(key, (sk) => {
        expect(isCanonicalX25519PublicKey(reference.x25519(sk, le32(9n)))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
