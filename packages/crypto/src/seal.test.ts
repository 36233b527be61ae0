/** Sealed boxes (PROTOCOL.md §2): libsodium interop both ways, ours ↔ reference, and every failure typed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCryptoError, flip, hex, libsodium } from '../test/helpers.js';
import { generateIdentity, openSealed, reference, seal, SEAL_OVERHEAD_BYTES, sealedBoxOpener, toHex } from './index.js';

const message = fc.uint8Array({ minLength: 0, maxLength: 2000 });
const implementations = [
  ['libsodium (sodium-native)', { seal, openSealed }],
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

  it('our seal opens with the reference and vice versa (fast-check)', () => {
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

    // libsodium answers -1 for a low-order key and for a bad tag alike; each keeps its code (seal.ts whyNotOpened).
    it(`refuses every low-order point, in every encoding, as the ephemeral or the recipient key: ${name}`, () => {
      for (const [point, encoded] of LOW_ORDER_ENCODINGS) {
        expectCryptoError(() => impl.seal(Uint8Array.of(1), encoded), 'LOW_ORDER_POINT');
        const forged = new Uint8Array(32 + SEAL_OVERHEAD_BYTES);
        forged.set(encoded);
        const code = expectCryptoErrorIn(() => impl.openSealed(forged, bob.publicKey, bob.secretKey));
        expect(code, point).toBe('LOW_ORDER_POINT');
      }
    });

    it(`reads keys and boxes at any byte offset of a larger buffer: ${name}`, () => {
      const m = Uint8Array.of(5, 6, 7);
      const sealed = impl.seal(m, bob.publicKey);
      const at = (bytes: Uint8Array, offset: number) => {
        const bigger = new Uint8Array(offset + bytes.length + 5).fill(0xaa);
        bigger.set(bytes, offset);
        return bigger.subarray(offset, offset + bytes.length);
      };
      expect(toHex(impl.openSealed(at(sealed, 3), at(bob.publicKey, 7), at(bob.secretKey, 11)))).toBe(toHex(m));
      expect(toHex(impl.openSealed(impl.seal(m, at(bob.publicKey, 1)), bob.publicKey, bob.secretKey))).toBe(toHex(m));
      expectCryptoError(() => impl.openSealed(at(flip(sealed, 40), 3), bob.publicKey, bob.secretKey), 'OPEN_FAILED');
    });

    it(`rejects bad arguments with TypeError / RangeError: ${name}`, () => {
      expect(() => impl.seal(Uint8Array.of(1), new Uint8Array(31))).toThrow(RangeError);
      expect(() => impl.seal('hi' as unknown as Uint8Array, bob.publicKey)).toThrow(TypeError);
      expect(() => impl.openSealed(new Uint8Array(48), bob.publicKey, new Uint8Array(64))).toThrow(RangeError);
      expect(() => impl.openSealed(null as unknown as Uint8Array, bob.publicKey, bob.secretKey)).toThrow(TypeError);
    });
  }

  it('an opener keeps its own copy of the key pair: the caller may wipe its keys', () => {
    const keys = generateIdentity().encryption;
    const sealed = seal(Uint8Array.of(9), keys.publicKey);
    const open = sealedBoxOpener(keys.publicKey, keys.secretKey);
    keys.publicKey.fill(0);
    keys.secretKey.fill(0);
    expect(toHex(open(sealed))).toBe('09');
  });

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

/** The small-order X25519 values of libsodium's blocklist (PROTOCOL.md §2), canonical and with the high bit set. */
const LOW_ORDER_ENCODINGS: [string, Uint8Array][] = (
  [
    ['0', '0000000000000000000000000000000000000000000000000000000000000000'],
    ['1', '0100000000000000000000000000000000000000000000000000000000000000'],
    ['order 8 (a)', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'],
    ['order 8 (b)', '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'],
    ['p - 1', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['p', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['p + 1', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ] as const
).flatMap(([name, h]): [string, Uint8Array][] => {
  const canonical = hex(h);
  const highBit = Uint8Array.from(canonical);
  highBit[31] = (highBit[31] as number) | 0x80;
  return [
    [name, canonical],
    [`${name}, high bit set`, highBit],
  ];
});
