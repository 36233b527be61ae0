/** Sealed boxes (PROTOCOL.md §2): libsodium interop both ways, node ↔ reference, and every failure typed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError, flip, hex, libsodium } from '../test/helpers.js';
import { generateIdentity, openSealed, reference, seal, SEAL_OVERHEAD_BYTES, sealedBoxOpener, toHex } from './index.js';

const message = fc.uint8Array({ minLength: 0, maxLength: 2000 });
const implementations = [
  ['node:crypto', { seal, openSealed }],
  ['reference', { seal: reference.seal, openSealed: reference.openSealed }],
  // One key pair's opener (a receive batch): the same results and errors as openSealed.
  [
    'sealedBoxOpener',
    {
      seal,
      openSealed: (sealed: Uint8Array, pk: Uint8Array, sk: Uint8Array) => sealedBoxOpener(pk, sk)(sealed),
    },
  ],
] as const;

describe('seal / openSealed', () => {
  const bob = generateIdentity().encryption;

  it('adds exactly 48 bytes and round-trips, empty message included', () => {
    for (const [, impl] of implementations) {
      for (const m of [new Uint8Array(0), Uint8Array.of(1), new Uint8Array(70000).fill(7)]) {
        const sealed = impl.seal(m, bob.publicKey);
        expect(sealed).toHaveLength(m.length + SEAL_OVERHEAD_BYTES);
        expect(toHex(impl.openSealed(sealed, bob.publicKey, bob.secretKey))).toBe(toHex(m));
      }
    }
  });

  it('ours opens with libsodium crypto_box_seal_open, and libsodium crypto_box_seal opens with ours', async () => {
    const sodium = await libsodium();
    fc.assert(
      fc.property(message, (m) => {
        expect(toHex(sodium.crypto_box_seal_open(seal(m, bob.publicKey), bob.publicKey, bob.secretKey))).toBe(toHex(m));
        expect(toHex(openSealed(sodium.crypto_box_seal(m, bob.publicKey), bob.publicKey, bob.secretKey))).toBe(
          toHex(m),
        );
        const ref = reference.seal(m, bob.publicKey);
        expect(toHex(sodium.crypto_box_seal_open(ref, bob.publicKey, bob.secretKey))).toBe(toHex(m));
        expect(
          toHex(reference.openSealed(sodium.crypto_box_seal(m, bob.publicKey), bob.publicKey, bob.secretKey)),
        ).toBe(toHex(m));
      }),
      { numRuns: 100 },
    );
  });

  it('node:crypto seal opens with the reference and vice versa (fast-check)', () => {
    fc.assert(
      fc.property(message, (m) => {
        const key = generateIdentity().encryption;
        expect(toHex(reference.openSealed(seal(m, key.publicKey), key.publicKey, key.secretKey))).toBe(toHex(m));
        expect(toHex(openSealed(reference.seal(m, key.publicKey), key.publicKey, key.secretKey))).toBe(toHex(m));
      }),
      { numRuns: 200 },
    );
  });

  it('uses a fresh ephemeral key every time', () => {
    const m = Uint8Array.of(1, 2, 3);
    const a = seal(m, bob.publicKey);
    const b = seal(m, bob.publicKey);
    expect(toHex(a.subarray(0, 32))).not.toBe(toHex(b.subarray(0, 32)));
  });

  for (const [name, impl] of implementations) {
    it(`fails with OPEN_FAILED when any byte is changed, or with the wrong key: ${name}`, () => {
      const sealed = seal(Uint8Array.of(1, 2, 3, 4), bob.publicKey);
      for (let i = 0; i < sealed.length; i++) {
        const e = expectCryptoErrorIn(() => impl.openSealed(flip(sealed, i), bob.publicKey, bob.secretKey));
        // Flipping the ephemeral key's low bit may land on a low-order point only by astronomical chance.
        expect(e, `byte ${i}`).toBe('OPEN_FAILED');
      }
      const eve = generateIdentity().encryption;
      expectCryptoError(() => impl.openSealed(sealed, eve.publicKey, eve.secretKey), 'OPEN_FAILED');
      expectCryptoError(() => impl.openSealed(sealed, eve.publicKey, bob.secretKey), 'OPEN_FAILED');
    });

    it(`fails with OPEN_FAILED below 48 bytes: ${name}`, () => {
      const sealed = impl.seal(new Uint8Array(0), bob.publicKey);
      for (let n = 0; n < SEAL_OVERHEAD_BYTES; n++) {
        expectCryptoError(() => impl.openSealed(sealed.subarray(0, n), bob.publicKey, bob.secretKey), 'OPEN_FAILED');
      }
      expectCryptoError(
        () => impl.openSealed(Uint8Array.from([...sealed, 0]), bob.publicKey, bob.secretKey),
        'OPEN_FAILED',
      );
    });

    it(`refuses low-order keys with LOW_ORDER_POINT, sealing and opening: ${name}`, () => {
      const zero = new Uint8Array(32);
      const one = hex('0100000000000000000000000000000000000000000000000000000000000000');
      expectCryptoError(() => impl.seal(Uint8Array.of(1), zero), 'LOW_ORDER_POINT');
      expectCryptoError(() => impl.seal(Uint8Array.of(1), one), 'LOW_ORDER_POINT');
      const forged = new Uint8Array(64); // epk = 0: X25519(sk, epk) is all zero
      expectCryptoError(() => impl.openSealed(forged, bob.publicKey, bob.secretKey), 'LOW_ORDER_POINT');
    });

    it(`rejects bad arguments with TypeError / RangeError: ${name}`, () => {
      expect(() => impl.seal(Uint8Array.of(1), new Uint8Array(31))).toThrow(RangeError);
      expect(() => impl.seal('hi' as unknown as Uint8Array, bob.publicKey)).toThrow(TypeError);
      expect(() => impl.openSealed(new Uint8Array(48), bob.publicKey, new Uint8Array(64))).toThrow(RangeError);
      expect(() => impl.openSealed(null as unknown as Uint8Array, bob.publicKey, bob.secretKey)).toThrow(TypeError);
    });
  }

  it('random bytes only ever fail with a CryptoError (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        const code = expectCryptoErrorIn(() => openSealed(junk, bob.publicKey, bob.secretKey));
        expect(['OPEN_FAILED', 'LOW_ORDER_POINT']).toContain(code);
      }),
      { numRuns: 300 },
    );
  });
});

function expectCryptoErrorIn(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toHaveProperty('name', 'CryptoError');
    return (e as { code: string }).code;
  }
  throw new Error('expected a CryptoError, nothing was thrown');
}
